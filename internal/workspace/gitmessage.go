package workspace

import (
	"errors"
	"regexp"
	"strings"

	"github.com/metawork/meta/internal/run"
)

var filterRE = regexp.MustCompile(`^(blob:none|blob:limit=[0-9]+[kmgKMG]?|tree:[0-9]+)$`)

// ValidFilter reports whether f is a git object filter bootstrap accepts
// for a partial clone: blob:none, blob:limit=<n> or tree:<depth>.
func ValidFilter(f string) bool { return filterRE.MatchString(f) }

// GitMessage shortens a failed git command to what git said first — its
// "fatal:" line — instead of the whole command line and every line of
// advice after it. Other errors are returned as they are.
func GitMessage(err error) string {
	var re *run.Error
	if !errors.As(err, &re) {
		return err.Error()
	}
	msg := ""
	for _, l := range strings.Split(re.Stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "fatal:") || strings.HasPrefix(l, "error:") {
			msg = l
			break
		}
		if msg == "" {
			msg = l
		}
	}
	if msg == "" {
		return err.Error()
	}
	what := "git"
	if len(re.Args) > 1 {
		what = "git " + re.Args[1]
	}
	return what + ": " + msg
}
