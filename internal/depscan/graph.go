package depscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/run"
	"github.com/metawork/meta/internal/workspace"
)

// ErrNoGraphviz says SVG needs Graphviz's dot program, which is not installed.
var ErrNoGraphviz = errors.New("--format svg needs Graphviz's dot program, which is not installed")

// SVG renders g with Graphviz's dot program.
func (g *Graph) SVG(ctx context.Context) ([]byte, error) {
	if _, ok := run.LookPath("dot"); !ok {
		return nil, ErrNoGraphviz
	}
	return run.Output(ctx, run.Cmd{Args: []string{"dot", "-Tsvg"}, Stdin: bytes.NewReader(g.Dot())})
}

// Graph is a directed graph ready to render; nodes and edges sorted.
type Graph struct {
	Kind  string `json:"kind"` // "components" or "packages"
	Name  string `json:"name"`
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is a component or a package.
type Node struct {
	ID        string `json:"id"`
	Label     string `json:"label"`
	Type      string `json:"type"` // "component" or "package"
	Ecosystem string `json:"ecosystem,omitempty"`
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	// Components: the manifest's version constraint or tracked ref.
	Constraint string `json:"constraint,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Scope      string `json:"scope,omitempty"`
	Direct     bool   `json:"direct,omitempty"`
	License    string `json:"license,omitempty"`
	Source     string `json:"source,omitempty"`
	Lockfile   string `json:"lockfile,omitempty"`
}

// Edge is a dependency, labelled with its constraint for components.
type Edge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label,omitempty"`
}

// ComponentGraph is the workspace's components and their depends_on: the
// manifest's plus, for a component that is checked out, its
// component.yaml's (workspace.ReadSpec, as 'meta tree' and setup see them).
func ComponentGraph(m *manifest.Manifest) *Graph {
	g := &Graph{Kind: "components", Name: m.Workspace.Name}
	for _, name := range m.Order {
		c := m.Components[name]
		label := name
		if c.Version != "" {
			label += " " + c.Version
		} else if c.Ref != "" {
			label += " @" + c.Ref
		}
		g.Nodes = append(g.Nodes, Node{ID: name, Label: label, Type: "component", Name: name, Constraint: c.Version, Ref: c.Ref})
		deps := c.DependsOn
		if spec, err := workspace.ReadSpec(c); err == nil {
			deps = spec.DependsOn
		}
		for _, d := range deps {
			if m.Components[d.Name] == nil {
				continue // component.yaml names a component this workspace lacks
			}
			g.Edges = append(g.Edges, Edge{From: name, To: d.Name, Label: d.Constraint})
		}
	}
	g.sort()
	return g
}

// PackageGraph is one component's packages from all its lock files. Node
// IDs carry the lock file's path when the component has several, so the
// same name@version in two ecosystems stays two nodes.
func PackageGraph(t Target) *Graph {
	g := &Graph{Kind: "packages", Name: t.Name}
	g.Nodes = append(g.Nodes, Node{ID: t.Name, Label: t.Name, Type: "component", Name: t.Name})
	seen := map[string]bool{}
	for _, l := range t.Locks {
		key := func(id string) string {
			if len(t.Locks) > 1 {
				return l.Path + ":" + id
			}
			return id
		}
		for _, p := range l.Packages {
			k := key(p.ID())
			if seen[k] {
				continue
			}
			seen[k] = true
			label := p.Name
			if p.Version != "" {
				label += "@" + p.Version
			}
			if len(t.Locks) > 1 {
				label += " (" + l.Path + ")"
			}
			g.Nodes = append(g.Nodes, Node{ID: k, Label: label, Type: "package", Ecosystem: p.Ecosystem,
				Name: p.Name, Version: p.Version, Scope: string(p.Scope), Direct: p.Direct,
				License: p.License, Source: p.Source, Lockfile: l.Path})
			for _, d := range p.Deps {
				g.Edges = append(g.Edges, Edge{From: k, To: key(d)})
			}
		}
		for _, r := range l.Roots {
			g.Edges = append(g.Edges, Edge{From: t.Name, To: key(r)})
		}
	}
	g.sort()
	return g
}

func (g *Graph) sort() {
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].ID < g.Nodes[j].ID })
	sort.Slice(g.Edges, func(i, j int) bool {
		a, b := g.Edges[i], g.Edges[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Label < b.Label
	})
	if g.Nodes == nil {
		g.Nodes = []Node{}
	}
	if g.Edges == nil {
		g.Edges = []Edge{}
	}
}

