package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/yamlpos"
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
			progress, clear := a.resolveProgress()
			r, err := resolve(cmd.Context(), m, resolveOptions{env: env, strategy: pubgrub.Latest, progress: progress})
			clear()
			var nse *pubgrub.NoSolutionError
			if errors.As(err, &nse) {
				if asJSON {
					if err := a.printJSON(map[string]any{"ok": false, "conflict": nse}); err != nil {
						return err
					}
				} else {
					a.reportNoSolution(nse)
				}
				return errCheckFailed
			}
			if err != nil {
				return err
			}
			cycles := r.sol.Cycles()
			if asJSON {
				if cycles == nil {
					cycles = [][]string{}
				}
				if err := a.printJSON(map[string]any{"ok": len(cycles) == 0, "components": len(r.lock.Components), "cycles": cycles}); err != nil {
					return err
				}
			} else {
				a.printNotes(r)
			}
			if len(cycles) > 0 {
				if !asJSON {
					fmt.Fprintln(a.errw(), cycleError(r).Error())
				}
				return errCheckFailed
			}
			if !asJSON {
				a.printf("no conflicts: %s resolve\n", plural(len(r.lock.Components), "component"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "check environment `E`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
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
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			if err := checkEnv(m, env); err != nil {
				return err
			}
			return a.lock(cmd.Context(), m, lockRequest{env: env, strategy: strategy})
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve environment `E`")
	cmd.Flags().StringVar(&strategy, "strategy", "", "`S`: latest|highest, conservative|minimal, balanced, first")
	return cmd
}

// recommendation is one row of 'conflicts recommend'.
type recommendation struct {
	Name       string       `json:"name"`
	Locked     string       `json:"locked,omitempty"`
	Allowed    string       `json:"allowed,omitempty"`
	Newest     string       `json:"newest,omitempty"`
	Tracks     string       `json:"tracks,omitempty"`
	HeldBackBy []heldBackBy `json:"held_back_by,omitempty"`
}

type heldBackBy struct {
	By         string `json:"by"`
	Constraint string `json:"constraint"`
	Source     string `json:"source,omitempty"`
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
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			if err := checkEnv(m, env); err != nil {
				return err
			}
			old, err := readLock(m, env, true)
			var ye *yamlpos.Error
			if errors.As(err, &ye) {
				return err
			}
			progress, clear := a.resolveProgress()
			r, err := resolve(cmd.Context(), m, resolveOptions{env: env, strategy: pubgrub.Latest, progress: progress})
			clear()
			var nse *pubgrub.NoSolutionError
			if errors.As(err, &nse) {
				a.reportNoSolution(nse)
				return errCheckFailed
			}
			if err != nil {
				return err
			}
			var rows []recommendation
			for _, n := range m.Order {
				rec := recommendation{Name: n}
				if old != nil {
					if lc := old.Components[n]; lc != nil {
						rec.Locked = lc.Describe()
					}
				}
				if info, ok := r.tracked[n]; ok {
					rec.Tracks = info.Ref
					rows = append(rows, rec)
					continue
				}
				allowed, ok := r.sol.Versions[n]
				if !ok {
					rows = append(rows, rec)
					continue
				}
				rec.Allowed = allowed.String()
				newest, ok := newestVersion(r.versions[n], allowed)
				if ok {
					rec.Newest = newest.String()
				}
				if ok && semver.Compare(newest, allowed) > 0 {
					for _, q := range r.sol.Why(n) {
						if q.Constraint.Contains(newest) {
							continue
						}
						by, _ := r.requirer(q)
						h := heldBackBy{By: by, Constraint: q.Constraint.String(), Source: q.Source}
						if q.Overridden {
							h.By += " (overridden)"
						}
						rec.HeldBackBy = append(rec.HeldBackBy, h)
					}
					if o, ok := m.Overrides[n]; ok {
						h := heldBackBy{By: "override", Constraint: o.Version, Source: o.Pos.String()}
						rec.HeldBackBy = append(rec.HeldBackBy, h)
					}
					if len(rec.HeldBackBy) == 0 {
						// No single range excludes it: the combination does.
						rec.HeldBackBy = append(rec.HeldBackBy, heldBackBy{By: "the other components' requirements together", Constraint: "-"})
					}
				}
				rows = append(rows, rec)
			}
			if asJSON {
				if rows == nil {
					rows = []recommendation{}
				}
				return a.printJSON(rows)
			}
			a.printNotes(r)
			tw := lockTabw(a)
			fmt.Fprintln(tw, "COMPONENT\tLOCKED\tALLOWED\tNEWEST\tHELD BACK BY")
			for _, rec := range rows {
				allowed := rec.Allowed
				if rec.Tracks != "" {
					allowed = "tracks " + rec.Tracks
				}
				var held []string
				for _, h := range rec.HeldBackBy {
					s := h.By + " " + h.Constraint
					if h.Source != "" {
						s += " (" + h.Source + ")"
					}
					held = append(held, s)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rec.Name, recDash(rec.Locked), recDash(allowed), recDash(rec.Newest), recDash(strings.Join(held, "; ")))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "recommend for environment `E`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newestVersion is the newest release in vs, or the newest pre-release
// when the chosen version is one and no release is newer.
func newestVersion(vs []semver.Version, chosen semver.Version) (semver.Version, bool) {
	var best semver.Version
	found := false
	for _, v := range vs {
		if v.IsPrerelease() && !chosen.IsPrerelease() {
			continue
		}
		if !found || semver.Compare(v, best) > 0 {
			best, found = v, true
		}
	}
	return best, found
}

func recDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
