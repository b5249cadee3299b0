// Package cargoindex reads a Cargo registry index directory (the index/
// of a Cargo local-registry: one file per package, one JSON line per
// version) as a regsource.RegistryIndex, so that meta's registry provider
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
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/regsource"
)

// Dir is the index directory.
type Dir string

// line is what entry reads of an index line (see parseLine).
type line struct {
	Name   string    `json:"name"`
	Vers   string    `json:"vers"`
	Cksum  string    `json:"cksum"`
	Yanked bool      `json:"yanked"`
	Deps   []lineDep `json:"deps"`
}

// lineDep is one of a line's dependencies.
type lineDep struct {
	Name     string `json:"name"`
	Package  string `json:"package"`
	Req      string `json:"req"`
	Optional bool   `json:"optional"`
	Kind     string `json:"kind"`
}

// maxIndexFile bounds one package's index file.
const maxIndexFile = 64 << 20

// Index returns the entries of name's index file; a missing file wraps
// regindex.ErrPackageNotFound.
func (d Dir) Index(ctx context.Context, name string) ([]regindex.IndexEntry, error) {
	path, buf, err := d.read(name)
	if err != nil {
		return nil, err
	}
	defer putBuf(buf)
	var out []regindex.IndexEntry
	err = eachLine(*buf, func(l indexLine) error {
		e, err := entry(path, l)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// IndexVersions is Index reading only each line's version and yanked
// flag; full(i) reads entry i in full, as Index does, when the
// resolver asks for that version's dependencies (see
// regsource.LazyRegistryIndex). The file is not kept in memory between the
// two: full reads it again, which costs less than holding every file the
// resolver lists (most of their lines are never read in full).
//
// The last line is the exception: it is read in full at once, and full
// returns that entry (or its error) the first time it is asked for it.
// Cargo appends a version's line when it is published, so the last line
// is the newest version, which a resolver asks about first: in
// cargo_compare.sh's registry 9 reads in 10 are of the last line.
func (d Dir) IndexVersions(ctx context.Context, name string) (regsource.Heads, func(i int) (*regindex.IndexEntry, error), error) {
	path, buf, err := d.read(name)
	if err != nil {
		return regsource.Heads{}, nil, err
	}
	defer putBuf(buf)
	heads, last, err := headers(path, *buf)
	if err != nil {
		return regsource.Heads{}, nil, err
	}
	n := heads.Len()
	var (
		lastEntry *regindex.IndexEntry
		lastErr   error
		lastKept  = n > 0
	)
	if lastKept {
		e, err := entry(path, last)
		lastEntry, lastErr = &e, err
	}
	full := func(i int) (*regindex.IndexEntry, error) {
		if i == n-1 && lastKept {
			// The caller keeps what full returns: a later call reads
			// the file again.
			lastKept = false
			e, err := lastEntry, lastErr
			lastEntry, lastErr = nil, nil
			return e, err
		}
		e, err := d.entryAt(name, i)
		return &e, err
	}
	return heads, full, nil
}

// headers scans each line's version and yanked flag (and checks its
// name is a string) into a listing, and returns the last line, a slice
// of data. The scan's own bookkeeping is reused from file to file (see
// scratches): what is kept is one string of every version's text, a
// uint32 per line and, when a line is yanked, a bit per line.
func headers(path string, data []byte) (regsource.Heads, indexLine, error) {
	sc := scratches.Get().(*scratch)
	defer sc.put()
	var last indexLine
	err := eachLine(data, func(l indexLine) error {
		h, err := parseHeader(l.text)
		if err != nil {
			return lineError(path, l.no, err)
		}
		last = l
		sc.spans = append(sc.spans, span{len(sc.text), len(sc.text) + len(h.vers), h.yanked})
		sc.text = append(sc.text, h.vers...)
		return nil
	})
	if err != nil {
		return regsource.Heads{}, indexLine{}, err
	}
	// The file is at most maxIndexFile bytes, so offsets fit a uint32.
	heads := regsource.Heads{Text: string(sc.text), Ends: make([]uint32, len(sc.spans))}
	for i, sp := range sc.spans {
		heads.Ends[i] = uint32(sp.to)
		if sp.yanked {
			heads.SetYanked(i)
		}
	}
	return heads, last, nil
}

// span is where headers put one line's version in scratch.text.
type span struct {
	from, to int
	yanked   bool
}

// scratch is headers' working memory.
type scratch struct {
	text  []byte
	spans []span
}

// scratches holds scratch values for reuse.
var scratches = sync.Pool{New: func() any { return new(scratch) }}

// put returns sc to scratches, unless a rare huge file grew it.
func (sc *scratch) put() {
	if cap(sc.text) > maxPooled || cap(sc.spans) > maxPooled/16 {
		return
	}
	sc.text, sc.spans = sc.text[:0], sc.spans[:0]
	scratches.Put(sc)
}

// entryAt reads name's index file again and maps its i-th non-blank line
// in full.
func (d Dir) entryAt(name string, i int) (regindex.IndexEntry, error) {
	path, buf, err := d.read(name)
	if err != nil {
		return regindex.IndexEntry{}, err
	}
	defer putBuf(buf)
	var (
		e     regindex.IndexEntry
		found bool
		n     int
	)
	errStop := errors.New("stop")
	err = eachLine(*buf, func(l indexLine) error {
		if n++; n <= i {
			return nil
		}
		e, err = entry(path, l)
		found = true
		if err != nil {
			return err
		}
		return errStop
	})
	switch {
	case err != nil && err != errStop:
		return regindex.IndexEntry{}, err
	case !found:
		return regindex.IndexEntry{}, fmt.Errorf("%s: entry %d is gone: the index file changed while read", path, i+1)
	}
	return e, nil
}

// indexLine is one non-blank line of an index file and its line number.
type indexLine struct {
	text []byte
	no   int
	at   int // offset in the file
}

// eachLine calls fn with each non-blank line of data in turn, stopping at
// the first error.
func eachLine(data []byte, fn func(indexLine) error) error {
	at := 0
	for n := 1; at < len(data); n++ {
		raw := data[at:]
		start := at
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[:i]
		}
		at += len(raw) + 1
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if err := fn(indexLine{text: raw, no: n, at: start}); err != nil {
			return err
		}
	}
	return nil
}

// bufs holds read buffers: the files are read into reused memory, so that
// listing thousands of packages does not grow the heap by their size.
var bufs = sync.Pool{New: func() any { return new([]byte) }}

// putBuf returns a buffer from read to the pool.
func putBuf(b *[]byte) {
	if cap(*b) > maxPooled {
		return // a rare big file: let it go rather than hold it
	}
	*b = (*b)[:0]
	bufs.Put(b)
}

// maxPooled bounds the buffers kept for reuse.
const maxPooled = 1 << 20

// read reads name's index file into a pooled buffer (see putBuf); a
// missing file wraps regindex.ErrPackageNotFound.
func (d Dir) read(name string) (string, *[]byte, error) {
	lower := strings.ToLower(name)
	if lower == "" || strings.ContainsAny(lower, `/\.`) {
		return "", nil, fmt.Errorf("%q: %w", name, regindex.ErrPackageNotFound)
	}
	path := filepath.Join(string(d), filepath.FromSlash(regindex.IndexPath(lower)))
	buf := bufs.Get().(*[]byte)
	data, err := readFile(path, (*buf)[:0])
	*buf = data
	switch {
	case errors.Is(err, fs.ErrNotExist):
		putBuf(buf)
		return "", nil, fmt.Errorf("%s: %w", name, regindex.ErrPackageNotFound)
	case err != nil:
		putBuf(buf)
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	return path, buf, nil
}

// readFrom reads r to its end into data, reusing data's capacity, and
// fails past maxIndexFile bytes.
func readFrom(r io.Reader, data []byte) ([]byte, error) {
	if cap(data) < minBuf {
		data = make([]byte, 0, minBuf)
	}
	for {
		if len(data) > maxIndexFile {
			return data, fmt.Errorf("index file of more than %d bytes", maxIndexFile)
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):min(cap(data), maxIndexFile+1)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}

// minBuf is the least capacity of a read buffer: most index files fit.
const minBuf = 64 << 10

// entry maps one index line.
func entry(path string, l indexLine) (regindex.IndexEntry, error) {
	x, err := parseLine(l.text)
	if err != nil {
		return regindex.IndexEntry{}, lineError(path, l.no, err)
	}
	e := regindex.IndexEntry{Name: x.Name, Vers: x.Vers, Cksum: x.Cksum, Yanked: x.Yanked, Deps: make([]regindex.Dep, 0, len(x.Deps))}
	for _, dep := range x.Deps {
		if dep.Optional || dep.Kind == "dev" {
			continue
		}
		dn := dep.Name
		if dep.Package != "" {
			dn = dep.Package
		}
		e.Deps = append(e.Deps, regindex.Dep{Name: dn, Req: Req(dep.Req)})
	}
	return e, nil
}

// Download is not needed to resolve.
func (d Dir) Download(ctx context.Context, e regindex.IndexEntry) ([]byte, error) {
	return nil, fmt.Errorf("%s@%s: cargoindex reads index files only, not tarballs", e.Name, e.Vers)
}

// Req maps a Cargo requirement to meta's syntax: each comma-separated
// clause that is a bare version ("1.2", "1.2.3") is Cargo's caret.
func Req(req string) string {
	if !strings.Contains(req, ",") { // most requirements: one clause, no copies
		return caret(strings.TrimSpace(req))
	}
	return reqClauses(req)
}

// caret writes a bare version clause as a caret one.
func caret(c string) string {
	if c != "" && c[0] >= '0' && c[0] <= '9' {
		return "^" + c
	}
	return c
}

// reqClauses is Req for any number of clauses.
func reqClauses(req string) string {
	clauses := strings.Split(req, ",")
	for i, c := range clauses {
		clauses[i] = caret(strings.TrimSpace(c))
	}
	return strings.Join(clauses, ", ")
}
