// Package toolchain benchmarks tool-version resolution against a fake
// upstream on loopback (internal/toolchain/upstreamtest): 20 specs from a
// warm cache (the cost of a `meta tools resolve` or `meta exec` PATH
// lookup) and from a cold cache (one request per upstream document, all in
// parallel).
//
//	go test -run XXX -bench . ./bench/toolchain
package toolchain

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/metawork/meta/internal/toolchain"
	"github.com/metawork/meta/internal/toolchain/upstreamtest"
)

// specs are 20 requirements touching every kind of source: go.dev,
// nodejs.org, the python catalogue, 12 GitHub repositories, and packages
// delegated to npm, uv and go install (no upstream document).
var specs = []string{
	"go@1.22", "node@lts", "python@3.12", "uv", "ripgrep", "fd", "bat", "delta", "lazygit", "jq",
	"yq", "fzf", "kubectl", "helm", "terraform", "rust", "npm:eslint@8", "uv:ruff", "typescript", "go:golang.org/x/tools/gopls@latest",
}

func setup(b *testing.B) (*upstreamtest.Server, toolchain.Options) {
	dir := b.TempDir()
	reg, err := toolchain.DefaultRegistry()
	if err != nil {
		b.Fatal(err)
	}
	var repos []string
	for _, t := range reg.Tools() {
		if t.Repo != "" {
			repos = append(repos, t.Repo)
		}
	}
	if err := upstreamtest.Build(dir, repos); err != nil {
		b.Fatal(err)
	}
	srv := upstreamtest.Serve(dir)
	b.Cleanup(srv.Close)
	u := srv.URL
	return srv, toolchain.Options{
		Sources:  &toolchain.Sources{Go: u + "/go/", Node: u + "/node/", Python: u + "/python/download-metadata.json", GitHub: u},
		CacheDir: filepath.Join(b.TempDir(), "cache"),
		DataDir:  filepath.Join(b.TempDir(), "data"),
		Getenv:   func(string) string { return "" },
	}
}

// BenchmarkResolveWarm20: every upstream document is in the on-disk cache
// and fresh; each iteration is a new resolver, as a new meta process would be.
func BenchmarkResolveWarm20(b *testing.B) {
	srv, opts := setup(b)
	ctx := context.Background()
	if _, err := toolchain.ResolveAll(ctx, specs, opts); err != nil {
		b.Fatal(err)
	}
	srv.Reset()
	b.ResetTimer()
	for b.Loop() {
		if _, err := toolchain.ResolveAll(ctx, specs, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := srv.Requests(""); n != 0 {
		b.Fatalf("warm resolution made %d requests", n)
	}
	b.ReportMetric(0, "requests/op")
}

// BenchmarkResolveCold20: an empty cache each iteration. The server answers
// every request after latency (a stand-in for a network round trip), so a
// serial fetcher would take about requests × latency.
func BenchmarkResolveCold20(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("latency="+latency.String(), func(b *testing.B) {
			srv, opts := setup(b)
			srv.Latency = latency
			ctx := context.Background()
			var requests, inflight int
			for b.Loop() {
				b.StopTimer()
				o := opts
				o.CacheDir = filepath.Join(b.TempDir(), "cache")
				srv.Reset()
				b.StartTimer()
				if _, err := toolchain.ResolveAll(ctx, specs, o); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				requests, inflight = srv.Requests(""), srv.MaxInFlight()
				b.StartTimer()
			}
			b.ReportMetric(float64(requests), "requests/op")
			b.ReportMetric(float64(inflight), "max-in-flight")
		})
	}
}

// BenchmarkResolveWarm20Recorded is BenchmarkResolveWarm20 with the recorded
// upstream documents of ../shared/fixtures/versions (go.dev 357 KB, Node
// index 285 KB, python catalogue 342 KB) in place of the small fake ones, so
// the parse cost of real document sizes is counted. Skipped without them.
func BenchmarkResolveWarm20Recorded(b *testing.B) {
	fx := filepath.Join("..", "..", "..", "shared", "fixtures", "versions")
	docs := map[string]string{
		"go-dl-mode-json-include-all.setup-go-2020.json":     "go/index.json",
		"node-dist-index.DERIVED-from-nvm-tab.json":          "node/index.json",
		"uv-python-download-metadata.linux-gnu-trimmed.json": "python/download-metadata.json",
	}
	srv, opts := setup(b)
	for from, to := range docs {
		data, err := os.ReadFile(filepath.Join(fx, from))
		if err != nil {
			b.Skip("shared fixtures not present")
		}
		if err := os.WriteFile(filepath.Join(srv.Dir(), filepath.FromSlash(to)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	recorded := append([]string{"go@1.13", "node@lts/iron", "python@3.12"}, specs[3:]...)
	ctx := context.Background()
	if _, err := toolchain.ResolveAll(ctx, recorded, opts); err != nil {
		b.Fatal(err)
	}
	srv.Reset()
	for b.Loop() {
		if _, err := toolchain.ResolveAll(ctx, recorded, opts); err != nil {
			b.Fatal(err)
		}
	}
	if n := srv.Requests(""); n != 0 {
		b.Fatalf("warm resolution made %d requests", n)
	}
}
