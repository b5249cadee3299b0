package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	wsresolve "github.com/metawork/meta/internal/resolve"
	"github.com/metawork/meta/internal/yamlpos"
)

func newLockCmd(a *app) *cobra.Command {
	var (
		env      string
		strategy string
		update   bool
		check    bool
		jobs     int
	)
	cmd := &cobra.Command{
		Use:   "lock [--env E] [--strategy S] [--update [NAMES...]] [--check]",
		Short: "Resolve component versions and pin them in the environment's lock file",
		Long: `Resolve a version of every component (the newest its ranges allow, reading
each candidate tag's component.yaml) and write the commit of each to
manifests/components.lock.<env>.yaml, or manifests/components.lock.yaml
without --env. Components that track a ref record the branch and its
current commit.

Without --update, versions already locked are kept while they still satisfy
the manifest (strategy 'first'), and so are the commits of tracked branches
while they still exist upstream; --update re-resolves everything, and
--update NAMES only those components. Mirrors of the repositories are kept
in .meta/cache/mirrors. The lock is deterministic (locking twice
gives the same bytes) and written atomically.

--check only compares the lock's manifest_digest with the manifest (no git,
no network) and exits 3 saying what changed when the lock is stale.`,
		Example: `  meta lock --env dev
  meta lock --env dev --update auth-lib        # move only auth-lib
  meta lock --update --strategy conservative   # oldest versions that fit
  meta lock --check --env prod                 # in CI: is the lock up to date?`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && !update {
				hint := "subcommands: promote, compare, verify; to re-resolve some components use --update NAMES"
				if s := yamlpos.Suggest(args[0], []string{"promote", "compare", "verify"}); s != "" {
					hint = fmt.Sprintf("did you mean 'meta lock %s'?", s)
				}
				return usagef(hint, "unknown lock subcommand %q", args[0])
			}
			m, err := a.loadEnvs(env)
			if err != nil {
				return err
			}
			if check {
				if update || strategy != "" {
					return usagef("run 'meta lock --check' alone", "--check does not resolve; it cannot be combined with --update or --strategy")
				}
				return a.lockCheck(m, env)
			}
			return a.lock(cmd.Context(), m, lockRequest{env: env, strategy: strategy, update: update, names: args, jobs: jobs})
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "the environment `E` to lock (default: manifests/components.lock.yaml)")
	cmd.Flags().StringVar(&strategy, "strategy", "", "`S`: latest|highest, conservative|minimal, balanced, first (default: first when a lock exists, else latest)")
	cmd.Flags().BoolVar(&update, "update", false, "re-resolve every component, or only the NAMES given as arguments")
	cmd.Flags().BoolVar(&check, "check", false, "only check that the lock matches the manifest (exit 3 when stale)")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "fetch `N` repositories at a time")
	cmd.AddCommand(newLockPromoteCmd(a), newLockCompareCmd(a), newLockVerifyCmd(a))
	return cmd
}

// lockRequest is what 'meta lock' (and 'conflicts resolve') was asked.
type lockRequest struct {
	env      string
	strategy string
	update   bool
	names    []string // with update: only these
	jobs     int
}

// lock resolves and writes the lock file.
func (a *app) lock(ctx context.Context, m *manifest.Manifest, req lockRequest) error {
	old, err := readLock(m, req.env, true)
	if err != nil {
		var ye *yamlpos.Error
		if !errors.As(err, &ye) {
			return err
		}
		if !req.update || len(req.names) > 0 {
			return usageError(err, "fix the file, restore it from git, or run 'meta lock --update"+lockfile.EnvFlag(req.env)+"' to replace it")
		}
		old = nil // --update replaces an unreadable lock
	}
	lr := wsresolve.LockRequest{Options: wsresolve.Options{Env: req.env, Jobs: req.jobs}, Old: old, Update: req.update, Unlock: map[string]bool{}}
	if len(req.names) > 0 {
		comps, err := selectComponents(m, req.names)
		if err != nil {
			return err
		}
		for _, c := range comps {
			lr.Unlock[c.Name] = true
		}
	}
	if req.strategy != "" {
		s, err := pubgrub.ParseStrategy(req.strategy)
		if err != nil {
			return usagef("use latest, highest, conservative, minimal, balanced or first", "--strategy %q: %v", req.strategy, err)
		}
		lr.Strategy, lr.StrategySet = s, true
	}
	if err := checkEnv(m, req.env); err != nil {
		return err
	}
	var clear func()
	lr.Progress, clear = a.resolveProgress()
	l, err := wsresolve.Lock(ctx, m, lr)
	clear()
	if err != nil {
		return a.resolveFailed(hinted(hintedResolve(err)))
	}
	a.warnAll(l.Result.Notes)
	if err := cycleError(l.Result); err != nil {
		return err
	}
	a.warnAll(mapSlice(l.Repinned, wsresolve.Moved))
	if len(l.Refused) > 0 {
		writeLines(a.errw(), "meta: ", mapSlice(l.Refused, wsresolve.Moved))
		fmt.Fprintf(a.errw(), "hint: %s\n", l.RefusedHint(req.env))
		return errCheckFailed
	}
	l.Lock.Tools = a.lockTools(ctx, m, old)
	return a.writeLock(m, req.env, old, l.Lock)
}

