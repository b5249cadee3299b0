package cli

import (
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdCapture implements "capture NAME [REGEXP]": set the environment
// variable NAME to the previous command's standard output, trimmed, or to
// the first submatch of REGEXP in it.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: capture NAME [REGEXP]")
	}
	out := ts.ReadFile("stdout")
	val := strings.TrimSpace(out)
	if len(args) == 2 {
		m := regexp.MustCompile(args[1]).FindStringSubmatch(out)
		if len(m) < 2 {
			ts.Fatalf("capture: %q does not match stdout", args[1])
		}
		val = m[1]
	}
	ts.Setenv(args[0], val)
}
