package cli

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "meta",
		Short: "Make many git repositories behave like one reproducible workspace",
		Long: `meta clones a team's repositories side by side, resolves the versions of
its components, pins them per environment, builds them in dependency order
with a shared cache, and audits their third-party dependencies.

The workspace is described by manifests/components.yaml in the meta
repository; meta finds it by walking up from the current directory.`,
		Example: `  meta quickstart /tmp/demo      # a sample workspace, no network needed
  meta bootstrap                  # clone every component
  meta status                     # where is every repository?
  meta -C ~/work/acme status      # the same, from anywhere`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.dir != "" {
				abs, err := filepath.Abs(a.dir)
				if err != nil {
					return usagef("", "-C %s: %v", a.dir, err)
				}
				if st, err := os.Stat(abs); err != nil || !st.IsDir() {
					return usagef("-C takes an existing directory", "-C %s: not a directory", a.dir)
				}
				a.dir = abs
			}
			return nil
		},
	}
	root.PersistentFlags().StringVarP(&a.dir, "directory", "C", "", "run as if meta was started in `DIR`")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "print more detail")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &flagError{err: err}
	})

	root.AddCommand(
		newVersionCmd(a),
		newCompletionCmd(a),
		// Command groups register here, one line each.
		newLockCmd(a),
		newConflictsCmd(a),
		newTreeCmd(a),
		newWhyCmd(a),
		newApplyCmd(a),
		newBuildCmd(a),
		newCacheCmd(a),
		newToolsCmd(a),
		newStoreCmd(a),
		newGCCmd(a),
		newRegistryCmd(a),
		newLoginCmd(a),
		newLogoutCmd(a),
		newPublishCmd(a),
		newSearchCmd(a),
		newInfoCmd(a),
		newYankCmd(a),
		newKeygenCmd(a),
		newInitCmd(a),
		newBootstrapCmd(a),
		newStatusCmd(a),
		newExecCmd(a),
		newSetupCmd(a),
		newValidateCmd(a),
		newImportCmd(a),
		newConfigCmd(a),
		newAddCmd(a),
		newRemoveCmd(a),
		newUpdateCmd(a),
		newQuickstartCmd(a),
		newDepsCmd(a),
	)
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes cobra's positional-argument errors usage errors (exit 2).
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return &flagError{err: err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// workdir is the directory meta acts from: -C DIR, or the current one.
func (a *app) workdir() (string, error) {
	if a.dir != "" {
		return a.dir, nil
	}
	return getwd()
}
