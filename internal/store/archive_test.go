package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArchiveRoundTrip(t *testing.T) {
	ctx := context.Background()
	a := openStore(t)
	e, _ := addTree(t, a, "golden", goldenSpec, AddOptions{})
	var buf bytes.Buffer
	must(t, a.WriteArchive(ctx, &buf, e.Hash))
	archive := bytes.Clone(buf.Bytes())

	// One tree, one archive.
	var again bytes.Buffer
	must(t, a.WriteArchive(ctx, &again, e.Hash))
	if !bytes.Equal(archive, again.Bytes()) {
		t.Fatal("two archives of one entry differ")
	}

	b := openStore(t)
	got, err := b.AddArchive(ctx, bytes.NewReader(archive), "copy", AddOptions{Expect: e.Hash})
	must(t, err)
	if got.Hash != e.Hash || got.Files != e.Files || got.Name != "copy" {
		t.Fatalf("AddArchive = %+v", got)
	}
	if bad, err := b.Verify(ctx); err != nil || len(bad) != 0 {
		t.Fatalf("Verify after AddArchive: %v %v", bad, err)
	}
	// Restoring into a store that has it is a no-op.
	got, err = b.AddArchive(ctx, bytes.NewReader(archive), "copy2", AddOptions{})
	must(t, err)
	if !got.Existed {
		t.Error("second AddArchive did not find the entry")
	}
	if _, err := b.AddArchive(ctx, bytes.NewReader(archive), "x", AddOptions{Expect: strings.Repeat("0", 64)}); err == nil {
		t.Error("AddArchive ignored Expect")
	}
}

// archiveBuilder writes archives by hand, including hostile ones.
type archiveBuilder struct{ bytes.Buffer }

func newArchive() *archiveBuilder {
	b := &archiveBuilder{}
	b.str(archiveMagic)
	return b
}

func (b *archiveBuilder) u64(v uint64) *archiveBuilder {
	binary.Write(&b.Buffer, binary.LittleEndian, v)
	return b
}

func (b *archiveBuilder) str(s string) *archiveBuilder {
	b.u64(uint64(len(s)))
	b.WriteString(s)
	return b
}

func (b *archiveBuilder) dir(p string) *archiveBuilder { b.WriteByte('d'); return b.str(p) }
func (b *archiveBuilder) link(p, target string) *archiveBuilder {
	b.WriteByte('l')
	return b.str(p).str(target)
}
func (b *archiveBuilder) file(p, c string) *archiveBuilder {
	b.WriteByte('f')
	b.str(p).u64(uint64(len(c)))
	b.WriteString(c)
	return b
}
func (b *archiveBuilder) end(h string) []byte { b.WriteByte('E'); b.str(h); return b.Bytes() }

func TestAddArchiveRejects(t *testing.T) {
	ctx := context.Background()
	// The hash a well-formed archive holding just "a" = "x" must carry.
	one := t.TempDir()
	mktree(t, one, map[string]string{"a": "x"})
	h1, err := HashTree(ctx, one)
	must(t, err)
	outside := t.TempDir()
	tests := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"empty", nil, "bad magic"},
		{"bad magic", (&archiveBuilder{}).str("tar").Bytes(), "bad magic"},
		{"dotdot", newArchive().file("../"+filepath.Base(outside)+"/evil", "x").end(h1), "escapes"},
		{"dotdot inside", newArchive().dir("a").file("a/../../evil", "x").end(h1), "escapes"},
		{"absolute", newArchive().file(filepath.Join(outside, "evil"), "x").end(h1), "absolute"},
		{"dot", newArchive().file("./a", "x").end(h1), "not canonical"},
		{"empty component", newArchive().file("a//b", "x").end(h1), "empty path component"},
		{"file under symlink", newArchive().link("l", outside).file("l/evil", "x").end(h1), "not in the archive before it"},
		{"file under file", newArchive().file("a", "x").file("a/b", "x").end(h1), "not in the archive before it"},
		{"missing parent", newArchive().file("d/a", "x").end(h1), "not in the archive before it"},
		{"duplicate", newArchive().file("a", "x").file("a", "x").end(h1), "duplicate or out of order"},
		{"out of order", newArchive().file("b", "x").file("a", "x").end(h1), "duplicate or out of order"},
		{"truncated contents", append(newArchive().Bytes(), append([]byte{'f'}, (&archiveBuilder{}).str("a").u64(100).Bytes()...)...), "truncated"},
		{"no trailer", newArchive().file("a", "x").Bytes(), "no trailer"},
		{"wrong trailer", newArchive().file("a", "y").end(h1), "trailer says"},
		{"data after trailer", append(newArchive().file("a", "x").end(h1), 0), "after the trailer"},
		{"huge path", append(newArchive().Bytes(), append([]byte{'f'}, (&archiveBuilder{}).u64(1<<40).Bytes()...)...), "at most"},
		{"unknown type", append(newArchive().Bytes(), append([]byte{'q'}, (&archiveBuilder{}).str("a").Bytes()...)...), "unknown record"},
		{"empty symlink", newArchive().link("l", "").end(h1), "invalid symlink target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			_, err := s.AddArchive(ctx, bytes.NewReader(tt.archive), "x", AddOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AddArchive: %v, want error containing %q", err, tt.want)
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Errorf("rejected archive left entries: %v", list)
			}
			if ents, _ := os.ReadDir(outside); len(ents) != 0 {
				t.Errorf("archive wrote outside the store: %v", ents)
			}
		})
	}
	// The well-formed one is accepted, and an outside symlink is data.
	s := openStore(t)
	e, err := s.AddArchive(ctx, bytes.NewReader(newArchive().file("a", "x").end(h1)), "ok", AddOptions{})
	must(t, err)
	if e.Hash != h1 {
		t.Errorf("hash %s, want %s", e.Hash, h1)
	}
}

