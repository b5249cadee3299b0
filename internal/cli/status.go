package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/workspace"
)

func newStatusCmd(a *app) *cobra.Command {
	var (
		jobs    int
		asJSON  bool
		noStray bool
		groups  []string
	)
	cmd := &cobra.Command{
		Use:   "status [NAMES...]",
		Short: "Show where every component is and whether it is where the manifest wants it",
		Long: `One line per component: its path, branch (or detached), commit, the ref or
version the manifest expects and whether HEAD is there, commits ahead of and
behind its upstream, and local changes (modified, untracked, stash). Also
lists repositories under the workspace root that the manifest does not know.`,
		Example: `  meta status
  meta status api auth-lib
  meta status --json | jq '.[] | select(.modified > 0) | .name'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			comps, err := a.selectWithGroups(m, args, groups)
			if err != nil {
				return err
			}
			st := workspace.Status(cmd.Context(), m, comps, m.Jobs(jobs)*2, len(args) == 0 && len(groups) == 0 && !noStray)
			if asJSON {
				enc := json.NewEncoder(a.out())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			a.printStatus(st)
			return nil
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "inspect `N` repositories at a time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&noStray, "no-untracked-repos", false, "do not list repositories the manifest does not know")
	addGroupFlag(cmd, &groups)
	return cmd
}

func (a *app) printStatus(st []workspace.ComponentStatus) {
	tw := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tPATH\tHEAD\tCOMMIT\tEXPECTED\tSYNC\tCHANGES")
	clean := 0
	for _, s := range st {
		head, commit, exp, sync, changes := "-", "-", s.Expected, "-", "-"
		switch s.State {
		case workspace.StateMissing:
			changes = a.pal.Yellow("missing: run 'meta bootstrap " + s.Name + "'")
		case workspace.StateNotGit:
			changes = a.pal.Red("not a git repository")
		case workspace.StateError:
			changes = a.pal.Red("error: " + firstLine(s.Error))
		case workspace.StateNotInManifest:
			exp = "-"
			changes = a.pal.Yellow("not in manifest")
		}
		if s.Commit != "" {
			commit = s.Commit[:min(len(s.Commit), 10)]
			head = s.Branch
			if s.Detached {
				head = "(detached)"
				if s.Tag != "" {
					head = "(" + s.Tag + ")"
				}
			}
		}
		if s.State == workspace.StateOK || s.State == workspace.StateWrongRemote {
			if s.AtExpected {
				exp += " " + a.pal.Green("ok")
			} else {
				exp += " " + a.pal.Yellow("differs")
			}
			if s.Upstream != "" {
				sync = fmt.Sprintf("+%d -%d", s.Ahead, s.Behind)
			}
			var parts []string
			if s.State == workspace.StateWrongRemote {
				parts = append(parts, a.pal.Red("wrong remote "+s.Remote))
			}
			if s.Modified > 0 {
				parts = append(parts, fmt.Sprintf("%d modified", s.Modified))
			}
			if s.Untracked > 0 {
				parts = append(parts, fmt.Sprintf("%d untracked", s.Untracked))
			}
			if s.Stash {
				parts = append(parts, "stash")
			}
			if s.LocalOnly > 0 {
				parts = append(parts, a.pal.Yellow(plural(s.LocalOnly, "commit")+" on no remote branch or tag"))
			}
			if len(parts) == 0 {
				changes = "clean"
			} else {
				changes = strings.Join(parts, ", ")
			}
		}
		if s.Clean() {
			clean++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Path, head, commit, exp, sync, changes)
	}
	tw.Flush()
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
