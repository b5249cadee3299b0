package registry

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metawork/meta/internal/regindex"
)

// Versions equal in precedence are one version (issue 15 item 5): with
// 1.0.0 published, 1.0.0+evil is refused with 409, and so is 1.0.0 after
// 1.0.0+a.
func TestPublishRefusesBuildMetadataTwin(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	c := f.client(f.alice)
	if _, err := c.Publish(ctx, PublishMeta{Name: "foo", Vers: "1.0.0"}, makeTarball(t, comp("foo"))); err != nil {
		t.Fatal(err)
	}
	evil := makeTarball(t, comp("foo"), entry{name: "evil", body: "x"})
	if _, err := c.Publish(ctx, PublishMeta{Name: "foo", Vers: "1.0.0+evil"}, evil); status(err) != 409 || !strings.Contains(err.Error(), "build metadata") {
		t.Fatalf("1.0.0+evil: %v, want 409", err)
	}
	if _, err := c.Publish(ctx, PublishMeta{Name: "foo", Vers: "1.1.0+a"}, evil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, PublishMeta{Name: "foo", Vers: "1.1.0"}, makeTarball(t, comp("foo"), entry{name: "b", body: "b"})); status(err) != 409 {
		t.Fatalf("1.1.0 after 1.1.0+a: %v, want 409", err)
	}
	// A pre-release is a different version.
	if _, err := c.Publish(ctx, PublishMeta{Name: "foo", Vers: "1.0.0-rc.1"}, makeTarball(t, comp("foo"), entry{name: "c", body: "c"})); err != nil {
		t.Fatal(err)
	}
}

// A signature whose trusted comment names another version, or a
// component.yaml whose version differs from the upload's, is refused at
// publish: clients would refuse it anyway.
func TestPublishChecksSignatureAndVersionBinding(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	c := f.client(f.alice)
	priv, _, _, _ := regindex.GenerateKey()
	tb := makeTarball(t, comp("lib"))
	sig, _ := regindex.SignVersion(priv, tb, "lib", "1.0.0")
	if _, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: "2.0.0", Sig: sig}, tb); status(err) != 400 || !strings.Contains(err.Error(), "another version") {
		t.Fatalf("signature of 1.0.0 on 2.0.0: %v, want 400", err)
	}
	if _, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0", Sig: sig}, tb); err != nil {
		t.Fatal(err)
	}
	vtb := makeTarball(t, entry{name: "component.yaml", body: "name: lib\nversion: 1.0.0\n"})
	if _, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: "3.0.0"}, vtb); status(err) != 400 {
		t.Fatalf("component.yaml version 1.0.0 published as 3.0.0: %v, want 400", err)
	}
}

