package workspace

import (
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/manifest"
)

// ExecSummary is the line closing 'meta exec' ("ran in 3 components: 2
// ok, 1 failed (api); 1 not cloned"), and whether the command failed
// anywhere.
func ExecSummary(res []ExecResult) (string, bool) {
	var failed []string
	skipped := 0
	for _, r := range res {
		switch {
		case r.NotCloned:
			skipped++
		case r.Err != nil:
			failed = append(failed, r.Name)
		}
	}
	line := fmt.Sprintf("ran in %s: %d ok, %d failed", Plural(len(res)-skipped, "component"), len(res)-len(failed)-skipped, len(failed))
	if len(failed) > 0 {
		line += " (" + strings.Join(failed, ", ") + ")"
	}
	if skipped > 0 {
		line += fmt.Sprintf("; %d not cloned", skipped)
	}
	return line, len(failed) > 0
}

// SetupCounts tallies setup results: failed, and skipped because a
// dependency failed.
func SetupCounts(res []SetupResult) (failed, skipped int) {
	for _, r := range res {
		switch {
		case r.SkippedBy != "":
			skipped++
		case r.Err != nil:
			failed++
		}
	}
	return failed, skipped
}

// SplitRegistry separates the components cloned with git from the names
// of those a registry provides (downloaded by 'meta apply', not cloned).
func SplitRegistry(comps []*manifest.Component) (gitComps []*manifest.Component, fromRegistry []string) {
	gitComps = comps[:0:0]
	for _, c := range comps {
		if c.Registry != "" {
			fromRegistry = append(fromRegistry, c.Name)
		} else {
			gitComps = append(gitComps, c)
		}
	}
	return gitComps, fromRegistry
}

// BootstrapCounts tallies bootstrap results: cloned, already present, and
// the failures.
func BootstrapCounts(res []BootstrapResult) (cloned, present int, failed []BootstrapResult) {
	for _, r := range res {
		switch r.Action {
		case Cloned:
			cloned++
		case Present:
			present++
		default:
			failed = append(failed, r)
		}
	}
	return cloned, present, failed
}
