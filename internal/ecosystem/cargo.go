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
// workspace's own crates (the root and path members): they are not
// packages but roots, and what they depend on is direct. A dependency is
// written "name", "name version" or "name version (source)" when the name
// alone is ambiguous.
func parseCargo(path string, data []byte) (*Lockfile, error) {
	var lock cargoLock
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, tomlErr(path, err)
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
			if local(lock.Package[j]) {
				continue // an edge between the workspace's own crates
			}
			if local(p) {
				b.root(ids[j], ScopeProd)
			} else {
				b.edge(ids[i], ids[j], false)
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
