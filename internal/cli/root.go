package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/workspace"
	"github.com/spf13/pflag"

	"github.com/metawork/meta/internal/yamlpos"
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
			if f := cmd.Flags().Lookup("jobs"); f != nil && f.Changed {
				if n, err := strconv.Atoi(f.Value.String()); err == nil && n < 1 {
					return usagef("give a number of parallel jobs of 1 or more", "-j %d: must be at least 1", n)
				}
			}
			if a.verbose {
				w := a.errw()
				workspace.TraceGit(func(dir string, args []string) {
					where := ""
					if dir != "" {
						where = "  (in " + dir + ")"
					}
					fmt.Fprintf(w, "+ git %s%s\n", strings.Join(args, " "), where)
				})
			}
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
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "print more detail, and every git command meta runs (on stderr)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &flagError{err: cleanFlagError(err), hint: flagHint(c, err)}
	})

	root.AddCommand(
		newVersionCmd(a), newCompletionCmd(a), newQuickstartCmd(a), newConfigCmd(a),
		// The workspace: its repositories and what runs in them.
		newInitCmd(a), newImportCmd(a), newBootstrapCmd(a), newStatusCmd(a), newGroupsCmd(a),
		newExecCmd(a), newSetupCmd(a), newValidateCmd(a), newAddCmd(a), newRemoveCmd(a),
		// Versions: resolution, locks, moving the workspace to them.
		newLockCmd(a), newConflictsCmd(a), newTreeCmd(a), newWhyCmd(a), newApplyCmd(a), newUpdateCmd(a),
		// Builds, their cache and store, toolchains, dependencies.
		newBuildCmd(a), newCacheCmd(a), newStoreCmd(a), newGCCmd(a), newToolsCmd(a), newDepsCmd(a),
		// The package registry.
		newRegistryCmd(a), newLoginCmd(a), newLogoutCmd(a), newPublishCmd(a), newSearchCmd(a),
		newInfoCmd(a), newYankCmd(a), newKeygenCmd(a),
	)
	for _, c := range root.Commands() {
		rejectUnknownSubcommands(c)
		wrapArgs(c)
	}
	addCompletions(a, root)
	root.Version = versionString()
	root.SetVersionTemplate("meta {{.Version}}\n")
	return root
}

// rejectUnknownSubcommands makes each group command (one that only holds
// subcommands, like 'meta deps') refuse an unknown subcommand with exit 2
// and a suggestion; cobra would print the group's help and exit 0, so a
// typo in a script went unnoticed. Without arguments it still prints help.
func rejectUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		rejectUnknownSubcommands(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		hint := fmt.Sprintf("subcommands: %s; see '%s --help'", strings.Join(names, ", "), cmd.CommandPath())
		if s := yamlpos.Suggest(args[0], names); s != "" {
			hint = fmt.Sprintf("did you mean '%s %s'?", cmd.CommandPath(), s)
		}
		return usagef(hint, "unknown %s subcommand %q", strings.TrimPrefix(cmd.CommandPath(), "meta "), args[0])
	}
}

// wrapArgs makes cobra's positional-argument errors usage errors (exit 2).
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return &flagError{err: err, hint: "usage: " + cmd.UseLine()}
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

// cleanFlagError rewrites pflag's parse errors without Go's internals
// ("strconv.ParseInt: parsing ...").
func cleanFlagError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, ": strconv.Parse"); i > 0 {
		kind := "a whole number"
		if strings.Contains(msg[i:], "ParseBool") {
			kind = "true or false"
		} else if strings.Contains(msg[i:], "ParseFloat") {
			kind = "a number"
		}
		return fmt.Errorf("%s: expected %s", msg[:i], kind)
	}
	return err
}

// flagHint suggests the closest flag for an unknown one, else help.
func flagHint(c *cobra.Command, err error) string {
	msg := err.Error()
	name := ""
	if s, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		name = s
	} else if s, ok := strings.CutPrefix(msg, "unknown shorthand flag: "); ok {
		name = strings.Trim(strings.SplitN(s, " ", 2)[0], "'")
	}
	if name != "" {
		var names []string
		c.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		if sug := yamlpos.Suggest(name, names); sug != "" {
			return "did you mean --" + sug + "?"
		}
	}
	return "run '" + c.CommandPath() + " --help' for its flags"
}
