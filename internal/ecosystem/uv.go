package ecosystem

import (
	"github.com/BurntSushi/toml"
)

// uvLock is uv.lock (version 1).
type uvLock struct {
	Version  int         `toml:"version"`
	Packages []uvPackage `toml:"package"`
}

type uvPackage struct {
	Name                 string             `toml:"name"`
	Version              string             `toml:"version"`
	Source               map[string]any     `toml:"source"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
}

type uvDep struct {
	Name    string         `toml:"name"`
	Version string         `toml:"version"`
	Source  map[string]any `toml:"source"`
}

// parseUV reads uv.lock. Packages whose source is virtual or editable are
// the project itself or its workspace members (several are allowed): they
// are local packages (Source "local"), never roots; what they depend on is
// direct — "dependencies"
// in prod scope, "optional-dependencies" (extras) optional, and
// "dev-dependencies" (dependency groups) dev. Scopes of the other packages
// follow from the graph.
func parseUV(path string, data []byte) (*Lockfile, error) {
	lock, ok := fastUVLock(data)
	if !ok {
		lock = uvLock{}
		if _, err := toml.Decode(string(data), &lock); err != nil {
			return nil, tomlErr(path, err)
		}
	}
	if lock.Version != 1 {
		return nil, posf(path, lineOf(data, "version"), "uv.lock version %d: meta reads version 1", lock.Version)
	}
	b := newBuilder(path, ManagerUV, PyPI)
	b.graphScope = true
	byName := map[string][]int{}
	for i, p := range lock.Packages {
		if p.Name == "" {
			return nil, posf(path, headerLine(data, "[[package]]", i), "[[package]] #%d: \"name\" must be a non-empty string", i+1)
		}
		n := normalizePyPI(p.Name)
		byName[n] = append(byName[n], i)
	}
	isRoot := func(p uvPackage) bool {
		_, virtual := p.Source["virtual"]
		_, editable := p.Source["editable"]
		return virtual || editable
	}
	ids := make([]string, len(lock.Packages))
	for i, p := range lock.Packages {
		if isRoot(p) {
			ids[i] = b.add(Package{Name: normalizePyPI(p.Name), Version: p.Version, Source: SourceLocal})
			continue
		}
		src := ""
		switch {
		case p.Source["registry"] != nil:
			src = "registry"
		case p.Source["git"] != nil:
			src = "git"
		case p.Source["url"] != nil:
			src = "url"
		case p.Source["path"] != nil || p.Source["directory"] != nil:
			src = "path"
		}
		if p.Version == "" {
			b.warnf("%s: %s has no version; it cannot be audited", path, p.Name)
		}
		ids[i] = b.add(Package{Name: normalizePyPI(p.Name), Version: p.Version, Source: src})
	}
	link := func(i int, deps []uvDep, s Scope, optional bool) {
		for _, d := range deps {
			for _, j := range byName[normalizePyPI(d.Name)] {
				q := lock.Packages[j]
				if d.Version != "" && q.Version != d.Version {
					continue
				}
				b.edge(ids[i], ids[j], optional)
				if isRoot(lock.Packages[i]) && !isRoot(q) {
					b.root(ids[j], s)
				}
			}
		}
	}
	for i, p := range lock.Packages {
		link(i, p.Dependencies, ScopeProd, false)
		for _, extra := range sortedKeys(p.OptionalDependencies) {
			link(i, p.OptionalDependencies[extra], ScopeOptional, true)
		}
		for _, group := range sortedKeys(p.DevDependencies) {
			link(i, p.DevDependencies[group], ScopeDev, false)
		}
	}
	return b.finish(), nil
}

// fastUVLock reads uv.lock through tomlLite; false when that cannot (the
// caller then uses the TOML decoder) or when a value's type is not what
// uvLock expects (so the decoder reports the error).
func fastUVLock(data []byte) (uvLock, bool) {
	var lock uvLock
	root, ok := tomlLite(data)
	if !ok || !liteStructKeys(root) {
		return lock, false
	}
	switch v := root.m["version"].(type) {
	case nil:
	case int64:
		lock.Version = int(v)
	default:
		return lock, false
	}
	pkgs, ok := liteTables(root.m["package"])
	if !ok {
		return lock, false
	}
	lock.Packages = make([]uvPackage, len(pkgs))
	for i, t := range pkgs {
		if !liteUVPackage(t, &lock.Packages[i]) {
			return lock, false
		}
	}
	return lock, true
}

func liteUVPackage(t *liteTable, p *uvPackage) bool {
	var ok1, ok2, ok3, ok4, ok5 bool
	p.Name, ok1 = liteString(t.m["name"])
	p.Version, ok2 = liteString(t.m["version"])
	p.Source, ok3 = liteMap(t.m["source"])
	p.Dependencies, ok4 = liteUVDeps(t.m["dependencies"])
	if !liteStructKeys(t) || !ok1 || !ok2 || !ok3 || !ok4 {
		return false
	}
	if p.OptionalDependencies, ok4 = liteUVDepGroups(t.m["optional-dependencies"]); !ok4 {
		return false
	}
	p.DevDependencies, ok5 = liteUVDepGroups(t.m["dev-dependencies"])
	return ok5
}

// liteMap is a table as map[string]any, nil when absent.
func liteMap(v any) (map[string]any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case *liteTable:
		return liteAny(v).(map[string]any), true
	}
	return nil, false
}

func liteUVDeps(v any) ([]uvDep, bool) {
	ts, ok := liteTables(v)
	if !ok || ts == nil {
		return nil, ok
	}
	out := make([]uvDep, len(ts))
	for i, t := range ts {
		var ok1, ok2, ok3 bool
		out[i].Name, ok1 = liteString(t.m["name"])
		out[i].Version, ok2 = liteString(t.m["version"])
		out[i].Source, ok3 = liteMap(t.m["source"])
		if !liteStructKeys(t) || !ok1 || !ok2 || !ok3 {
			return nil, false
		}
	}
	return out, true
}

func liteUVDepGroups(v any) (map[string][]uvDep, bool) {
	if v == nil {
		return nil, true
	}
	t, ok := v.(*liteTable)
	if !ok {
		return nil, false
	}
	out := make(map[string][]uvDep, len(t.m))
	for k, x := range t.m {
		deps, ok := liteUVDeps(x)
		if !ok {
			return nil, false
		}
		if deps == nil {
			deps = []uvDep{}
		}
		out[k] = deps
	}
	return out, true
}
