package cli

import (
	"strings"

	"github.com/spf13/cobra"

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
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			comps, err := a.selectWithGroups(m, only, groups)
			if err != nil {
				return err
			}
			res := workspace.Exec(cmd.Context(), m, comps, args, a.toolEnv(cmd.Context(), m), m.Jobs(jobs), func(r workspace.ExecResult) {
				if asJSON {
					return
				}
				status := a.pal.Green("ok")
				switch {
				case r.NotCloned:
					status = a.pal.Yellow("skipped: not cloned; run 'meta bootstrap " + r.Name + "'")
				case cmd.Context().Err() != nil && r.Err != nil:
					status = "interrupted"
				case r.Err != nil:
					status = a.pal.Red(r.Err.Error())
				}
				a.printf("%s %s (%s)\n", a.pal.Bold("=="), r.Name, status)
				if len(r.Output) > 0 {
					a.out().Write(r.Output)
					if r.Output[len(r.Output)-1] != '\n' {
						a.printf("\n")
					}
				}
			})
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			if asJSON {
				if res == nil {
					res = []workspace.ExecResult{}
				}
				if err := a.printJSON(map[string]any{"command": args, "results": res}); err != nil {
					return err
				}
			}
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
			if asJSON {
				if len(failed) > 0 {
					return errSilent
				}
				return nil
			}
			a.printf("ran in %s: %d ok, %d failed", plural(len(res)-skipped, "component"), len(res)-len(failed)-skipped, len(failed))
			if len(failed) > 0 {
				a.printf(" (%s)", strings.Join(failed, ", "))
			}
			if skipped > 0 {
				a.printf("; %d not cloned", skipped)
			}
			a.printf("\n")
			if len(failed) > 0 {
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "run in `N` components at a time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each component's status, exit code and output as JSON")
	cmd.Flags().StringSliceVar(&only, "only", nil, "run only in these `NAMES` (comma-separated)")
	addGroupFlag(cmd, &groups)
	cmd.Flags().SetInterspersed(false)
	return cmd
}
