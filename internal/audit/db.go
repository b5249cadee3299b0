package audit

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Query asks for the records that may affect one package version.
type Query struct {
	Ecosystem string // OSV ecosystem name
	Name      string
	Version   string
}

// Source finds the OSV records that may affect packages. The offline DB
// and the OSV API client implement it; matching is done by the caller, so
// both give the same answers for the same records.
type Source interface {
	// Records returns, for each query in order, the candidate records.
	Records(ctx context.Context, qs []Query) ([][]*Record, error)
}

// Wanted is the set of packages a DB keeps records for: ecosystem →
// normalised name. A nil Wanted keeps every record.
type Wanted map[string]map[string]bool

// Add marks a package as wanted.
func (w Wanted) Add(eco, name string) {
	m := w[eco]
	if m == nil {
		m = map[string]bool{}
		w[eco] = m
	}
	m[NormalizeName(eco, name)] = true
}

func (w Wanted) has(eco, name string) bool {
	return w == nil || w[eco][NormalizeName(eco, name)]
}

// LoadStats describes what a DB load read.
type LoadStats struct {
	Files       int            // JSON files and zip archives read
	Records     int            // records decoded
	Kept        int            // records indexed (after the Wanted filter, deduplicated)
	Ecosystems  map[string]int // records per supported ecosystem, before filtering
	Unsupported map[string]int // affected entries per unsupported ecosystem
	Problems    []string       // records that could not be read: "file: why"
}

// DB is an offline OSV database indexed by (ecosystem, normalised name).
type DB struct {
	index map[dbKey][]*Record
	Stats LoadStats
}

type dbKey struct{ eco, name string }

// HasEcosystem reports whether the loaded data had any record for eco, so
// a caller can tell "no vulnerabilities" from "no data".
func (db *DB) HasEcosystem(eco string) bool { return db.Stats.Ecosystems[eco] > 0 }

// Records implements Source.
func (db *DB) Records(_ context.Context, qs []Query) ([][]*Record, error) {
	out := make([][]*Record, len(qs))
	for i, q := range qs {
		out[i] = db.index[dbKey{q.Ecosystem, NormalizeName(q.Ecosystem, q.Name)}]
	}
	return out, nil
}

// job is one record to decode: a file or a zip entry. read returns its
// bytes, reusing buf when it is large enough.
type job struct {
	label string
	read  func(buf []byte) ([]byte, error)
}

// LoadDB reads an offline OSV database at path: a directory holding OSV
// JSON records (at any depth) and/or per-ecosystem all.zip archives (the
// osv-scanner layouts <dir>/<ecosystem>/all.zip, <dir>/osv-scanner/…,
// <dir>/osv-scalibr/…), or a single zip file. Records are decoded in
// parallel and only those naming a wanted package are kept; a record
// present twice (several layouts) is kept once, the newest by modified.
// Unreadable records are counted in Stats.Problems, not fatal; a path with
// no records at all is an error.
func LoadDB(ctx context.Context, path string, want Wanted) (*DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("offline OSV database: %w", err)
	}
	var jobs []job
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	files := 0
	addZip := func(p string) error {
		zr, err := zip.OpenReader(p)
		if err != nil {
			return fmt.Errorf("offline OSV database %s: %w", p, err)
		}
		closers = append(closers, zr)
		files++
		for _, f := range zr.File {
			if f.FileInfo().IsDir() || !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			jobs = append(jobs, job{label: p + ":" + f.Name, read: func(buf []byte) ([]byte, error) {
				if f.UncompressedSize64 > maxRecordSize {
					return nil, fmt.Errorf("record of %d bytes is too large", f.UncompressedSize64)
				}
				rc, err := f.Open()
				if err != nil {
					return nil, err
				}
				defer rc.Close()
				buf = slices.Grow(buf[:0], int(f.UncompressedSize64))[:f.UncompressedSize64]
				if _, err := io.ReadFull(rc, buf); err != nil {
					return nil, err
				}
				return buf, nil
			}})
		}
		return nil
	}
	if !st.IsDir() {
		if err := addZip(path); err != nil {
			return nil, err
		}
	} else {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				// <dir>/<ecosystem>/ of an unwanted supported ecosystem: skip.
				if p != path && want != nil && Supported(d.Name()) && want[d.Name()] == nil {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case strings.HasSuffix(p, ".zip"):
				return addZip(p)
			case strings.HasSuffix(p, ".json"):
				files++
				jobs = append(jobs, job{label: p, read: func([]byte) ([]byte, error) { return os.ReadFile(p) }})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("offline OSV database: %w", err)
		}
	}
	db := &DB{index: map[dbKey][]*Record{}}
	db.Stats.Files = files
	if len(jobs) == 0 && files == 0 {
		return nil, fmt.Errorf("offline OSV database %s: no OSV records (expected *.json records or <ecosystem>/all.zip archives)", path)
	}
	if err := db.decode(ctx, jobs, want); err != nil {
		return nil, err
	}
	return db, nil
}

// maxRecordSize bounds one record; real ones are a few kilobytes.
const maxRecordSize = 64 << 20

// workerResult is what one decoding goroutine collected.
type workerResult struct {
	kept        []*Record
	records     int
	ecosystems  map[string]int
	unsupported map[string]int
	problems    []string
}

