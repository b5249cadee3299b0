package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/workspace"
)

func newInitCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starter manifests/components.yaml",
		Long: `Turn DIR (default: the current directory) into a meta repository by writing
a commented starter manifests/components.yaml. An existing manifest is never
overwritten unless --force is given.`,
		Example: `  mkdir workspace && cd workspace && git init && meta init
  meta init ~/work/acme`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := a.dirArg(args, ".")
			if err != nil {
				return err
			}
			file, err := workspace.Init(dir, force)
			if errors.As(err, new(*workspace.ExistsError)) {
				return withHint(err, "edit it, or pass --force to replace it with the starter")
			} else if err != nil {
				return err
			}
			a.printf("wrote %s\nnext: add components, then run 'meta bootstrap'\n", file)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing manifest")
	return cmd
}

// dirArg is the directory args name (relative to the working directory),
// or def when there is no argument.
func (a *app) dirArg(args []string, def string) (string, error) {
	if len(args) == 1 {
		def = args[0]
	}
	return a.absPath(def)
}
