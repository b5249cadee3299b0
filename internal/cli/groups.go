package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/workspace"
)

func newGroupsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "groups [--json]",
		Short: "List the groups and their members",
		Long: `List every group — set with 'groups:' on components, or a feature of
manifests/features.yaml — and the components in it. '--group NAME' selects
exactly these members; add --with-deps for what they depend on.`,
		Example: `  meta groups
  meta status --group backend --with-deps`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			type group struct {
				Name    string   `json:"name"`
				Members []string `json:"members"`
			}
			out := []group{}
			for _, g := range workspace.Groups(m) {
				out = append(out, group{g, workspace.GroupMembers(m, g)})
			}
			if asJSON {
				return a.printJSON(out)
			}
			if len(out) == 0 {
				a.printf("no groups: add 'groups: [NAME]' to components in %s\n", "manifests/components.yaml")
				return nil
			}
			rows := [][]string{{"GROUP", "MEMBERS"}}
			for _, g := range out {
				rows = append(rows, []string{g.Name, strings.Join(g.Members, ", ")})
			}
			a.printf("%s", term.TableText(rows))
			return nil
		},
	}
	return jsonFlag(cmd, &asJSON)
}
