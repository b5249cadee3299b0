package apply

import (
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/workspace"
)

// PlanLines lays out a plan, one aligned line per step: action, name,
// target, commit or checksum, where the tree is now, and why.
func PlanLines(steps []*Step) []string {
	actW, nameW := 0, 0
	for _, s := range steps {
		actW, nameW = max(actW, len(s.Action)), max(nameW, len(s.Name))
	}
	var out []string
	for _, s := range steps {
		line := fmt.Sprintf("  %-*s %-*s", actW, s.Action, nameW, s.Name)
		if s.Target != "" {
			line += " " + s.Target
		}
		if s.Commit != "" {
			line += " " + workspace.ShortCommit(s.Commit)
		}
		if sum := strings.TrimPrefix(s.Checksum, "sha256:"); sum != "" {
			line += " sha256:" + sum[:min(12, len(sum))]
		}
		if s.From != "" {
			line += " (now " + workspace.ShortCommit(s.From) + ")"
		}
		if s.Forced {
			line += " [--force: " + s.Why + "; backup ref first]"
		} else if s.Why != "" {
			line += ": " + s.Why
		}
		out = append(out, strings.TrimRight(line, " "))
	}
	return out
}

// SavedLines says where a run kept what it moved past: the backup ref of the
// previous HEAD, and the commit holding ignored files it overwrote.
func (s *Step) SavedLines() []string {
	var out []string
	if s.Backup != "" {
		out = append(out, fmt.Sprintf("%s: previous HEAD %s saved as %s", s.Name, workspace.ShortCommit(s.From), s.Backup))
	}
	if s.Saved != "" {
		what := "ignored file " + s.Clobbered[0]
		if len(s.Clobbered) > 1 {
			what = fmt.Sprintf("%d ignored files", len(s.Clobbered))
		}
		out = append(out, fmt.Sprintf("%s: %s saved in %s (git -C %s show %s:%s)", s.Name, what, s.Saved, s.Comp.RelPath, s.Saved, strings.TrimSuffix(s.Clobbered[0], "/")))
	}
	return out
}

// Summary is the line closing a run: how many steps ended which way.
func Summary(steps []*Step) string {
	c := Count(steps)
	line := fmt.Sprintf("%d cloned, %d checked out, ", c.Cloned, c.Moved)
	if c.Extracted > 0 {
		line += fmt.Sprintf("%d extracted, ", c.Extracted)
	}
	return line + fmt.Sprintf("%d up to date, %d skipped, %d failed", c.Same, c.Skipped, c.Failed)
}
