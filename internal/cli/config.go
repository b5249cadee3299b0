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
	get := &cobra.Command{
		Use:     "get KEY",
		Short:   "Print a setting's value",
		Example: "  meta config get jobs",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := lookupSetting(args[0])
			if err != nil {
				return err
			}
			v, ok, err := userconfig.Get(s, a.configScopes(global))
			if err != nil || ok {
				if ok {
					a.printf("%s\n", v)
				}
				return err
			}
			return &exitError{code: ExitError, err: fmt.Errorf("%s is not set", args[0])}
		},
	}
	set := &cobra.Command{
		Use:     "set KEY VALUE",
		Short:   "Set a setting",
		Example: "  meta config set jobs 16\n  meta config set registries.default https://registry.acme.dev",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := lookupSetting(args[0])
			if err != nil {
				return err
			}
			if err := s.Check(args[1]); err != nil {
				return usagef(s.Help, "%s: %v", args[0], err)
			}
			return a.writeSetting(global, s, args[1], false)
		},
	}
	unset := &cobra.Command{
		Use:     "unset KEY",
		Short:   "Remove a setting",
		Example: "  meta config unset --global color",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := lookupSetting(args[0])
			if err != nil {
				return err
			}
			return a.writeSetting(global, s, "", true)
		},
	}
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

func lookupSetting(key string) (userconfig.Setting, error) {
	s, err := userconfig.Lookup(key)
	var ke *userconfig.KeyError
	if errors.As(err, &ke) {
		return s, usageError(err, ke.Hint)
	}
	return s, err
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
