package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/workspace"
	"github.com/metawork/meta/internal/yamlpos"
)

// metaRoot finds the meta repository enclosing the working directory.
func (a *app) metaRoot() (string, error) {
	wd, err := a.workdir()
	if err != nil {
		return "", err
	}
	root, err := manifest.Find(wd)
	if errors.Is(err, manifest.ErrNotFound) {
		// Started in the folder that holds the checkouts: the meta
		// repository is one of them.
		switch below := workspace.MetaReposBelow(wd); len(below) {
		case 1:
			return below[0], nil
		case 0:
		default:
			var rel []string
			for _, b := range below {
				rel = append(rel, filepath.Base(b))
			}
			return "", usagef("pick one with -C, e.g. 'meta -C "+rel[0]+" status'",
				"%s holds %d meta repositories: %s", wd, len(below), strings.Join(rel, ", "))
		}
		return "", usagef("run 'meta init' to start a workspace here, 'meta quickstart DIR' for a sample, or use -C DIR",
			"%s: %v", wd, err)
	}
	return root, err
}

// loadManifest finds and loads the workspace manifest.
func (a *app) loadManifest() (*manifest.Manifest, error) {
	root, err := a.metaRoot()
	if err != nil {
		return nil, err
	}
	m, err := manifest.LoadContext(a.ctx, root)
	if err != nil {
		var ye *yamlpos.Error
		if errors.As(err, &ye) {
			return nil, usageError(err, ye.Hint)
		}
		return nil, err
	}
	a.applyUserConfig(m)
	return m, nil
}

// applyUserConfig applies the user's own settings: machine-local ones
// (jobs) win over the manifest's.
func (a *app) applyUserConfig(m *manifest.Manifest) {
	if a.user.Jobs > 0 {
		m.Workspace.Jobs = a.user.Jobs
	}
}

// selectComponents returns the named components (all when names is empty)
// in manifest order. Names may be given as separate arguments or
// comma-separated.
func selectComponents(m *manifest.Manifest, names []string) ([]*manifest.Component, error) {
	if len(names) == 0 {
		return m.List(), nil
	}
	want := map[string]bool{}
	for _, arg := range names {
		for _, n := range strings.Split(arg, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if _, ok := m.Components[n]; !ok {
				hint := "run 'meta status' to list the components"
				if s := yamlpos.Suggest(n, m.Order); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				}
				return nil, usagef(hint, "no component named %q in %s", n, manifest.ManifestPath)
			}
			want[n] = true
		}
	}
	var out []*manifest.Component
	for _, c := range m.List() {
		if want[c.Name] {
			out = append(out, c)
		}
	}
	return out, nil
}

// addGroupFlag adds the repeatable --group flag and --with-deps.
func addGroupFlag(cmd *cobra.Command, groups *[]string) {
	cmd.Flags().StringArrayVarP(groups, "group", "g", nil, "only the components in group `NAME` (repeatable; -NAME excludes)")
	cmd.Flags().Var(withDepsFlag{groups}, "with-deps", "also select what the selected components depend on")
	cmd.Flags().Lookup("with-deps").NoOptDefVal = "true"
}

// withDeps marks, inside the --group list, that --with-deps was given.
const withDeps = "\x00with-deps"

// withDepsFlag is --with-deps, recorded in the --group list so that every
// command's selection sees it without another parameter.
type withDepsFlag struct{ groups *[]string }

func (f withDepsFlag) String() string { return "false" }
func (f withDepsFlag) Type() string   { return "bool" }
func (f withDepsFlag) IsBoolFlag() bool {
	return true
}
func (f withDepsFlag) Set(v string) error {
	on, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	if on && !slices.Contains(*f.groups, withDeps) {
		*f.groups = append(*f.groups, withDeps)
	}
	return nil
}

// groupMembers returns the components in group g: those listing it in
// 'groups:', and the components of the feature g in manifests/features.yaml
// (with the features it depends on).
func groupMembers(m *manifest.Manifest, g string) []string {
	var out []string
	for _, c := range m.List() {
		for _, cg := range c.Groups {
			if cg == g {
				out = append(out, c.Name)
			}
		}
	}
	seen := map[string]bool{}
	var feature func(name string)
	feature = func(name string) {
		f := m.Features[name]
		if f == nil || seen[name] {
			return
		}
		seen[name] = true
		out = append(out, f.Components...)
		for _, d := range f.DependsOn {
			feature(d)
		}
	}
	feature(g)
	return out
}

// allGroups lists every group and feature name, for suggestions.
func allGroups(m *manifest.Manifest) []string {
	set := map[string]bool{}
	for _, c := range m.List() {
		for _, g := range c.Groups {
			set[g] = true
		}
	}
	for f := range m.Features {
		set[f] = true
	}
	return sortedKeys(set)
}

// selectWithGroups selects components by NAMES and --group flags: the
// named components plus every member of the included groups — with
// --with-deps also whatever those depend on (transitively, through
// depends_on) — minus the members of excluded groups (-NAME). With only
// exclusions, it starts from everything.
func selectWithGroups(m *manifest.Manifest, names, groups []string) ([]*manifest.Component, error) {
	deps := slices.Contains(groups, withDeps)
	groups = slices.DeleteFunc(slices.Clone(groups), func(g string) bool { return g == withDeps })
	if len(groups) == 0 && !deps {
		if len(names) == 0 {
			return workspace.DefaultSelection(m), nil
		}
		return selectComponents(m, names)
	}
	include, exclude := map[string]bool{}, map[string]bool{}
	anyInclude := len(names) > 0
	for _, g := range groups {
		name, neg := strings.CutPrefix(g, "-")
		members := groupMembers(m, name)
		if len(members) == 0 {
			hint := "groups are set with 'groups:' on components or in manifests/features.yaml"
			if known := allGroups(m); len(known) > 0 {
				hint = "known groups: " + strings.Join(known, ", ")
				if s := yamlpos.Suggest(name, known); s != "" {
					hint = fmt.Sprintf("did you mean %q? %s", s, hint)
				}
			}
			return nil, usagef(hint, "no component is in group %q", name)
		}
		for _, n := range members {
			if neg {
				exclude[n] = true
			} else {
				include[n] = true
			}
		}
		anyInclude = anyInclude || !neg
	}
	named, err := selectComponents(m, names)
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		for _, c := range named {
			include[c.Name] = true
		}
	}
	if !anyInclude {
		for _, n := range m.Order {
			include[n] = true
		}
	} else if deps {
		// Pull in what the members depend on.
		var visit func(n string)
		visit = func(n string) {
			c := m.Components[n]
			for _, d := range c.DependsOn {
				if !include[d.Name] {
					include[d.Name] = true
					visit(d.Name)
				}
			}
			if s, err := workspace.ReadSpec(c); err == nil {
				for _, d := range s.DependsOn {
					if _, ok := m.Components[d.Name]; ok && !include[d.Name] {
						include[d.Name] = true
						visit(d.Name)
					}
				}
			}
		}
		for _, n := range sortedKeys(include) {
			visit(n)
		}
	}
	var out []*manifest.Component
	for _, c := range m.List() {
		if include[c.Name] && !exclude[c.Name] {
			out = append(out, c)
		}
	}
	return out, nil
}

// selectWithGroups on the app, for symmetry with the other helpers.
func (a *app) selectWithGroups(m *manifest.Manifest, names, groups []string) ([]*manifest.Component, error) {
	return selectWithGroups(m, names, groups)
}

// plural formats "1 component" / "2 components".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
