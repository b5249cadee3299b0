package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/workspace"
)

// TreeText is 'meta tree' as lines: a title naming the workspace (and
// the environment), then the tree.
func (r *Result) TreeText() []string {
	title := RootName
	if r.Env != "" {
		title += " (" + r.Env + ")"
	}
	out := []string{title}
	for _, l := range r.Tree() {
		if l.Mark != "" {
			l.Label += " " + l.Mark
		}
		out = append(out, l.Prefix+l.Label)
	}
	return out
}

// WhyText is 'meta why NAME' as lines: what name is at, what it tracks or
// what overrides it, and the chain of requirements.
func (r *Result) WhyText(name string) []string {
	c := r.Lock.Components[name]
	if c == nil {
		return []string{name + " is not part of the resolution"}
	}
	out := []string{fmt.Sprintf("%s %s (commit %s)", name, c.Describe(), ShortCommit(c.Commit))}
	m := r.Manifest
	if info, ok := r.Tracked[name]; ok {
		e := m.Effective(m.Components[name], r.Env)
		pos := e.Pos
		if e.VersionPos.File != "" {
			pos = e.VersionPos
		}
		what := "tracks " + info.Ref
		if e.Ref == "" {
			what = "has no semver tags: tracks its default branch " + info.Ref
		}
		out = append(out, fmt.Sprintf("  %s (%s)", what, pos))
	}
	if o, ok := m.Overrides[name]; ok {
		reason := ""
		if o.Reason != "" {
			reason = ": " + o.Reason
		}
		out = append(out, fmt.Sprintf("  overridden to %s (%s)%s", o.Version, o.Pos, reason))
	}
	for _, q := range r.Why(name) {
		line := fmt.Sprintf("%s← %s requires %s", strings.Repeat("  ", q.Depth+1), q.From, q.Constraint)
		if q.Original != "" {
			line = fmt.Sprintf("%s← %s requires %s, overridden to %s", strings.Repeat("  ", q.Depth+1), q.From, q.Original, q.Constraint)
		}
		if q.Source != "" {
			line += "  (" + q.Source + ")"
		}
		out = append(out, line)
	}
	return out
}

// RecommendRows is the table of 'conflicts recommend': a header, then one
// row per recommendation, "-" standing for nothing.
func RecommendRows(recs []Recommendation) [][]string {
	rows := [][]string{{"COMPONENT", "LOCKED", "ALLOWED", "NEWEST", "HELD BACK BY"}}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, rec := range recs {
		allowed := rec.Allowed
		if rec.Tracks != "" {
			allowed = "tracks " + rec.Tracks
		}
		var held []string
		for _, h := range rec.HeldBackBy {
			held = append(held, h.String())
		}
		rows = append(rows, []string{rec.Name, dash(rec.Locked), dash(allowed), dash(rec.Newest), dash(strings.Join(held, "; "))})
	}
	return rows
}

// Moved says that ch's tag now names another commit than the lock's.
func Moved(ch lockfile.Change) string {
	return fmt.Sprintf("%s: tag %s now points at %s, but the lock says %s: someone moved it", ch.Name, ch.New.Ref, ShortCommit(ch.New.Commit), ShortCommit(ch.Old.Commit))
}

// RefusedHint is the next step when a lock of env refuses moved tags.
func (l *Locking) RefusedHint(env string) string {
	var names []string
	for _, ch := range l.Refused {
		names = append(names, ch.Name)
	}
	flag := ""
	if env != "" {
		flag = " --env " + env
	}
	return fmt.Sprintf("find out why the tag moved; to pin its new commit run 'meta lock%s --update %s'; nothing was written", flag, strings.Join(names, " "))
}

// BootstrapPick chooses the tag to check out for version-ranged
// components: the solver's choice over every component's tags and
// component.yaml files (keeping old's versions while valid), resolved
// once on first use; its notes go to warn. When the workspace does not
// resolve (a conflict, an unreachable repository), it warns once and
// falls back to the newest tag satisfying each component's own range, so
// that one bad component does not stop the others from being cloned.
func BootstrapPick(ctx context.Context, m *manifest.Manifest, old *lockfile.File, warn func(string)) func(*manifest.Component, map[string]string) (string, error) {
	var (
		r        *Result
		fallback func(*manifest.Component, map[string]string) (string, error)
		once     sync.Once
	)
	return func(c *manifest.Component, tags map[string]string) (string, error) {
		once.Do(func() {
			var err error
			if r, err = Resolve(ctx, m, Keeping(Options{}, old, nil)); err != nil {
				why, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
				var nse *pubgrub.NoSolutionError
				if errors.As(err, &nse) {
					why = nse.Headline + " (see 'meta conflicts check')"
				}
				warn(fmt.Sprintf("the workspace does not resolve: %s; using the newest tag satisfying each component's range instead", why))
				fallback = workspace.PickNewest()
			} else {
				for _, n := range r.Notes {
					warn(n)
				}
			}
		})
		if fallback != nil {
			return fallback(c, tags)
		}
		if v, ok := r.Solution.Versions[c.Name]; ok {
			tag, _, _ := r.Git.Tag(c.Name, v)
			return tag, nil
		}
		if info, ok := r.Tracked[c.Name]; ok {
			return info.Ref, nil
		}
		return "", fmt.Errorf("%s is not part of the resolution", c.Name)
	}
}
