package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/run"
	"github.com/metawork/meta/internal/term"
)

func newDepsLockCmd(a *app) *cobra.Command {
	var opts depsTargetOpts
	var offline bool
	var jobs int
	cmd := &cobra.Command{
		Use:   "lock (--component NAME... | --all)",
		Short: "Write or refresh components' lock files with their own package managers",
		Long: `Runs each component's real package manager to write or refresh its lock
file, chosen from the project files at the component root and one directory
below it:

  package.json      npm install --package-lock-only --ignore-scripts
                    (pnpm install --lockfile-only when pnpm-lock.yaml exists)
  requirements.in   uv pip compile requirements.in -o requirements.txt
                    (pip-compile when uv is not installed)
  pyproject.toml    uv lock (poetry lock when poetry.lock exists)
  Cargo.toml        cargo generate-lockfile
  go.mod            go mod tidy

No install scripts run. A component's failure does not stop the others;
meta exits 1 when any failed, after showing each tool's own output.
--offline (or META_OFFLINE=1) passes each manager's offline flag
(GOPROXY=off for go).`,
		Example: `  meta deps lock --all
  meta deps lock --component api --component web
  META_OFFLINE=1 meta deps lock --component engine`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv("META_OFFLINE") == "1" {
				offline = true
			}
			return a.depsLock(cmd, opts, ecosystem.LockOptions{Offline: offline}, jobs)
		},
	}
	addDepsTargetFlags(cmd, &opts)
	cmd.Flags().BoolVar(&offline, "offline", false, "do not let package managers use the network")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "components locked at once (default: the workspace's jobs setting)")
	return cmd
}

// depsLockResult is what happened to one component.
type depsLockResult struct {
	name   string
	steps  []ecosystem.LockStep
	failed []error // one per failed step, in step order
}

func (a *app) depsLock(cmd *cobra.Command, opts depsTargetOpts, lo ecosystem.LockOptions, jobs int) error {
	m, err := a.depsManifest()
	if err != nil {
		return err
	}
	comps, err := a.depsComponents(m, opts)
	if err != nil {
		return err
	}
	names := make([]string, len(comps))
	for i, c := range comps {
		names[i] = c.Name
	}
	lines := term.NewLines(a.errw(), names)
	results := make([]depsLockResult, len(comps))
	var g errgroup.Group
	g.SetLimit(m.Jobs(jobs))
	for i, c := range comps {
		g.Go(func() error {
			r := depsLockResult{name: c.Name}
			steps, err := ecosystem.PlanLock(c.Dir, lo)
			if err != nil {
				r.failed = append(r.failed, err)
			}
			r.steps = steps
			for _, s := range steps {
				lines.Update(c.Name, "running "+strings.Join(s.Args, " "))
				if err := ecosystem.RunLock(cmd.Context(), c.Dir, s); err != nil {
					r.failed = append(r.failed, err)
				}
			}
			results[i] = r
			lines.Done(c.Name, depsLockStatus(r))
			return nil
		})
	}
	_ = g.Wait()
	lines.Close()
	if err := cmd.Context().Err(); err != nil {
		return err
	}
	var failed, locked, nothing int
	var hints []string
	for _, r := range results {
		switch {
		case len(r.failed) > 0:
			failed++
			for _, err := range r.failed {
				fmt.Fprintf(a.errw(), "meta: %s: %s\n", r.name, depsLockErrText(err))
				var mt *ecosystem.MissingToolError
				if errors.As(err, &mt) {
					hints = append(hints, "install "+mt.Install)
				}
			}
		case len(r.steps) == 0:
			nothing++
		default:
			locked++
		}
	}
	summary := fmt.Sprintf("%d locked", locked)
	if nothing > 0 {
		summary += fmt.Sprintf(", %d with nothing to lock", nothing)
	}
	if failed > 0 {
		summary += fmt.Sprintf(", %d failed", failed)
	}
	a.printf("%s\n", summary)
	if failed > 0 {
		for _, h := range uniqueStrings(hints) {
			fmt.Fprintln(a.errw(), "hint: "+h)
		}
		return errSilent
	}
	return nil
}

func depsLockStatus(r depsLockResult) string {
	var writes []string
	for _, s := range r.steps {
		writes = append(writes, s.Writes)
	}
	switch {
	case len(r.failed) > 0:
		var why []string
		for _, err := range r.failed {
			var mt *ecosystem.MissingToolError
			var re *run.Error
			switch {
			case errors.As(err, &mt):
				why = append(why, mt.Error())
			case errors.As(err, &re):
				why = append(why, re.Args[0]+" failed")
			default:
				why = append(why, err.Error())
			}
		}
		return "failed: " + strings.Join(why, "; ")
	case len(r.steps) == 0:
		return "nothing to lock (no package.json, requirements.in, pyproject.toml, Cargo.toml or go.mod)"
	}
	return "ok: " + strings.Join(writes, ", ")
}

// depsLockErrText shows a failed tool's own output, indented under the
// command that failed.
func depsLockErrText(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		out := strings.TrimSpace(re.Stderr)
		head := strings.Join(re.Args, " ")
		if re.ExitCode >= 0 {
			head += fmt.Sprintf(" (exit status %d)", re.ExitCode)
		}
		if out == "" {
			return head + ": " + re.Err.Error()
		}
		return head + ":\n    " + strings.ReplaceAll(out, "\n", "\n    ")
	}
	return err.Error()
}

func uniqueStrings(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
