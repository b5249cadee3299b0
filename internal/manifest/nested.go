package manifest

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/yamlpos"
)

// Nesting says which component checkouts lie inside which: west, repo and
// vcstool let a project's path be inside another project's checkout (Zephyr's
// tools/bsim/components holds tools/bsim/components/ext_2G4_channel_NtNcable).
// The outer checkout must be cloned first, must ignore the inner ones (git's
// info/exclude), and nothing done to the outer may delete or move them.
type Nesting struct {
	outer map[string]string   // component → the nearest component enclosing it
	inner map[string][]string // component → components inside it, any depth, by path
}

// Nesting computes the nesting of m's components in O(n log n).
func (m *Manifest) Nesting() *Nesting {
	n := &Nesting{outer: map[string]string{}, inner: map[string][]string{}}
	type entry struct{ key, name string }
	es := make([]entry, 0, len(m.Components))
	for name, c := range m.Components {
		es = append(es, entry{filepath.ToSlash(c.Path) + "/", name})
	}
	// All keys with a given prefix are contiguous in sorted order, so the
	// enclosing checkouts of an entry are on a stack of open prefixes.
	sort.Slice(es, func(i, j int) bool { return es[i].key < es[j].key })
	var stack []entry
	for _, e := range es {
		for len(stack) > 0 && !strings.HasPrefix(e.key, stack[len(stack)-1].key) {
			stack = stack[:len(stack)-1]
		}
		// Components that share one checkout (packages of a monorepo at
		// different subdirs) are not nested in each other.
		if len(stack) > 0 && stack[len(stack)-1].key != e.key {
			n.outer[e.name] = stack[len(stack)-1].name
			for _, s := range stack {
				if s.key != e.key {
					n.inner[s.name] = append(n.inner[s.name], e.name)
				}
			}
		}
		stack = append(stack, e)
	}
	return n
}

// Outer returns the nearest component whose checkout encloses name's, or "".
func (n *Nesting) Outer(name string) string { return n.outer[name] }

// Inner returns the components whose checkouts lie inside name's, at any
// depth; an enclosing one always comes before those inside it.
func (n *Nesting) Inner(name string) []string { return n.inner[name] }

// Any reports whether any checkout lies inside another.
func (n *Nesting) Any() bool { return len(n.outer) > 0 }

// checkNesting allows nested git checkouts but not nesting that involves a
// registry component: its directory is replaced whole when another version
// is extracted, which would take the inner checkout with it.
func (p *parser) checkNesting(m *Manifest, comps *yamlpos.Node) error {
	nest := m.Nesting()
	for _, name := range m.Order {
		outer := nest.Outer(name)
		if outer == "" {
			continue
		}
		c, o := m.Components[name], m.Components[outer]
		if c.Registry == "" && o.Registry == "" {
			continue
		}
		node := comps.Get(name).Get("path")
		if node == nil {
			node = comps.KeyNode(name)
		}
		return p.errf(node, "component %q: path %s is inside component %q (%s), and registry components cannot be nested", name, c.RelPath, outer, o.RelPath).
			WithHint("nested checkouts must both be git repositories; give one of them a path outside the other")
	}
	return nil
}

// InDefaultSelection reports whether c is selected when a command names no
// component and no --group: always without workspace.default_groups;
// otherwise unless one of its groups is excluded ("-G") and none of its
// groups is listed as included ("G" or "+G").
func (m *Manifest) InDefaultSelection(c *Component) bool {
	if len(m.Workspace.DefaultGroups) == 0 {
		return true
	}
	excluded, included := false, false
	for _, g := range c.Groups {
		for _, d := range m.Workspace.DefaultGroups {
			if n, ok := strings.CutPrefix(d, "-"); ok {
				excluded = excluded || n == g
			} else {
				included = included || strings.TrimPrefix(d, "+") == g
			}
		}
	}
	return !excluded || included
}

// defaultGroups reads workspace.default_groups: a list of group names,
// each optionally prefixed with '-' (leave out) or '+' (keep).
func (p *parser) defaultGroups(m *Manifest, n *yamlpos.Node) error {
	items, err := p.items(n, "group name")
	if err != nil {
		return err
	}
	for i, it := range items {
		g := strings.TrimPrefix(strings.TrimPrefix(it.Value, "-"), "+")
		if err := CheckName(g); err != nil {
			return p.errf(n.Values[i], "default_groups: group name %q: %v", it.Value, err).
				WithHint("write GROUP to keep a group or -GROUP to leave it out")
		}
		m.Workspace.DefaultGroups = append(m.Workspace.DefaultGroups, it.Value)
	}
	return nil
}
