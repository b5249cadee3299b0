package audit

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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

// recordHead is the part of a record decoded to decide whether to keep it.
type recordHead struct {
	ID       string `json:"id"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

// job is one record to decode: a file or a zip entry.
type job struct {
	label string
	open  func() ([]byte, error)
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
			jobs = append(jobs, job{label: p + ":" + f.Name, open: func() ([]byte, error) {
				rc, err := f.Open()
				if err != nil {
					return nil, err
				}
				defer rc.Close()
				buf := make([]byte, 0, f.UncompressedSize64)
				w := &sliceWriter{buf}
				_, err = io.Copy(w, rc)
				return w.b, err
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
				jobs = append(jobs, job{label: p, open: func() ([]byte, error) { return os.ReadFile(p) }})
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

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

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
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &results[w]
			res.ecosystems = map[string]int{}
			res.unsupported = map[string]int{}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				data, err := jobs[i].open()
				if err != nil {
					res.problems = append(res.problems, jobs[i].label+": "+err.Error())
					continue
				}
				rec, err := decodeWanted(data, want, res)
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
// what it saw in res; it returns nil, nil for records not wanted.
func decodeWanted(data []byte, want Wanted, res *workerResult) (*Record, error) {
	var head recordHead
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	if head.ID == "" {
		return nil, errors.New("not an OSV record: no \"id\"")
	}
	res.records++
	keep := false
	counted := map[string]bool{}
	for _, a := range head.Affected {
		eco := baseEcosystem(a.Package.Ecosystem)
		if !Supported(eco) {
			res.unsupported[eco]++
			continue
		}
		if !counted[eco] {
			counted[eco] = true
			res.ecosystems[eco]++
		}
		if want.has(eco, a.Package.Name) {
			keep = true
		}
	}
	if !keep {
		return nil, nil
	}
	return ParseRecord(data)
}
