package audit

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// indexVersion changes whenever the index format or looseName does.
// Version 2 added the compact records.
const indexVersion = 2

// maxIndexSize bounds an index file read back (they are a few megabytes).
const maxIndexSize = 512 << 20

// zipIndex maps the package names of an all.zip archive's records to the
// entries that name them, with the archive's statistics, so a later load
// decompresses only what it needs.
type zipIndex struct {
	Version     int              `json:"version"`
	Key         string           `json:"key"`    // digest of the archive's entry list
	Names       map[string][]int `json:"names"`  // loose name → entry numbers
	Always      []int            `json:"always"` // entries whose names need a full decode
	Records     int              `json:"records"`
	Ecosystems  map[string]int   `json:"ecosystems"`
	Unsupported map[string]int   `json:"unsupported"`
	Problems    []string         `json:"problems,omitempty"`
	// Compact holds the compact form (compact.go) of records that a load
	// through this index decoded, by entry number.
	Compact map[int][]byte `json:"compact,omitempty"`
}

// add records what decoding entry found.
func (x *zipIndex) add(entry int, label string, o outcome) {
	if o.problem != "" {
		x.Problems = append(x.Problems, label+": "+o.problem)
		return
	}
	if o.valid {
		x.Records++
	}
	for _, e := range o.ecosystems {
		x.Ecosystems[e]++
	}
	for _, e := range o.unsupported {
		x.Unsupported[e]++
	}
	if o.always {
		x.Always = append(x.Always, entry)
	}
	seen := map[string]bool{}
	for _, n := range o.names {
		if !seen[n] {
			seen[n] = true
			x.Names[n] = append(x.Names[n], entry)
		}
	}
}

// zipSource is one all.zip archive being loaded.
type zipSource struct {
	path     string
	zr       *zip.ReadCloser
	arch     *openedArchive // zr with its key
	loose    map[string]bool
	index    *zipIndex      // a valid stored index: decode only what it selects
	building *zipIndex      // no valid index yet: scan everything and build one
	file     string         // where the index is stored
	raw      map[int][]byte // the record cache (rawcache.go), read only once read
}

// openZip opens an archive and, with an IndexDir, its stored index. An
// archive Prepare left open (and unchanged since) is used as is, so each
// archive is opened and its key computed once per Prepare and Load.
func (l *Loader) openZip(p string, want Wanted, loose map[string]bool) (*zipSource, error) {
	a := l.takeOpened(p)
	if a == nil {
		var err error
		if a, err = l.openArchive(p); err != nil {
			return nil, err
		}
	}
	z := &zipSource{path: p, zr: a.zr, arch: a, loose: loose}
	if l.IndexDir == "" {
		return z, nil
	}
	z.file = a.file
	l.mu.Lock()
	idx := l.built[z.file]
	l.mu.Unlock()
	if idx == nil || idx.Key != a.key {
		idx = readIndex(z.file)
	}
	if idx != nil && idx.Key == a.key {
		z.index = idx
		l.remember(z.file, idx)
	} else {
		z.building = &zipIndex{Version: indexVersion, Key: a.key, Names: map[string][]int{}, Ecosystems: map[string]int{}, Unsupported: map[string]int{}}
		// The record cache of an archive that changed holds records of
		// other entries: start it again with the index.
		os.Remove(rawCacheFile(z.file))
	}
	return z, nil
}

// openedArchive is an open all.zip archive with what identifies it: its
// index file and key, and its size and modification time when opened.
type openedArchive struct {
	zr        *zip.ReadCloser
	file, key string // index file and archive key ("" without an IndexDir)
	size      int64
	modTime   time.Time
}

// openArchive opens the archive p and, with an IndexDir, computes its
// index file and key.
func (l *Loader) openArchive(p string) (*openedArchive, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, fmt.Errorf("offline OSV database %s: %w", p, err)
	}
	a := &openedArchive{zr: zr}
	if st, err := os.Stat(p); err == nil {
		a.size, a.modTime = st.Size(), st.ModTime()
	}
	if l.IndexDir == "" {
		return a, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	sum := sha256.Sum256([]byte(abs))
	a.file = filepath.Join(l.IndexDir, hex.EncodeToString(sum[:12])+".json")
	a.key = archiveKey(abs, zr)
	return a, nil
}

// keepOpened hands an archive Prepare opened to the next Load of p,
// closing one left there before.
func (l *Loader) keepOpened(p string, a *openedArchive) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opened == nil {
		l.opened = map[string]*openedArchive{}
	}
	if old := l.opened[p]; old != nil {
		old.zr.Close()
	}
	l.opened[p] = a
}

// takeOpened returns the archive Prepare left open for p, now owned by the
// caller, or nil when there is none or p changed since (then it is closed).
func (l *Loader) takeOpened(p string) *openedArchive {
	l.mu.Lock()
	a := l.opened[p]
	delete(l.opened, p)
	l.mu.Unlock()
	if a == nil {
		return nil
	}
	if st, err := os.Stat(p); err != nil || st.Size() != a.size || !st.ModTime().Equal(a.modTime) {
		a.zr.Close()
		return nil
	}
	return a
}

// Close closes the archives Prepare left open that no Load used.
func (l *Loader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for p, a := range l.opened {
		a.zr.Close()
		delete(l.opened, p)
	}
	return nil
}

