package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type upstream struct {
	srv      *httptest.Server
	body     atomic.Value // string
	etag     string
	requests atomic.Int32
	notMod   atomic.Int32
}

func newUpstream(t *testing.T, body string) *upstream {
	u := &upstream{etag: `"v1"`}
	u.body.Store(body)
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.requests.Add(1)
		if r.Header.Get("If-None-Match") == u.etag {
			u.notMod.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", u.etag)
		w.Write([]byte(u.body.Load().(string)))
	}))
	t.Cleanup(u.srv.Close)
	return u
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestCacheTTLAndRevalidation(t *testing.T) {
	up := newUpstream(t, `["a"]`)
	dir := t.TempDir()
	clk := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	newCache := func() *Cache { return &Cache{Dir: dir, Now: clk.now} }
	ctx := context.Background()

	d, err := newCache().Get(ctx, up.srv.URL, nil)
	if err != nil || string(d.Body) != `["a"]` || d.FromCache {
		t.Fatalf("first get: %+v %v", d, err)
	}
	// Within the TTL: no request.
	clk.t = clk.t.Add(time.Hour)
	d, err = newCache().Get(ctx, up.srv.URL, nil)
	if err != nil || !d.FromCache || up.requests.Load() != 1 {
		t.Fatalf("within TTL: %+v %v requests=%d", d, err, up.requests.Load())
	}
	// After the TTL: a conditional request, answered 304, keeps the body.
	clk.t = clk.t.Add(25 * time.Hour)
	d, err = newCache().Get(ctx, up.srv.URL, nil)
	if err != nil || string(d.Body) != `["a"]` || up.notMod.Load() != 1 || !d.FetchedAt.Equal(clk.t) {
		t.Fatalf("revalidate: %+v %v notmod=%d", d, err, up.notMod.Load())
	}
	// --refresh: unconditional.
	up.body.Store(`["b"]`)
	c := newCache()
	c.Refresh = true
	d, err = c.Get(ctx, up.srv.URL, nil)
	if err != nil || string(d.Body) != `["b"]` || up.notMod.Load() != 1 {
		t.Fatalf("refresh: %s %v", d.Body, err)
	}
}

func TestCacheOffline(t *testing.T) {
	up := newUpstream(t, `["a"]`)
	dir := t.TempDir()
	ctx := context.Background()
	off := &Cache{Dir: dir, Offline: true}
	_, err := off.Get(ctx, up.srv.URL, nil)
	var fe *Error
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "--offline") || fe.Hint == "" {
		t.Fatalf("offline without cache: %v", err)
	}
	if _, err := (&Cache{Dir: dir}).Get(ctx, up.srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	before := up.requests.Load()
	d, err := (&Cache{Dir: dir, Offline: true, TTL: time.Nanosecond}).Get(ctx, up.srv.URL, nil)
	if err != nil || !d.FromCache || up.requests.Load() != before {
		t.Fatalf("offline with cache: %v %v", d, err)
	}
}

func TestCacheNetworkFailure(t *testing.T) {
	up := newUpstream(t, `["a"]`)
	url := up.srv.URL
	dir := t.TempDir()
	ctx := context.Background()
	// Fill the cache under the URL, then stop the server.
	if _, err := (&Cache{Dir: dir}).Get(ctx, url, nil); err != nil {
		t.Fatal(err)
	}
	up.srv.Close()
	d, err := (&Cache{Dir: dir, TTL: time.Nanosecond}).Get(ctx, url, nil)
	if err != nil || !d.Stale || d.StaleWhy == "" {
		t.Fatalf("stale fallback: %+v %v", d, err)
	}
	_, err = (&Cache{Dir: t.TempDir()}).Get(ctx, url, nil)
	var fe *Error
	if !errors.As(err, &fe) || fe.Hint == "" {
		t.Fatalf("no cache, no network: %v", err)
	}
}

func TestCacheRejectsInvalidAndDamaged(t *testing.T) {
	up := newUpstream(t, `["a"`)
	dir := t.TempDir()
	bad := errors.New("truncated")
	validate := func(b []byte) error {
		if !strings.HasSuffix(string(b), "]") {
			return bad
		}
		return nil
	}
	if _, err := (&Cache{Dir: dir}).Get(context.Background(), up.srv.URL, validate); !errors.Is(err, bad) {
		t.Fatalf("got %v", err)
	}
	if d := (&Cache{Dir: dir}).Cached(up.srv.URL); d != nil {
		t.Fatal("an invalid document was cached")
	}
	up.body.Store(`["a"]`)
	c := &Cache{Dir: dir}
	if _, err := c.Get(context.Background(), up.srv.URL, validate); err != nil {
		t.Fatal(err)
	}
	bp, _ := c.paths(up.srv.URL)
	if err := writeAtomic(bp, []byte("xx")); err != nil {
		t.Fatal(err)
	}
	if d := c.Cached(up.srv.URL); d != nil {
		t.Fatal("a damaged cache entry was used")
	}
}

func TestCacheSingleflight(t *testing.T) {
	up := newUpstream(t, `[]`)
	c := &Cache{Dir: t.TempDir()}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Get(context.Background(), up.srv.URL, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := up.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}
