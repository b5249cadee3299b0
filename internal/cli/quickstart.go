package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/quickstart"
)

func newQuickstartCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quickstart [DIR]",
		Short: "Create a sample workspace (no network needed) and tour it",
		Long: `Create, in DIR (default ./meta-quickstart), five sample component
repositories with tagged versions and component.yaml dependencies (a diamond
included), served as local git remotes, plus a meta repository listing them.
Then run the main commands on it and print what to try next.`,
		Example: `  meta quickstart /tmp/demo
  cd /tmp/demo/meta && meta status`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := a.dirArg(args, "meta-quickstart")
			if err != nil {
				return err
			}
			l, err := quickstart.Create(cmd.Context(), dir)
			if err != nil {
				return failf("choose a new or empty directory", "quickstart: %v", err)
			}
			a.printf("created %d sample repositories in %s\nmeta repository: %s\n\n", len(quickstart.Samples), l.Remotes, l.Meta)
			for _, step := range quickstart.Steps {
				if step[0] == quickstart.EditStep {
					a.printf("%s\n\n", a.pal.Bold("$ "+quickstart.EditCommand))
					if err := quickstart.Edit(l); err != nil {
						return err
					}
					continue
				}
				a.printf("%s\n", a.pal.Bold("$ meta "+strings.Join(step, " ")))
				if err := a.sub(cmd.Context(), l.Meta, step...); err != nil && err != errCheckFailed {
					return err
				}
				a.printf("\n")
			}
			a.printf("Try next:\n  cd %s\n", l.Meta)
			for _, s := range quickstart.TryNext {
				a.printf("  %s\n", s)
			}
			return nil
		},
	}
	return cmd
}

// sub runs another meta command in dir with the same streams, as if the
// user had typed "meta -C dir args...".
func (a *app) sub(ctx context.Context, dir string, args ...string) error {
	b := &app{stdio: a.stdio, pal: a.pal, user: a.user, ctx: a.ctx}
	root := newRootCmd(b)
	root.SetArgs(append([]string{"-C", dir}, args...))
	root.SetIn(a.stdio.In)
	root.SetOut(a.stdio.Out)
	root.SetErr(a.stdio.Err)
	return root.ExecuteContext(ctx)
}
