package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	wsresolve "github.com/metawork/meta/internal/resolve"
	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/workspace"
)

func newBootstrapCmd(a *app) *cobra.Command {
	var (
		jobs    int
		filter  string
		shallow bool
		groups  []string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "bootstrap [NAMES...]",
		Short: "Clone the missing components side by side, in parallel",
		Long: `Clone every component that is not yet on disk (or only NAMES) next to the
meta repository, in parallel, and check out the manifest's ref or the newest
tag satisfying its version range.

A directory that already exists is adopted when its origin matches the
manifest and reported otherwise; bootstrap never modifies an existing
checkout. A failure in one repository does not stop the others.`,
		Example: `  meta bootstrap
  meta bootstrap api auth-lib -j 16
  meta bootstrap --filter blob:none     # partial clone: history without file contents
  meta bootstrap --shallow              # only the checked-out commit`,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			comps, err := selectWithGroups(m, args, groups)
			if err != nil {
				return err
			}
			if filter != "" && !workspace.ValidFilter(filter) {
				return usagef("use blob:none, tree:0 or blob:limit=<n>", "--filter %q is not a git object filter", filter)
			}
			// Registry components are downloaded, not cloned: apply does
			// that (checksums, signatures, never over local edits).
			comps, fromRegistry := workspace.SplitRegistry(comps)
			ctx := cmd.Context()
			lines := term.NewRenderer(cond(asJSON, io.Discard, a.out()), a.verbose, compNames(comps), func(e progress.Event) string {
				return e.Result.(workspace.BootstrapResult).DoneText(a.pal, ctx.Err() != nil)
			})
			res := workspace.Bootstrap(ctx, m, comps, workspace.BootstrapOptions{Jobs: m.Jobs(jobs), Filter: filter, Shallow: shallow,
				Pick: a.bootstrapPick(ctx, m), Sink: lines})
			lines.Close()
			if err := ctx.Err(); err != nil {
				return err
			}
			cloned, present, failed := workspace.BootstrapCounts(res)
			apply := append([]string{"apply"}, fromRegistry...)
			if asJSON {
				if err := a.printJSON(map[string]any{"results": cond(res == nil, []workspace.BootstrapResult{}, res), "from_registry": fromRegistry}); err != nil || len(failed) > 0 {
					return cmp.Or[error](err, errSilent)
				}
				apply = append([]string{"apply", "--json"}, fromRegistry...)
			} else if len(comps) > 0 || len(fromRegistry) == 0 {
				a.printf("%d cloned, %d already present, %d failed\n", cloned, present, len(failed))
				for _, r := range failed {
					fmt.Fprintf(a.errw(), "meta: bootstrap %s: %s\n", r.Name, workspace.GitMessage(r.Err))
					if r.Hint != "" {
						fmt.Fprintf(a.errw(), "hint: %s\n", r.Hint)
					}
				}
				if len(failed) > 0 {
					return errSilent
				}
			}
			if len(fromRegistry) > 0 {
				if !asJSON {
					a.printf("%s\n", a.pal.Bold("$ meta "+strings.Join(apply, " ")))
				}
				if err := a.sub(ctx, m.Dir, apply...); err != nil || asJSON {
					return err
				}
			}
			if m.Workspace.Wire {
				return a.wire(ctx, m, comps)
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "clone `N` repositories at a time (default: workspace.jobs or 8)")
	cmd.Flags().StringVar(&filter, "filter", "", "partial clone with this object `FILTER` (e.g. blob:none)")
	cmd.Flags().BoolVar(&shallow, "shallow", false, "clone only the checked-out commit (--depth 1)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each component's result as JSON (no live progress)")
	addGroupFlag(cmd, &groups)
	return cmd
}

// bootstrapPick is resolve.BootstrapPick over the default lock, with its
// warnings printed.
func (a *app) bootstrapPick(ctx context.Context, m *manifest.Manifest) func(*manifest.Component, map[string]string) (string, error) {
	old, _ := readLock(m, "", true)
	return wsresolve.BootstrapPick(ctx, m, old, func(msg string) { a.warnf("%s", msg) })
}
