package audit

import (
	"bytes"
	"context"
	"fmt"
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
	Files       int            `json:"files"`                 // JSON files and zip archives read
	Records     int            `json:"records"`               // records read
	Kept        int            `json:"kept"`                  // records indexed (after the Wanted filter, deduplicated)
	Ecosystems  map[string]int `json:"ecosystems"`            // records per supported ecosystem, before filtering
	Unsupported map[string]int `json:"unsupported,omitempty"` // affected entries per unsupported ecosystem
	Problems    []string       `json:"problems,omitempty"`    // records that could not be read: "file: why"
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
	zip   *zipSource // the archive it comes from, nil for a plain file
	entry int        // its number in the archive
}

// outcome is what decoding one job found.
type outcome struct {
	rec         *Record  // kept: it may affect a wanted package
	problem     string   // why it could not be read
	valid       bool     // a record (counted in Stats.Records)
	ecosystems  []string // distinct supported ecosystems it names
	unsupported []string // unsupported ecosystems it names, one per entry
	names       []string // loose names it names (when indexing its archive)
	always      bool     // a name could not be read without decoding
	compact     []byte   // rec's compact form, for its archive's index
	raw         []byte   // rec's JSON as read from its archive, for its record cache
}

// Loader reads offline OSV databases. With IndexDir set it keeps, per
// all.zip archive, an index from package names to archive entries (keyed by
// the archive's path and its entries' names, sizes and CRCs, so any change
// rebuilds it); later loads then decompress only the entries that may name
// a wanted package.
type Loader struct {
	IndexDir string // where archive indexes are kept; "" keeps none

	mu     sync.Mutex
	built  map[string]*zipIndex      // indexes this Loader built or read, by file
	opened map[string]*openedArchive // archives Prepare left open for Load, by path
}

// LoadDB reads an offline OSV database without an index; see Loader.Load.
func LoadDB(ctx context.Context, path string, want Wanted) (*DB, error) {
	return (&Loader{}).Load(ctx, path, want)
}

// Load reads an offline OSV database at path: a directory holding OSV
// JSON records (at any depth) and/or per-ecosystem all.zip archives (the
// osv-scanner layouts <dir>/<ecosystem>/all.zip, <dir>/osv-scanner/…,
// <dir>/osv-scalibr/…), or a single zip file. Records are decoded in
// parallel and only those naming a wanted package are kept; a record
// present twice (several layouts) is kept once, the newest by modified.
// Unreadable records are counted in Stats.Problems, not fatal; a path with
// no records at all is an error.
func (l *Loader) Load(ctx context.Context, path string, want Wanted) (*DB, error) {
	return l.LoadFor(ctx, path, want, nil)
}

// LoadFor is Load for an audit of the versions vs (nil: any version).
// Through a stored index holding a record's compact form, a record that
// names a wanted package but matches none of vs's versions is counted
// (Stats.Kept) without being decompressed; it is left out of the DB, which
// changes no finding of those versions.
func (l *Loader) LoadFor(ctx context.Context, path string, want Wanted, vs Versions) (*DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("offline OSV database: %w", err)
	}
	loose := looseSet(want)
	var jobs []job
	var zips []*zipSource
	defer func() {
		for _, z := range zips {
			z.zr.Close()
		}
	}()
	files := 0
	addZip := func(p string) error {
		z, err := l.openZip(p, want, loose)
		if err != nil {
			return err
		}
		zips = append(zips, z)
		files++
		jobs = append(jobs, z.jobs()...)
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
	if files == 0 {
		return nil, fmt.Errorf("offline OSV database %s: no OSV records (expected *.json records or <ecosystem>/all.zip archives)", path)
	}
	db := &DB{index: map[dbKey][]*Record{}}
	db.Stats = LoadStats{Files: files, Ecosystems: map[string]int{}, Unsupported: map[string]int{}}
	outs, err := decodeJobs(ctx, jobs, want, loose, newParsedVersions(vs))
	if err != nil {
		return nil, err
	}
	db.collect(jobs, outs, zips, want)
	for _, z := range zips {
		if z.building != nil {
			l.saveIndex(z, z.building)
		}
	}
	l.addCompacts(jobs, outs)
	l.addRaw(jobs, outs)
	return db, nil
}

// looseSet is the prefilter's form of want: loose names of every package.
func looseSet(want Wanted) map[string]bool {
	if want == nil {
		return nil
	}
	loose := map[string]bool{}
	for _, names := range want {
		for n := range names {
			loose[looseName(n)] = true
		}
	}
	return loose
}

// maxRecordSize bounds one record; real ones are a few kilobytes.
const maxRecordSize = 64 << 20

