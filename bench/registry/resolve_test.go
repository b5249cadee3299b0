// Package registrybench measures the registry: resolving a 200-component
// workspace from a cold index cache over HTTP, and (wrk_compare.sh) index
// reads on loopback side by side with nginx serving the same files.
package registrybench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/regsource"
	"github.com/metawork/meta/internal/semver"
)

// memStorage is registry.Storage in memory, so that setting up 1000
// versions does not measure fsync.
type memStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStorage) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, backend.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *memStorage) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return fmt.Errorf("%s: %w", key, backend.ErrExists)
	}
	s.m[key] = b
	return nil
}

func (s *memStorage) List(ctx context.Context, prefix string) ([]backend.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []backend.Info
	for k, b := range s.m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, backend.Info{Key: k, Size: int64(len(b))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

const (
	nPackages = 200
	nVersions = 6 // 1.0.0 … 1.4.0 and 2.0.0
)

func pkgName(i int) string { return fmt.Sprintf("comp-%03d", i) }

// newRegistry publishes n packages × nVersions through the API. Package i
// depends on up to three packages with larger numbers (a DAG, as a real
// workspace), with ^1 ranges that the 2.0.0 versions do not satisfy.
func newRegistry(tb testing.TB, n int) *httptest.Server {
	tb.Helper()
	ctx := context.Background()
	st := &memStorage{m: map[string][]byte{}}
	token, err := registry.CreateToken(ctx, st, "bench", rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := registry.NewServer(ctx, st, registry.ServerOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	c := &registry.Client{URL: ts.URL, Token: token, HTTP: ts.Client()}
	versions := []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "2.0.0"}
	for i := 0; i < n; i++ {
		for _, v := range versions[:nVersions] {
			var deps []string
			for _, d := range []int{i + 1, i + 7, i + 31} {
				if d < n {
					deps = append(deps, fmt.Sprintf("%q", pkgName(d)+":^1.1.0"))
				}
			}
			compYAML := fmt.Sprintf("name: %s\ndepends_on: [%s]\ntools: [go@1.22]\n", pkgName(i), strings.Join(deps, ", "))
			tarball := makeTarball(tb, compYAML, v)
			if _, err := c.Publish(ctx, registry.PublishMeta{Name: pkgName(i), Vers: v}, tarball); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return ts
}

// BenchmarkColdResolve200 resolves a workspace of 200 registry components
// with an empty index cache each time: 200 index fetches over loopback
// HTTP (prefetched in parallel, as 'meta lock' does), then PubGrub.
func BenchmarkColdResolve200(b *testing.B) {
	ts := newRegistry(b, nPackages)
	defer ts.Close()
	ctx := context.Background()
	root := make([]pubgrub.Dependency, nPackages)
	names := make([]string, nPackages)
	for i := range root {
		names[i] = pkgName(i)
		root[i] = pubgrub.Dependency{Name: names[i], Constraint: semver.MustParseConstraint("^1.0.0")}
	}
	b.ResetTimer()
	for b.Loop() {
		c := &registry.Client{URL: ts.URL, HTTP: ts.Client(), CacheDir: b.TempDir()}
		p := regsource.NewRegistry(c, regsource.RegistryOptions{Name: "bench"})
		p.Prefetch(ctx, names)
		sol, err := pubgrub.Solve(ctx, p, pubgrub.Request{Root: root})
		if err != nil {
			b.Fatal(err)
		}
		if len(sol.Names) != nPackages || sol.Versions[pkgName(0)].String() != "1.4.0" {
			b.Fatalf("solution: %d packages, %s@%s", len(sol.Names), pkgName(0), sol.Versions[pkgName(0)])
		}
	}
}

// BenchmarkWarmResolve200 is the same with a warm on-disk cache: every index
// file is revalidated (304) instead of downloaded.
func BenchmarkWarmResolve200(b *testing.B) {
	ts := newRegistry(b, nPackages)
	defer ts.Close()
	ctx := context.Background()
	cache := b.TempDir()
	root := make([]pubgrub.Dependency, nPackages)
	names := make([]string, nPackages)
	for i := range root {
		names[i] = pkgName(i)
		root[i] = pubgrub.Dependency{Name: names[i], Constraint: semver.MustParseConstraint("^1.0.0")}
	}
	solve := func() {
		c := &registry.Client{URL: ts.URL, HTTP: ts.Client(), CacheDir: cache}
		p := regsource.NewRegistry(c, regsource.RegistryOptions{Name: "bench"})
		p.Prefetch(ctx, names)
		if _, err := pubgrub.Solve(ctx, p, pubgrub.Request{Root: root}); err != nil {
			b.Fatal(err)
		}
	}
	solve()
	b.ResetTimer()
	for b.Loop() {
		solve()
	}
}

// TestResolveSmall checks the benchmark's setup on a small registry.
func TestResolveSmall(t *testing.T) {
	const n = 12
	ts := newRegistry(t, n)
	defer ts.Close()
	ctx := context.Background()
	c := &registry.Client{URL: ts.URL, HTTP: ts.Client(), CacheDir: t.TempDir()}
	p := regsource.NewRegistry(c, regsource.RegistryOptions{Name: "bench"})
	sol, err := pubgrub.Solve(ctx, p, pubgrub.Request{Root: []pubgrub.Dependency{{Name: pkgName(0), Constraint: semver.MustParseConstraint("^1.0.0")}}})
	if err != nil {
		t.Fatal(err)
	}
	// comp-000 needs comp-001 and comp-007, which need the rest of the chain.
	if len(sol.Names) != n || sol.Versions[pkgName(0)].String() != "1.4.0" {
		t.Fatalf("solution %v %v", sol.Names, sol.Versions)
	}
}

// BenchmarkServeIndex is the server's own cost for one warm index read,
// without the network: what wrk_compare.sh measures minus net/http's
// connection handling.
func BenchmarkServeIndex(b *testing.B) {
	ts := newRegistry(b, 1)
	ts.Close()
	srv := ts.Config.Handler
	req := httptest.NewRequest("GET", "/index/co/mp/"+pkgName(0), nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		w.code = 0
		srv.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
