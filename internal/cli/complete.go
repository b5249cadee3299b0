package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
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
	components := func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		m := load()
		if m == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return prefixed(m.Order, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	groups := func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		m := load()
		if m == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return prefixed(knownGroups(m), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	envs := func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		m := load()
		known := manifest.BuiltinEnvironments
		if m != nil {
			known = m.KnownEnvironments()
		}
		return prefixed(known, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
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

// knownGroups lists the group names the manifest's components use.
func knownGroups(m *manifest.Manifest) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range m.List() {
		for _, g := range c.Groups {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

func prefixed(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