// decodeJobs decodes every job on GOMAXPROCS goroutines.
func decodeJobs(ctx context.Context, jobs []job, want Wanted, loose map[string]bool, vs *parsedVersions) ([]outcome, error) {
	outs := make([]outcome, len(jobs))
	workers := min(runtime.GOMAXPROCS(0), max(len(jobs), 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				if o, ok := jobs[i].fromCompact(want, vs); ok {
					outs[i] = o
					continue
				}
				z := jobs[i].zip
				var data []byte
				if z != nil && z.raw != nil {
					data = z.cachedRecord(jobs[i].entry) // shared: read only
				}
				cached := data != nil
				if !cached {
					var err error
					data, err = jobs[i].read(buf)
					if cap(data) > cap(buf) {
						buf = data
					}
					if err != nil {
						outs[i] = outcome{problem: err.Error()}
						continue
					}
				}
				outs[i] = decodeOne(data, want, loose, z != nil && z.building != nil)
				if z != nil && z.index != nil && outs[i].rec != nil {
					outs[i].compact = encodeCompact(outs[i].rec)
					// A record decoded in full for an audit of vs is decoded
					// in full by the next one too: keep its JSON.
					if !cached && z.file != "" && matchesAny(outs[i].rec, want, vs) {
						outs[i].raw = bytes.Clone(data)
					}
				}
			}
		}()
	}
	wg.Wait()
	return outs, ctx.Err()
}

// matchesAny reports whether r matches one of vs's versions (nil: any).
func matchesAny(r *Record, want Wanted, vs *parsedVersions) bool {
	if vs == nil {
		return true
	}
	_, matches := compactVerdict(r, want, vs)
	return matches
}

// collect adds the outcomes to the DB: statistics (from the index for
// archives read through one), kept records deduplicated by id, and the
// indexes of archives that were scanned in full.
func (db *DB) collect(jobs []job, outs []outcome, zips []*zipSource, want Wanted) {
	for _, z := range zips {
		if z.index != nil {
			db.Stats.Records += z.index.Records
			db.Stats.Problems = append(db.Stats.Problems, z.index.Problems...)
			for k, v := range z.index.Ecosystems {
				db.Stats.Ecosystems[k] += v
			}
			for k, v := range z.index.Unsupported {
				db.Stats.Unsupported[k] += v
			}
		}
	}
	byID := map[string]*Record{}
	for i, o := range outs {
		j := jobs[i]
		if b := j.zip; b != nil && b.building != nil {
			b.building.add(j.entry, j.label, o)
		}
		if j.zip == nil || j.zip.index == nil {
			if o.problem != "" {
				db.Stats.Problems = append(db.Stats.Problems, j.label+": "+o.problem)
			}
			if o.valid {
				db.Stats.Records++
			}
			for _, e := range o.ecosystems {
				db.Stats.Ecosystems[e]++
			}
			for _, e := range o.unsupported {
				db.Stats.Unsupported[e]++
			}
		}
		if rec := o.rec; rec != nil {
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
}

// decodeOne decodes a record when it may name a wanted package. Without a
// Wanted set every record is decoded. With one, the record is first scanned
// for the string values of its "ecosystem" and "name" keys and decoded only
// when a name may be wanted: most records of a large database are never
// decoded. With all set (indexing an archive) every name is collected. A
// record that is not a JSON object is a problem either way.
func decodeOne(data []byte, want Wanted, loose map[string]bool, all bool) outcome {
	var o outcome
	if want == nil && !all {
		r, err := ParseRecord(data)
		if err != nil {
			return outcome{problem: err.Error()}
		}
		o.valid = true
		counted := map[string]bool{}
		for _, a := range r.Affected {
			eco := baseEcosystem(a.Package.Ecosystem)
			if !Supported(eco) {
				o.unsupported = append(o.unsupported, eco)
			} else if !counted[eco] {
				counted[eco] = true
				o.ecosystems = append(o.ecosystems, eco)
			}
		}
		o.rec = r
		return o
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) < 2 || trimmed[0] != '{' || trimmed[len(trimmed)-1] != '}' {
		return outcome{problem: "not an OSV record: not a JSON object (truncated?)"}
	}
	o.valid = true
	counted := map[string]bool{}
	eachStringValue(data, `"ecosystem"`, func(v string, ok bool) bool {
		eco := baseEcosystem(v)
		switch {
		case !ok:
		case !Supported(eco):
			o.unsupported = append(o.unsupported, eco)
		case !counted[eco]:
			counted[eco] = true
			o.ecosystems = append(o.ecosystems, eco)
		}
		return true
	})
	maybe := false
	eachStringValue(data, `"name"`, func(v string, ok bool) bool {
		if !ok {
			o.always = true
			maybe = true
			return false
		}
		ln := looseName(v)
		if all {
			o.names = append(o.names, ln)
		}
		if want == nil || loose[ln] {
			maybe = true
			return all
		}
		return true
	})
	if !maybe {
		return o
	}
	r, err := ParseRecord(data)
	if err != nil {
		return outcome{problem: err.Error(), names: o.names, always: true}
	}
	for _, a := range r.Affected {
		if eco := baseEcosystem(a.Package.Ecosystem); Supported(eco) && want.has(eco, a.Package.Name) {
			o.rec = r
			break
		}
	}
	return o
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
