package audit

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchDB writes n synthetic npm records (a few kilobytes each, like real
// GHSA records) into <dir>/osv-scalibr/npm/all.zip and returns the wanted
// set: 100 of the record's packages.
func benchDB(b *testing.B, n int) (string, Wanted) {
	b.Helper()
	dir := b.TempDir()
	zdir := filepath.Join(dir, "osv-scalibr", "npm")
	if err := os.MkdirAll(zdir, 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(zdir, "all.zip"))
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	details := strings.Repeat("A long description of the problem and its fix. ", 60)
	want := Wanted{}
	for i := range n {
		name := fmt.Sprintf("pkg-%d", i)
		if i%(n/100) == 0 {
			want.Add("npm", name)
		}
		w, err := zw.Create(fmt.Sprintf("GHSA-%d.json", i))
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(w, `{"schema_version":"1.4.0","id":"GHSA-%d","modified":"2025-01-01T00:00:00Z","aliases":["CVE-2099-%d"],"summary":"s","details":%q,
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"npm","name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]}],
"references":[{"type":"WEB","url":"https://example.invalid/%d"}],"database_specific":{"severity":"HIGH"}}`, i, i, details, name, i)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return dir, want
}

// BenchmarkLoadDB loads 10,000 records for 100 wanted packages: without an
// index (every run scans every record) and with a built index.
func BenchmarkLoadDB(b *testing.B) {
	dir, want := benchDB(b, 10000)
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			db, err := LoadDB(context.Background(), dir, want)
			if err != nil || db.Stats.Kept != 100 {
				b.Fatalf("%v, kept %d", err, db.Stats.Kept)
			}
		}
	})
	b.Run("indexed", func(b *testing.B) {
		l := &Loader{IndexDir: b.TempDir()}
		if _, err := l.Load(context.Background(), dir, want); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			db, err := l.Load(context.Background(), dir, want)
			if err != nil || db.Stats.Kept != 100 {
				b.Fatalf("%v, kept %d", err, db.Stats.Kept)
			}
		}
	})
	b.Run("decode-all", func(b *testing.B) {
		for b.Loop() {
			if _, err := LoadDB(context.Background(), dir, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
