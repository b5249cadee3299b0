package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
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
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			if err := checkEnv(m, env); err != nil {
				return err
			}
			if len(args) > 0 {
				if _, err := selectComponents(m, args); err != nil {
					return err
				}
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
				keep := old
				if len(args) == 0 {
					keep = nil
				}
				// The same resolution 'meta update NAMES' runs (see lock).
				strategy := pubgrub.Latest
				if keep != nil {
					strategy = pubgrub.First
				}
				r, err := resolve(cmd.Context(), m, resolveOptions{env: env, strategy: strategy, locked: lockedVersions(keep, unlock),
					lockedRefs: lockedCommits(keep, unlock), jobs: jobs})
				if err != nil {
					return a.resolveFailed(err)
				}
				if asJSON {
					return a.printJSON(map[string]any{"dry_run": true, "updates": updateList(old, r.lock)})
				}
				a.printUpdates(old, r.lock)
				// and what apply would then do with the trees
				steps := planApply(cmd.Context(), m, m.List(), true, r.lock, false)
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
				if err := a.printJSON(map[string]any{"dry_run": false, "updates": updateList(old, updated), "apply": applied}); err != nil {
					return err
				}
				return applyErr
			}
			a.printUpdates(old, updated)
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

// updateKind says how far a version moved: major, minor, patch or "".
func updateKind(from, to string) string {
	a, err1 := semver.ParseVersion(from)
	b, err2 := semver.ParseVersion(to)
	if err1 != nil || err2 != nil {
		return ""
	}
	switch {
	case semver.Compare(b, a) < 0:
		return "downgrade"
	case a.Major != b.Major:
		return "major"
	case a.Minor != b.Minor:
		return "minor"
	case semver.Compare(a, b) != 0:
		return "patch"
	}
	return ""
}

// update is one component that moved, for --json.
type update struct {
	Name string `json:"name"`
	From string `json:"from,omitempty"` // "" for a new component
	To   string `json:"to"`
	Kind string `json:"kind"` // patch, minor, major, downgrade, new, new commits
}

// updateList lists what moved from old to updated.
func updateList(old, updated *lockfile.File) []update {
	out := []update{}
	for _, name := range sortedKeys(updated.Components) {
		n := updated.Components[name]
		var o *lockfile.Component
		if old != nil {
			o = old.Components[name]
		}
		switch {
		case o == nil:
			out = append(out, update{name, "", describeLocked(n), "new"})
		case o.Version != n.Version && n.Version != "":
			out = append(out, update{name, describeLocked(o), describeLocked(n), updateKind(o.Version, n.Version)})
		case o.Commit != n.Commit:
			out = append(out, update{name, describeLocked(o), describeLocked(n), "new commits"})
		}
	}
	return out
}

// printUpdates prints old → new for every component whose lock changed.
func (a *app) printUpdates(old, updated *lockfile.File) {
	tw := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
	moved := 0
	for _, name := range sortedKeys(updated.Components) {
		n := updated.Components[name]
		var o *lockfile.Component
		if old != nil {
			o = old.Components[name]
		}
		switch {
		case o == nil:
			fmt.Fprintf(tw, "%s\t(new)\t→ %s\t\n", name, describeLocked(n))
			moved++
		case o.Version != n.Version && n.Version != "":
			kind := updateKind(o.Version, n.Version)
			mark := kind
			switch kind {
			case "major", "downgrade":
				mark = a.pal.Red(kind)
			case "minor":
				mark = a.pal.Yellow(kind)
			case "patch":
				mark = a.pal.Green(kind)
			}
			fmt.Fprintf(tw, "%s\t%s\t→ %s\t%s\n", name, describeLocked(o), describeLocked(n), mark)
			moved++
		case o.Commit != n.Commit:
			fmt.Fprintf(tw, "%s\t%s\t→ %s\tnew commits\n", name, describeLocked(o), describeLocked(n))
			moved++
		}
	}
	tw.Flush()
	if moved == 0 {
		a.printf("everything is already at the newest versions allowed\n")
	}
}

func describeLocked(c *lockfile.Component) string {
	if c.Version != "" {
		return c.Version
	}
	return c.Ref + "@" + shortCommit(c.Commit)
}
