package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

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
	root, err := workspace.FindMetaRoot(wd)
	return root, hinted(err)
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

// loadComponent loads the manifest and checks that name is a component.
func (a *app) loadComponent(name string) (*manifest.Manifest, error) {
	m, err := a.loadManifest()
	if err != nil {
		return nil, err
	}
	_, err = selectComponents(m, []string{name})
	return m, err
}

// selectComponents returns the named components (all when names is empty)
// in manifest order; see workspace.SelectNamed.
func selectComponents(m *manifest.Manifest, names []string) ([]*manifest.Component, error) {
	comps, err := workspace.SelectNamed(m, names)
	return comps, selectionError(err)
}

// selectionError turns a bad selection into a usage error with its hint.
func selectionError(err error) error {
	var se *workspace.SelectionError
	if errors.As(err, &se) {
		return usageError(err, se.Hint)
	}
	return err
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

func (f withDepsFlag) String() string   { return "false" }
func (f withDepsFlag) Type() string     { return "bool" }
func (f withDepsFlag) IsBoolFlag() bool { return true }
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

// selectWithGroups selects components by NAMES and --group flags (which
// also carry --with-deps); see workspace.Select.
func selectWithGroups(m *manifest.Manifest, names, groups []string) ([]*manifest.Component, error) {
	deps := slices.Contains(groups, withDeps)
	groups = slices.DeleteFunc(slices.Clone(groups), func(g string) bool { return g == withDeps })
	comps, err := workspace.Select(m, names, groups, deps)
	return comps, selectionError(err)
}

// plural formats "1 component" / "2 components".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
