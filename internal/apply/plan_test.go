package apply

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/registry"
)

// tarEntry is one entry of a test tarball.
type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func makeTarball(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body))}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// extractTarball extracts through the one tarball reader apply uses.
func extractTarball(data []byte, dir string) error {
	_, err := registry.ExtractTarball(bytes.NewReader(data), dir, registry.Limits{})
	return err
}

func TestExtractTarball(t *testing.T) {
	dir := t.TempDir()
	data := makeTarball(t, []tarEntry{
		{name: "component.yaml", body: "name: x\n", typ: tar.TypeReg},
		{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "bin/run", body: "#!/bin/sh\n", typ: tar.TypeReg, mode: 0o755},
		{name: "deep/er/file.txt", body: "deep\n", typ: tar.TypeReg},
		{name: "link", link: "bin/run", typ: tar.TypeSymlink},
		{name: "hard", link: "component.yaml", typ: tar.TypeLink},
	})
	if err := extractTarball(data, dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "deep/er/file.txt")); err != nil || string(b) != "deep\n" {
		t.Errorf("deep/er/file.txt = %q, %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "bin/run")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("bin/run is not executable: %v %v", st, err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "link")); err != nil || l != "bin/run" {
		t.Errorf("link = %q, %v", l, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "hard")); err != nil || string(b) != "name: x\n" {
		t.Errorf("hard = %q, %v", b, err)
	}
}

// Entries that would leave the directory fail, and nothing is written
// outside it.
func TestExtractTarballEscapes(t *testing.T) {
	tests := map[string][]tarEntry{
		"dot-dot":          {{name: "../escaped", body: "x", typ: tar.TypeReg}},
		"absolute":         {{name: "/escaped", body: "x", typ: tar.TypeReg}},
		"through symlink":  {{name: "out", link: "..", typ: tar.TypeSymlink}, {name: "out/escaped", body: "x", typ: tar.TypeReg}},
		"absolute symlink": {{name: "out", link: "/tmp", typ: tar.TypeSymlink}, {name: "out/escaped", body: "x", typ: tar.TypeReg}},
		"hard link out":    {{name: "escaped", link: "../secret", typ: tar.TypeLink}},
		"device":           {{name: "dev", typ: tar.TypeChar}},
	}
	for name, entries := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			os.WriteFile(filepath.Join(parent, "secret"), []byte("s"), 0o600)
			dir := filepath.Join(parent, "tree")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := extractTarball(makeTarball(t, entries), dir); err == nil {
				t.Fatal("extracted without an error")
			}
			if _, err := os.Lstat(filepath.Join(parent, "escaped")); err == nil {
				t.Fatal("an entry was written outside the directory")
			}
		})
	}
}

func TestPlanRegistry(t *testing.T) {
	const sumA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	const sumB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	// extracted writes what meta leaves after extracting version 1.0.0.
	extracted := func(t *testing.T, dir string) {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644)
		files, err := registry.TreeDigests(dir)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(registry.Extraction{Name: "lib", Version: "1.0.0", Registry: "default", Checksum: sumA, Files: files})
		os.WriteFile(filepath.Join(dir, registry.MarkerFile), data, 0o644)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		sum   string
		want  Action
		why   string
	}{
		{"absent", func(*testing.T, string) {}, sumB, Download, ""},
		{"empty", func(_ *testing.T, d string) { os.Mkdir(d, 0o755) }, sumB, Download, ""},
		{"same checksum", extracted, sumA, UpToDate, ""},
		{"untouched older", extracted, sumB, Download, ""},
		{"modified", func(t *testing.T, d string) {
			extracted(t, d)
			os.WriteFile(filepath.Join(d, "a.txt"), []byte("mine"), 0o644)
		}, sumB, SkipDirty, "1 modified file since meta extracted 1.0.0"},
		{"added", func(t *testing.T, d string) {
			extracted(t, d)
			os.WriteFile(filepath.Join(d, "b.txt"), []byte("b"), 0o644)
		}, sumB, SkipDirty, "1 added file"},
		{"removed", func(t *testing.T, d string) { extracted(t, d); os.Remove(filepath.Join(d, "a.txt")) }, sumB, SkipDirty, "1 removed file"},
		{"foreign", func(_ *testing.T, d string) { os.MkdirAll(d, 0o755); os.WriteFile(filepath.Join(d, "x"), nil, 0o644) }, sumB, Skip, "was not extracted by meta"},
		{"git checkout", func(_ *testing.T, d string) { os.MkdirAll(filepath.Join(d, ".git"), 0o755) }, sumB, Skip, "holds a git checkout"},
		{"a file", func(_ *testing.T, d string) { os.WriteFile(d, nil, 0o644) }, sumB, Skip, "is not a directory"},
		{"bad marker", func(_ *testing.T, d string) {
			os.MkdirAll(d, 0o755)
			os.WriteFile(filepath.Join(d, registry.MarkerFile), []byte("{"), 0o644)
		}, sumB, Skip, "marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "lib")
			tt.setup(t, dir)
			s := &Step{Name: "lib", Comp: &manifest.Component{Name: "lib", Path: dir, RelPath: "../lib"},
				Locked: &lockfile.Component{Name: "lib", Registry: "default", Version: "1.1.0", Checksum: tt.sum}}
			planRegistry(s)
			if s.Action != tt.want {
				t.Fatalf("action = %s (%s), want %s", s.Action, s.Why, tt.want)
			}
			if !bytes.Contains([]byte(s.Why), []byte(tt.why)) {
				t.Errorf("why = %q, want it to contain %q", s.Why, tt.why)
			}
		})
	}
}
