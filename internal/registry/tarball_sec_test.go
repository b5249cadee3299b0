package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawTar writes tar entries, without the end blocks when end is false.
func rawTar(t testing.TB, end bool, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644, ModTime: time.Unix(0, 0)}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if end {
		tw.Close()
	} else {
		tw.Flush()
	}
	return buf.Bytes()
}

func gz(t testing.TB, parts ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, p := range parts {
		zw.Write(p)
	}
	zw.Close()
	return buf.Bytes()
}

// multiMember is the attack of issue 15 item 2: the first gzip member
// holds a tar without its end blocks, the second a symlink named like
// meta's marker that points outside.
func multiMember(t testing.TB) []byte {
	first := gz(t, rawTar(t, false, comp("lib")))
	second := gz(t, rawTar(t, true, entry{name: "evil", typ: tar.TypeSymlink, link: "/tmp/outside"}))
	return append(first, second...)
}

func TestReadTarballRefusesSmuggling(t *testing.T) {
	good := rawTar(t, true, comp("lib"), entry{name: "src/a.go", body: "package a"})
	zeros := make([]byte, 4<<20)
	bad := map[string][]byte{
		"second gzip member":       multiMember(t),
		"marker via second member": append(gz(t, rawTar(t, false, comp("lib"))), gz(t, rawTar(t, true, entry{name: MarkerFile, typ: tar.TypeSymlink, link: "x"}))...),
		"trailing junk":            append(gz(t, good), []byte("junk")...),
		"data after tar end":       gz(t, good, []byte("hidden entries")),
		"zero bomb after tar end":  gz(t, good, zeros),
		"marker entry":             gz(t, rawTar(t, true, comp("lib"), entry{name: MarkerFile, body: "{}"})),
		"marker entry dot slash":   gz(t, rawTar(t, true, comp("lib"), entry{name: "./" + MarkerFile, body: "{}"})),
		"git config":               gz(t, rawTar(t, true, comp("lib"), entry{name: ".git/config", body: "[core]\n\tfsmonitor = touch PWNED\n"})),
		"nested git dir":           gz(t, rawTar(t, true, comp("lib"), entry{name: "sub/.git/", typ: tar.TypeDir})),
		"git file":                 gz(t, rawTar(t, true, comp("lib"), entry{name: "sub/.git", body: "gitdir: /elsewhere\n"})),
		"git upper case":           gz(t, rawTar(t, true, comp("lib"), entry{name: ".GIT/hooks/post-checkout", body: "x"})),
		"git trailing dot":         gz(t, rawTar(t, true, comp("lib"), entry{name: ".git./config", body: "x"})),
		"git symlink":              gz(t, rawTar(t, true, comp("lib"), entry{name: ".git", typ: tar.TypeSymlink, link: "src"})),
	}
	for name, data := range bad {
		start := time.Now()
		_, err := InspectTarball(data)
		var te *TarballError
		if !errors.As(err, &te) {
			t.Errorf("%s: InspectTarball = %v, want a TarballError", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v to refuse", name, d)
		}
	}
	// Ordinary zero padding (tar's 10 KiB records) is fine.
	if _, err := InspectTarball(gz(t, good, make([]byte, 10240))); err != nil {
		t.Errorf("padded tarball refused: %v", err)
	}
	if _, err := InspectTarball(gz(t, rawTar(t, true, comp("lib"), entry{name: ".gitignore", body: "x"}, entry{name: "a/.github/x", body: "y"}))); err != nil {
		t.Errorf(".gitignore refused: %v", err)
	}
}

// The inflated size is bounded, tar headers and padding included, and
// the bound is configurable (issue 15 item 7).
func TestReadTarballBoundsInflatedSize(t *testing.T) {
	big := gz(t, rawTar(t, true, comp("lib"), entry{name: "big", body: strings.Repeat("a", 3<<20)}))
	if _, err := InspectTarballFrom(bytes.NewReader(big), Limits{}); err != nil {
		t.Fatalf("default limits: %v", err)
	}
	_, err := InspectTarballFrom(bytes.NewReader(big), Limits{MaxUnpacked: 1 << 20})
	var te *TarballError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "inflates to more than") {
		t.Fatalf("1 MiB limit: %v", err)
	}
	d := t.TempDir()
	f, _ := os.Create(filepath.Join(d, "t.tgz"))
	f.Write(big)
	if _, err := ExtractTarball(f, mkdir(t, d, "x"), Limits{MaxUnpacked: 1 << 20}); !errors.As(err, &te) {
		t.Fatalf("extract with 1 MiB limit: %v", err)
	}
}

func mkdir(t *testing.T, parts ...string) string {
	p := filepath.Join(parts...)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtractTarball(t *testing.T) {
	d := t.TempDir()
	outside := filepath.Join(d, "outside")
	os.WriteFile(outside, []byte("precious"), 0o644)
	// The multi-member attack never reaches the disk.
	f, _ := os.Create(filepath.Join(d, "evil.tgz"))
	f.Write(multiMember(t))
	dir := mkdir(t, d, "evil")
	if _, err := ExtractTarball(f, dir, Limits{}); err == nil {
		t.Fatal("multi-member tarball extracted")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("refused tarball left %d entries", len(ents))
	}
	// A good one extracts, links included.
	g, _ := os.Create(filepath.Join(d, "good.tgz"))
	g.Write(makeTarball(t, comp("lib"), entry{name: "src/a.go", body: "package a"}, entry{name: "l", typ: tar.TypeSymlink, link: "src/a.go"}, entry{name: "h", typ: tar.TypeLink, link: "src/a.go"}))
	dir = mkdir(t, d, "good")
	c, err := ExtractTarball(g, dir, Limits{})
	if err != nil || !strings.HasPrefix(string(c), "name: lib") {
		t.Fatalf("ExtractTarball = %q, %v", c, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "l")); err != nil || string(b) != "package a" {
		t.Fatalf("symlink: %q %v", b, err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "precious" {
		t.Fatal("outside file changed")
	}
}

func FuzzReadTarball(f *testing.F) {
	f.Add(makeTarball(f, comp("lib")))
	f.Add(multiMember(f))
	f.Add(gz(f, rawTar(f, true, comp("lib")), []byte("after")))
	f.Add(gz(f, rawTar(f, true, comp("lib"), entry{name: ".git/config", body: "x"})))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := InspectTarballFrom(bytes.NewReader(data), Limits{MaxUnpacked: 8 << 20})
		if err == nil && c == nil {
			t.Fatal("accepted without a component.yaml")
		}
		// Whatever the server accepts, extraction accepts and keeps inside.
		if err == nil {
			dir := t.TempDir()
			f, _ := os.CreateTemp(dir, "t")
			io.Copy(f, bytes.NewReader(data))
			out := filepath.Join(dir, "out")
			os.Mkdir(out, 0o755)
			if _, err := ExtractTarball(f, out, Limits{MaxUnpacked: 8 << 20}); err != nil {
				t.Fatalf("inspected but not extracted: %v", err)
			}
			f.Close()
		}
	})
}
