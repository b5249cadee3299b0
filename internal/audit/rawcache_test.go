package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadRawCache reads arbitrary cache files: never a panic, never a
// record running past the file, and a cache it writes reads back whole.
func FuzzReadRawCache(f *testing.F) {
	f.Add(encodeRawCache(map[int][]byte{0: []byte(`{"id":"A"}`), 7: []byte(`{}`)}))
	f.Add([]byte(rawMagic + "\x01\xff\xff\xff\xff\x0f"))
	f.Add([]byte(rawMagic))
	f.Add([]byte("meta-osv-records 2\n\x00\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "x.records")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got := readRawCache(file)
		total := 0
		for e, b := range got {
			if e < 0 {
				t.Fatalf("negative entry %d", e)
			}
			total += len(b)
		}
		if total > len(data) {
			t.Fatalf("%d bytes of records from a %d-byte file", total, len(data))
		}
		if err := os.WriteFile(file, encodeRawCache(got), 0o600); err != nil {
			t.Fatal(err)
		}
		again := readRawCache(file)
		if len(again) != len(got) {
			t.Fatalf("round trip: %d records, then %d", len(got), len(again))
		}
		for e, b := range got {
			if !bytes.Equal(again[e], b) {
				t.Fatalf("round trip: entry %d differs", e)
			}
		}
	})
}
