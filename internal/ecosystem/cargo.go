package ecosystem

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// cargoLock is Cargo.lock (version 1–4; v1/v2 without a version line).
type cargoLock struct {
	Version int            `toml:"version"`
	Package []cargoPackage `toml:"package"`
}

type cargoPackage struct {
	Name         string   `toml:"name"`
	Version      string   `toml:"version"`
	Source       string   `toml:"source"`
	Dependencies []string `toml:"dependencies"`
}

// tomlErr turns BurntSushi/toml errors into "path:line: ..." errors.
func tomlErr(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return posf(path, pe.Position.Line, "invalid TOML: %s", pe.Message)
	}
	return posf(path, 0, "%v", err)
}

// headerLine returns the line of the n-th (0-based) occurrence of header
// at the start of a line, or 0.
func headerLine(data []byte, header string, n int) int {
	line := 1
	for rest := data; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		cur := rest
		if i >= 0 {
			cur, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if bytes.Equal(bytes.TrimSpace(cur), []byte(header)) {
			if n == 0 {
				return line
			}
			n--
		}
	}
	return 0
}

// parseCargo reads Cargo.lock. Packages without a source are the
// workspace's own crates (the root and path members): they are local
// packages (Source "local"), never roots, and what they depend on is
// direct. Cargo.lock does
// not say which dependencies are dev-only; Parse reads that from the
// Cargo.toml beside it (its own tables only, not workspace members'). A dependency is
// written "name", "name version" or "name version (source)" when the name
// alone is ambiguous.
func parseCargo(path string, data []byte) (*Lockfile, error) {
	return parseCargoManifest(path, data, nil)
}

// cargoDevOnly lists the crates Cargo.toml requires only as
// dev-dependencies (also under [target.*]); nil when data is nil or not
// TOML. Renamed dependencies count under their package name.
func cargoDevOnly(data []byte) map[string]bool {
	if data == nil {
		return nil
	}
	type tables struct {
		Dependencies      map[string]any `toml:"dependencies"`
		DevDependencies   map[string]any `toml:"dev-dependencies"`
		BuildDependencies map[string]any `toml:"build-dependencies"`
	}
	var ct struct {
		tables
		Target map[string]tables `toml:"target"`
	}
	if _, err := toml.Decode(string(data), &ct); err != nil {
		return nil
	}
	all := append([]tables{ct.tables}, make([]tables, 0, len(ct.Target))...)
	for _, k := range sortedKeys(ct.Target) {
		all = append(all, ct.Target[k])
	}
	name := func(key string, v any) string {
		if m, ok := v.(map[string]any); ok {
			if p, ok := m["package"].(string); ok && p != "" {
				return p
			}
		}
		return key
	}
	dev, other := map[string]bool{}, map[string]bool{}
	for _, t := range all {
		for k, v := range t.DevDependencies {
			dev[name(k, v)] = true
		}
		for k, v := range t.Dependencies {
			other[name(k, v)] = true
		}
		for k, v := range t.BuildDependencies {
			other[name(k, v)] = true
		}
	}
	for n := range other {
		delete(dev, n)
	}
	return dev
}

// parseCargoManifest is parseCargo with devOnly (from cargoDevOnly) naming
// the root crate's dev-only dependencies, which become dev roots.
func parseCargoManifest(path string, data []byte, devOnly map[string]bool) (*Lockfile, error) {
	lock, ok := fastCargoLock(data)
	if !ok {
		lock = cargoLock{}
		if _, err := toml.Decode(string(data), &lock); err != nil {
			return nil, tomlErr(path, err)
		}
	}
	if lock.Version > 4 {
		return nil, posf(path, lineOf(data, "version"), "Cargo.lock version %d is newer than meta reads (1–4)", lock.Version)
	}
	b := newBuilder(path, ManagerCargo, Cargo)
	b.graphScope = true
	byName := map[string][]int{}
	for i, p := range lock.Package {
		if p.Name == "" || p.Version == "" {
			return nil, posf(path, headerLine(data, "[[package]]", i), "[[package]] #%d: \"name\" and \"version\" must be non-empty strings", i+1)
		}
		byName[p.Name] = append(byName[p.Name], i)
	}
	local := func(p cargoPackage) bool { return p.Source == "" }
	ids := make([]string, len(lock.Package))
	for i, p := range lock.Package {
		if local(p) {
			ids[i] = b.add(Package{Name: p.Name, Version: p.Version, Source: SourceLocal})
			continue
		}
		src := "registry"
		switch {
		case strings.HasPrefix(p.Source, "git+"):
			src = "git"
		case strings.HasPrefix(p.Source, "path+"):
			src = "path"
		}
		ids[i] = b.add(Package{Name: p.Name, Version: p.Version, Source: src})
	}
	for i, p := range lock.Package {
		for _, d := range p.Dependencies {
			j, err := cargoResolve(lock.Package, byName, d)
			if err != nil {
				return nil, posf(path, headerLine(data, "[[package]]", i), "package %s %s: %v", p.Name, p.Version, err)
			}
			b.edge(ids[i], ids[j], false)
			if local(p) && !local(lock.Package[j]) {
				s := ScopeProd
				if devOnly[lock.Package[j].Name] {
					s = ScopeDev
				}
				b.root(ids[j], s)
			}
		}
	}
	return b.finish(), nil
}

func cargoResolve(pkgs []cargoPackage, byName map[string][]int, dep string) (int, error) {
	fields := strings.Fields(dep)
	if len(fields) == 0 {
		return 0, errors.New("empty dependency")
	}
	cands := byName[fields[0]]
	if len(fields) > 1 {
		var match []int
		for _, i := range cands {
			if pkgs[i].Version == fields[1] {
				match = append(match, i)
			}
		}
		if len(match) > 1 && len(fields) > 2 {
			src := strings.Trim(strings.Join(fields[2:], " "), "()")
			for _, i := range match {
				if pkgs[i].Source == src {
					return i, nil
				}
			}
		}
		cands = match
	}
	switch len(cands) {
	case 0:
		return 0, fmt.Errorf("dependency %q is not a package of the lock file", dep)
	case 1:
		return cands[0], nil
	}
	return 0, fmt.Errorf("dependency %q is ambiguous (%d packages match)", dep, len(cands))
}