// archiveKey digests an archive's path and entry list (names, sizes, CRCs).
func archiveKey(abs string, zr *zip.ReadCloser) string {
	h := sha256.New()
	fmt.Fprintf(h, "v%d\n%s\n", indexVersion, abs)
	for _, f := range zr.File {
		fmt.Fprintf(h, "%s %d %d %08x\n", f.Name, f.CompressedSize64, f.UncompressedSize64, f.CRC32)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// readIndex reads a stored index; one that is missing, too large, corrupt
// or of another version is nil, and gets rebuilt.
func readIndex(file string) *zipIndex {
	if st, err := os.Stat(file); err != nil || st.Size() > maxIndexSize {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var idx zipIndex
	if json.Unmarshal(data, &idx) != nil || idx.Version != indexVersion || idx.Names == nil {
		return nil
	}
	return &idx
}

// jobs lists the entries to decode: with a stored index and a Wanted set,
// those that may name a wanted package; otherwise every JSON entry.
func (z *zipSource) jobs() []job {
	var entries []int
	if z.index != nil && z.loose != nil {
		set := map[int]bool{}
		for n := range z.loose {
			for _, e := range z.index.Names[n] {
				set[e] = true
			}
		}
		for _, e := range z.index.Always {
			set[e] = true
		}
		for e := range set {
			if e >= 0 && e < len(z.zr.File) {
				entries = append(entries, e)
			}
		}
		sort.Ints(entries)
		if z.file != "" {
			z.raw = readRawCache(rawCacheFile(z.file))
		}
	} else {
		for i, f := range z.zr.File {
			if !f.FileInfo().IsDir() && strings.HasSuffix(f.Name, ".json") {
				entries = append(entries, i)
			}
		}
	}
	out := make([]job, 0, len(entries))
	for _, i := range entries {
		f := z.zr.File[i]
		out = append(out, job{label: z.path + ":" + f.Name, zip: z, entry: i, read: func(buf []byte) ([]byte, error) {
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
	return out
}

// remember keeps a valid index in memory, so that a Load following
// Prepare does not read it again.
func (l *Loader) remember(file string, idx *zipIndex) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.built == nil {
		l.built = map[string]*zipIndex{}
	}
	l.built[file] = idx
}

// saveIndex stores idx as z's index, atomically. The index only speeds up
// later loads, so failing to write it is not an error.
func (l *Loader) saveIndex(z *zipSource, idx *zipIndex) {
	sort.Strings(idx.Problems)
	l.remember(z.file, idx)
	data, err := json.Marshal(idx)
	if err != nil {
		return
	}
	_ = writeAtomic(z.file, data)
}

// addCompacts stores in the indexes that were used the compact forms of
// the records decoded through them, when any is new. The index in use is
// copied, not changed: other loads may be reading it.
func (l *Loader) addCompacts(jobs []job, outs []outcome) {
	grown := map[*zipSource]*zipIndex{}
	var order []*zipSource
	for i, o := range outs {
		z := jobs[i].zip
		if o.compact == nil || z == nil || z.index == nil {
			continue
		}
		if _, ok := z.index.Compact[jobs[i].entry]; ok {
			continue
		}
		idx := grown[z]
		if idx == nil {
			cp := *z.index
			cp.Compact = make(map[int][]byte, len(z.index.Compact)+1)
			for k, v := range z.index.Compact {
				cp.Compact[k] = v
			}
			idx = &cp
			grown[z] = idx
			order = append(order, z)
		}
		idx.Compact[jobs[i].entry] = o.compact
	}
	for _, z := range order {
		l.saveIndex(z, grown[z])
	}
}

// fromCompact decides a job from its record's compact form in the index,
// when there is one and vs is known: a record naming no wanted package is
// only counted, one naming one but matching none of vs's versions is kept
// as a stub (id and modified only, for Stats.Kept and deduplication). ok
// is false when the record must be decoded in full: it matches, or its
// compact form is missing or corrupt.
func (j *job) fromCompact(want Wanted, vs *parsedVersions) (o outcome, ok bool) {
	if vs == nil || j.zip == nil || j.zip.index == nil {
		return o, false
	}
	data, found := j.zip.index.Compact[j.entry]
	if !found {
		return o, false
	}
	r, err := decodeCompact(data)
	if err != nil {
		return o, false
	}
	named, matches := compactVerdict(r, want, vs)
	switch {
	case matches:
		return o, false
	case named:
		return outcome{valid: true, rec: &Record{ID: r.ID, Modified: r.Modified}}, true
	}
	return outcome{valid: true}, true
}

// Prepare builds the missing or stale indexes of the all.zip archives under
// path (a directory or one archive) without decoding any record, so that a
// following Load decompresses only candidates. Callers may run it while they
// are still reading lock files, to overlap the two. Without an IndexDir it
// does nothing; archives that cannot be read are left for Load to report.
func (l *Loader) Prepare(ctx context.Context, path string) error {
	if l.IndexDir == "" {
		return nil
	}
	var archives []string
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".zip") {
			archives = append(archives, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	none := Wanted{} // collects every name, keeps no record
	for _, p := range archives {
		z, err := l.openZip(p, none, nil)
		if err != nil {
			continue
		}
		if z.building != nil {
			jobs := z.jobs()
			outs, err := decodeJobs(ctx, jobs, none, nil, nil)
			if err != nil {
				z.zr.Close()
				return err
			}
			for i, o := range outs {
				z.building.add(jobs[i].entry, jobs[i].label, o)
			}
			l.saveIndex(z, z.building)
		}
		l.keepOpened(p, z.arch)
	}
	return nil
}
