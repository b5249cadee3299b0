package registry

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/backend/backendtest"
)

// TestServerOnS3 runs the registry on a real S3 server (versitygw): publish,
// yank, and a second server on the same bucket that sees the same state
// and cannot overwrite the first one's history.
func TestServerOnS3(t *testing.T) {
	endpoint, access, secret := backendtest.StartVersitygw(t)
	backendtest.MakeBucket(t, endpoint, access, secret, "registry")
	env := map[string]string{"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
	ctx := context.Background()
	st, err := backend.Open(ctx, "s3://registry/team?endpoint="+endpoint+"&region=us-east-1", backend.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	token, err := CreateToken(ctx, st, "alice", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv, ts := startServer(t, st, ServerOptions{})
	c := &Client{URL: ts.URL, Token: token, CacheDir: filepath.Join(t.TempDir(), "cache")}
	tb := makeTarball(t, comp("lib"))
	if _, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Yank(ctx, "lib", "1.0.0", "testing"); err != nil {
		t.Fatal(err)
	}
	es, err := c.Index(ctx, "lib")
	if err != nil || len(es) != 1 || !es[0].Yanked {
		t.Fatalf("Index = %+v %v", es, err)
	}
	if data, err := c.Download(ctx, es[0]); err != nil || len(data) != len(tb) {
		t.Fatalf("Download: %v", err)
	}

	// A second server on the bucket sees the history ...
	_, ts2 := startServer(t, st, ServerOptions{})
	c2 := &Client{URL: ts2.URL, Token: token}
	if info, err := c2.Info(ctx, "lib"); err != nil || !info.Versions[0].Yanked {
		t.Fatalf("second server: %+v %v", info, err)
	}
	// ... and when both change the package, the bucket's create-if-absent
	// lets only the first write win; the stale server notices, reads the
	// other's change and retries on the new state by itself (issue 18 item
	// 13): here that finds the work already done, never a lost update.
	if _, err := c2.Unyank(ctx, "lib", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Unyank(ctx, "lib", "1.0.0"); err != nil || res.Msg != "lib@1.0.0 was already unyanked" {
		t.Fatalf("stale server's write: %+v %v, want it retried onto the new state", res, err)
	}
	// A package published through the second server is found by the first
	// at once (it asks the storage about names it does not know).
	if _, err := c2.Publish(ctx, PublishMeta{Name: "other", Vers: "0.1.0"}, makeTarball(t, comp("other"))); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Yank(ctx, "lib", "1.0.0", "again"); err != nil {
		t.Fatal(err)
	}
	if es, err := c.Index(ctx, "other"); err != nil || len(es) != 1 {
		t.Fatalf("package made by the other server: %+v %v", es, err)
	}
	if err := srv.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if es, _ := c.Index(ctx, "lib"); !es[0].Yanked {
		t.Fatal("Refresh missed the yank")
	}
}

// TestConcurrentPublishes publishes from many goroutines at once: distinct
// versions all land, one version is won by exactly one writer, and the
// index stays consistent with the storage.
func TestConcurrentPublishes(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	c := f.client(f.alice)
	const n = 8
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: fmt.Sprintf("1.%d.0", i)}, makeTarball(t, comp("lib"), entry{name: "v", body: fmt.Sprint(i)}))
			errs <- err
		}()
		go func() {
			_, err := c.Publish(ctx, PublishMeta{Name: "same", Vers: "1.0.0"}, makeTarball(t, comp("same"), entry{name: "v", body: fmt.Sprint(i)}))
			errs <- err
		}()
	}
	ok, conflicts := 0, 0
	for i := 0; i < 2*n; i++ {
		switch err := <-errs; {
		case err == nil:
			ok++
		case status(err) == 409:
			conflicts++
		default:
			t.Errorf("publish: %v", err)
		}
	}
	if ok != n+1 || conflicts != n-1 {
		t.Fatalf("%d published, %d conflicts; want %d and %d", ok, conflicts, n+1, n-1)
	}
	es, err := c.Index(ctx, "lib")
	if err != nil || len(es) != n {
		t.Fatalf("index has %d entries, %v", len(es), err)
	}
	srv2, err := NewServer(ctx, f.store, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := f.srv.snapshotOf(ctx, "lib"), srv2.snapshotOf(ctx, "lib"); a.etag != b.etag {
		t.Fatal("the storage's history differs from the served index")
	}
}
