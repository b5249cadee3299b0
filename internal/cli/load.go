package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/manifest"
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
	m, err := manifest.Load(root)
	if err != nil {
		var ye *yamlpos.Error
		if errors.As(err, &ye) {
			return nil, usageError(err, ye.Hint)
		}
		return nil, err
	}
	if m.Workspace.Jobs == 0 && a.user.Jobs > 0 {
		m.Workspace.Jobs = a.user.Jobs
	}
	return m, nil
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

// plural formats "1 component" / "2 components".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
