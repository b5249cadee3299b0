package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/apply"
	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/registry"
	wsresolve "github.com/metawork/meta/internal/resolve"
	"github.com/metawork/meta/internal/term"
)

func newApplyCmd(a *app) *cobra.Command {
	var (
		env        string
		locked     bool
		dryRun     bool
		asJSON     bool
		force      bool
		jobs       int
		groups     []string
		denyYanked bool
	)
	cmd := &cobra.Command{
		Use:   "apply [NAMES...] [--group NAME] [--locked] [--env E] [--dry-run] [--force]",
		Short: "Bring every working tree to the lock's commits (or the resolved versions)",
		Long: `Check out in every component the commit the lock names (--locked), or what
the manifest resolves to now (keeping locked versions while valid). Prints
the plan first: clone, fetch+checkout, checkout, up-to-date, skip-dirty,
skip-local-commits, blocked, download. With NAMES or --group, only those
components are applied.

Local work is never lost: a tree with modified or untracked files, a stash,
or commits that are on no remote branch or tag is skipped and reported (exit
3). --force moves such trees anyway after recording the current HEAD as
refs/meta/backup/<timestamp> (printed in the summary); it still never
deletes untracked files or discards modifications: a tree whose modified
files the checkout would overwrite is shown as blocked, to commit or stash
first.

A component from a registry is downloaded (checksum always verified, the
signature too when the manifest's registry lists trusted_keys) and
extracted into its path, which must be absent, empty, or an untouched
earlier extraction by meta (marked by .meta-registry.json); anything else
is skipped, --force or not. A locked version that the registry has yanked
is extracted with a warning; --deny-yanked makes it an error (for CI). A tree already at its commit costs no git
process.`,
		Example: `  meta apply --locked --env prod
  meta apply --locked --env prod --dry-run
  meta apply api auth-lib --locked
  meta apply --group backend --group -legacy
  meta apply --env dev --force`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadEnvs(env)
			if err != nil {
				return err
			}
			comps, err := selectWithGroups(m, args, groups)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			target, source := (*lockfile.File)(nil), lockfile.RelPath(env)
			if locked {
				if target, err = readLock(m, env, false); err != nil {
					return err
				}
			} else {
				old, err := viewLock(m, env)
				if err != nil {
					return err
				}
				r, err := a.resolveKeeping(ctx, m, env, old, nil, jobs)
				if err != nil {
					return err
				}
				a.warnAll(r.Notes)
				target, source = r.Lock, "the manifest (resolved now)"
			}
			steps := apply.Plan(ctx, m, comps, target, apply.Options{All: len(args) == 0 && len(groups) == 0, Force: force, Jobs: m.Jobs(0)})
			if asJSON {
				if !dryRun {
					a.runApply(ctx, a.errw(), m, steps, m.Jobs(jobs), denyYanked)
				}
				out, failed, skipped := apply.Outcomes(steps, dryRun)
				if err := a.printJSON(map[string]any{"source": source, "dry_run": dryRun, "steps": out}); err != nil || failed {
					return cmp.Or[error](err, errSilent)
				}
				return cond[error](skipped, errCheckFailed, nil)
			}
			a.printApplyPlan(source, steps, dryRun)
			if dryRun {
				// The code the real run would give (barring failures it
				// cannot foresee).
				return a.skipOutcome(steps)
			}
			a.runApply(ctx, a.out(), m, steps, m.Jobs(jobs), denyYanked)
			return a.applySummary(steps)
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "apply environment `E`'s lock")
	cmd.Flags().BoolVar(&locked, "locked", false, "use the lock file as it is (no resolution, no network unless a commit is missing)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan and each outcome as JSON")
	cmd.Flags().BoolVar(&force, "force", false, "move trees with local work too, after recording refs/meta/backup/<timestamp>")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "work on `N` repositories at a time")
	cmd.Flags().BoolVar(&denyYanked, "deny-yanked", false, "fail on a locked registry version that is yanked (default: warn and extract it)")
	addGroupFlag(cmd, &groups)
	return cmd
}

// resolveKeeping resolves the workspace for env, keeping keep's versions
// and commits (but unlock's) while they stay valid.
func (a *app) resolveKeeping(ctx context.Context, m *manifest.Manifest, env string, keep *lockfile.File, unlock map[string]bool, jobs int) (*wsresolve.Result, error) {
	r, err := a.resolveWith(ctx, m, wsresolve.Keeping(wsresolve.Options{Env: env, Jobs: jobs}, keep, unlock), false)
	return r, a.resolveFailed(err)
}

func (a *app) printApplyPlan(source string, steps []*apply.Step, dryRun bool) {
	a.printf("%s, from %s:\n", cond(dryRun, "plan (dry run: nothing will change)", "plan"), source)
	a.printAll(apply.PlanLines(steps))
}

// runApply carries out the plan, with one live line per repository on a
// terminal (one plain line each when it finishes otherwise).
func (a *app) runApply(ctx context.Context, w io.Writer, m *manifest.Manifest, steps []*apply.Step, jobs int, denyYanked bool) {
	r := term.NewRenderer(w, a.verbose, nil, func(e progress.Event) string {
		return e.Result.(*apply.Step).DoneText(a.pal)
	})
	defer r.Close()
	var mu sync.Mutex
	apply.Run(ctx, m, steps, apply.RunOptions{Jobs: jobs, DenyYanked: denyYanked, Sink: progress.Func(func(e progress.Event) {
		if e.Kind != progress.Noted {
			r.Event(e)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		a.warnf("%s", e.Status)
	}), Registry: func(name string, warn func(string)) (*registry.Client, error) {
		c, err := wsresolve.RegistryReader(m, name, warn)
		return c, hintedResolve(err)
	}})
}

func (a *app) applySummary(steps []*apply.Step) error {
	for _, s := range steps {
		a.printAll(s.SavedLines()) // printed whatever happened next: the ref exists
		writeLines(a.errw(), "", s.FailureLines(wsresolve.RegistryHint))
	}
	a.printf("%s\n", apply.Summary(steps))
	if apply.Count(steps).Failed > 0 {
		return errSilent
	}
	return a.skipOutcome(steps)
}

// skipOutcome is exit 3 with a hint when the plan leaves a tree behind
// (skipped or blocked), else nil.
func (a *app) skipOutcome(steps []*apply.Step) error {
	if h := apply.SkipHint(steps); h != "" {
		fmt.Fprintf(a.errw(), "hint: %s\n", h)
		return errCheckFailed
	}
	return nil
}

// cond is then when c holds, otherwise els.
func cond[T any](c bool, then, els T) T {
	if c {
		return then
	}
	return els
}
