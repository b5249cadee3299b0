package manifest

import (
	"fmt"

	"github.com/metawork/meta/internal/yamlpos"
)

// ComponentFile is a component repository's own component.yaml: what that
// version of the component needs.
type ComponentFile struct {
	Name      string
	DependsOn []Dep
	Tools     []Item
	Setup     []string
	Build     *Build
}

var componentFileKeys = []string{"name", "depends_on", "tools", "setup", "build", "description", "type", "version"}

// ParseComponentFile parses a component.yaml. file names it in errors
// (e.g. "agent-core@v2.1.0:component.yaml").
func ParseComponentFile(file string, data []byte) (*ComponentFile, error) {
	p, root, err := parseMappingFile(file, data, "a mapping (name, depends_on, tools, setup, build)")
	if err != nil {
		return nil, err
	}
	cf := &ComponentFile{}
	if root == nil {
		return cf, nil
	}
	if err := p.keys(root, componentFileKeys); err != nil {
		return nil, err
	}
	if v := root.Get("name"); v != nil {
		if cf.Name, err = p.str(v, "name"); err != nil {
			return nil, err
		}
		if err := CheckName(cf.Name); err != nil {
			return nil, p.errf(v, "name %q: %v", cf.Name, err)
		}
	}
	if v := root.Get("depends_on"); v != nil {
		if cf.DependsOn, err = p.deps(v); err != nil {
			return nil, err
		}
	}
	if v := root.Get("tools"); v != nil {
		if cf.Tools, err = p.tools(v); err != nil {
			return nil, err
		}
	}
	if v := root.Get("setup"); v != nil && v.Kind != yamlpos.Null {
		if cf.Setup, err = p.strOrList(v, "setup command"); err != nil {
			return nil, err
		}
	}
	if v := root.Get("build"); v != nil {
		if cf.Build, err = p.build(fmt.Sprint(cf.Name), v); err != nil {
			return nil, err
		}
	}
	return cf, nil
}
