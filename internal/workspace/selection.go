package workspace

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/yamlpos"
)

// DefaultSelection returns the components a command works on when it names
// no component and no group: those in the manifest's default selection
// (workspace.default_groups), plus any other component already checked
// out (added earlier with --group), so status and exec see everything on
// disk while bootstrap clones only what the source tool would by default.
func DefaultSelection(m *manifest.Manifest) []*manifest.Component {
	all := m.List()
	if len(m.Workspace.DefaultGroups) == 0 {
		return all
	}
	out := make([]*manifest.Component, 0, len(all))
	for _, c := range all {
		if m.InDefaultSelection(c) {
			out = append(out, c)
		} else if _, err := os.Lstat(c.Path); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// ClonedOnly returns the components of comps whose checkout exists, and
// how many were left out.
func ClonedOnly(comps []*manifest.Component) ([]*manifest.Component, int) {
	out := make([]*manifest.Component, 0, len(comps))
	for _, c := range comps {
		if _, err := os.Lstat(c.Path); err == nil {
			out = append(out, c)
		}
	}
	return out, len(comps) - len(out)
}

// SelectionError is a selection that names no component or an empty group:
// a mistake in the command line, with a hint at what exists.
type SelectionError struct {
	Msg  string
	Hint string
}

func (e *SelectionError) Error() string { return e.Msg }

// SelectNamed returns the named components (all when names is empty) in
// manifest order. Names may be given as separate arguments or
// comma-separated.
func SelectNamed(m *manifest.Manifest, names []string) ([]*manifest.Component, error) {
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
				return nil, &SelectionError{fmt.Sprintf("no component named %q in %s", n, manifest.ManifestPath), hint}
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

// GroupMembers returns the components in group g: those listing it in
// 'groups:', and the components of the feature g in manifests/features.yaml
// (with the features it depends on).
func GroupMembers(m *manifest.Manifest, g string) []string {
	var out []string
	for _, c := range m.List() {
		if slices.Contains(c.Groups, g) {
			out = append(out, c.Name)
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

// Groups lists every group and feature name, sorted.
func Groups(m *manifest.Manifest) []string {
	set := map[string]bool{}
	for _, c := range m.List() {
		for _, g := range c.Groups {
			set[g] = true
		}
	}
	for f := range m.Features {
		set[f] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// Select selects components by names and groups: the named components plus
// every member of the included groups — with withDeps also whatever those
// depend on (transitively, through depends_on and each checkout's
// component.yaml) — minus the members of excluded groups ("-NAME"). With
// only exclusions, it starts from everything; with nothing at all, from
// the default selection.
func Select(m *manifest.Manifest, names, groups []string, withDeps bool) ([]*manifest.Component, error) {
	if len(groups) == 0 && !withDeps {
		if len(names) == 0 {
			return DefaultSelection(m), nil
		}
		return SelectNamed(m, names)
	}
	include, exclude := map[string]bool{}, map[string]bool{}
	anyInclude := len(names) > 0
	for _, g := range groups {
		name, neg := strings.CutPrefix(g, "-")
		members := GroupMembers(m, name)
		if len(members) == 0 {
			hint := "groups are set with 'groups:' on components or in manifests/features.yaml"
			if known := Groups(m); len(known) > 0 {
				hint = "known groups: " + strings.Join(known, ", ")
				if s := yamlpos.Suggest(name, known); s != "" {
					hint = fmt.Sprintf("did you mean %q? %s", s, hint)
				}
			}
			return nil, &SelectionError{fmt.Sprintf("no component is in group %q", name), hint}
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
	named, err := SelectNamed(m, names)
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
	} else if withDeps {
		var visit func(n string)
		visit = func(n string) {
			c := m.Components[n]
			for _, d := range c.DependsOn {
				if !include[d.Name] {
					include[d.Name] = true
					visit(d.Name)
				}
			}
			if s, err := ReadSpec(c); err == nil {
				for _, d := range s.DependsOn {
					if _, ok := m.Components[d.Name]; ok && !include[d.Name] {
						include[d.Name] = true
						visit(d.Name)
					}
				}
			}
		}
		for _, n := range slices.Sorted(maps.Keys(include)) {
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