func TestGetNeverWritesOutside(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	outside := t.TempDir()
	e, _ := addTree(t, s, "links", map[string]string{"esc": "->" + outside, "abs": "->/", "rel": "->../../.."}, AddOptions{})
	if e.Symlinks != 3 {
		t.Fatalf("symlinks = %d", e.Symlinks)
	}
	dst := filepath.Join(t.TempDir(), "out")
	must(t, s.Get(ctx, e.Hash, dst, false))
	if l, _ := os.Readlink(filepath.Join(dst, "esc")); l != outside {
		t.Errorf("symlink restored as %q", l)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("Get wrote outside the target: %v", ents)
	}
}

func FuzzAddArchive(f *testing.F) {
	ctx := context.Background()
	src := f.TempDir()
	mktree(f, src, goldenSpec)
	seedStore := openStore(f)
	e, err := seedStore.Add(ctx, "golden", src, AddOptions{})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := seedStore.WriteArchive(ctx, &buf, e.Hash); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(newArchive().file("a", "x").end(strings.Repeat("0", 64)))
	f.Add(newArchive().dir("d").link("d/l", "..").file("d/l2", "x").end(strings.Repeat("0", 64)))
	outside := f.TempDir()
	s := openStore(f)
	s.noSync = true
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := s.AddArchive(ctx, bytes.NewReader(data), "fuzz", AddOptions{})
		if err == nil {
			// Whatever was accepted is a sound entry that round-trips.
			if err := s.VerifyEntry(ctx, e.Hash); err != nil {
				t.Fatalf("accepted archive stored a bad entry: %v", err)
			}
			var out bytes.Buffer
			if err := s.WriteArchive(ctx, &out, e.Hash); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("accepted archive is not canonical")
			}
		}
		var ae *ArchiveError
		if err != nil && !errors.As(err, &ae) && !strings.Contains(err.Error(), "archive: ") {
			t.Fatalf("error is not an archive error: %v", err)
		}
		if ents, _ := os.ReadDir(outside); len(ents) != 0 {
			t.Fatalf("archive wrote outside the store: %v", ents)
		}
		if ents, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(ents) != 0 {
			t.Fatalf("rejected archive left %v in tmp", ents)
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"version":1,"hash":"` + goldenHash + `","name":"x","size":1,"files":1,"dirs":0,"symlinks":0,"created":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"version":1,"hash":"` + goldenHash + `","name":"x","created":"2026-01-01T00:00:00Z","inputs":{"a":"b"},"references":["` + goldenHash + `"]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		out, err := m.marshal()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseMetadata(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !m.Created.Equal(m2.Created) || m.Hash != m2.Hash || m.Name != m2.Name || m.Size != m2.Size {
			t.Fatalf("round trip changed metadata: %+v vs %+v", m, m2)
		}
	})
}

func TestParseMetadata(t *testing.T) {
	valid := `{"version":1,"hash":"` + goldenHash + `","name":"x","created":"2026-01-01T00:00:00Z"}`
	tests := []struct {
		name, in, want string
	}{
		{"valid", valid, ""},
		{"not json", "{", "unexpected EOF"},
		{"trailing", valid + "{}", "trailing data"},
		{"version", strings.Replace(valid, `"version":1`, `"version":2`, 1), "unsupported version"},
		{"hash", strings.Replace(valid, goldenHash, "abc", 1), "not 64 lowercase hex"},
		{"upper hash", strings.Replace(valid, goldenHash, strings.ToUpper(goldenHash), 1), "not 64 lowercase hex"},
		{"no name", strings.Replace(valid, `"name":"x"`, `"name":""`, 1), "name is empty"},
		{"no created", strings.Replace(valid, `,"created":"2026-01-01T00:00:00Z"`, ``, 1), "created time missing"},
		{"bad created", strings.Replace(valid, `2026-01-01T00:00:00Z`, `yesterday`, 1), "cannot parse"},
		{"negative", strings.Replace(valid, `"name":"x"`, `"name":"x","size":-1`, 1), "negative"},
		{"bad reference", strings.Replace(valid, `"name":"x"`, `"name":"x","references":["zz"]`, 1), "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMetadata([]byte(tt.in))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseMetadata: %v, want error containing %q", err, tt.want)
			}
		})
	}
}
