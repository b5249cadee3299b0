package audit

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// versionsOf lists versions to try against r: its own event and listed
// versions, one above and below them, and the fixtures' locked versions.
func versionsOf(r *Record) []string {
	out := []string{"0.0.1", "1.0", "1.2.5", "2.20.0", "4.17.20", "0.30.0", "1.13.0", "1.9.0", "99.0.0"}
	for _, a := range r.Affected {
		out = append(out, a.Versions...)
		for _, rg := range a.Ranges {
			for _, e := range rg.Events {
				for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if v != "" && v != "0" {
						out = append(out, v, v+".1", v+"-rc1")
					}
				}
			}
		}
	}
	return out
}

// TestCompactMatchesFullRecord checks that every fixture record's compact
// form gives the same answer as the full record, for every package it
// names and many versions.
func TestCompactMatchesFullRecord(t *testing.T) {
	recs := readShared(t)
	checked := 0
	for name, data := range recs {
		full, err := ParseRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		enc := encodeCompact(full)
		c, err := decodeCompact(enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(encodeCompact(c), enc) {
			t.Errorf("%s: compact form does not round-trip", name)
		}
		if c.ID != full.ID || c.Modified != full.Modified || c.Withdrawn != full.Withdrawn {
			t.Errorf("%s: id/modified/withdrawn differ", name)
		}
		for _, a := range full.Affected {
			eco := baseEcosystem(a.Package.Ecosystem)
			if !Supported(eco) {
				continue
			}
			for _, raw := range versionsOf(full) {
				v, err := ParseVersion(eco, raw)
				if err != nil {
					continue
				}
				fm, _ := full.Matches(eco, a.Package.Name, v)
				cm, _ := c.Matches(eco, a.Package.Name, v)
				if fm != cm {
					t.Errorf("%s %s %s@%s: full %v, compact %v", name, eco, a.Package.Name, raw, fm, cm)
				}
				want := Wanted{}
				want.Add(eco, a.Package.Name)
				vs := Versions{}
				vs.Add(eco, a.Package.Name, raw)
				if named, m := compactVerdict(c, want, newParsedVersions(vs)); !named || m != fm {
					t.Errorf("%s %s@%s: verdict named %v matches %v, full %v", name, a.Package.Name, raw, named, m, fm)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("nothing compared")
	}
}

func TestDecodeCompactRejects(t *testing.T) {
	r := &Record{ID: "A", Affected: []Affected{{Package: AffectedPackage{Ecosystem: "npm", Name: "x"},
		Ranges: []Range{{Type: "SEMVER", Events: []Event{{Introduced: "0"}, {Fixed: "1.0.0"}}}}}}}
	enc := encodeCompact(r)
	for i := range len(enc) {
		if _, err := decodeCompact(enc[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
	if _, err := decodeCompact(append(enc, 0)); err == nil {
		t.Error("trailing byte: no error")
	}
	bad := bytes.Clone(enc)
	bad[len(bad)-7] = 9 // the fixed event's kind
	if _, err := decodeCompact(bad); err == nil {
		t.Error("unknown event kind: no error")
	}
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}
	if _, err := decodeCompact(huge); err == nil {
		t.Error("huge length: no error")
	}
}

// FuzzDecodeCompact checks that any bytes decode without a panic or an
// error, and that what decodes re-encodes to a form that decodes the same.
func FuzzDecodeCompact(f *testing.F) {
	f.Add(encodeCompact(&Record{ID: "A", Modified: "m", Affected: []Affected{{Package: AffectedPackage{Ecosystem: "PyPI", Name: "x"},
		Versions: []string{"1.0"}, Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{{Introduced: "0"}, {LastAffected: "2"}, {Limit: "*"}, {}}}}}}}))
	f.Add([]byte{})
	f.Add([]byte{1, 'A', 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeCompact(data)
		if err != nil {
			return
		}
		again, err := decodeCompact(encodeCompact(r))
		if err != nil {
			t.Fatalf("re-encoded form does not decode: %v", err)
		}
		if diff := cmp.Diff(r, again); diff != "" {
			t.Fatalf("re-encoded form differs:\n%s", diff)
		}
	})
}

// TestLoadForThroughCompactIndex audits the fixtures through an index
// without, then with compact records, and with corrupt ones: the report
// and the statistics are those of a load without any index every time.
func TestLoadForThroughCompactIndex(t *testing.T) {
	recs := readShared(t)
	root := t.TempDir()
	writeZips(t, root, "osv-scalibr", recs)
	fa := newFixtureAudit(root)
	audit := func(l *Loader) (*Report, LoadStats) {
		t.Helper()
		return fa.run(t, l, false)
	}
	wantRep, wantStats := audit(&Loader{})
	idxDir := filepath.Join(t.TempDir(), "index")
	check := func(what string, l *Loader) {
		t.Helper()
		rep, st := audit(l)
		if diff := cmp.Diff(wantRep, rep); diff != "" {
			t.Errorf("%s: report differs (-no index +index):\n%s", what, diff)
		}
		if diff := cmp.Diff(wantStats, st); diff != "" {
			t.Errorf("%s: stats differ (-no index +index):\n%s", what, diff)
		}
	}
	l := &Loader{IndexDir: idxDir}
	check("building", l)
	check("adding compact records", l)
	files, _ := filepath.Glob(filepath.Join(idxDir, "*.json"))
	compacts := 0
	for _, f := range files {
		if idx := readIndex(f); idx != nil {
			compacts += len(idx.Compact)
		}
	}
	if compacts == 0 {
		t.Fatal("no compact records stored")
	}
	check("using compact records (in memory)", l)
	check("using compact records (read back)", &Loader{IndexDir: idxDir})
	// Corrupt compact records: those records are decoded in full.
	for _, f := range files {
		idx := readIndex(f)
		if idx == nil {
			continue
		}
		for k, v := range idx.Compact {
			idx.Compact[k] = v[:len(v)/2]
		}
		data, _ := json.Marshal(idx)
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check("corrupt compact records", &Loader{IndexDir: idxDir})
	// Truncated index files are rebuilt.
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if err := os.WriteFile(f, data[:len(data)/2], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check("truncated index", &Loader{IndexDir: idxDir})
	// An index of the previous format is rebuilt, never misread.
	for _, f := range files {
		old := `{"version":1,"key":"x","names":{}}`
		if err := os.WriteFile(f, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		if readIndex(f) != nil {
			t.Errorf("%s: a version 1 index was read", f)
		}
	}
	check("old index", &Loader{IndexDir: idxDir})
}

// TestLoadForThroughRecordCache audits the fixtures through an index whose
// record cache holds the matching records: the report is the one of a
// load without any index; the cache is what is read (an archive whose
// compressed data is damaged under an intact directory still audits
// right); and a damaged or truncated cache falls back to the archive and
// is repaired.
func TestLoadForThroughRecordCache(t *testing.T) {
	fa := sharedFixtureAudit(t)
	audit := func(l *Loader) *Report {
		t.Helper()
		rep, _ := fa.run(t, l, false)
		return rep
	}
	wantRep := audit(&Loader{})
	if len(wantRep.Findings) == 0 {
		t.Fatal("the fixtures have no findings: nothing to cache")
	}
	idxDir := filepath.Join(t.TempDir(), "index")
	check := func(what string) {
		t.Helper()
		if diff := cmp.Diff(wantRep, audit(&Loader{IndexDir: idxDir})); diff != "" {
			t.Errorf("%s: report differs (-no index +index):\n%s", what, diff)
		}
	}
	check("building the index")
	check("filling the cache")
	caches, _ := filepath.Glob(filepath.Join(idxDir, "*.records"))
	cached := 0
	for _, f := range caches {
		cached += len(readRawCache(f))
	}
	if cached == 0 {
		t.Fatal("no record cached")
	}
	check("through the cache")

	// Damaged records in the cache: read from the archive, then repaired.
	saved := map[string][]byte{}
	for _, f := range caches {
		data, _ := os.ReadFile(f)
		saved[f] = data
		bad := bytes.Clone(data)
		for i := len(rawMagic) + 8; i < len(bad); i += 97 {
			bad[i] ^= 0x20
		}
		if err := os.WriteFile(f, bad, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check("damaged cache")
	for _, f := range caches {
		data, _ := os.ReadFile(f)
		if !bytes.Equal(data, saved[f]) {
			t.Errorf("%s: not repaired", f)
		}
		if err := os.WriteFile(f, data[:len(data)/2], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check("truncated cache")

	// Damage the compressed data of the archives' entries, keeping their
	// directories: a load that can only read the archive fails to decode
	// them, a load through the repaired cache does not.
	archives, _ := filepath.Glob(filepath.Join(fa.root, "osv-scalibr", "*", "all.zip"))
	for _, a := range archives {
		zr, err := zip.OpenReader(a)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(a, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range zr.File {
			off, err := e.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(make([]byte, e.CompressedSize64), off); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		zr.Close()
	}
	check("damaged archive, cache intact")
	for _, f := range caches {
		os.Remove(f)
	}
	if diff := cmp.Diff(wantRep, audit(&Loader{IndexDir: idxDir})); diff == "" {
		t.Error("damaged archive without its cache audits right: the test proves nothing")
	}
}

// TestRecordCacheOfChangedArchive changes the archives under a filled
// record cache: the cache is started again with the rebuilt index, and
// the audit is that of the new archives.
func TestRecordCacheOfChangedArchive(t *testing.T) {
	fa := sharedFixtureAudit(t)
	audit := func(l *Loader) *Report {
		t.Helper()
		rep, _ := fa.run(t, l, true)
		return rep
	}
	idxDir := filepath.Join(t.TempDir(), "index")
	first := audit(&Loader{IndexDir: idxDir})
	audit(&Loader{IndexDir: idxDir})
	// Drop the records behind the first finding.
	if len(first.Findings) == 0 {
		t.Fatal("the fixtures have no findings")
	}
	gone := map[string]bool{first.Findings[0].ID: true}
	for _, a := range first.Findings[0].Aliases {
		gone[a] = true
	}
	recs := readShared(t)
	kept := map[string][]byte{}
	for name, data := range recs {
		r, err := ParseRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		if !gone[r.ID] {
			kept[name] = data
		}
	}
	if len(kept) == len(recs) {
		t.Fatalf("no record with id %v", gone)
	}
	os.RemoveAll(filepath.Join(fa.root, "osv-scalibr"))
	writeZips(t, fa.root, "osv-scalibr", kept)
	wantRep := audit(&Loader{})
	if diff := cmp.Diff(wantRep, audit(&Loader{IndexDir: idxDir})); diff != "" {
		t.Errorf("changed archives: report differs (-no index +index):\n%s", diff)
	}
	if diff := cmp.Diff(wantRep, audit(&Loader{IndexDir: idxDir})); diff != "" {
		t.Errorf("changed archives, through the new cache: report differs (-no index +index):\n%s", diff)
	}
	if cmp.Equal(first, wantRep) {
		t.Error("dropping records changed no finding: the test proves nothing")
	}
}

// fixtureAudit audits the fixtures' lock files against the database at
// root, loading only what they need (LoadFor).
type fixtureAudit struct {
	root   string
	inputs []Input
	want   Wanted
	vs     Versions
}

func newFixtureAudit(root string) *fixtureAudit {
	f := &fixtureAudit{root: root, inputs: fixtureInputs(), want: Wanted{}, vs: Versions{}}
	for _, in := range f.inputs {
		for _, p := range in.Lockfile.Packages {
			f.want.Add(p.Ecosystem, p.Name)
			f.vs.Add(p.Ecosystem, p.Name, p.Version)
		}
	}
	return f
}

// sharedFixtureAudit is newFixtureAudit over the shared records, written
// as one osv-scalibr archive set in a fresh directory.
func sharedFixtureAudit(t *testing.T) *fixtureAudit {
	t.Helper()
	root := t.TempDir()
	writeZips(t, root, "osv-scalibr", readShared(t))
	return newFixtureAudit(root)
}

// run audits through l, after l.Prepare when prepare is set.
func (f *fixtureAudit) run(t *testing.T, l *Loader, prepare bool) (*Report, LoadStats) {
	t.Helper()
	if prepare {
		if err := l.Prepare(context.Background(), f.root); err != nil {
			t.Fatal(err)
		}
	}
	db, err := l.LoadFor(context.Background(), f.root, f.want, f.vs)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), db, f.inputs)
	if err != nil {
		t.Fatal(err)
	}
	return rep, db.Stats
}
