package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/regindex"
)

// hostile is a registry that serves whatever index lines and tarballs the
// test gives it.
type hostile struct {
	index map[string][]IndexEntry
	blobs map[string][]byte
	ts    *httptest.Server
}

func newHostile(t *testing.T) *hostile {
	h := &hostile{index: map[string][]IndexEntry{}, blobs: map[string][]byte{}}
	h.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/index/config.json":
			fmt.Fprintf(w, `{"dl":"%s/dl/{cksum}","api":"%s"}`, h.ts.URL, h.ts.URL)
		case strings.HasPrefix(r.URL.Path, "/index/"):
			name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
			w.Write(regindex.FormatIndex(h.index[name]))
		case strings.HasPrefix(r.URL.Path, "/dl/"):
			w.Write(h.blobs[strings.TrimPrefix(r.URL.Path, "/dl/")])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(h.ts.Close)
	return h
}

func (h *hostile) add(e IndexEntry, tb []byte) IndexEntry {
	sum := sha256.Sum256(tb)
	e.Cksum = hex.EncodeToString(sum[:])
	if e.Deps == nil {
		e.Deps = []Dep{}
	}
	h.index[e.Name] = append(h.index[e.Name], e)
	h.blobs[e.Cksum] = tb
	return e
}

func (h *hostile) client() *Client { return &Client{URL: h.ts.URL, HTTP: h.ts.Client()} }

func install(c *Client, e IndexEntry, dir string, keys []minisign.PublicKey) error {
	return c.Install(context.Background(), Install{Name: e.Name, Version: e.Vers, Checksum: "sha256:" + e.Cksum, Registry: "r", Trusted: keys, Dir: dir})
}

// A hostile registry serves sgn@2.0.0 with the tarball and the signature
// of sgn@1.0.0 (issue 15 item 6): the signature verifies over the bytes,
// but it names another version, and so does the tarball.
func TestInstallRefusesReplayedSignature(t *testing.T) {
	priv, _, line, err := regindex.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := regindex.ParsePublicKey(line)
	keys := []minisign.PublicKey{key}
	h := newHostile(t)
	tb := makeTarball(t, entry{name: "component.yaml", body: "name: sgn\n"})
	sig, err := regindex.SignVersion(priv, tb, "sgn", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	good := h.add(IndexEntry{Name: "sgn", Vers: "1.0.0", Sig: sig}, tb)
	replay := good
	replay.Vers = "2.0.0"
	h.index["sgn"] = append(h.index["sgn"], replay)
	dir := t.TempDir()
	if err := install(h.client(), good, filepath.Join(dir, "ok"), keys); err != nil {
		t.Fatalf("genuine version: %v", err)
	}
	err = install(h.client(), replay, filepath.Join(dir, "replayed"), keys)
	if err == nil || !strings.Contains(err.Error(), "another version's signature") {
		t.Fatalf("replayed signature: %v", err)
	}
	// A signature for the right name and version but another tarball.
	other := makeTarball(t, entry{name: "component.yaml", body: "name: sgn\n"}, entry{name: "x", body: "y"})
	osig, _ := regindex.Sign(priv, other, regindex.TrustedComment("sgn", "3.0.0", strings.Repeat("0", 64)))
	e3 := h.add(IndexEntry{Name: "sgn", Vers: "3.0.0", Sig: osig}, other)
	if err := install(h.client(), e3, filepath.Join(dir, "three"), keys); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("signature with another checksum: %v", err)
	}
	for _, d := range []string{"replayed", "three"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			t.Errorf("%s was extracted", d)
		}
	}
}

