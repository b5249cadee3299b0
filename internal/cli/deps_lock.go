package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/depscan"
	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/progress"
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

func (a *app) depsLock(cmd *cobra.Command, opts depsTargetOpts, lo ecosystem.LockOptions, jobs int) error {
	m, comps, err := a.depsSelect(opts)
	if err != nil {
		return err
	}
	view := term.NewRenderer(a.errw(), false, nil, func(e progress.Event) string {
		return e.Result.(depscan.LockResult).Status()
	})
	results := depscan.Lock(cmd.Context(), depscan.LockOptions{Components: comps, Jobs: m.Jobs(jobs), Lock: lo, Progress: view})
	view.Close()
	if err := cmd.Context().Err(); err != nil {
		return err
	}
	for _, r := range results {
		for _, err := range r.Failed {
			fmt.Fprintf(a.errw(), "meta: %s: %s\n", r.Name, depscan.ErrText(err))
		}
	}
	n := depscan.Tally(results)
	a.printf("%s\n", n.Summary())
	if n.Failed == 0 {
		return nil
	}
	writeLines(a.errw(), "hint: install ", n.Install)
	return errSilent
}
