package ecosystem

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/metawork/meta/internal/yamlpos"
)

// pnpmLock is pnpm-lock.yaml, lockfileVersion 6 to 9. Version 9 splits
// package metadata ("packages") from the dependency graph ("snapshots",
// keyed by name@version plus a peer-dependency suffix "(peer@1.0.0)").
type pnpmLock struct {
	LockfileVersion any                     `yaml:"lockfileVersion"`
	Importers       map[string]pnpmImporter `yaml:"importers"`
	// Before version 9, a project without workspaces has its importer's
	// fields at the top level.
	Dependencies         map[string]pnpmRef      `yaml:"dependencies"`
	DevDependencies      map[string]pnpmRef      `yaml:"devDependencies"`
	OptionalDependencies map[string]pnpmRef      `yaml:"optionalDependencies"`
	Packages             map[string]pnpmPackage  `yaml:"packages"`
	Snapshots            map[string]pnpmSnapshot `yaml:"snapshots"`
}

type pnpmImporter struct {
	Dependencies         map[string]pnpmRef `yaml:"dependencies"`
	DevDependencies      map[string]pnpmRef `yaml:"devDependencies"`
	OptionalDependencies map[string]pnpmRef `yaml:"optionalDependencies"`
}

type pnpmRef struct {
	Specifier string `yaml:"specifier"`
	Version   string `yaml:"version"`
}

type pnpmPackage struct {
	Name                 string            `yaml:"name"`
	Version              string            `yaml:"version"`
	Resolution           map[string]any    `yaml:"resolution"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

type pnpmSnapshot struct {
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

// yamlErr turns goccy/go-yaml errors into "path:line: ..." errors.
func yamlErr(path string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		line := 0
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			line = tk.Position.Line
		}
		return posf(path, line, "%s", ye.GetMessage())
	}
	return posf(path, 0, "%v", err)
}

// pnpmSplitKey splits a packages/snapshots key "name@ref" (the name may be
// scoped: "@babel/core@7.0.0"), dropping v6's leading "/" and any peer
// suffix "(...)".
func pnpmSplitKey(key string) (name, ref string, ok bool) {
	key = strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(key, '('); i > 0 {
		key = key[:i]
	}
	from := 0
	if strings.HasPrefix(key, "@") {
		slash := strings.IndexByte(key, '/')
		if slash < 0 {
			return "", "", false
		}
		from = slash
	}
	at := strings.IndexByte(key[from:], '@')
	if at < 0 {
		return "", "", false
	}
	at += from
	if at == 0 || at == len(key)-1 {
		return "", "", false
	}
	return key[:at], key[at+1:], true
}

// pnpmTarget turns a dependency "name: version" into the packages key it
// names, or "" for links to workspace members. The version may carry a
// peer suffix, or be an alias "other@1.0.0".
func pnpmTarget(name, ver string) string {
	if strings.HasPrefix(ver, "link:") {
		return ""
	}
	if i := strings.IndexByte(ver, '('); i > 0 {
		ver = ver[:i]
	}
	ver = strings.TrimPrefix(ver, "/")
	if !strings.Contains(ver, ":") && strings.Contains(ver, "@") {
		if n, r, ok := pnpmSplitKey(ver); ok {
			return n + "@" + r
		}
	}
	return name + "@" + ver
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parsePnpm reads pnpm-lock.yaml. Every importer (the root "." and each
// workspace member) contributes roots; scopes follow from the graph.
// Packages not from the registry are marked by Source: "git" (resolution
// with a commit or type git), "url" (a tarball URL), "path" (file:).
func parsePnpm(path string, data []byte) (*Lockfile, error) {
	if err := yamlpos.CheckDepth(path, data); err != nil {
		return nil, err
	}
	var lock pnpmLock
	if err := yaml.UnmarshalWithOptions(data, &lock, yaml.AllowDuplicateMapKey()); err != nil {
		return nil, yamlErr(path, err)
	}
	v := strings.Trim(fmt.Sprint(lock.LockfileVersion), `'"`)
	if lock.LockfileVersion == nil || v == "" || (!strings.HasPrefix(v, "6") && !strings.HasPrefix(v, "7") && !strings.HasPrefix(v, "8") && !strings.HasPrefix(v, "9")) {
		return nil, posf(path, lineOf(data, "lockfileVersion"), "lockfileVersion %q: meta reads pnpm lock files version 6 to 9", v)
	}
	b := newBuilder(path, ManagerPnpm, Npm)
	b.graphScope = true
	ids := map[string]string{} // packages key (no peer suffix) → ID
	for _, key := range sortedKeys(lock.Packages) {
		info := lock.Packages[key]
		name, ref, ok := pnpmSplitKey(key)
		if !ok {
			return nil, posf(path, lineOf(data, key), "packages: key %q is not name@version", key)
		}
		if info.Name != "" {
			name = info.Name
		}
		version, src := info.Version, "registry"
		if version == "" && ref != "" && isDigit(ref[0]) {
			version = ref
		}
		res := info.Resolution
		switch {
		case res["type"] == "git" || res["commit"] != nil || strings.HasPrefix(ref, "git"):
			src = "git"
		case strings.HasPrefix(ref, "file:") || res["type"] == "directory" || res["directory"] != nil:
			src = "path"
		case strings.Contains(ref, "://") || res["tarball"] != nil && !isDigit(ref[0]):
			src = "url"
		}
		if version == "" && src != "path" {
			b.warnf("%s: %s has no version; it cannot be audited", path, key)
		}
		ids[pnpmTarget(name, ref)] = b.add(Package{Name: name, Version: version, Source: src})
	}
	resolve := func(name, ver string) string { return ids[pnpmTarget(name, ver)] }
	if len(lock.Importers) == 0 {
		lock.Importers = map[string]pnpmImporter{".": {lock.Dependencies, lock.DevDependencies, lock.OptionalDependencies}}
	}
	for _, imp := range sortedKeys(lock.Importers) {
		im := lock.Importers[imp]
		for _, sec := range []struct {
			deps  map[string]pnpmRef
			scope Scope
		}{{im.Dependencies, ScopeProd}, {im.OptionalDependencies, ScopeOptional}, {im.DevDependencies, ScopeDev}} {
			for _, name := range sortedKeys(sec.deps) {
				ref := sec.deps[name]
				if strings.HasPrefix(ref.Version, "link:") {
					continue
				}
				id := resolve(name, ref.Version)
				if id == "" {
					b.warnf("%s: importer %q requires %s %s, which the lock file does not contain", path, imp, name, ref.Version)
					continue
				}
				b.root(id, sec.scope)
			}
		}
	}
	graph := func(key string, deps, opt map[string]string) {
		n, r, ok := pnpmSplitKey(key)
		if !ok {
			return
		}
		from := ids[pnpmTarget(n, r)]
		if from == "" {
			return
		}
		for _, name := range sortedKeys(deps) {
			if to := resolve(name, deps[name]); to != "" {
				b.edge(from, to, false)
			}
		}
		for _, name := range sortedKeys(opt) {
			if to := resolve(name, opt[name]); to != "" {
				b.edge(from, to, true)
			}
		}
	}
	if lock.Snapshots != nil {
		for _, key := range sortedKeys(lock.Snapshots) {
			s := lock.Snapshots[key]
			graph(key, s.Dependencies, s.OptionalDependencies)
		}
	} else {
		for _, key := range sortedKeys(lock.Packages) {
			p := lock.Packages[key]
			graph(key, p.Dependencies, p.OptionalDependencies)
		}
	}
	return b.finish(), nil
}
