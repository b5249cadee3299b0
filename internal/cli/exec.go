package cli

import (
	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/workspace"
)

func newExecCmd(a *app) *cobra.Command {
	var (
		jobs   int
		only   []string
		groups []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "exec [-j N] [--only NAMES] -- CMD [ARGS...]",
		Short: "Run a command in every component",
		Long: `Run CMD with ARGS in every component's directory, in parallel. The command is
run directly, not through a shell (use "sh -c '...'" for pipes). Each
component's output is printed whole when it finishes, never interleaved,
followed by a summary; the exit status is 1 if the command failed anywhere.`,
		Example: `  meta exec -- git fetch --all
  meta exec --only api,auth-lib -- make test
  meta exec -j 1 -- sh -c 'git log --oneline -1'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, comps, err := a.loadSelected(only, groups)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			r := a.blockRenderer(asJSON, func(e progress.Event) string {
				return e.Result.(workspace.ExecResult).Block(a.pal, ctx.Err() != nil)
			})
			progress.Plan(r, compNames(comps))
			res := workspace.Exec(ctx, m, comps, args, a.toolEnv(ctx, m), m.Jobs(jobs), r)
			r.Close()
			if err := ctx.Err(); err != nil {
				return err
			}
			summary, failed := workspace.ExecSummary(res)
			jsonv := map[string]any{"command": args, "results": cond(res == nil, []workspace.ExecResult{}, res)}
			if err := a.output(nil, asJSON, jsonv, func() string { return summary + "\n" }); err != nil || !failed {
				return err
			}
			return errSilent
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "run in `N` components at a time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each component's status, exit code and output as JSON")
	cmd.Flags().StringSliceVar(&only, "only", nil, "run only in these `NAMES` (comma-separated)")
	addGroupFlag(cmd, &groups)
	cmd.Flags().SetInterspersed(false)
	return cmd
}