// dotQuote quotes s as a Graphviz ID.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// Dot renders g in Graphviz's language.
func (g *Graph) Dot() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(g.Name))
	b.WriteString("  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n")
	for _, n := range g.Nodes {
		attrs := []string{"label=" + dotQuote(n.Label)}
		switch {
		case n.Type == "component" && g.Kind == "packages":
			attrs = append(attrs, "shape=doubleoctagon")
		case n.Scope == string(ecosystem.ScopeDev):
			attrs = append(attrs, "style=dashed")
		case n.Scope == string(ecosystem.ScopeOptional):
			attrs = append(attrs, "style=dotted")
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(n.ID), strings.Join(attrs, ", "))
	}
	for _, e := range g.Edges {
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(e.Label))
		} else {
			fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote(e.From), dotQuote(e.To))
		}
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// mermaidText escapes text for a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", " ").Replace(s)
}

// Mermaid renders g as a Mermaid flowchart.
func (g *Graph) Mermaid() []byte {
	var b bytes.Buffer
	b.WriteString("graph LR\n")
	ids := map[string]string{}
	for i, n := range g.Nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
		shape := `["%s"]`
		if n.Type == "component" && g.Kind == "packages" {
			shape = `(["%s"])`
		}
		fmt.Fprintf(&b, "  %s"+shape+"\n", ids[n.ID], mermaidText(n.Label))
	}
	for _, e := range g.Edges {
		from, to := ids[e.From], ids[e.To]
		if to == "" { // a depends_on naming no component; validate reports it
			to = "missing_" + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
					return r
				}
				return '_'
			}, e.To)
			fmt.Fprintf(&b, "  %s[\"%s (not in the manifest)\"]\n", to, mermaidText(e.To))
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", from, mermaidText(e.Label), to)
		} else {
			fmt.Fprintf(&b, "  %s --> %s\n", from, to)
		}
	}
	for _, n := range g.Nodes {
		if n.Scope == string(ecosystem.ScopeDev) {
			fmt.Fprintf(&b, "  class %s dev\n", ids[n.ID])
		}
	}
	if bytes.Contains(b.Bytes(), []byte(" dev\n")) {
		b.WriteString("  classDef dev stroke-dasharray: 5 5\n")
	}
	return b.Bytes()
}

// JSON renders g as indented JSON.
func (g *Graph) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Render renders g in format: dot, json, mermaid or svg.
func (g *Graph) Render(ctx context.Context, format string) ([]byte, error) {
	switch format {
	case "dot":
		return g.Dot(), nil
	case "mermaid":
		return g.Mermaid(), nil
	case "json":
		return g.JSON()
	case "svg":
		return g.SVG(ctx)
	}
	return nil, fmt.Errorf("--format %s: unknown format", format)
}

// GraphTarget is the package graph of t, and the warnings to show with
// it: lock files that could not be read (left out), no lock files at all,
// and the lock files' own warnings. When no lock file of t could be read,
// the error is an *UnreadableError.
func GraphTarget(t Target) (*Graph, []string, error) {
	var warns []string
	for _, f := range t.Failed {
		warns = append(warns, fmt.Sprintf("%s: %s: not read, left out of the graph: %v", t.Name, f.Path, f.Err))
	}
	if len(t.Locks) == 0 && len(t.Failed) == 0 {
		warns = append(warns, fmt.Sprintf("%s: no lock files found (write them with 'meta deps lock --component %s')", t.Name, t.Name))
	}
	if len(t.Locks) == 0 && len(t.Failed) > 0 {
		return nil, warns, Unreadable([]Target{t})
	}
	for _, l := range t.Locks {
		for _, w := range l.Warnings {
			warns = append(warns, t.Name+": "+w)
		}
	}
	return PackageGraph(t), warns, nil
}
