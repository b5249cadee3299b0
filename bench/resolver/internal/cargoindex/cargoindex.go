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
	"io"
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
	path, lines, err := d.lines(name)
	if err != nil {
		return nil, err
	}
	out := make([]registry.IndexEntry, 0, len(lines))
	for _, l := range lines {
		e, err := entry(path, l)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// IndexVersions is Index reading only each line's name, version and
// yanked flag; full(i) reads entry i in full, as Index does, when the
// resolver asks for that version's dependencies (see
// source.LazyRegistryIndex).
func (d Dir) IndexVersions(ctx context.Context, name string) ([]registry.IndexEntry, func(i int) (registry.IndexEntry, error), error) {
	path, lines, err := d.lines(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]registry.IndexEntry, len(lines))
	for i, l := range lines {
		var h header
		if err := json.Unmarshal(l.text, &h); err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", path, l.no, err)
		}
		out[i] = registry.IndexEntry{Name: h.Name, Vers: h.Vers, Yanked: h.Yanked}
	}
	full := func(i int) (registry.IndexEntry, error) { return entry(path, lines[i]) }
	return out, full, nil
}

// header is the part of an index line that lists versions.
type header struct {
	Name   string `json:"name"`
	Vers   string `json:"vers"`
	Yanked bool   `json:"yanked"`
}

// indexLine is one non-blank line of an index file and its line number.
type indexLine struct {
	text []byte
	no   int
}

// lines reads name's index file and splits it into its non-blank lines.
func (d Dir) lines(name string) (string, []indexLine, error) {
	lower := strings.ToLower(name)
	if lower == "" || strings.ContainsAny(lower, `/\.`) {
		return "", nil, fmt.Errorf("%q: %w", name, registry.ErrPackageNotFound)
	}
	path := filepath.Join(string(d), filepath.FromSlash(registry.IndexPath(lower)))
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("%s: %w", name, registry.ErrPackageNotFound)
	}
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	if st.Size() > maxIndexFile {
		return "", nil, fmt.Errorf("%s: index file of %d bytes, more than %d", path, st.Size(), maxIndexFile)
	}
	// Read the size stat gave in one go; one byte more tells a file that
	// grew meanwhile, read then up to the bound.
	data := make([]byte, st.Size()+1)
	n, err := io.ReadFull(f, data)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		data = data[:n]
	case err != nil:
		return "", nil, err
	default:
		rest, err := io.ReadAll(io.LimitReader(f, maxIndexFile+1-int64(n)))
		if err != nil {
			return "", nil, err
		}
		if data = append(data, rest...); len(data) > maxIndexFile {
			return "", nil, fmt.Errorf("%s: index file of more than %d bytes", path, maxIndexFile)
		}
	}
	out := make([]indexLine, 0, bytes.Count(data, []byte{'\n'})+1)
	for n := 1; len(data) > 0; n++ {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(raw)) > 0 {
			out = append(out, indexLine{text: raw, no: n})
		}
	}
	return path, out, nil
}

// entry maps one index line.
func entry(path string, l indexLine) (registry.IndexEntry, error) {
	var x line
	if err := json.Unmarshal(l.text, &x); err != nil {
		return registry.IndexEntry{}, fmt.Errorf("%s:%d: %w", path, l.no, err)
	}
	e := registry.IndexEntry{Name: x.Name, Vers: x.Vers, Cksum: x.Cksum, Yanked: x.Yanked, Deps: make([]registry.Dep, 0, len(x.Deps))}
	for _, dep := range x.Deps {
		if dep.Optional || dep.Kind == "dev" {
			continue
		}
		dn := dep.Name
		if dep.Package != "" {
			dn = dep.Package
		}
		e.Deps = append(e.Deps, registry.Dep{Name: dn, Req: Req(dep.Req)})
	}
	return e, nil
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
