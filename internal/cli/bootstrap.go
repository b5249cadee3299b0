package cli

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/run"
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
			comps, err := a.selectWithGroups(m, args, groups)
			if err != nil {
				return err
			}
			if filter != "" && !validFilter(filter) {
				return usagef("use blob:none, tree:0 or blob:limit=<n>", "--filter %q is not a git object filter", filter)
			}
			// Registry components are downloaded, not cloned: apply does
			// that (checksums, signatures, never over local edits).
			var fromRegistry []string
			gitComps := comps[:0:0]
			for _, c := range comps {
				if c.Registry != "" {
					fromRegistry = append(fromRegistry, c.Name)
				} else {
					gitComps = append(gitComps, c)
				}
			}
			comps = gitComps
			names := make([]string, len(comps))
			for i, c := range comps {
				names[i] = c.Name
			}
			var lineOut io.Writer = a.out()
			if asJSON {
				lineOut = io.Discard
			}
			lines := a.progress(lineOut, names)
			res := workspace.Bootstrap(cmd.Context(), m, comps, workspace.BootstrapOptions{
				Jobs:     m.Jobs(jobs),
				Filter:   filter,
				Shallow:  shallow,
				Pick:     a.bootstrapPick(cmd, m),
				Progress: lines.Update,
				Done: func(r workspace.BootstrapResult) {
					if cmd.Context().Err() != nil && r.Action == workspace.Failed {
						lines.Done(r.Name, "interrupted")
						return
					}
					if r.Action == workspace.Failed {
						lines.Failed(r.Name, describeBootstrap(a, r))
						return
					}
					lines.Done(r.Name, describeBootstrap(a, r))
				},
			})
			lines.Close()
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			if asJSON {
				if res == nil {
					res = []workspace.BootstrapResult{}
				}
				if err := a.printJSON(map[string]any{"results": res, "from_registry": fromRegistry}); err != nil {
					return err
				}
				for _, r := range res {
					if r.Action == workspace.Failed {
						return errSilent
					}
				}
				if len(fromRegistry) > 0 {
					return a.sub(cmd.Context(), m.Dir, append([]string{"apply", "--json"}, fromRegistry...)...)
				}
				if m.Workspace.Wire {
					return a.wire(cmd.Context(), m, comps)
				}
				return nil
			}
			if len(comps) > 0 || len(fromRegistry) == 0 {
				if err := a.bootstrapSummary(res); err != nil {
					return err
				}
			}
			if len(fromRegistry) > 0 {
				a.printf("%s\n", a.pal.Bold("$ meta apply "+strings.Join(fromRegistry, " ")))
				if err := a.sub(cmd.Context(), m.Dir, append([]string{"apply"}, fromRegistry...)...); err != nil {
					return err
				}
			}
			if m.Workspace.Wire {
				return a.wire(cmd.Context(), m, comps)
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

var filterRE = regexp.MustCompile(`^(blob:none|blob:limit=[0-9]+[kmgKMG]?|tree:[0-9]+)$`)

func validFilter(f string) bool { return filterRE.MatchString(f) }

// gitMessage shortens a failed git command to what git said first — its
// "fatal:" line — instead of the whole command line and every line of
// advice after it.
func gitMessage(err error) string {
	var re *run.Error
	if !errors.As(err, &re) {
		return err.Error()
	}
	msg := ""
	for _, l := range strings.Split(re.Stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "fatal:") || strings.HasPrefix(l, "error:") {
			msg = l
			break
		}
		if msg == "" {
			msg = l
		}
	}
	if msg == "" {
		return err.Error()
	}
	what := "git"
	if len(re.Args) > 1 {
		what = "git " + re.Args[1]
	}
	return what + ": " + msg
}

func describeBootstrap(a *app, r workspace.BootstrapResult) string {
	switch r.Action {
	case workspace.Cloned:
		return a.pal.Green("cloned") + " at " + r.Checkout
	case workspace.Present:
		return "present (" + r.Checkout + ")"
	}
	return a.pal.Red("failed")
}

func (a *app) bootstrapSummary(res []workspace.BootstrapResult) error {
	var cloned, present int
	var failed []workspace.BootstrapResult
	for _, r := range res {
		switch r.Action {
		case workspace.Cloned:
			cloned++
		case workspace.Present:
			present++
		default:
			failed = append(failed, r)
		}
	}
	a.printf("%d cloned, %d already present, %d failed\n", cloned, present, len(failed))
	if len(failed) == 0 {
		return nil
	}
	for _, r := range failed {
		fmt.Fprintf(a.errw(), "meta: bootstrap %s: %s\n", r.Name, gitMessage(r.Err))
		if r.Hint != "" {
			fmt.Fprintf(a.errw(), "hint: %s\n", r.Hint)
		}
	}
	return errSilent
}

// bootstrapPick chooses the tag to check out for version-ranged
// components: the solver's choice over every component's tags and
// component.yaml files (keeping the lock's versions while valid), resolved
// once on first use. When the workspace does not resolve (a conflict, an
// unreachable repository), it warns once and falls back to the newest tag
// satisfying each component's own range, so that one bad component does
// not stop the others from being cloned.
func (a *app) bootstrapPick(cmd *cobra.Command, m *manifest.Manifest) func(*manifest.Component, map[string]string) (string, error) {
	var (
		once     sync.Once
		r        *resolution
		fallback func(*manifest.Component, map[string]string) (string, error)
	)
	return func(c *manifest.Component, tags map[string]string) (string, error) {
		once.Do(func() {
			old, _ := readLock(m, "", true)
			strategy := pubgrub.Latest
			if old != nil {
				strategy = pubgrub.First
			}
			var err error
			r, err = resolve(cmd.Context(), m, resolveOptions{strategy: strategy, locked: lockedVersions(old, nil), lockedRefs: lockedCommits(old, nil)})
			if err != nil {
				why := firstLine(err.Error())
				var nse *pubgrub.NoSolutionError
				if errors.As(err, &nse) {
					why = nse.Headline + " (see 'meta conflicts check')"
				}
				a.warnf("the workspace does not resolve: %s; using the newest tag satisfying each component's range instead", why)
				fallback = workspace.PickNewest()
				return
			}
			a.printNotes(r)
		})
		if fallback != nil {
			return fallback(c, tags)
		}
		if v, ok := r.sol.Versions[c.Name]; ok {
			tag, _, _ := r.git.Tag(c.Name, v)
			return tag, nil
		}
		if info, ok := r.tracked[c.Name]; ok {
			return info.Ref, nil
		}
		return "", fmt.Errorf("%s is not part of the resolution", c.Name)
	}
}
