package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/wire"
	"github.com/metawork/meta/internal/workspace"
)

func newSetupCmd(a *app) *cobra.Command {
	var (
		jobs         int
		wireOn, unwr bool
		groups       []string
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "setup [NAMES...]",
		Short: "Run each component's setup commands in dependency order",
		Long: `Run the setup commands of every component (from the manifest's 'setup', or
the component's own component.yaml) in dependency order: a component's
setup starts after the setup of everything it depends on succeeded;
independent components run in parallel. A failure skips the components that
depend on it, and the summary says which were skipped because of whom.`,
		Example: `  meta setup
  meta setup -j 1
  meta setup api        # only api (its dependencies are not run)
  meta setup --wire     # also: go.work, one shared .venv, npm workspaces
  meta setup --unwire   # remove exactly what --wire added`,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			if unwr {
				if wireOn {
					return usagef("", "--wire and --unwire exclude each other")
				}
				return a.unwire(cmd.Context(), m)
			}
			comps, err := selectWithGroups(m, args, groups)
			if err != nil {
				return err
			}
			if wireOn {
				if err := a.wire(cmd.Context(), m, comps); err != nil {
					return err
				}
			}
			r := a.blockRenderer(asJSON, func(e progress.Event) string {
				return e.Result.(workspace.SetupResult).Block(a.pal, e.Item)
			})
			progress.Plan(r, compNames(comps))
			res, err := workspace.Setup(cmd.Context(), m, comps, m.Jobs(jobs), r)
			r.Close()
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			var ce *workspace.CycleError
			if errors.As(err, &ce) {
				return usagef("break the cycle by removing one of its depends_on entries", "%v", ce)
			}
			if res == nil {
				return err
			}
			line, skipped, failed := workspace.SetupSummary(res)
			if jerr := a.output(nil, asJSON, map[string]any{"results": res}, func() string { return line }); jerr != nil || err != nil || !failed {
				return cmp.Or(jerr, err)
			}
			fmt.Fprint(a.errw(), strings.Join(cond(asJSON, nil, skipped), ""))
			return errSilent
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "run `N` setups at a time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each component's result as JSON")
	cmd.Flags().BoolVar(&wireOn, "wire", false, "wire siblings for development first (go.work, shared .venv, npm workspaces)")
	cmd.Flags().BoolVar(&unwr, "unwire", false, "remove what --wire added, and nothing else")
	addGroupFlag(cmd, &groups)
	return cmd
}

// wire wires comps for development in dependency order.
func (a *app) wire(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component) error {
	wc, python, err := workspace.WirePlan(m, comps)
	var ge *workspace.GraphError
	var ce *workspace.CycleError
	switch {
	case errors.As(err, &ge):
		return usageError(ge.Err, "")
	case errors.As(err, &ce):
		return usagef("break the cycle by removing one of its depends_on entries", "%v", ce)
	case err != nil:
		return err
	}
	_, err = wire.Wire(ctx, wc, wire.Options{Root: m.Workspace.Root, MetaDir: m.Dir, Python: python,
		Step: func(eco, msg string) { a.printf("wire %s: %s\n", eco, msg) }})
	if err != nil {
		return withHint(fmt.Errorf("wiring: %w", err), "fix the problem and run 'meta setup --wire' again; 'meta setup --unwire' removes what was added")
	}
	return nil
}

func (a *app) unwire(ctx context.Context, m *manifest.Manifest) error {
	return wire.Unwire(ctx, m.Dir, m.Workspace.Root, func(eco, msg string) {
		a.printf("%s\n", cond(eco == "", msg, "unwire "+eco+": "+msg))
	})
}
