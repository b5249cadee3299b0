package resolve

import "github.com/metawork/meta/internal/lockfile"

// TreeLine is one line of the dependency tree: Prefix is the drawing
// before it ("│   ├── "), Label the component and what it is at, Mark
// "(cycle)" or "(*)" (a subtree already shown) or "".
type TreeLine struct {
	Prefix, Label, Mark string
}

// Tree draws the resolved components under the components that depend on
// them, starting from those nothing depends on (everything, when all are
// on a cycle).
func (r *Result) Tree() []TreeLine {
	f := r.Lock
	dependedOn := map[string]bool{}
	for _, c := range f.Components {
		for _, d := range c.DependsOn {
			dependedOn[d] = true
		}
	}
	var tops []string
	for _, n := range f.Names() {
		if !dependedOn[n] {
			tops = append(tops, n)
		}
	}
	if len(tops) == 0 {
		tops = f.Names()
	}
	var out []TreeLine
	shown := map[string]bool{}
	var walk func(name, prefix string, last bool, path map[string]bool)
	walk = func(name, prefix string, last bool, path map[string]bool) {
		branch, next := "├── ", "│   "
		if last {
			branch, next = "└── ", "    "
		}
		c := f.Components[name]
		line := TreeLine{Prefix: prefix + branch, Label: name}
		if c != nil {
			line.Label += " " + c.Describe()
			if o, ok := r.Manifest.Overrides[name]; ok {
				line.Label += " (override " + o.Version + ")"
			}
		}
		switch {
		case path[name]:
			line.Mark = "(cycle)"
		case shown[name] && c != nil && len(c.DependsOn) > 0:
			line.Mark = "(*)"
		}
		out = append(out, line)
		if line.Mark != "" {
			return
		}
		shown[name] = true
		if c == nil {
			return
		}
		path[name] = true
		for i, d := range c.DependsOn {
			walk(d, prefix+next, i == len(c.DependsOn)-1, path)
		}
		delete(path, name)
	}
	for i, n := range tops {
		walk(n, "", i == len(tops)-1, map[string]bool{})
	}
	return out
}

// Node is one component of the tree as data ('meta tree --json').
type Node struct {
	lockfile.Component
	Tracked    bool   `json:"tracked"`
	Overridden string `json:"override,omitempty"`
}

// Nodes lists the locked components by name, marking those that track a
// ref and those an override sets.
func (r *Result) Nodes() []Node {
	out := []Node{}
	for _, n := range r.Lock.Names() {
		nd := Node{Component: *r.Lock.Components[n], Tracked: r.Lock.Components[n].Tracked()}
		if o, ok := r.Manifest.Overrides[n]; ok {
			nd.Overridden = o.Version
		}
		out = append(out, nd)
	}
	return out
}
