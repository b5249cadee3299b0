package apply

import (
	"sort"
	"strings"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/workspace"
)

// Skips reports whether step s leaves its tree where it is although the
// lock wants it elsewhere.
func (s *Step) Skips() bool {
	switch s.Action {
	case Clone, Fetch, Checkout, UpToDate, Download, Orphan:
		return false
	}
	return true
}

// Result names the outcome of a step after Run: cloned, checked out,
// extracted, up to date, left alone, skipped or failed.
func (s *Step) Result() string {
	switch {
	case s.Err != nil:
		return "failed"
	case s.Action == Clone:
		return "cloned"
	case s.Action == Download:
		return "extracted"
	case s.Action == Checkout || s.Action == Fetch:
		return "checked out"
	case s.Action == UpToDate:
		return "up to date"
	case s.Action == Orphan:
		return "left alone"
	}
	return "skipped"
}

// Outcome is a step with its result, as --json prints it.
type Outcome struct {
	*Step
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
	Backup string `json:"backup_ref,omitempty"`
	Saved  string `json:"saved_files_ref,omitempty"`
}

// Outcomes lists every step with its result (none for a dry run), and
// whether any failed or was skipped.
func Outcomes(steps []*Step, dryRun bool) (out []Outcome, failed, skipped bool) {
	out = []Outcome{}
	for _, s := range steps {
		o := Outcome{Step: s, Backup: s.Backup, Saved: s.Saved}
		if dryRun {
			skipped = skipped || s.Skips()
		} else {
			o.Result = s.Result()
			failed = failed || s.Err != nil
			skipped = skipped || o.Result == "skipped"
		}
		if s.Err != nil {
			o.Error = s.Err.Error()
		}
		out = append(out, o)
	}
	return out, failed, skipped
}

// Counts tallies the results of a run.
type Counts struct{ Cloned, Moved, Extracted, Same, Skipped, Failed int }

// Count tallies steps by result.
func Count(steps []*Step) Counts {
	var c Counts
	for _, s := range steps {
		switch s.Result() {
		case "failed":
			c.Failed++
		case "cloned":
			c.Cloned++
		case "checked out":
			c.Moved++
		case "extracted":
			c.Extracted++
		case "up to date":
			c.Same++
		case "skipped":
			c.Skipped++
		}
	}
	return c
}

// SkipHint says what to do about the trees a plan leaves behind (blocked
// or skipped), "" when it leaves none.
func SkipHint(steps []*Step) string {
	skipped := false
	for _, s := range steps {
		if s.Action == Blocked {
			if strings.Contains(s.Why, "ignored file") {
				return "blocked trees have files git ignores that the checkout would overwrite; move them away, or rerun with --force to save them in a backup ref first"
			}
			return "blocked trees have modified files the checkout would overwrite; commit or stash them, then rerun"
		}
		skipped = skipped || s.Skips()
	}
	if !skipped {
		return ""
	}
	return "skipped trees keep their local work; commit, push or stash it, or rerun with --force (a backup ref is recorded first)"
}

// Change is one component whose lock entry moved.
type Change struct {
	Name string `json:"name"`
	From string `json:"from,omitempty"` // "" for a new component
	To   string `json:"to"`
	Kind string `json:"kind"` // patch, minor, major, downgrade, new, new commits
}

// Changes lists what moved from old (nil: nothing was locked) to updated,
// by name.
func Changes(old, updated *lockfile.File) []Change {
	out := []Change{}
	names := make([]string, 0, len(updated.Components))
	for n := range updated.Components {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		n := updated.Components[name]
		var o *lockfile.Component
		if old != nil {
			o = old.Components[name]
		}
		switch {
		case o == nil:
			out = append(out, Change{name, "", Describe(n), "new"})
		case o.Version != n.Version && n.Version != "":
			out = append(out, Change{name, Describe(o), Describe(n), Kind(o.Version, n.Version)})
		case o.Commit != n.Commit:
			out = append(out, Change{name, Describe(o), Describe(n), "new commits"})
		}
	}
	return out
}

// Kind says how far a version moved: major, minor, patch, downgrade or "".
func Kind(from, to string) string {
	a, err1 := semver.ParseVersion(from)
	b, err2 := semver.ParseVersion(to)
	if err1 != nil || err2 != nil {
		return ""
	}
	switch {
	case semver.Compare(b, a) < 0:
		return "downgrade"
	case a.Major != b.Major:
		return "major"
	case a.Minor != b.Minor:
		return "minor"
	case semver.Compare(a, b) != 0:
		return "patch"
	}
	return ""
}

// Describe names a locked entry briefly: its version, or ref@commit.
func Describe(c *lockfile.Component) string {
	if c.Version != "" {
		return c.Version
	}
	return c.Ref + "@" + workspace.ShortCommit(c.Commit)
}