func (db *DB) decode(ctx context.Context, jobs []job, want Wanted) error {
	workers := min(runtime.GOMAXPROCS(0), max(len(jobs), 1))
	results := make([]workerResult, workers)
	var next atomic.Int64
	var loose map[string]bool
	if want != nil {
		loose = map[string]bool{}
		for _, names := range want {
			for n := range names {
				loose[looseName(n)] = true
			}
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &results[w]
			res.ecosystems = map[string]int{}
			res.unsupported = map[string]int{}
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				data, err := jobs[i].read(buf)
				if cap(data) > cap(buf) {
					buf = data
				}
				if err != nil {
					res.problems = append(res.problems, jobs[i].label+": "+err.Error())
					continue
				}
				rec, err := decodeWanted(data, want, loose, res)
				if err != nil {
					res.problems = append(res.problems, jobs[i].label+": "+err.Error())
					continue
				}
				if rec != nil {
					res.kept = append(res.kept, rec)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	byID := map[string]*Record{}
	db.Stats.Ecosystems = map[string]int{}
	db.Stats.Unsupported = map[string]int{}
	for _, r := range results {
		db.Stats.Records += r.records
		db.Stats.Problems = append(db.Stats.Problems, r.problems...)
		for k, v := range r.ecosystems {
			db.Stats.Ecosystems[k] += v
		}
		for k, v := range r.unsupported {
			db.Stats.Unsupported[k] += v
		}
		for _, rec := range r.kept {
			if old, ok := byID[rec.ID]; !ok || rec.Modified > old.Modified {
				byID[rec.ID] = rec
			}
		}
	}
	sort.Strings(db.Stats.Problems)
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		rec := byID[id]
		seen := map[dbKey]bool{}
		for _, a := range rec.Affected {
			eco := baseEcosystem(a.Package.Ecosystem)
			if !Supported(eco) || !want.has(eco, a.Package.Name) {
				continue
			}
			k := dbKey{eco, NormalizeName(eco, a.Package.Name)}
			if !seen[k] {
				seen[k] = true
				db.index[k] = append(db.index[k], rec)
			}
		}
	}
	db.Stats.Kept = len(byID)
	return nil
}

// decodeWanted decodes a record when it names a wanted package, counting
// what it saw in res; it returns nil, nil for records not wanted. Without a
// Wanted set every record is decoded. With one, a record is first scanned
// for the string values of its "ecosystem" and "name" keys, and decoded
// only when a name may be wanted: most records of a large database are
// never decoded. A record that is not a JSON object is a problem either way.
func decodeWanted(data []byte, want Wanted, loose map[string]bool, res *workerResult) (*Record, error) {
	if want == nil {
		return decodeAll(data, res)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) < 2 || trimmed[0] != '{' || trimmed[len(trimmed)-1] != '}' {
		return nil, errors.New("not an OSV record: not a JSON object (truncated?)")
	}
	res.records++
	counted := map[string]bool{}
	eachStringValue(data, `"ecosystem"`, func(v string, ok bool) bool {
		eco := baseEcosystem(v)
		switch {
		case !ok:
		case !Supported(eco):
			res.unsupported[eco]++
		case !counted[eco]:
			counted[eco] = true
			res.ecosystems[eco]++
		}
		return true
	})
	maybe := false
	eachStringValue(data, `"name"`, func(v string, ok bool) bool {
		if !ok || loose[looseName(v)] {
			maybe = true
			return false
		}
		return true
	})
	if !maybe {
		return nil, nil
	}
	r, err := ParseRecord(data)
	if err != nil {
		return nil, err
	}
	for _, a := range r.Affected {
		if eco := baseEcosystem(a.Package.Ecosystem); Supported(eco) && want.has(eco, a.Package.Name) {
			return r, nil
		}
	}
	return nil, nil
}

// decodeAll decodes every record (no Wanted set).
func decodeAll(data []byte, res *workerResult) (*Record, error) {
	r, err := ParseRecord(data)
	if err != nil {
		return nil, err
	}
	res.records++
	counted := map[string]bool{}
	for _, a := range r.Affected {
		eco := baseEcosystem(a.Package.Ecosystem)
		if !Supported(eco) {
			res.unsupported[eco]++
		} else if !counted[eco] {
			counted[eco] = true
			res.ecosystems[eco]++
		}
	}
	return r, nil
}

// eachStringValue calls f with the string value of every occurrence of
// key (a quoted JSON key) in data, in order, until f returns false. A
// value containing escapes, or cut off, is passed with ok false: the
// caller cannot trust its text.
func eachStringValue(data []byte, key string, f func(v string, ok bool) bool) {
	k := []byte(key)
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], k)
		if j < 0 {
			return
		}
		p := skipSpace(data, i+j+len(k))
		if p >= len(data) || data[p] != ':' {
			i = p
			continue
		}
		p = skipSpace(data, p+1)
		if p >= len(data) || data[p] != '"' {
			i = p
			continue
		}
		p++
		end := p
		for end < len(data) && data[end] != '"' && data[end] != '\\' {
			end++
		}
		if end >= len(data) || data[end] == '\\' {
			f("", false)
			return
		}
		if !f(string(data[p:end]), true) {
			return
		}
		i = end + 1
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// looseName folds a name for the prefilter: lower case, runs of "-_."
// as one "-". It matches at least whatever NormalizeName matches.
func looseName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			if !sep {
				b.WriteByte('-')
			}
			sep = true
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		sep = false
		b.WriteByte(c)
	}
	return b.String()
}