// /index/config.json does not echo the Host header (issue 15 item 16).
func TestConfigIgnoresHostHeader(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	req, _ := http.NewRequest("GET", f.ts.URL+"/index/config.json", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg IndexConfig
	json.NewDecoder(resp.Body).Decode(&cfg)
	if strings.Contains(cfg.DL, "evil") || !strings.HasPrefix(cfg.DL, f.ts.URL+"/") {
		t.Fatalf("dl = %q, want under %s", cfg.DL, f.ts.URL)
	}
	// Without a connection (no address to go by), the server says so
	// rather than trusting Host.
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, httptest.NewRequest("GET", "http://evil.example/index/config.json", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "evil") {
		t.Fatalf("no connection: %d %s", rec.Code, rec.Body)
	}
	// With a public URL, that is what clients get.
	g := newFixture(t, ServerOptions{PublicURL: "https://registry.example/"})
	cfg2, err := g.client("").Config(context.Background())
	if err != nil || cfg2.DL != "https://registry.example/dl/{cksum}" {
		t.Fatalf("public URL: %+v %v", cfg2, err)
	}
}

// A server sweeps the half-written uploads a killed server left, and
// leaves young ones (another server may be writing them) (issue 15 item
// 15).
func TestServerSweepsStaleUploads(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	stale := filepath.Join(f.dir, ".tmp", "deadbeef00000000")
	young := filepath.Join(f.dir, ".tmp", "0123456789abcdef")
	os.WriteFile(stale, []byte("half an upload"), 0o444)
	os.WriteFile(young, []byte("in progress"), 0o444)
	old := time.Now().Add(-2 * StaleUpload)
	os.Chtimes(stale, old, old)
	if _, err := NewServer(context.Background(), f.store, ServerOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale upload kept")
	}
	if _, err := os.Stat(young); err != nil {
		t.Error("young upload removed")
	}
}

// Two servers on one storage (issue 18 item 13): concurrent publishes
// through both all land (a lost race is retried inside the server, not
// answered 409 "retry"), and each server's index reflects the other's
// writes within the revalidation TTL (here: every read).
func TestTwoServersOneStorage(t *testing.T) {
	f := newFixture(t, ServerOptions{Revalidate: time.Nanosecond})
	ctx := context.Background()
	_, ts2 := startServer(t, f.store, ServerOptions{Revalidate: time.Nanosecond})
	c1 := f.client(f.alice)
	c2 := &Client{URL: ts2.URL, Token: f.alice, HTTP: ts2.Client()}
	// Create the package on one server first so both know the owner.
	if _, err := c1.Publish(ctx, PublishMeta{Name: "lib", Vers: "0.0.1"}, makeTarball(t, comp("lib"))); err != nil {
		t.Fatal(err)
	}
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		for j, c := range []*Client{c1, c2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: fmt.Sprintf("1.%d.%d", i, j)}, makeTarball(t, comp("lib"), entry{name: "v", body: fmt.Sprint(i, j)}))
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("publish: %v", err)
		}
	}
	for _, c := range []*Client{f.client(""), {URL: ts2.URL, HTTP: ts2.Client()}} {
		es, err := c.Index(ctx, "lib")
		if err != nil || len(es) != 2*n+1 {
			t.Fatalf("%s: index has %d entries, %v", c.URL, len(es), err)
		}
	}
	// A package created on one server is visible on the other at once.
	if _, err := c2.Publish(ctx, PublishMeta{Name: "newpkg", Vers: "1.0.0"}, makeTarball(t, comp("newpkg"))); err != nil {
		t.Fatal(err)
	}
	if es, err := f.client("").Index(ctx, "newpkg"); err != nil || len(es) != 1 {
		t.Fatalf("new package through the other server: %v %v", es, err)
	}
	// A yank on one is seen by the other.
	if _, err := c1.Yank(ctx, "newpkg", "1.0.0", "bad"); err != nil {
		t.Fatal(err)
	}
	if es, err := (&Client{URL: ts2.URL, HTTP: ts2.Client()}).Index(ctx, "newpkg"); err != nil || !es[0].Yanked {
		t.Fatalf("yank through the other server: %+v %v", es, err)
	}
}

// Index files are served from memory, with a precomputed gzip variant for
// clients that ask for it (issue 18 item 14).
func TestIndexGzipVariant(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	c := f.client(f.alice)
	for i := 0; i < 20; i++ {
		if _, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: fmt.Sprintf("1.%d.0", i)}, makeTarball(t, comp("lib"), entry{name: "v", body: fmt.Sprint(i)})); err != nil {
			t.Fatal(err)
		}
	}
	get := func(hdr map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", f.ts.URL+"/index/3/l/lib", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		tr := &http.Transport{DisableCompression: true}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	plain, pb := get(nil)
	zipped, zb := get(map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if zipped.Header.Get("Content-Encoding") != "gzip" || len(zb) >= len(pb) || zipped.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Fatalf("gzip variant: encoding %q, %d vs %d bytes, etags %s %s", zipped.Header.Get("Content-Encoding"), len(zb), len(pb), zipped.Header.Get("ETag"), plain.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zb))
	if err != nil {
		t.Fatal(err)
	}
	if unz, _ := io.ReadAll(zr); !bytes.Equal(unz, pb) {
		t.Fatal("the gzip variant does not inflate to the index")
	}
	if r, _ := get(map[string]string{"Accept-Encoding": "gzip;q=0"}); r.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip sent to a client that refused it")
	}
	if r, _ := get(map[string]string{"Accept-Encoding": "gzip", "If-None-Match": zipped.Header.Get("ETag")}); r.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation of the gzip variant: %d", r.StatusCode)
	}
	if r, _ := get(map[string]string{"If-None-Match": plain.Header.Get("ETag")}); r.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation of the plain variant: %d", r.StatusCode)
	}
}
