package ecosystem

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// builder collects packages, edges and roots while a parser reads a lock
// file, then produces a sorted, deduplicated Lockfile whose edges and roots
// only name packages it contains.
type builder struct {
	l     *Lockfile
	pkgs  map[string]*Package
	order []string
	edges map[string][]edge
	roots map[string]Scope
	// graphScope: compute Scope from the roots' scopes and edge kinds
	// instead of taking the parser's per-package Scope.
	graphScope bool
}

type edge struct {
	to       string
	optional bool
}

func newBuilder(path, manager, eco string) *builder {
	return &builder{
		l:     &Lockfile{Path: path, Manager: manager, Ecosystem: eco},
		pkgs:  map[string]*Package{},
		edges: map[string][]edge{},
		roots: map[string]Scope{},
	}
}

// add records p, merging it with an earlier package of the same ID (the
// same name@version installed at several places).
func (b *builder) add(p Package) string {
	p.Ecosystem = b.l.Ecosystem
	id := p.ID()
	if old, ok := b.pkgs[id]; ok {
		if scopeRank(p.Scope) < scopeRank(old.Scope) {
			old.Scope = p.Scope
		}
		if old.License == "" {
			old.License = p.License
		}
		if old.Source == "" {
			old.Source = p.Source
		}
		old.Deps = append(old.Deps, p.Deps...)
		return id
	}
	if p.Scope == "" {
		p.Scope = ScopeProd
	}
	b.pkgs[id] = &p
	b.order = append(b.order, id)
	return id
}

func (b *builder) edge(from, to string, optional bool) {
	b.edges[from] = append(b.edges[from], edge{to, optional})
}

// root marks id as a direct requirement of the component in scope s; the
// strongest scope wins when a package is required several ways.
func (b *builder) root(id string, s Scope) {
	if old, ok := b.roots[id]; !ok || scopeRank(s) < scopeRank(old) {
		b.roots[id] = s
	}
}

func (b *builder) warnf(format string, args ...any) {
	b.l.Warnings = append(b.l.Warnings, fmt.Sprintf(format, args...))
}

func scopeRank(s Scope) int {
	switch s {
	case ScopeProd, "":
		return 0
	case ScopeOptional:
		return 1
	}
	return 2
}

func (b *builder) finish() *Lockfile {
	l := b.l
	for from, es := range b.edges {
		p, ok := b.pkgs[from]
		if !ok {
			continue
		}
		for _, e := range es {
			if _, ok := b.pkgs[e.to]; ok && e.to != from {
				p.Deps = append(p.Deps, e.to)
			}
		}
	}
	for id := range b.roots {
		if p, ok := b.pkgs[id]; ok {
			p.Direct = true
			l.Roots = append(l.Roots, id)
		}
	}
	sort.Strings(l.Roots)
	if b.graphScope {
		b.scopeFromGraph()
	}
	l.Packages = make([]Package, 0, len(b.pkgs))
	for _, id := range b.order {
		p := b.pkgs[id]
		p.Deps = sortedUnique(p.Deps)
		l.Packages = append(l.Packages, *p)
	}
	sort.Slice(l.Packages, func(i, j int) bool {
		a, c := &l.Packages[i], &l.Packages[j]
		if a.Name != c.Name {
			return a.Name < c.Name
		}
		return a.Version < c.Version
	})
	return l
}

// scopeFromGraph gives each package the strongest scope it is reached
// with: prod when a prod root reaches it through required edges, optional
// when only optional edges or optional roots reach it, dev when only dev
// roots do. Packages no root reaches keep prod (the safe answer for audits).
func (b *builder) scopeFromGraph() {
	// Packages as numbers, edges as adjacency lists of numbers: three
	// reachability walks over a few thousand packages stay cheap.
	num := make(map[string]int32, len(b.order))
	for i, id := range b.order {
		num[id] = int32(i)
	}
	type arc struct {
		to       int32
		optional bool
	}
	adj := make([][]arc, len(b.order))
	for from, es := range b.edges {
		i, ok := num[from]
		if !ok {
			continue
		}
		for _, e := range es {
			if j, ok := num[e.to]; ok {
				adj[i] = append(adj[i], arc{j, e.optional})
			}
		}
	}
	scope := make([]Scope, len(b.order)) // "" until a walk reaches it
	seen := make([]bool, len(b.order))
	var queue []int32
	// walk gives scope s to what starts reach and no earlier walk did.
	walk := func(starts []string, s Scope, followOptional bool) {
		clear(seen)
		queue = queue[:0]
		for _, id := range starts {
			if i, ok := num[id]; ok && !seen[i] {
				seen[i] = true
				queue = append(queue, i)
			}
		}
		for len(queue) > 0 {
			i := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if scope[i] == "" {
				scope[i] = s
			}
			for _, a := range adj[i] {
				if !seen[a.to] && (followOptional || !a.optional) {
					seen[a.to] = true
					queue = append(queue, a.to)
				}
			}
		}
	}
	var prod, opt, dev []string
	for _, id := range b.l.Roots {
		switch b.roots[id] {
		case ScopeDev:
			dev = append(dev, id)
		case ScopeOptional:
			opt = append(opt, id)
		default:
			prod = append(prod, id)
		}
	}
	walk(prod, ScopeProd, false)
	// Then what prod roots reach through optional edges, and optional
	// roots reach, that is not prod already; then what only dev roots reach.
	walk(append(append([]string(nil), prod...), opt...), ScopeOptional, true)
	walk(dev, ScopeDev, true)
	for i, id := range b.order {
		s := scope[i]
		if s == "" {
			s = ScopeProd // no root reaches it: the safe answer for audits
		}
		b.pkgs[id].Scope = s
	}
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// lineOf returns the line of the first occurrence of needle in data, or 0.
func lineOf(data []byte, needle string) int {
	i := bytes.Index(data, []byte(needle))
	if i < 0 {
		return 0
	}
	return lineAt(data, int64(i))
}

// posf formats an error as "path:line: ..." (or "path: ..." when line is 0).
func posf(path string, line int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return fmt.Errorf("%s:%d: %s", path, line, msg)
	}
	return fmt.Errorf("%s: %s", path, msg)
}

// normalizePyPI normalises a Python distribution name per PEP 503: lower
// case, runs of "-", "_" and "." become one "-".
func normalizePyPI(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
	}
	return b.String()
}
