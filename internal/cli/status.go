package cli

import (
	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/workspace"
)

func newStatusCmd(a *app) *cobra.Command {
	var (
		jobs    int
		asJSON  bool
		noStray bool
		groups  []string
		env     string
	)
	cmd := &cobra.Command{
		Use:   "status [NAMES...]",
		Short: "Show where every component is and whether it is where the manifest wants it",
		Long: `One line per component: its path, branch (or detached), commit, the ref or
version the manifest expects and whether HEAD is there, commits ahead of and
behind its upstream, and local changes (modified, untracked, stash, and
commits on no remote branch or tag: the same test 'meta apply' refuses on).
Also lists repositories under the workspace root that the manifest does not
know.

EXPECTED comes from the manifest's ref or range; with --env E it is the
commit that environment's lock pins, so after 'meta apply --locked --env E'
every row says ok. The first line says which one status compared with.`,
		Example: `  meta status
  meta status api auth-lib
  meta status --env prod
  meta status --json | jq '.[] | select(.modified > 0) | .name'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, comps, err := a.loadSelected(args, groups)
			if err != nil {
				return err
			}
			if err := checkEnv(m, env); err != nil {
				return err
			}
			var lock *lockfile.File
			if env != "" {
				if lock, err = readLock(m, env, false); err != nil {
					return err
				}
			}
			st := workspace.Status(cmd.Context(), m, comps, m.Jobs(jobs)*2, len(args) == 0 && len(groups) == 0 && !noStray, lock)
			return a.output(nil, asJSON, st, func() string { return a.statusText(st, workspace.StatusAgainst(env)) })
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "inspect `N` repositories at a time")
	cmd.Flags().StringVar(&env, "env", "", "compare with environment `E`'s lock file")
	cmd.Flags().BoolVar(&noStray, "no-untracked-repos", false, "do not list repositories the manifest does not know")
	addGroupFlag(cmd, &groups)
	return jsonFlag(cmd, &asJSON)
}

// statusText is the table 'meta status' prints, after the line saying
// what it compared with.
func (a *app) statusText(st []workspace.ComponentStatus, against string) string {
	if len(st) == 0 {
		return "no components yet: add one with 'meta add NAME --repo URL'\n"
	}
	colour := []func(string) string{nil, a.pal.Yellow, a.pal.Red}
	rows := mapSlice(workspace.StatusRows(st), func(row []workspace.StatusCell) []term.Cell {
		return mapSlice(row, func(c workspace.StatusCell) term.Cell { return term.Cell{Text: c.Text, Paint: colour[c.Sev]} })
	})
	return "compared with " + against + "\n" + term.Table(rows)
}
