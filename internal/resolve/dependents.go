package resolve

import (
	"fmt"
	"sort"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/workspace"
)

// Dependents lists, sorted, every place that names component name: other
// components' depends_on (in the manifest, or in the component.yaml of
// their checkouts), environments, overrides and features, each with its
// position ("api (manifests/components.yaml:7:9)").
func Dependents(m *manifest.Manifest, name string) []string {
	var users []string
	for _, c := range m.List() {
		for _, d := range c.DependsOn {
			if d.Name == name {
				users = append(users, fmt.Sprintf("%s (%s)", c.Name, d.Pos))
			}
		}
	}
	for _, env := range m.EnvOrder {
		if e, ok := m.Environments[env][name]; ok {
			users = append(users, fmt.Sprintf("environment %s (%s)", env, e.Pos))
		}
	}
	if o, ok := m.Overrides[name]; ok {
		users = append(users, fmt.Sprintf("overrides (%s)", o.Pos))
	}
	for _, f := range m.Features {
		for _, fc := range f.Components {
			if fc == name {
				users = append(users, fmt.Sprintf("feature %s (%s)", f.Name, f.Pos))
			}
		}
	}
	// Checked-out components may depend on it in their component.yaml.
	for _, c := range m.List() {
		if c.Name == name {
			continue
		}
		if spec, err := workspace.ReadSpec(c); err == nil && spec.File != nil {
			for _, d := range spec.File.DependsOn {
				if d.Name == name {
					users = append(users, fmt.Sprintf("%s (%s)", c.Name, d.Pos))
				}
			}
		}
	}
	sort.Strings(users)
	return users
}