// writeLock writes f as env's lock and says what changed against old.
func (a *app) writeLock(m *manifest.Manifest, env string, old, f *lockfile.File) error {
	path := lockfile.Path(m.Dir, env)
	if err := lockfile.Write(path, f); err != nil {
		return err
	}
	a.printf("%s\n", strings.Join(lockfile.WrittenText(env, old, f), "\n"))
	return nil
}

// lockCheck is 'meta lock --check': the digest only, no git.
func (a *app) lockCheck(m *manifest.Manifest, env string) error {
	f, err := readLock(m, env, true)
	if err != nil {
		return err
	}
	rel := lockfile.RelPath(env)
	if f == nil {
		fmt.Fprintf(a.errw(), "meta: %s does not exist\nhint: run 'meta lock%s' to write it\n", rel, lockfile.EnvFlag(env))
		return errCheckFailed
	}
	if lines := lockfile.CheckText(f, m, env); lines != nil {
		fmt.Fprintln(a.errw(), strings.Join(lines, "\n"))
		return errCheckFailed
	}
	a.printf("%s is up to date with %s\n", rel, manifest.ManifestPath)
	return nil
}

func newLockVerifyCmd(a *app) *cobra.Command {
	var (
		env    string
		asJSON bool
		jobs   int
	)
	cmd := &cobra.Command{
		Use:   "verify [--env E]",
		Short: "Check the lock against the manifest and the remotes (commits still exist, tags not moved)",
		Long: `Everything 'meta lock --check' checks, plus the remotes: every locked
commit must still exist on its repository (reachable from a branch or tag),
and every locked tag must still point at the locked commit; every version
locked from a registry must still be listed there, with the locked
checksum, and not yanked. Exits 3 when it finds a problem.`,
		Example: `  meta lock verify --env prod
  meta lock verify --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadEnvs(env)
			if err != nil {
				return err
			}
			f, err := readLock(m, env, false)
			if err != nil {
				return err
			}
			probs, err := wsresolve.Verify(cmd.Context(), m, f, env, jobs, func(msg string) { a.warnf("%s", msg) })
			if err != nil {
				return err
			}
			if asJSON {
				err := a.printJSON(map[string]any{"lock": lockfile.RelPath(env), "ok": len(probs) == 0, "problems": cond(probs == nil, []lockfile.Problem{}, probs)})
				return cmp.Or(err, cond[error](len(probs) > 0, errCheckFailed, nil))
			}
			if len(probs) == 0 {
				a.printf("%s: %s verified against the manifest and the remotes\n", lockfile.RelPath(env), plural(len(f.Components), "component"))
				return nil
			}
			fmt.Fprintln(a.errw(), strings.Join(lockfile.ProblemText(env, probs), "\n"))
			return errCheckFailed
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "the environment `E` whose lock to verify")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "ask `N` remotes at a time")
	return jsonFlag(cmd, &asJSON)
}

func newLockPromoteCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "promote SRC DST [--force]",
		Short: "Copy one environment's locked set to another (dev → staging → prod)",
		Long: `Write DST's lock with exactly SRC's versions and commits: after a promotion,
DST runs the commits SRC tested. dev, staging and prod are known without
being declared.

Each component is admitted or refused by what DST's manifest entry (its
environment override, else the component's own) asks for:

  a version range    the promoted version must be inside it; an entry
                     that tracks a branch has no version and is refused
  an override        the same, with the override's range
  a branch           admitted: a branch moves anyway, and the promotion
                     pins DST to the commit SRC locked (its lock keeps
                     SRC's ref and commit; promote says which were pinned)
  a tag or commit    the promoted commit must be that one: a lock cannot
                     move what the manifest pins

A ref is judged by its spelling: hex of 7 or more digits is a commit, one
that parses as a version (v1.2.0) is a tag, anything else is a branch.

Refuses (exit 3, naming each component and why) when something is not
admitted, or when SRC's lock is stale; nothing is written then. --force
promotes anyway; 'meta lock --check' and 'meta lock verify' then report
the components DST does not admit until DST is re-locked.`,
		Example: `  meta lock promote dev staging
  meta lock promote staging prod --force`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, dst := args[0], args[1]
			m, err := a.loadEnvs(src, dst)
			if err != nil {
				return err
			}
			if src == dst {
				return usagef("name two different environments", "cannot promote %s to itself", src)
			}
			sf, err := readLock(m, src, false)
			if err != nil {
				return err
			}
			old, err := readLock(m, dst, true)
			if err != nil {
				var ye *yamlpos.Error
				if !errors.As(err, &ye) || !force {
					return err
				}
				old = nil // --force replaces an unreadable destination
			}
			out, refused := lockfile.PromoteChecked(sf, m, src, dst)
			if len(refused) > 0 {
				w := a.errw()
				verb := "refusing to promote"
				if force {
					verb = "promoting anyway (--force)"
				}
				fmt.Fprintf(w, "meta: %s %s → %s:\n", verb, src, dst)
				writeLines(w, "  ", lockfile.RefusalText(refused))
				if !force {
					fmt.Fprintf(w, "hint: widen %s's ranges (or track a branch there), re-lock %s, or pass --force to promote anyway\n", dst, src)
					return errCheckFailed
				}
			}
			a.printf("promoted %s → %s\n", src, dst)
			writeLines(a.out(), "  ", lockfile.RefusalText(lockfile.BranchPins(out, m, dst)))
			return a.writeLock(m, dst, old, out)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "promote even when DST's constraints do not admit a version")
	return cmd
}

func newLockCompareCmd(a *app) *cobra.Command {
	var (
		asJSON  bool
		withLog bool
	)
	cmd := &cobra.Command{
		Use:   "compare A B [--json] [--log]",
		Short: "Show what differs between two locks: added, removed, changed (old → new)",
		Long: `A and B are environment names (their lock files) or paths to lock files,
including the earlier meta tool's. --log adds the subjects of the commits
between the two locked commits of each changed component (from the cached
mirror, fetched when needed).`,
		Example: `  meta lock compare staging prod
  meta lock compare dev prod --log
  meta lock compare old.yaml manifests/components.lock.prod.yaml --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			var files [2]*lockfile.File
			for i, arg := range args {
				if files[i], err = a.openLockArg(m, arg); err != nil {
					return err
				}
			}
			changes := lockfile.Compare(files[0], files[1])
			logs := map[string][]string{}
			if withLog {
				if logs, err = wsresolve.ChangeLogs(cmd.Context(), m, changes); err != nil {
					return err
				}
			}
			if asJSON {
				return a.printJSON(map[string]any{"a": args[0], "b": args[1], "changes": lockfile.WithLogs(changes, logs)})
			}
			if len(changes) == 0 {
				a.printf("%s and %s lock the same commits (%s)\n", args[0], args[1], plural(len(files[0].Components), "component"))
				return nil
			}
			a.printf("%s → %s: %s\n", args[0], args[1], plural(len(changes), "difference"))
			writeLines(a.out(), "  ", lockfile.ChangeLines(changes, logs))
			return nil
		},
	}
	cmd.Flags().BoolVar(&withLog, "log", false, "add the commit subjects between the two commits")
	return jsonFlag(cmd, &asJSON)
}

// openLockArg reads a lock named by environment or by path.
func (a *app) openLockArg(m *manifest.Manifest, arg string) (*lockfile.File, error) {
	if lockfile.IsPathArg(arg) {
		path, err := a.absPath(arg)
		if err != nil {
			return nil, err
		}
		f, err := lockfile.Read(path, arg)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("name an environment or an existing lock file", "%s: no such file", arg)
		}
		return f, err
	}
	if err := checkEnv(m, arg); err != nil {
		return nil, err
	}
	return readLock(m, arg, false)
}
