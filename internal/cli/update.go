package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/apply"
	"github.com/metawork/meta/internal/lockfile"
)

func newUpdateCmd(a *app) *cobra.Command {
	var (
		env    string
		dryRun bool
		jobs   int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "update [NAMES...] [--env E]",
		Short: "Move components to the newest versions their ranges allow, and check them out",
		Long: `Re-resolve the lock (all components, or only NAMES) as 'meta lock --update'
does, print what moved — old → new, marked patch, minor or major — and then
bring the working trees there as 'meta apply --locked' does (never losing
local work). With --dry-run only the lock's changes are shown; nothing is
written and no working tree is touched.`,
		Example: `  meta update
  meta update auth-lib --env dev
  meta update --dry-run`,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadEnvs(env)
			if err != nil {
				return err
			}
			if _, err := selectComponents(m, args); err != nil {
				return err
			}
			old, err := readLock(m, env, true)
			if err != nil {
				return usageError(err, "fix the lock file or restore it from git")
			}
			if dryRun {
				unlock := map[string]bool{}
				for _, n := range args {
					unlock[n] = true
				}
				// The same resolution 'meta update NAMES' runs (see lock).
				r, err := a.resolveKeeping(cmd.Context(), m, env, cond(len(args) == 0, nil, old), unlock, jobs)
				if err != nil {
					return err
				}
				if asJSON {
					return a.printJSON(map[string]any{"dry_run": true, "updates": apply.Changes(old, r.Lock)})
				}
				a.printf("%s", apply.UpdatesText(apply.Changes(old, r.Lock), a.pal))
				// and what apply would then do with the trees
				steps := apply.Plan(cmd.Context(), m, m.List(), r.Lock, apply.Options{All: true, Jobs: m.Jobs(0)})
				a.printf("\n")
				a.printApplyPlan("the updated "+lockfile.RelPath(env), steps, true)
				a.printf("(dry run: nothing written)\n")
				return a.skipOutcome(steps)
			}
			// lock prints its own change list; update prints one with the
			// size of each move instead.
			quiet := *a
			quiet.stdio.Out = io.Discard
			if err := quiet.lock(cmd.Context(), m, lockRequest{env: env, update: true, names: args, jobs: jobs}); err != nil {
				return err
			}
			updated, err := readLock(m, env, false)
			if err != nil {
				return err
			}
			applyArgs := []string{"apply", "--locked"}
			if env != "" {
				applyArgs = append(applyArgs, "--env", env)
			}
			if asJSON {
				// apply's own JSON, nested under "apply".
				var buf bytes.Buffer
				sub := *a
				sub.stdio.Out = &buf
				applyErr := sub.sub(cmd.Context(), m.Dir, append(applyArgs, "--json")...)
				var applied any = json.RawMessage(bytes.TrimSpace(buf.Bytes()))
				if buf.Len() == 0 {
					applied = nil
				}
				if err := a.printJSON(map[string]any{"dry_run": false, "updates": apply.Changes(old, updated), "apply": applied}); err != nil {
					return err
				}
				return applyErr
			}
			a.printf("%s", apply.UpdatesText(apply.Changes(old, updated), a.pal))
			a.printf("\n%s\n", a.pal.Bold("$ meta "+strings.Join(applyArgs, " ")))
			return a.sub(cmd.Context(), m.Dir, applyArgs...)
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "the environment `E` (default: manifests/components.lock.yaml)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would move; write nothing")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "fetch `N` repositories at a time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what moved (and apply's result) as JSON")
	return cmd
}