// Without signatures, the tarball's component.yaml must still name the
// package and version the index lists.
func TestInstallChecksComponentAgainstIndex(t *testing.T) {
	h := newHostile(t)
	wrongName := h.add(IndexEntry{Name: "app", Vers: "1.0.0"}, makeTarball(t, entry{name: "component.yaml", body: "name: lib\n"}))
	wrongVers := h.add(IndexEntry{Name: "lib", Vers: "2.0.0"}, makeTarball(t, entry{name: "component.yaml", body: "name: lib\nversion: 1.0.0\n"}))
	right := h.add(IndexEntry{Name: "lib", Vers: "1.0.0"}, makeTarball(t, entry{name: "component.yaml", body: "name: lib\nversion: v1.0.0\n"}))
	dir := t.TempDir()
	if err := install(h.client(), wrongName, filepath.Join(dir, "a"), nil); err == nil || !strings.Contains(err.Error(), "another package's tarball") {
		t.Errorf("wrong name: %v", err)
	}
	if err := install(h.client(), wrongVers, filepath.Join(dir, "b"), nil); err == nil || !strings.Contains(err.Error(), "another version's tarball") {
		t.Errorf("wrong version: %v", err)
	}
	if err := install(h.client(), right, filepath.Join(dir, "c"), nil); err != nil {
		t.Errorf("right one: %v", err)
	}
}

// The marker is written through os.Root, and one planted as a symlink by
// a previous (or hostile) extraction is never followed.
func TestMarkerNeverFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	os.WriteFile(outside, []byte(`{"name":"x"}`), 0o644)
	tree := filepath.Join(dir, "tree")
	os.Mkdir(tree, 0o755)
	os.Symlink(outside, filepath.Join(tree, MarkerFile))
	if _, err := ReadMarker(tree); err == nil {
		t.Fatal("ReadMarker followed a symlink")
	}
	if err := writeMarker(tree, []byte("{}")); err == nil {
		t.Fatal("writeMarker wrote through a symlink")
	}
	if b, _ := os.ReadFile(outside); string(b) != `{"name":"x"}` {
		t.Fatal("the file outside changed")
	}
}

// A download that never ends is cut at the cap, streamed to disk rather
// than memory, and leaves no file behind (issue 15 item 14).
func TestDownloadStreamsWithCap(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index/config.json" {
			fmt.Fprintf(w, `{"dl":"http://%s/dl/{cksum}"}`, r.Host)
			return
		}
		buf := make([]byte, 64<<10)
		for {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}))
	defer ts.Close()
	dir := t.TempDir()
	c := &Client{URL: ts.URL, HTTP: ts.Client(), MaxDownload: 4 << 20}
	f, err := c.DownloadFile(context.Background(), IndexEntry{Name: "lib", Vers: "1.0.0", Cksum: strings.Repeat("0", 64)}, dir)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("endless download: %v, %v", f, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %d files behind", len(ents))
	}
}

// A yanked locked version warns, or fails with DenyYanked (issue 18 item
// 12); a yank of one build-metadata variant covers the others.
func TestInstallYanked(t *testing.T) {
	h := newHostile(t)
	e := h.add(IndexEntry{Name: "lib", Vers: "1.0.0"}, makeTarball(t, comp("lib")))
	h.add(IndexEntry{Name: "lib", Vers: "1.0.0+other", Yanked: true}, makeTarball(t, comp("lib"), entry{name: "b", body: "b"}))
	dir := t.TempDir()
	var warned []string
	err := h.client().Install(context.Background(), Install{Name: "lib", Version: "1.0.0", Checksum: "sha256:" + e.Cksum, Registry: "r", Dir: filepath.Join(dir, "a"),
		Warn: func(s string) { warned = append(warned, s) }})
	if err != nil || len(warned) != 1 || !strings.Contains(warned[0], "yanked") {
		t.Fatalf("yanked: %v, warnings %q", err, warned)
	}
	err = h.client().Install(context.Background(), Install{Name: "lib", Version: "1.0.0", Checksum: "sha256:" + e.Cksum, Registry: "r", Dir: filepath.Join(dir, "b"), DenyYanked: true})
	var ye *YankedError
	if !errors.As(err, &ye) {
		t.Fatalf("DenyYanked: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); err == nil {
		t.Fatal("extracted despite DenyYanked")
	}
}
