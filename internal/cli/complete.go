package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/workspace"
)

// componentArgs are the commands whose arguments are component names.
var componentArgs = map[string]bool{
	"status": true, "apply": true, "bootstrap": true, "setup": true, "update": true,
	"lock": true, "why": true, "remove": true, "groups": true,
}

// addCompletions teaches shell completion the workspace's names:
// components as arguments (and for --only), groups for --group,
// environments for --env.
func addCompletions(a *app, root *cobra.Command) {
	load := func() *manifest.Manifest {
		root, err := a.metaRoot()
		if err != nil {
			return nil
		}
		m, err := manifest.Load(root)
		if err != nil {
			return nil
		}
		return m
	}
	names := func(list func(*manifest.Manifest) []string, fallback []string) cobra.CompletionFunc {
		return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			known := fallback
			if m := load(); m != nil {
				known = list(m)
			}
			return prefixed(known, toComplete), cobra.ShellCompDirectiveNoFileComp
		}
	}
	components := names(func(m *manifest.Manifest) []string { return m.Order }, nil)
	groups := names(workspace.Groups, nil)
	envs := names((*manifest.Manifest).KnownEnvironments, manifest.BuiltinEnvironments)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if componentArgs[c.Name()] && c.Parent() == root && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = components
		}
		if c.Flags().Lookup("group") != nil {
			c.RegisterFlagCompletionFunc("group", groups)
		}
		if c.Flags().Lookup("env") != nil {
			c.RegisterFlagCompletionFunc("env", envs)
		}
		if c.Flags().Lookup("only") != nil {
			c.RegisterFlagCompletionFunc("only", components)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, name := range []string{"promote", "compare"} {
		if lock, _, err := root.Find([]string{"lock", name}); err == nil && lock.Name() == name {
			lock.ValidArgsFunction = envs
		}
	}
}

func prefixed(names []string, prefix string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !strings.HasPrefix(n, prefix) })
}
