package ecosystem

import "github.com/BurntSushi/toml"

// poetryLock is poetry.lock as written by Poetry 1.x ("category") and 2.x
// ("groups").
type poetryLock struct {
	Package []poetryPackage `toml:"package"`
}

type poetryPackage struct {
	Name         string         `toml:"name"`
	Version      string         `toml:"version"`
	Optional     bool           `toml:"optional"`
	Category     string         `toml:"category"`
	Groups       []string       `toml:"groups"`
	Source       map[string]any `toml:"source"`
	Dependencies map[string]any `toml:"dependencies"`
}

// parsePoetry reads poetry.lock. Scope comes from the lock file: a package
// in the "main" group (or category "main") is prod, or optional when
// marked optional (an extra); one only in other groups is dev. poetry.lock
// does not list the project's direct dependencies: they come from
// pyproject.toml when given (Parse reads it), else every package that no
// other package depends on is taken as a root.
func parsePoetry(path string, data []byte) (*Lockfile, error) {
	return parsePoetryProject(path, data, nil)
}

// pyprojectDirect lists the distribution names pyproject.toml requires
// directly: [project] dependencies and optional-dependencies (PEP 621),
// [tool.poetry] dependencies and group dependencies. nil when data is nil
// or not TOML.
func pyprojectDirect(data []byte) map[string]bool {
	if data == nil {
		return nil
	}
	var pp struct {
		Project struct {
			Dependencies         []string            `toml:"dependencies"`
			OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		} `toml:"project"`
		Tool struct {
			Poetry struct {
				Dependencies    map[string]any `toml:"dependencies"`
				DevDependencies map[string]any `toml:"dev-dependencies"`
				Group           map[string]struct {
					Dependencies map[string]any `toml:"dependencies"`
				} `toml:"group"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(data), &pp); err != nil {
		return nil
	}
	out := map[string]bool{}
	req := func(spec string) {
		end := 0
		for end < len(spec) && isReqNameByte(spec[end]) {
			end++
		}
		if end > 0 {
			out[normalizePyPI(spec[:end])] = true
		}
	}
	for _, d := range pp.Project.Dependencies {
		req(d)
	}
	for _, list := range pp.Project.OptionalDependencies {
		for _, d := range list {
			req(d)
		}
	}
	names := func(m map[string]any) {
		for n := range m {
			if n != "python" {
				out[normalizePyPI(n)] = true
			}
		}
	}
	names(pp.Tool.Poetry.Dependencies)
	names(pp.Tool.Poetry.DevDependencies)
	for _, g := range pp.Tool.Poetry.Group {
		names(g.Dependencies)
	}
	return out
}

func parsePoetryProject(path string, data []byte, direct map[string]bool) (*Lockfile, error) {
	lock, ok := fastPoetryLock(data)
	if !ok {
		lock = poetryLock{}
		if _, err := toml.Decode(string(data), &lock); err != nil {
			return nil, tomlErr(path, err)
		}
	}
	b := newBuilder(path, ManagerPoetry, PyPI)
	byName := map[string][]string{}
	for i, p := range lock.Package {
		if p.Name == "" || p.Version == "" {
			return nil, posf(path, headerLine(data, "[[package]]", i), "[[package]] #%d: \"name\" and \"version\" must be non-empty strings", i+1)
		}
		scope := ScopeProd
		main := p.Category == "main" || (p.Category == "" && len(p.Groups) == 0)
		for _, g := range p.Groups {
			if g == "main" {
				main = true
			}
		}
		switch {
		case !main:
			scope = ScopeDev
		case p.Optional:
			scope = ScopeOptional
		}
		src := "registry"
		if t, ok := p.Source["type"].(string); ok {
			switch t {
			case "git":
				src = "git"
			case "directory", "file":
				src = "path"
			case "url":
				src = "url"
			case "legacy":
				src = "registry"
			}
		}
		n := normalizePyPI(p.Name)
		id := b.add(Package{Name: n, Version: p.Version, Scope: scope, Source: src})
		byName[n] = append(byName[n], id)
	}
	required := map[string]bool{}
	for _, p := range lock.Package {
		from := Package{Name: normalizePyPI(p.Name), Version: p.Version}.ID()
		for _, name := range sortedKeys(p.Dependencies) {
			optional := false
			if m, ok := p.Dependencies[name].(map[string]any); ok {
				optional, _ = m["optional"].(bool)
			}
			for _, to := range byName[normalizePyPI(name)] {
				b.edge(from, to, optional)
				if to != from {
					required[to] = true
				}
			}
		}
	}
	for _, n := range sortedKeys(byName) {
		for _, id := range byName[n] {
			if (direct == nil && !required[id]) || direct[n] {
				b.root(id, b.pkgs[id].Scope)
			}
		}
	}
	if direct == nil && len(lock.Package) > 0 && len(b.roots) == 0 {
		b.warnf("%s: every package is required by another (a cycle); direct dependencies unknown", path)
	}
	return b.finish(), nil
}

// fastPoetryLock reads poetry.lock through tomlLite; false when that
// cannot (the caller then uses the TOML decoder) or when a value's type
// is not what poetryLock expects (so the decoder reports the error).
func fastPoetryLock(data []byte) (poetryLock, bool) {
	var lock poetryLock
	root, ok := tomlLite(data)
	if !ok || !liteStructKeys(root) {
		return lock, false
	}
	pkgs, ok := liteTables(root.m["package"])
	if !ok {
		return lock, false
	}
	lock.Package = make([]poetryPackage, len(pkgs))
	for i, t := range pkgs {
		p := &lock.Package[i]
		var ok [7]bool
		p.Name, ok[0] = liteString(t.m["name"])
		p.Version, ok[1] = liteString(t.m["version"])
		p.Category, ok[2] = liteString(t.m["category"])
		p.Source, ok[3] = liteMap(t.m["source"])
		p.Dependencies, ok[4] = liteMap(t.m["dependencies"])
		p.Groups, ok[5] = liteStrings(t.m["groups"])
		switch v := t.m["optional"].(type) {
		case nil:
			ok[6] = true
		case bool:
			p.Optional, ok[6] = v, true
		}
		if !liteStructKeys(t) || ok != [7]bool{true, true, true, true, true, true, true} {
			return lock, false
		}
	}
	return lock, true
}

// liteStrings is an array of strings, nil when absent.
func liteStrings(v any) ([]string, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}
