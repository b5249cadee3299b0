package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/depscan"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/yamlpos"
)

// depsTargetOpts is the component selection shared by every deps subcommand.
type depsTargetOpts struct {
	Components []string // --component, repeatable
	All        bool     // --all
	Groups     []string // --group, repeatable (-NAME excludes)
}

// addDepsTargetFlags adds --component, --all and --group to cmd.
func addDepsTargetFlags(cmd *cobra.Command, opts *depsTargetOpts) {
	cmd.Flags().StringArrayVar(&opts.Components, "component", nil, "a component to look at (repeatable)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "look at every component of the workspace")
	addGroupFlag(cmd, &opts.Groups)
}

// depsComponents resolves --component/--group/--all to components in
// manifest order. Exactly one of them is required; unknown names are usage
// errors. Components that are not checked out are an error naming them.
func (a *app) depsComponents(m *manifest.Manifest, opts depsTargetOpts) ([]depscan.Component, error) {
	if len(opts.Groups) > 0 && !opts.All {
		sel, err := selectWithGroups(m, opts.Components, opts.Groups)
		if err != nil {
			return nil, err
		}
		opts.Components = nil
		for _, c := range sel {
			opts.Components = append(opts.Components, c.Name)
		}
	}
	if opts.All == (len(opts.Components) > 0) {
		return nil, usagef("e.g. meta deps audit --all, or --component NAME, or --group NAME", "choose the components: --component NAME (repeatable), --group NAME or --all")
	}
	names := m.Order
	if !opts.All {
		names = nil
		seen := map[string]bool{}
		for _, n := range opts.Components {
			if _, ok := m.Components[n]; !ok {
				order := append([]string(nil), m.Order...)
				sort.Strings(order)
				hint := "components: " + strings.Join(order, ", ")
				if s := yamlpos.Suggest(n, m.Order); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				}
				return nil, usagef(hint, "--component %s: no such component in %s", n, m.Rel(m.File))
			}
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	out := make([]depscan.Component, 0, len(names))
	for _, n := range names {
		out = append(out, depscan.Component{Name: n, Dir: m.Components[n].Path})
	}
	if missing := depscan.Missing(out); len(missing) > 0 {
		return nil, failf("run meta bootstrap to clone them", "not checked out: %v", missing)
	}
	return out, nil
}

// depsTargets reads the lock files of the selected components.
func (a *app) depsTargets(cmd *cobra.Command, opts depsTargetOpts) ([]depscan.Target, error) {
	m, err := a.loadManifest()
	if err != nil {
		return nil, err
	}
	comps, err := a.depsComponents(m, opts)
	if err != nil {
		return nil, err
	}
	out := make([]depscan.Target, 0, len(comps))
	for _, c := range comps {
		t, err := depscan.Load(cmd.Context(), c)
		if err != nil {
			return nil, err
		}
		a.depsNotes(t)
		out = append(out, t)
	}
	return out, nil
}

// depsNotes says, with -v, how each lock file was read (e.g. which YAML
// document of a pnpm lock file is the lock).
func (a *app) depsNotes(t depscan.Target) {
	if !a.verbose {
		return
	}
	for _, l := range t.Locks {
		for _, n := range l.Notes {
			fmt.Fprintf(a.errw(), "%s: %s\n", t.Name, n)
		}
	}
}

// depsUnreadable is the error for lock files that could not be read or
// parsed: bad input (exit 2), naming each file and why.
func depsUnreadable(ts []depscan.Target) error {
	msgs := depscan.Unreadable(ts)
	if len(msgs) == 0 {
		return nil
	}
	what := "a lock file could not be read"
	if len(msgs) > 1 {
		what = fmt.Sprintf("%d lock files could not be read", len(msgs))
	}
	return usagef("fix the file, or regenerate it with meta deps lock", "%s: %s", what, strings.Join(msgs, "; "))
}
