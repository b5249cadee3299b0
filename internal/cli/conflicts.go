package cli

import (
	"cmp"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/pubgrub"
	wsresolve "github.com/metawork/meta/internal/resolve"
	"github.com/metawork/meta/internal/term"
)

func newConflictsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "conflicts",
		Short: "Check, resolve and explain version conflicts between components",
		Example: `  meta conflicts check --env prod
  meta conflicts resolve --strategy conservative
  meta conflicts recommend`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newConflictsCheckCmd(a), newConflictsResolveCmd(a), newConflictsRecommendCmd(a))
	return cmd
}

func newConflictsCheckCmd(a *app) *cobra.Command {
	var (
		env    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "check [--env E] [--json]",
		Short: "Exit 0 when every constraint can be satisfied, 3 with the explanation when not",
		Long: `Resolve the workspace from scratch (newest versions first, ignoring the lock)
and report whether a choice of versions satisfies every range. When none
does, print why: a headline naming the clashing requirements and where they
are declared, the derivation, the versions that exist, and suggestions each
verified by solving again.`,
		Example: `  meta conflicts check
  meta conflicts check --env prod --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			r, err := a.resolveWith(cmd.Context(), m, wsresolve.Options{Env: env, Strategy: pubgrub.Latest}, true)
			if err != nil {
				return a.conflictFailed(err, asJSON)
			}
			cycles := r.Solution.Cycles()
			if asJSON {
				err := a.printJSON(map[string]any{"ok": len(cycles) == 0, "components": len(r.Lock.Components), "cycles": cond(cycles == nil, [][]string{}, cycles)})
				return cmp.Or(err, cond[error](len(cycles) > 0, errCheckFailed, nil))
			}
			a.warnAll(r.Notes)
			if len(cycles) > 0 {
				fmt.Fprintln(a.errw(), cycleError(r).Error())
				return errCheckFailed
			}
			a.printf("no conflicts: %s resolve\n", plural(len(r.Lock.Components), "component"))
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "check environment `E`")
	return jsonFlag(cmd, &asJSON)
}

func newConflictsResolveCmd(a *app) *cobra.Command {
	var (
		env      string
		strategy string
	)
	cmd := &cobra.Command{
		Use:   "resolve --strategy latest|conservative|first|highest|balanced [--env E]",
		Short: "Resolve with a strategy and write the lock",
		Long: `Resolve the workspace with the given strategy and write the lock file, like
'meta lock --strategy S': latest/highest pick the newest allowed versions,
conservative/minimal the oldest, balanced the newest patch of the locked
minor, first keeps locked versions while they are valid.`,
		Example: `  meta conflicts resolve --strategy latest
  meta conflicts resolve --strategy conservative --env prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strategy == "" {
				return usagef("pass --strategy latest, conservative, first, highest or balanced", "conflicts resolve needs --strategy")
			}
			m, err := a.loadEnvs(env)
			if err != nil {
				return err
			}
			return a.lock(cmd.Context(), m, lockRequest{env: env, strategy: strategy})
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve environment `E`")
	cmd.Flags().StringVar(&strategy, "strategy", "", "`S`: latest|highest, conservative|minimal, balanced, first")
	return cmd
}

func newConflictsRecommendCmd(a *app) *cobra.Command {
	var (
		env    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "recommend [--env E] [--json]",
		Short: "Per component: locked, newest allowed by the constraints, newest existing, and what holds it back",
		Long: `For every component, show the locked version, the newest version the
constraints allow together (a fresh resolution, newest first), the newest
version that exists, and — when those differ — which requirement or
override holds the component back, with where it is declared.`,
		Example: `  meta conflicts recommend
  meta conflicts recommend --env prod --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadEnvs(env)
			if err != nil {
				return err
			}
			old, err := viewLock(m, env)
			if err != nil {
				return err
			}
			r, err := a.resolveWith(cmd.Context(), m, wsresolve.Options{Env: env, Strategy: pubgrub.Latest}, true)
			if err != nil {
				return a.resolveFailed(err)
			}
			rows := r.Recommend(old)
			if asJSON {
				return a.printJSON(rows)
			}
			a.warnAll(r.Notes)
			a.printf("%s", term.TableText(wsresolve.RecommendRows(rows)))
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "recommend for environment `E`")
	return jsonFlag(cmd, &asJSON)
}
