package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIndexedLoads loads the fixture records from all.zip archives three
// times through an index directory: building the index, using it, and
// after the archive changed (rebuilt). Every load gives the same findings
// and statistics.
func TestIndexedLoads(t *testing.T) {
	recs := readShared(t)
	root := t.TempDir()
	writeZips(t, root, "osv-scalibr", recs)
	idxDir := filepath.Join(t.TempDir(), "index")
	inputs := fixtureInputs()
	want := Wanted{}
	for _, in := range inputs {
		for _, p := range in.Lockfile.Packages {
			want.Add(p.Ecosystem, p.Name)
		}
	}
	l := &Loader{IndexDir: idxDir}
	load := func() ([]hit, LoadStats) {
		t.Helper()
		db, err := l.Load(context.Background(), root, want)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), db, inputs)
		if err != nil {
			t.Fatal(err)
		}
		return hits(rep), db.Stats
	}
	first, st1 := load()
	files, _ := filepath.Glob(filepath.Join(idxDir, "*.json"))
	if len(files) != 4 {
		t.Fatalf("index files: %v", files)
	}
	// Prepare builds the same indexes without decoding records.
	prepared := &Loader{IndexDir: filepath.Join(t.TempDir(), "prepared")}
	if err := prepared.Prepare(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	pfiles, _ := filepath.Glob(filepath.Join(prepared.IndexDir, "*.json"))
	if len(pfiles) != 4 {
		t.Fatalf("prepared index files: %v", pfiles)
	}
	for _, f := range pfiles {
		built, _ := os.ReadFile(filepath.Join(idxDir, filepath.Base(f)))
		prep, _ := os.ReadFile(f)
		if string(built) != string(prep) {
			t.Errorf("%s: Prepare's index differs from Load's", filepath.Base(f))
		}
	}
	second, st2 := load()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("indexed load differs (-built +used):\n%s", diff)
	}
	if diff := cmp.Diff(st1, st2); diff != "" {
		t.Errorf("stats differ (-built +used):\n%s", diff)
	}
	if len(first) != 8 {
		t.Errorf("findings = %v", first)
	}
	// A changed archive invalidates its index: drop lodash's records.
	delete(recs, "GHSA-35jh-r3h4-6jhm.json")
	delete(recs, "GHSA-p6mc-m468-83gw.json")
	os.RemoveAll(filepath.Join(root, "osv-scalibr"))
	writeZips(t, root, "osv-scalibr", recs)
	third, _ := load()
	if len(third) != 7 {
		t.Errorf("after the change: %v", third)
	}
	// An index that cannot be read is rebuilt (by a new Loader, which has
	// no index in memory).
	for _, f := range files {
		os.WriteFile(f, []byte("{garbage"), 0o644)
	}
	l = &Loader{IndexDir: idxDir}
	fourth, _ := load()
	if diff := cmp.Diff(third, fourth); diff != "" {
		t.Errorf("after a corrupt index (-before +after):\n%s", diff)
	}
}

// TestPreparedArchivesReused checks that a Load after Prepare, which uses
// the archives Prepare left open, finds what a Load alone finds; that an
// archive changed in between is read again; and that Close closes what no
// Load used.
func TestPreparedArchivesReused(t *testing.T) {
	recs := readShared(t)
	root := t.TempDir()
	writeZips(t, root, "osv-scalibr", recs)
	inputs := fixtureInputs()
	want := Wanted{}
	for _, in := range inputs {
		for _, p := range in.Lockfile.Packages {
			want.Add(p.Ecosystem, p.Name)
		}
	}
	load := func(l *Loader) ([]hit, LoadStats) {
		t.Helper()
		db, err := l.Load(context.Background(), root, want)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), db, inputs)
		if err != nil {
			t.Fatal(err)
		}
		return hits(rep), db.Stats
	}
	alone, st := load(&Loader{IndexDir: filepath.Join(t.TempDir(), "alone")})
	l := &Loader{IndexDir: filepath.Join(t.TempDir(), "prepared")}
	for round := range 2 { // building the indexes, then using them
		if err := l.Prepare(context.Background(), root); err != nil {
			t.Fatal(err)
		}
		if len(l.opened) != 4 {
			t.Fatalf("round %d: Prepare left %d archives open, want 4", round, len(l.opened))
		}
		got, gst := load(l)
		if diff := cmp.Diff(alone, got); diff != "" {
			t.Errorf("round %d: findings differ (-alone +prepared):\n%s", round, diff)
		}
		if diff := cmp.Diff(st, gst); diff != "" {
			t.Errorf("round %d: stats differ (-alone +prepared):\n%s", round, diff)
		}
		if len(l.opened) != 0 {
			t.Errorf("round %d: %d archives still open after Load", round, len(l.opened))
		}
	}
	// An archive changed between Prepare and Load is read again.
	if err := l.Prepare(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	delete(recs, "GHSA-35jh-r3h4-6jhm.json")
	delete(recs, "GHSA-p6mc-m468-83gw.json")
	os.RemoveAll(filepath.Join(root, "osv-scalibr"))
	writeZips(t, root, "osv-scalibr", recs)
	if changed, _ := load(l); len(changed) != len(alone)-1 {
		t.Errorf("after the change: %v", changed)
	}
	// Close closes the archives no Load took.
	if err := l.Prepare(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if len(l.opened) != 0 {
		t.Errorf("%d archives open after Close", len(l.opened))
	}
}
