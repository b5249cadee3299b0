package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/yamlpos"
)

// depsTargetOpts is the component selection shared by every deps subcommand.
type depsTargetOpts struct {
	Components []string // --component, repeatable
	All        bool     // --all
	Groups     []string // --group, repeatable (-NAME excludes)
}

// depsTarget is one selected component and its parsed lock files.
type depsTarget struct {
	Name   string
	Dir    string                   // absolute checkout directory
	Locks  []*ecosystem.Lockfile    // parsed lock files, sorted by path
	Failed []ecosystem.ParseFailure // lock files found but not readable: report as "not audited"
}

// addDepsTargetFlags adds --component and --all to cmd.
func addDepsTargetFlags(cmd *cobra.Command, opts *depsTargetOpts) {
	cmd.Flags().StringArrayVar(&opts.Components, "component", nil, "a component to look at (repeatable)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "look at every component of the workspace")
	addGroupFlag(cmd, &opts.Groups)
}

// depsComponent is a selected component before its lock files are read.
type depsComponent struct {
	Name string
	Dir  string
}

// depsManifest loads the workspace manifest from the working directory.
func (a *app) depsManifest() (*manifest.Manifest, error) {
	return a.loadManifest()
}

// depsComponents resolves --component/--all to components in manifest
// order. Exactly one of them is required; unknown names are usage errors.
// Components whose directory does not exist are an error naming them.
func (a *app) depsComponents(m *manifest.Manifest, opts depsTargetOpts) ([]depsComponent, error) {
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
	var names []string
	if opts.All {
		names = m.Order
	} else {
		seen := map[string]bool{}
		for _, n := range opts.Components {
			if _, ok := m.Components[n]; !ok {
				hint := "components: " + strings.Join(sortedCopy(m.Order), ", ")
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
	var out []depsComponent
	var missing []string
	for _, n := range names {
		c := m.Components[n]
		if st, err := os.Stat(c.Path); err != nil || !st.IsDir() {
			missing = append(missing, n)
			continue
		}
		out = append(out, depsComponent{Name: n, Dir: c.Path})
	}
	if len(missing) > 0 {
		return nil, failf("run meta bootstrap to clone them", "not checked out: %v", missing)
	}
	return out, nil
}

// depsTargets resolves the selected components and detects and parses every
// lock file of each. A lock file that cannot be read or parsed goes to
// Failed with its error; it is never dropped. A component whose directory
// cannot be listed is an error.
func (a *app) depsTargets(cmd *cobra.Command, opts depsTargetOpts) ([]depsTarget, error) {
	m, err := a.depsManifest()
	if err != nil {
		return nil, err
	}
	comps, err := a.depsComponents(m, opts)
	if err != nil {
		return nil, err
	}
	out := make([]depsTarget, 0, len(comps))
	for _, c := range comps {
		t, err := loadDepsTarget(cmd.Context(), c)
		if err != nil {
			return nil, err
		}
		a.depsNotes(t)
		out = append(out, t)
	}
	return out, nil
}

// loadDepsTarget detects and parses the lock files of one component.
func loadDepsTarget(ctx context.Context, c depsComponent) (depsTarget, error) {
	t := depsTarget{Name: c.Name, Dir: c.Dir}
	found, err := ecosystem.Detect(c.Dir)
	if err != nil {
		return t, fmt.Errorf("%s: %w", c.Name, err)
	}
	for _, f := range found {
		l, err := ecosystem.Parse(ctx, c.Dir, f)
		if err != nil {
			if ctx.Err() != nil {
				return t, ctx.Err()
			}
			t.Failed = append(t.Failed, ecosystem.ParseFailure{Path: f.Path, Manager: f.Manager, Err: err})
			continue
		}
		t.Locks = append(t.Locks, l)
	}
	return t, nil
}

// depsNotes says, with -v, how each lock file was read (e.g. which YAML
// document of a pnpm lock file is the lock).
func (a *app) depsNotes(t depsTarget) {
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
func depsUnreadable(ts []depsTarget) error {
	var msgs []string
	for _, t := range ts {
		for _, f := range t.Failed {
			msgs = append(msgs, t.Name+": "+f.Err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	what := "a lock file could not be read"
	if len(msgs) > 1 {
		what = fmt.Sprintf("%d lock files could not be read", len(msgs))
	}
	return usagef("fix the file, or regenerate it with meta deps lock", "%s: %s", what, strings.Join(msgs, "; "))
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
