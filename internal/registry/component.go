package registry

import (
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/yamlpos"
)

// ComponentInfo is what the registry needs from a component.yaml (DESIGN
// §2.2): its name, dependencies, tools and a one-line description.
type ComponentInfo struct {
	Name        string
	Version     string // the optional version field, without a leading "v"
	Description string
	Deps        []Dep
	Tools       []string
}

// componentFileName is the file a component tarball must carry at its root.
const componentFileName = manifest.ComponentFileName

// ParseComponent parses a component.yaml with the manifest package's
// grammar and keeps the fields the index carries. The registry also
// requires a name. A dependency without a range gets "*".
func ParseComponent(file string, data []byte) (*ComponentInfo, error) {
	cf, err := manifest.ParseComponentFile(file, data)
	if err != nil {
		return nil, err
	}
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	if cf.Name == "" {
		return nil, yamlpos.Errorf(file, root, "name is missing; the registry needs it")
	}
	if err := regindex.ValidateName(cf.Name); err != nil {
		return nil, yamlpos.Errorf(file, root.Get("name"), "%v", err)
	}
	info := &ComponentInfo{Name: cf.Name, Deps: []Dep{}, Tools: []string{}}
	if v := root.Get("version"); v != nil && v.Kind == yamlpos.Scalar && v.Value != "" {
		vers := strings.TrimPrefix(v.Value, "v")
		if _, err := regindex.ParseVersion(vers); err != nil {
			return nil, yamlpos.Errorf(file, v, "%v", err)
		}
		info.Version = vers
	}
	if d := root.Get("description"); d != nil && d.Kind == yamlpos.Scalar {
		info.Description = d.Value
	}
	seen := map[string]bool{}
	for _, d := range cf.DependsOn {
		if err := regindex.ValidateName(d.Name); err != nil {
			return nil, &yamlpos.Error{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Msg: "depends_on: " + err.Error()}
		}
		if seen[d.Name] {
			return nil, &yamlpos.Error{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Msg: "depends_on: " + d.Name + " is listed twice"}
		}
		seen[d.Name] = true
		req := d.Constraint
		if req == "" {
			req = "*"
		}
		info.Deps = append(info.Deps, Dep{Name: d.Name, Req: req})
	}
	for _, t := range cf.Tools {
		info.Tools = append(info.Tools, t.Value)
	}
	return info, nil
}
