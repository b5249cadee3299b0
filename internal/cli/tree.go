package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/yamlpos"
)

// resolveForView resolves for tree and why: the lock's versions are kept
// while valid, so the view matches what is locked.
func (a *app) resolveForView(ctx context.Context, env string) (*resolution, error) {
	m, err := a.loadManifest()
	if err != nil {
		return nil, err
	}
	if err := checkEnv(m, env); err != nil {
		return nil, err
	}
	old, err := readLock(m, env, true)
	var ye *yamlpos.Error
	if errors.As(err, &ye) {
		return nil, err
	}
	strategy := pubgrub.Latest
	if old != nil {
		strategy = pubgrub.First
	}
	progress, clear := a.resolveProgress()
	r, err := resolve(ctx, m, resolveOptions{env: env, strategy: strategy, locked: lockedVersions(old, nil), lockedRefs: lockedCommits(old, nil), progress: progress})
	clear()
	if err != nil {
		return nil, a.resolveFailed(err)
	}
	a.printNotes(r)
	return r, nil
}

func newTreeCmd(a *app) *cobra.Command {
	var (
		env    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "tree [--env E] [--json]",
		Short: "Show the resolved components as a dependency tree",
		Long: `Resolve the workspace (keeping the lock's versions while they are valid) and
print every component with its version or tracked ref, under the components
that depend on it. A subtree already shown is marked (*).`,
		Example: `  meta tree
  meta tree --env prod
  meta tree --json | jq '.[] | select(.tracked)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.resolveForView(cmd.Context(), env)
			if err != nil {
				return err
			}
			if asJSON {
				type node struct {
					lockfile.Component
					Tracked    bool   `json:"tracked"`
					Overridden string `json:"override,omitempty"`
				}
				out := []node{}
				for _, n := range r.lock.Names() {
					nd := node{Component: *r.lock.Components[n], Tracked: r.lock.Components[n].Tracked()}
					if o, ok := r.m.Overrides[n]; ok {
						nd.Overridden = o.Version
					}
					out = append(out, nd)
				}
				return a.printJSON(out)
			}
			a.printTree(r)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve for environment `E`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) printTree(r *resolution) {
	f := r.lock
	dependedOn := map[string]bool{}
	for _, c := range f.Components {
		for _, d := range c.DependsOn {
			dependedOn[d] = true
		}
	}
	var tops []string
	for _, n := range f.Names() {
		if !dependedOn[n] {
			tops = append(tops, n)
		}
	}
	if len(tops) == 0 {
		tops = f.Names() // everything is on a cycle
	}
	title := rootName
	if r.env != "" {
		title += " (" + r.env + ")"
	}
	a.printf("%s\n", title)
	shown := map[string]bool{}
	var walk func(name, prefix string, last bool, path map[string]bool)
	walk = func(name, prefix string, last bool, path map[string]bool) {
		branch, next := "├── ", "│   "
		if last {
			branch, next = "└── ", "    "
		}
		c := f.Components[name]
		label := name
		if c != nil {
			label += " " + c.Describe()
			if o, ok := r.m.Overrides[name]; ok {
				label += " (override " + o.Version + ")"
			}
		}
		if path[name] {
			a.printf("%s%s%s (cycle)\n", prefix, branch, label)
			return
		}
		if shown[name] && c != nil && len(c.DependsOn) > 0 {
			a.printf("%s%s%s (*)\n", prefix, branch, label)
			return
		}
		shown[name] = true
		a.printf("%s%s%s\n", prefix, branch, label)
		if c == nil {
			return
		}
		path[name] = true
		for i, d := range c.DependsOn {
			walk(d, prefix+next, i == len(c.DependsOn)-1, path)
		}
		delete(path, name)
	}
	for i, n := range tops {
		walk(n, "", i == len(tops)-1, map[string]bool{})
	}
}

func newWhyCmd(a *app) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:   "why NAME [--env E]",
		Short: "Explain why a component is at its version: the chain of requirements",
		Long: `Print who requires NAME and with which range, where each requirement is
declared (file:line), and recursively who requires those, up to the
workspace manifest. Overrides that replaced a requirement are shown with
their reason.`,
		Example: `  meta why auth-lib
  meta why detector-core --env prod`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			if _, err := selectComponents(m, []string{name}); err != nil {
				return err
			}
			r, err := a.resolveForView(cmd.Context(), env)
			if err != nil {
				return err
			}
			a.printWhy(r, name)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve for environment `E`")
	return cmd
}

func (a *app) printWhy(r *resolution, name string) {
	c := r.lock.Components[name]
	if c == nil {
		a.printf("%s is not part of the resolution\n", name)
		return
	}
	a.printf("%s %s (commit %s)\n", name, c.Describe(), shortCommit(c.Commit))
	if info, ok := r.tracked[name]; ok {
		e := r.m.Effective(r.m.Components[name], r.env)
		pos := e.Pos
		if e.VersionPos.File != "" {
			pos = e.VersionPos
		}
		what := "tracks " + info.Ref
		if e.Ref == "" {
			what = "has no semver tags: tracks its default branch " + info.Ref
		}
		a.printf("  %s (%s)\n", what, pos)
	}
	if o, ok := r.m.Overrides[name]; ok {
		reason := ""
		if o.Reason != "" {
			reason = ": " + o.Reason
		}
		a.printf("  overridden to %s (%s)%s\n", o.Version, o.Pos, reason)
	}
	seen := map[string]bool{name: true}
	var walk func(n string, depth int)
	walk = func(n string, depth int) {
		if depth > 30 || r.sol == nil {
			return
		}
		reqs := r.sol.Why(n)
		sort.SliceStable(reqs, func(i, j int) bool {
			if reqs[i].IsRoot != reqs[j].IsRoot {
				return reqs[i].IsRoot
			}
			return reqs[i].From < reqs[j].From
		})
		indent := strings.Repeat("  ", depth+1)
		for _, q := range reqs {
			from, chain := r.requirer(q)
			line := fmt.Sprintf("%s← %s requires %s", indent, from, q.Constraint)
			if q.Overridden {
				line = fmt.Sprintf("%s← %s requires %s, overridden to %s", indent, from, q.Original, q.Constraint)
			}
			if q.Source != "" {
				line += "  (" + q.Source + ")"
			}
			a.printf("%s\n", line)
			if chain != "" && !seen[chain] {
				seen[chain] = true
				walk(chain, depth+1)
				delete(seen, chain)
			}
		}
	}
	walk(name, 0)
}

// requirer names who declared requirement q, and the component whose own
// requirements explain it ("" for the workspace manifest).
func (r *resolution) requirer(q pubgrub.Requirement) (label, chain string) {
	if !q.IsRoot {
		return q.From + " " + q.FromVersion.String(), q.From
	}
	// Root requirements also carry what tracked components' component.yaml
	// declares ("app@main:component.yaml:3").
	if at := strings.Index(q.Source, "@"); at > 0 {
		n := q.Source[:at]
		if info, ok := r.tracked[n]; ok {
			return n + " (tracking " + info.Ref + ")", ""
		}
	}
	return rootName, ""
}
