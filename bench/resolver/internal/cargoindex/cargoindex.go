// Package cargoindex reads a Cargo registry index directory (the index/
// of a Cargo local-registry: one file per package, one JSON line per
// version) as a source.RegistryIndex, so that meta's registry provider
// resolves the same files `cargo generate-lockfile --offline` reads, for
// bench/resolver/cargo_compare.sh. It maps what resolution needs: name,
// version, yanked, and the normal and build dependencies that are not
// optional (features are not modelled); a dependency renamed with
// "package" is resolved under its package name; a bare requirement
// "1.2.3" is Cargo's caret.
package cargoindex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/metawork/meta/internal/registry"
)

// Dir is the index directory.
type Dir string

type line struct {
	Name   string `json:"name"`
	Vers   string `json:"vers"`
	Cksum  string `json:"cksum"`
	Yanked bool   `json:"yanked"`
	Deps   []struct {
		Name     string `json:"name"`
		Package  string `json:"package"`
		Req      string `json:"req"`
		Optional bool   `json:"optional"`
		Kind     string `json:"kind"`
	} `json:"deps"`
}

// maxIndexFile bounds one package's index file.
const maxIndexFile = 64 << 20

// Index returns the entries of name's index file; a missing file wraps
// registry.ErrPackageNotFound.
func (d Dir) Index(ctx context.Context, name string) ([]registry.IndexEntry, error) {
	lower := strings.ToLower(name)
	if lower == "" || strings.ContainsAny(lower, `/\.`) {
		return nil, fmt.Errorf("%q: %w", name, registry.ErrPackageNotFound)
	}
	path := filepath.Join(string(d), filepath.FromSlash(registry.IndexPath(lower)))
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, registry.ErrPackageNotFound)
	}
	if err != nil {
		return nil, err
	}
	if st.Size() > maxIndexFile {
		return nil, fmt.Errorf("%s: index file of %d bytes, more than %d", path, st.Size(), maxIndexFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []registry.IndexEntry
	for n, raw := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n+1, err)
		}
		e := registry.IndexEntry{Name: l.Name, Vers: l.Vers, Cksum: l.Cksum, Yanked: l.Yanked, Deps: []registry.Dep{}}
		for _, dep := range l.Deps {
			if dep.Optional || dep.Kind == "dev" {
				continue
			}
			dn := dep.Name
			if dep.Package != "" {
				dn = dep.Package
			}
			e.Deps = append(e.Deps, registry.Dep{Name: dn, Req: Req(dep.Req)})
		}
		out = append(out, e)
	}
	return out, nil
}

// Download is not needed to resolve.
func (d Dir) Download(ctx context.Context, e registry.IndexEntry) ([]byte, error) {
	return nil, fmt.Errorf("%s@%s: cargoindex reads index files only, not tarballs", e.Name, e.Vers)
}

// Req maps a Cargo requirement to meta's syntax: each comma-separated
// clause that is a bare version ("1.2", "1.2.3") is Cargo's caret.
func Req(req string) string {
	clauses := strings.Split(req, ",")
	for i, c := range clauses {
		c = strings.TrimSpace(c)
		if c != "" && c[0] >= '0' && c[0] <= '9' {
			c = "^" + c
		}
		clauses[i] = c
	}
	return strings.Join(clauses, ", ")
}
