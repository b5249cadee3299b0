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
// does not list the project's direct dependencies, so every package that
// no other package depends on is taken as a root.
func parsePoetry(path string, data []byte) (*Lockfile, error) {
	var lock poetryLock
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, tomlErr(path, err)
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
			if !required[id] {
				b.root(id, b.pkgs[id].Scope)
			}
		}
	}
	if len(lock.Package) > 0 && len(b.roots) == 0 {
		b.warnf("%s: every package is required by another (a cycle); direct dependencies unknown", path)
	}
	return b.finish(), nil
}
