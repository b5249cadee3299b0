package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/userconfig"
)

func newConfigCmd(a *app) *cobra.Command {
	var global bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Get and set workspace and user settings",
		Long: `Read and change settings in the workspace manifest (the team's, committed with
the meta repository) or, with --global, in your own config file
$XDG_CONFIG_HOME/meta/config.yaml. Workspace settings win over user ones.
Edits keep the comments and layout of the file.

Keys: jobs, cache.remote, cache.max_age, cache.max_size, registries.NAME,
tools.sources.go|node|python|github (user only), color (user only),
workspace.name (workspace only).`,
		Example: `  meta config list
  meta config set jobs 16
  meta config set --global cache.remote s3://cache/acme?region=us-east-1
  meta config get registries.default
  meta config unset --global color`,
	}
	cmd.PersistentFlags().BoolVar(&global, "global", false, "use your user config file instead of the workspace manifest")
	get := settingCmd("get KEY", "Print a setting's value", "  meta config get jobs", 1, func(s userconfig.Setting, args []string) error {
		v, ok, err := userconfig.Get(s, a.configScopes(global))
		if ok {
			a.printf("%s\n", v)
		}
		if err != nil || ok {
			return err
		}
		return &exitError{code: ExitError, err: fmt.Errorf("%s is not set", args[0])}
	})
	set := settingCmd("set KEY VALUE", "Set a setting", "  meta config set jobs 16\n  meta config set registries.default https://registry.acme.dev", 2, func(s userconfig.Setting, args []string) error {
		if err := s.Check(args[1]); err != nil {
			return usagef(s.Help, "%s: %v", args[0], err)
		}
		return a.writeSetting(global, s, args[1], false)
	})
	unset := settingCmd("unset KEY", "Remove a setting", "  meta config unset --global color", 1, func(s userconfig.Setting, args []string) error {
		return a.writeSetting(global, s, "", true)
	})
	var asJSON bool
	list := &cobra.Command{
		Use:     "list",
		Short:   "List every setting that is set, and where",
		Example: "  meta config list\n  meta config list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := userconfig.List(a.configScopes(global))
			return a.output(err, asJSON, out, func() string { return userconfig.ListText(out) })
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(get, set, unset, list)
	return cmd
}

// settingCmd is a config subcommand of n arguments, the first a setting's
// key: run gets the setting.
func settingCmd(use, short, example string, n int, run func(s userconfig.Setting, args []string) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Example: example, Args: cobra.ExactArgs(n), RunE: func(cmd *cobra.Command, args []string) error {
		s, err := userconfig.Lookup(args[0])
		if ke := (*userconfig.KeyError)(nil); errors.As(err, &ke) {
			return usageError(err, ke.Hint)
		} else if err != nil {
			return err
		}
		return run(s, args)
	}}
}

// configScope is the file one config command writes: the user's file with
// --global, else the workspace manifest.
func (a *app) configScope(global bool) (userconfig.Scope, error) {
	if sc, ok := userconfig.GlobalScope(os.Getenv); global && !ok {
		return sc, failf("set HOME or XDG_CONFIG_HOME", "no user config directory")
	} else if global {
		return sc, nil
	}
	root, err := a.metaRoot()
	if err != nil {
		return userconfig.Scope{}, withHint(err, "use --global for your user settings outside a workspace")
	}
	return userconfig.WorkspaceScope(root), nil
}

// configScopes lists where to look, most specific first.
func (a *app) configScopes(global bool) []userconfig.Scope {
	root, _ := a.metaRoot() // "" outside a workspace
	return userconfig.Scopes(root, global, os.Getenv)
}

func (a *app) writeSetting(global bool, s userconfig.Setting, value string, unset bool) error {
	path, err := s.PathIn(global)
	if err != nil {
		return usageError(err, err.(*userconfig.KeyError).Hint)
	}
	sc, err := a.configScope(global)
	if err != nil {
		return err
	} else if !global {
		unlock, err := manifest.LockForEdit(sc.Root())
		if err != nil {
			return err
		}
		defer unlock()
	}
	err = userconfig.Set(sc, path, value, unset)
	if errors.As(err, new(*userconfig.InvalidEditError)) {
		return failf("the manifest was not changed", "%v", err)
	}
	return err
}
