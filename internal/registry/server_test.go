package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/regindex"
)

type fixture struct {
	t     *testing.T
	dir   string
	store *backend.Local
	srv   *Server
	ts    *httptest.Server
	alice string
	bob   string
}

func newFixture(t *testing.T, opts ServerOptions) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := backend.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	f := &fixture{t: t, dir: dir, store: st}
	if f.alice, err = CreateToken(ctx, st, "alice", rand.Reader); err != nil {
		t.Fatal(err)
	}
	if f.bob, err = CreateToken(ctx, st, "bob", rand.Reader); err != nil {
		t.Fatal(err)
	}
	f.srv, f.ts = startServer(t, st, opts)
	return f
}

// startServer serves a registry on st over loopback HTTP until the test
// ends.
func startServer(t testing.TB, st Storage, opts ServerOptions) (*Server, *httptest.Server) {
	t.Helper()
	srv, err := NewServer(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

func (f *fixture) client(token string) *Client {
	return &Client{URL: f.ts.URL, Token: token, HTTP: f.ts.Client(), CacheDir: filepath.Join(f.t.TempDir(), "cache")}
}

func status(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// storedKeys lists what the storage holds outside tokens/.
func (f *fixture) storedKeys() []string {
	infos, err := f.store.List(context.Background(), "")
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, in := range infos {
		if !strings.HasPrefix(in.Key, "tokens/") {
			out = append(out, in.Key)
		}
	}
	return out
}

func TestServerPublishFlow(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	alice, bob, anon := f.client(f.alice), f.client(f.bob), f.client("")
	tb := makeTarball(t, comp("lib"), entry{name: "main.go", body: "package main"})

	// Auth failures.
	if _, err := anon.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb); status(err) != 401 {
		t.Fatalf("publish without token: %v, want 401", err)
	}
	if _, err := f.client(TokenPrefix+strings.Repeat("0", 64)).Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb); status(err) != 401 {
		t.Fatalf("publish with unknown token: %v, want 401", err)
	}
	if keys := f.storedKeys(); len(keys) != 0 {
		t.Fatalf("refused publishes stored %v", keys)
	}

	res, err := alice.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb); status(err) != 409 {
		t.Fatalf("re-publish: %v, want 409", err)
	}
	tb2 := makeTarball(t, comp("lib"), entry{name: "v2", body: "2"})
	if _, err := bob.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.1.0"}, tb2); status(err) != 403 {
		t.Fatalf("publish by non-owner: %v, want 403", err)
	}
	if _, err := alice.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.1.0", Cksum: res.Cksum}, tb2); status(err) != 400 {
		t.Fatalf("publish with wrong checksum: %v, want 400", err)
	}
	if _, err := alice.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.1.0"}, tb2); err != nil {
		t.Fatal(err)
	}

	// Index with ETag revalidation.
	es, err := anon.Index(ctx, "lib")
	if err != nil || len(es) != 2 || es[0].Cksum != res.Cksum || es[0].Deps[0] != (Dep{Name: "base", Req: "^1.0.0"}) || es[0].Tools[0] != "go@1.22" {
		t.Fatalf("Index = %+v, %v", es, err)
	}
	resp, err := http.Get(f.ts.URL + "/index/3/l/lib")
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	resp.Body.Close()
	req, _ := http.NewRequest("GET", f.ts.URL+"/index/3/l/lib", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 304 {
		t.Fatalf("conditional GET: %v %v, want 304", resp.Status, err)
	}
	resp.Body.Close()
	if es, err := anon.Index(ctx, "lib"); err != nil || len(es) != 2 {
		t.Fatalf("Index from cache after 304: %v %v", es, err)
	}
	if _, err := anon.Index(ctx, "nope"); !errors.Is(err, ErrPackageNotFound) {
		t.Fatalf("Index of a missing package: %v", err)
	}
	for _, p := range []string{"/index/lib", "/index/li/b/lib", "/index/3/l/nope"} {
		resp, _ := http.Get(f.ts.URL + p)
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %s", p, resp.Status)
		}
		resp.Body.Close()
	}

	// Download, through the config's dl template and the API redirect.
	data, err := anon.Download(ctx, es[0])
	if err != nil || !bytes.Equal(data, tb) {
		t.Fatalf("Download: %v", err)
	}
	resp, err = http.Get(f.ts.URL + "/api/v1/packages/lib/1.0.0/download")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download via API: %v %v", resp.Status, err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, tb) {
		t.Fatal("API download differs")
	}

	// Yank: owners only, visible in the index and info.
	if _, err := bob.Yank(ctx, "lib", "1.0.0", "broken"); status(err) != 403 {
		t.Fatalf("yank by non-owner: %v, want 403", err)
	}
	if _, err := anon.Yank(ctx, "lib", "1.0.0", "broken"); status(err) != 401 {
		t.Fatalf("yank without token: %v, want 401", err)
	}
	if _, err := alice.Yank(ctx, "lib", "9.9.9", "x"); status(err) != 404 {
		t.Fatalf("yank of missing version: %v, want 404", err)
	}
	if _, err := alice.Yank(ctx, "lib", "1.1.0", "broken build"); err != nil {
		t.Fatal(err)
	}
	info, err := anon.Info(ctx, "lib")
	if err != nil || info.MaxVersion != "1.0.0" || !info.Versions[1].Yanked || info.Versions[1].YankReason != "broken build" || info.Owners[0] != "alice" {
		t.Fatalf("Info after yank = %+v %v", info, err)
	}
	if es, _ := anon.Index(ctx, "lib"); !es[1].Yanked {
		t.Fatal("index does not show the yank")
	}
	if _, err := alice.Unyank(ctx, "lib", "1.1.0"); err != nil {
		t.Fatal(err)
	}
	if info, _ := anon.Info(ctx, "lib"); info.MaxVersion != "1.1.0" || info.Versions[1].Yanked {
		t.Fatalf("Info after unyank = %+v", info)
	}

	// Owners.
	if _, err := bob.AddOwners(ctx, "lib", []string{"bob"}); status(err) != 403 {
		t.Fatalf("add owner by non-owner: %v", err)
	}
	if _, err := alice.AddOwners(ctx, "lib", []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	if owners, err := anon.Owners(ctx, "lib"); err != nil || strings.Join(owners, ",") != "alice,bob" {
		t.Fatalf("Owners = %v %v", owners, err)
	}
	if _, err := bob.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.2.0"}, makeTarball(t, comp("lib"))); err != nil {
		t.Fatalf("publish by new owner: %v", err)
	}
	if _, err := bob.RemoveOwners(ctx, "lib", []string{"alice", "bob"}); status(err) != 400 {
		t.Fatalf("removing every owner: %v, want 400", err)
	}
	if _, err := bob.RemoveOwners(ctx, "lib", []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Yank(ctx, "lib", "1.2.0", ""); status(err) != 403 {
		t.Fatalf("yank by removed owner: %v", err)
	}

	// Search.
	if _, err := bob.Publish(ctx, PublishMeta{Name: "other", Vers: "0.1.0"}, makeTarball(t, entry{name: "component.yaml", body: "name: other\ndescription: Library for widgets\n"})); err != nil {
		t.Fatal(err)
	}
	sr, err := anon.Search(ctx, "widget", 0)
	if err != nil || sr.Meta.Total != 1 || sr.Packages[0].Name != "other" || sr.Packages[0].MaxVersion != "0.1.0" {
		t.Fatalf("Search = %+v %v", sr, err)
	}
	if sr, _ := anon.Search(ctx, "", 1); sr.Meta.Total != 2 || len(sr.Packages) != 1 {
		t.Fatalf("Search all, 1 per page = %+v", sr)
	}

	// A restarted server sees the same state.
	srv2, err := NewServer(ctx, f.store, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(srv2.Packages(), ","); got != "lib,other" {
		t.Fatalf("restarted server knows %s", got)
	}
	if a, b := f.srv.snapshotOf(ctx, "lib"), srv2.snapshotOf(ctx, "lib"); a.etag != b.etag {
		t.Fatal("restarted server serves a different index")
	}
}

func TestServerRefusesBadUploads(t *testing.T) {
	f := newFixture(t, ServerOptions{MaxUpload: 4096})
	ctx := context.Background()
	alice := f.client(f.alice)
	big := make([]byte, 5000)
	rand.Read(big)
	for name, tc := range map[string]struct {
		meta    PublishMeta
		tarball []byte
		status  int
		detail  string
	}{
		"bad name":          {PublishMeta{Name: "../lib", Vers: "1.0.0"}, makeTarball(t, comp("lib")), 400, "package name"},
		"bad version":       {PublishMeta{Name: "lib", Vers: "v1"}, makeTarball(t, comp("lib")), 400, "version"},
		"escaping entry":    {PublishMeta{Name: "lib", Vers: "1.0.0"}, makeTarball(t, comp("lib"), entry{name: "../x", body: "x"}), 400, "climbs out"},
		"escaping symlink":  {PublishMeta{Name: "lib", Vers: "1.0.0"}, makeTarball(t, comp("lib"), entry{name: "l", typ: tar.TypeSymlink, link: "../../etc/passwd"}), 400, "leaves the archive"},
		"not gzip":          {PublishMeta{Name: "lib", Vers: "1.0.0"}, []byte("plain text"), 400, "gzip"},
		"bad yaml":          {PublishMeta{Name: "lib", Vers: "1.0.0"}, makeTarball(t, entry{name: "component.yaml", body: "name: [lib\n"}), 400, "component.yaml does not parse"},
		"bad range":         {PublishMeta{Name: "lib", Vers: "1.0.0"}, makeTarball(t, entry{name: "component.yaml", body: "name: lib\ndepends_on: [\"base:>=1 <\"]\n"}), 400, `dependency "base"`},
		"name mismatch":     {PublishMeta{Name: "lib", Vers: "1.0.0"}, makeTarball(t, comp("other")), 400, "names \"other\""},
		"bad signature":     {PublishMeta{Name: "lib", Vers: "1.0.0", Sig: "junk"}, makeTarball(t, comp("lib")), 400, "minisign"},
		"oversized tarball": {PublishMeta{Name: "lib", Vers: "1.0.0"}, big, 413, "exceeds"},
	} {
		_, err := alice.Publish(ctx, tc.meta, tc.tarball)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != tc.status || !strings.Contains(ae.Detail, tc.detail) {
			t.Errorf("%s: %v, want %d with %q", name, err, tc.status, tc.detail)
		}
	}
	if keys := f.storedKeys(); len(keys) != 0 {
		t.Fatalf("refused uploads stored %v", keys)
	}
	if len(f.srv.Packages()) != 0 {
		t.Fatalf("refused uploads left packages %v", f.srv.Packages())
	}
	// A huge Content-Length is refused before reading.
	req, _ := http.NewRequest("PUT", f.ts.URL+"/api/v1/packages/new", bytes.NewReader(make([]byte, 2<<20)))
	req.Header.Set("Authorization", "Bearer "+f.alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 413 {
		t.Fatalf("2 MiB body: %v %v, want 413", resp.Status, err)
	}
	resp.Body.Close()
}

func TestClientRefusesTamperedTarball(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	tb := makeTarball(t, comp("lib"))
	res, err := f.client(f.alice).Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(f.dir, "dl", res.Cksum)
	os.Chmod(file, 0o644)
	if err := os.WriteFile(file, append(tb, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	c := f.client("")
	es, err := c.Index(ctx, "lib")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Download(ctx, es[0])
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("Download of a tampered tarball: %v, want a ChecksumError", err)
	}
}

func TestSignatures(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	priv, pubFile, pubLine, err := regindex.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tb := makeTarball(t, comp("lib"))
	sig, err := regindex.Sign(priv, tb, "lib@1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client(f.alice).Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0", Sig: sig}, tb); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client(f.alice).Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.1"}, makeTarball(t, comp("lib"), entry{name: "x", body: "1"})); err != nil {
		t.Fatal(err)
	}
	es, err := f.client("").Index(ctx, "lib")
	if err != nil {
		t.Fatal(err)
	}
	k1, err := regindex.ParsePublicKey(pubLine)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := regindex.ParsePublicKey(string(pubFile))
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("public key file and line differ: %v", err)
	}
	if err := regindex.VerifySignature(es[0], tb, []minisign.PublicKey{k1}); err != nil {
		t.Fatalf("VerifySignature: %v", err)
	}
	if err := regindex.VerifySignature(es[0], append(tb, 0), []minisign.PublicKey{k1}); err == nil {
		t.Fatal("signature verified over other bytes")
	}
	if err := regindex.VerifySignature(es[1], tb, []minisign.PublicKey{k1}); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned version: %v", err)
	}
	_, _, other, _ := regindex.GenerateKey()
	k3, _ := regindex.ParsePublicKey(other)
	if err := regindex.VerifySignature(es[0], tb, []minisign.PublicKey{k3}); err == nil {
		t.Fatal("signature verified with an untrusted key")
	}
	if err := regindex.VerifySignature(es[1], tb, nil); err != nil {
		t.Fatalf("no trusted keys: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, ServerOptions{Rate: 0.001, Burst: 2})
	ctx := context.Background()
	c := f.client(f.alice)
	// The first request of a token is counted against the client address
	// (the token is not known yet), later ones against the token.
	for i := 0; i < 3; i++ {
		if _, err := c.Yank(ctx, "nope", "1.0.0", ""); status(err) != 404 {
			t.Fatalf("request %d: %v, want 404", i, err)
		}
	}
	if _, err := c.Yank(ctx, "nope", "1.0.0", ""); status(err) != 429 {
		t.Fatalf("fourth request: %v, want 429", err)
	}
	req, _ := http.NewRequest("DELETE", f.ts.URL+"/api/v1/packages/nope/1.0.0/yank", nil)
	req.Header.Set("Authorization", "Bearer "+f.alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fifth request: %v %v, want 429 with Retry-After", resp.Status, err)
	}
	resp.Body.Close()
	// Bob's token does not share Alice's bucket (its first request takes
	// the address's last token) ...
	if _, err := f.client(f.bob).Yank(ctx, "nope", "1.0.0", ""); status(err) != 404 {
		t.Fatalf("another token shares the limit: %v", err)
	}
	// ... and guessed tokens from the same address are limited too.
	if _, err := f.client(TokenPrefix+strings.Repeat("1", 64)).Yank(ctx, "nope", "1.0.0", ""); status(err) != 429 {
		t.Fatalf("guessed token: %v, want 429", err)
	}
	if _, err := f.client("").Search(ctx, "", 0); err != nil {
		t.Fatalf("anonymous reads are not limited per token: %v", err)
	}
}

func TestServerMisc(t *testing.T) {
	f := newFixture(t, ServerOptions{PublicURL: "https://registry.example.com/"})
	get := func(path string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", f.ts.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/index/config.json")
	if resp.StatusCode != 200 || body != `{"dl":"https://registry.example.com/dl/{cksum}","api":"https://registry.example.com"}` {
		t.Fatalf("config.json: %s %s", resp.Status, body)
	}
	if resp, _ := get("/index/config.json", "If-None-Match", resp.Header.Get("ETag")); resp.StatusCode != 304 {
		t.Fatalf("config.json revalidation: %s", resp.Status)
	}
	resp, body = get("/nowhere")
	var eb ErrorBody
	if resp.StatusCode != 404 || json.Unmarshal([]byte(body), &eb) != nil || len(eb.Errors) != 1 || !strings.Contains(eb.Errors[0].Detail, "/nowhere") {
		t.Fatalf("unknown path: %s %s", resp.Status, body)
	}
	if resp, _ := get("/dl/" + strings.Repeat("a", 64)); resp.StatusCode != 404 {
		t.Fatalf("missing tarball: %s", resp.Status)
	}
	if resp, _ := get("/dl/..%2f..%2fetc%2fpasswd"); resp.StatusCode != 404 {
		t.Fatalf("bad checksum path: %s", resp.Status)
	}
	if resp, _ := get("/api/v1/packages/Bad%2FName"); resp.StatusCode != 400 && resp.StatusCode != 404 {
		t.Fatalf("bad name: %s", resp.Status)
	}
	if resp, _ := get("/api/v1/packages?per_page=1000"); resp.StatusCode != 400 {
		t.Fatalf("per_page=1000: %s", resp.Status)
	}
	// Request logs: one record per request.
	var mu sync.Mutex
	var logs []RequestLog
	srv, err := NewServer(context.Background(), f.store, ServerOptions{Log: func(r RequestLog) { mu.Lock(); logs = append(logs, r); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, p := range []string{"/index/config.json", "/index/3/l/lib"} {
		r, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 2 || logs[0].Path != "/index/config.json" || logs[0].Status != 200 || logs[1].Status != 404 || logs[1].Method != "GET" {
		t.Fatalf("logs = %+v", logs)
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "meta", "credentials.yaml")
	if m, err := LoadCredentials(file); err != nil || len(m) != 0 {
		t.Fatalf("missing file: %v %v", m, err)
	}
	if err := SaveCredentials(file, map[string]string{"http://x": "tok\"en"}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(file)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode %v", st.Mode())
	}
	m, err := LoadCredentials(file)
	if err != nil || m["http://x"] != "tok\"en" {
		t.Fatalf("LoadCredentials = %v %v", m, err)
	}
	os.Chmod(file, 0o644)
	if _, err := LoadCredentials(file); !errors.As(err, new(*CredentialsPermError)) {
		t.Fatalf("world-readable credentials: %v", err)
	}
	reg := filepath.Join(dir, "meta", "registries.yaml")
	if err := SaveRegistries(reg, map[string]string{"default": "http://a", "b": "http://b"}); err != nil {
		t.Fatal(err)
	}
	if m, err := LoadRegistries(reg); err != nil || m["default"] != "http://a" || len(m) != 2 {
		t.Fatalf("LoadRegistries = %v %v", m, err)
	}
}

func TestClientCacheFallback(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	if _, err := f.client(f.alice).Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, makeTarball(t, comp("lib"))); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	var warnings []string
	c := &Client{URL: f.ts.URL, CacheDir: cache, Warn: func(m string) { warnings = append(warnings, m) }}
	if _, err := c.Index(ctx, "lib"); err != nil {
		t.Fatal(err)
	}
	off := &Client{URL: f.ts.URL, CacheDir: cache, Offline: true}
	if es, err := off.Index(ctx, "lib"); err != nil || len(es) != 1 {
		t.Fatalf("offline from cache: %v %v", es, err)
	}
	if _, err := off.Index(ctx, "other"); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Fatalf("offline without cache: %v", err)
	}
	f.ts.Close()
	if es, err := c.Index(ctx, "lib"); err != nil || len(es) != 1 {
		t.Fatalf("unreachable registry with a cache: %v %v", es, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "using the cached index of lib") {
		t.Fatalf("warnings = %q", warnings)
	}
	if _, err := c.Index(ctx, "other"); err == nil {
		t.Fatal("unreachable registry without a cache answered")
	}
}
