package toolchain

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metawork/meta/internal/toolchain/upstreamtest"
)

// fakeUpstream serves upstreamtest.Build's tree and returns options for it.
func fakeUpstream(t testing.TB) (*upstreamtest.Server, Options) {
	t.Helper()
	dir := t.TempDir()
	reg, err := DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	var repos []string
	for _, tl := range reg.Tools() {
		if tl.Repo != "" {
			repos = append(repos, tl.Repo)
		}
	}
	if err := upstreamtest.Build(dir, repos); err != nil {
		t.Fatal(err)
	}
	srv := upstreamtest.Serve(dir)
	t.Cleanup(srv.Close)
	return srv, testOptions(t, srv.URL)
}

func testOptions(t testing.TB, base string) Options {
	home := t.TempDir()
	return Options{
		Sources:  &Sources{Go: base + "/go/", Node: base + "/node/", Python: base + "/python/download-metadata.json", GitHub: base},
		CacheDir: filepath.Join(home, "cache"),
		DataDir:  filepath.Join(home, "data"),
		Getenv:   func(string) string { return "" },
	}
}

func versionsOf(rs []Resolved) map[string]string {
	m := map[string]string{}
	for _, r := range rs {
		m[r.Name] = r.Version
	}
	return m
}

func TestResolveAll(t *testing.T) {
	srv, opts := fakeUpstream(t)
	ctx := context.Background()
	rs, notes, err := resolveNotes(ctx, []string{"go@1.22", "node@lts", "python@3.11", "ripgrep", "npm:eslint@8", "uv:ruff", "k8s", "jq@1.7.1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 {
		t.Errorf("notes: %v", notes)
	}
	got := versionsOf(rs)
	want := map[string]string{"go": "1.22.12", "node": "22.11.0", "python": "3.11.10", "ripgrep": "14.1.1", "npm:eslint": "8",
		"uv:ruff": "", "kubectl": "1.1.0", "helm": "1.1.0", "jq": "1.7.1", "uv": "0.5.1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	for _, r := range rs {
		if r.Name == "uv" && (!r.Implied || strings.Join(r.RequiredBy, ",") != "uv:ruff") {
			t.Errorf("uv: implied=%v by %v", r.Implied, r.RequiredBy)
		}
		if r.Name == "node" && r.Implied {
			t.Error("node was given explicitly")
		}
	}
	// One request per upstream document: go, node, python, and one per GitHub repo.
	for _, p := range []string{"/go", "/node/index.json", "/python/download-metadata.json", "/repos/BurntSushi/ripgrep/releases", "/repos/kubernetes/kubernetes/releases", "/repos/astral-sh/uv/releases"} {
		if n := srv.Requests(p); n != 1 {
			t.Errorf("%s requested %d times", p, n)
		}
	}
	// Warm: no requests at all.
	before := srv.Requests("")
	if _, _, err := resolveNotes(ctx, []string{"go@1.22", "node@20", "ripgrep@14.1.0"}, opts); err != nil {
		t.Fatal(err)
	}
	if srv.Requests("") != before {
		t.Errorf("warm cache made %d requests", srv.Requests("")-before)
	}
	// After the TTL: revalidated with 304s, same answers.
	opts.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	rs, _, err = resolveNotes(ctx, []string{"go@1.22"}, opts)
	if err != nil || versionsOf(rs)["go"] != "1.22.12" || srv.Requests("/go") != 2 {
		t.Fatalf("revalidation: %v %v requests=%d", rs, err, srv.Requests("/go"))
	}
}

func TestResolveErrors(t *testing.T) {
	srv, opts := fakeUpstream(t)
	ctx := context.Background()
	cases := []struct {
		specs []string
		want  string
		hint  string
	}{
		{[]string{"nodejs@20"}, `unknown tool "nodejs"`, `did you mean "node"?`},
		{[]string{"ripgrp"}, `unknown tool "ripgrp"`, `did you mean "ripgrep"?`},
		{[]string{"my-tool"}, `unknown tool "my-tool"`, "npm:NAME"},
		{[]string{"go@1.22.5"}, `invalid version "1.22.5" for go` + "\n\n  Available versions: 1.22.11, 1.22.12\n  Or omit the version to use the default (latest: 1.22.12)", ""},
		{[]string{"node@lts/argon"}, "Available versions: lts/iron, lts/jod", ""},
		{[]string{"python@3.10"}, "Available versions: 3.11.10, 3.12.7", ""},
		{[]string{"k8s@1"}, `bundle "k8s" does not take a version`, ""},
		{[]string{"sqlite3@3.40"}, "takes no version", ""},
		{[]string{"go@1.22", "go@1.21"}, "go is required twice, as go@1.22 and as go@1.21", ""},
		{[]string{"npm:eslint;rm -rf /"}, "invalid character ';' at position 11 in npm package name", ""},
	}
	for _, c := range cases {
		_, _, err := resolveNotes(ctx, c.specs, opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.specs, err, c.want)
			continue
		}
		if c.hint != "" {
			var h interface{ Hint() string }
			if !errors.As(err, &h) || !strings.Contains(h.Hint(), c.hint) {
				t.Errorf("%v: no hint %q in %v", c.specs, c.hint, err)
			}
		}
	}
	_ = srv
}

func TestResolveOfflineAndFailures(t *testing.T) {
	srv, opts := fakeUpstream(t)
	ctx := context.Background()
	off := opts
	off.Offline = true
	_, _, err := resolveNotes(ctx, []string{"go@1.22"}, off)
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "--offline") || !strings.Contains(se.Hint(), "without --offline") {
		t.Fatalf("offline, no cache: %v", err)
	}
	if _, _, err := resolveNotes(ctx, []string{"go@1.22"}, opts); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests("")
	rs, notes, err := resolveNotes(ctx, []string{"go@1.22"}, off)
	if err != nil || versionsOf(rs)["go"] != "1.22.12" || srv.Requests("") != before {
		t.Fatalf("offline with cache: %v %v", rs, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0].Msg, "offline: go release list from the cache, fetched") {
		t.Errorf("notes: %v", notes)
	}

	// A truncated document: a clear error, nothing cached.
	fresh := testOptions(t, srv.URL)
	dir := t.TempDir()
	full, _ := os.ReadFile(filepath.Join("testdata", "go-dl.modern.json"))
	os.MkdirAll(filepath.Join(dir, "go"), 0o755)
	os.WriteFile(filepath.Join(dir, "go", "index.json"), full[:len(full)/3], 0o644)
	os.MkdirAll(filepath.Join(dir, "node"), 0o755)
	os.WriteFile(filepath.Join(dir, "node", "index.json"), []byte("<html>maintenance</html>"), 0o644)
	bad := upstreamtest.Serve(dir)
	defer bad.Close()
	fresh.Sources.Go, fresh.Sources.Node = bad.URL+"/go/", bad.URL+"/node/"
	_, _, err = resolveNotes(ctx, []string{"go@1.22"}, fresh)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "truncated") || !strings.Contains(se.Hint(), "META_SOURCE_GO") {
		t.Errorf("truncated: %v", err)
	}
	_, _, err = resolveNotes(ctx, []string{"node@20"}, fresh)
	if err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("not JSON: %v", err)
	}
	// Server errors and a dead network, with no cache.
	srv.Fail("/python/download-metadata.json", http.StatusBadGateway)
	before = srv.Requests("/python/download-metadata.json")
	_, _, err = resolveNotes(ctx, []string{"python@3.12", "uv:ruff", "pip:pytest"}, fresh)
	if err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") {
		t.Errorf("502: %v", err)
	}
	if n := srv.Requests("/python/download-metadata.json") - before; n != 1 {
		t.Errorf("a failing source was asked %d times", n)
	}
	dead := testOptions(t, "http://127.0.0.1:1")
	_, _, err = resolveNotes(ctx, []string{"go"}, dead)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(se.Hint(), "check the network") {
		t.Errorf("dead network: %v", err)
	}
}

func TestResolveStaleFallback(t *testing.T) {
	srv, opts := fakeUpstream(t)
	ctx := context.Background()
	if _, _, err := resolveNotes(ctx, []string{"node@20"}, opts); err != nil {
		t.Fatal(err)
	}
	srv.Fail("/node/index.json", http.StatusServiceUnavailable)
	opts.Now = func() time.Time { return time.Now().Add(30 * time.Hour) }
	rs, notes, err := resolveNotes(ctx, []string{"node@20"}, opts)
	if err != nil || versionsOf(rs)["node"] != "20.18.0" {
		t.Fatal(rs, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0].Msg, "could not be refreshed (server answered 503 Service Unavailable); using the cached copy from 30h ago") {
		t.Errorf("notes: %v", notes)
	}
}

func TestLoadSources(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "meta"), 0o755)
	os.WriteFile(filepath.Join(dir, "meta", "config.yaml"), []byte("tools:\n  sources:\n    go: https://mirror.example/go/\n    node: https://mirror.example/node/\n"), 0o644)
	env := map[string]string{"XDG_CONFIG_HOME": dir, "META_SOURCE_NODE": "http://127.0.0.1:9/node/"}
	s, err := LoadSources(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if s.Go != "https://mirror.example/go/" || s.Node != "http://127.0.0.1:9/node/" || s.GitHub != DefaultSources().GitHub {
		t.Errorf("sources %+v", s)
	}
	os.WriteFile(filepath.Join(dir, "meta", "config.yaml"), []byte("tools:\n  sources:\n    golang: https://x/\n"), 0o644)
	_, err = LoadSources(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "config.yaml:3:5: unknown tool source \"golang\"") {
		t.Errorf("bad config: %v", err)
	}
	env["META_SOURCE_GO"] = "ftp://x"
	os.Remove(filepath.Join(dir, "meta", "config.yaml"))
	if _, err := LoadSources(func(k string) string { return env[k] }); err == nil {
		t.Error("ftp source accepted")
	}
}

func FuzzConfigSources(f *testing.F) {
	f.Add([]byte("tools:\n  sources:\n    go: https://mirror.example/go/\n"))
	f.Add([]byte("tools: [go]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := DefaultSources()
		if err := applyConfigSources("config.yaml", data, &s); err != nil {
			return
		}
		for _, u := range []string{s.Go, s.Node, s.Python, s.GitHub} {
			if checkSourceURL(u) != nil {
				t.Fatalf("accepted source %q", u)
			}
		}
	})
}

// resolveNotes is ResolveAll that also returns the notes.
func resolveNotes(ctx context.Context, specs []string, opts Options) ([]Resolved, []Note, error) {
	var mu sync.Mutex
	var notes []Note
	opts.OnNote = func(n Note) {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, n)
	}
	rs, err := ResolveAll(ctx, specs, opts)
	return rs, notes, err
}

func TestParsedListCache(t *testing.T) {
	srv, opts := fakeUpstream(t)
	ctx := context.Background()
	if _, err := ResolveAll(ctx, []string{"go@1.22"}, opts); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(opts.CacheDir, "parsed", "*.gob"))
	if len(files) != 1 {
		t.Fatalf("parsed files: %v", files)
	}
	// A damaged parsed list is ignored: the raw document is parsed again.
	os.WriteFile(files[0], []byte("garbage"), 0o644)
	rs, err := ResolveAll(ctx, []string{"go@1.22"}, opts)
	if err != nil || versionsOf(rs)["go"] != "1.22.12" {
		t.Fatalf("damaged: %v %v", rs, err)
	}
	// A new upstream document gets its own parsed list.
	doc := filepath.Join(srv.Dir(), "go", "index.json")
	b, _ := os.ReadFile(doc)
	os.WriteFile(doc, []byte(strings.Replace(string(b), `"go1.22.12"`, `"go1.22.13"`, 1)), 0o644)
	opts.Refresh = true
	rs, err = ResolveAll(ctx, []string{"go@1.22"}, opts)
	if err != nil || versionsOf(rs)["go"] != "1.22.13" {
		t.Fatalf("new document: %v %v", versionsOf(rs), err)
	}
}

func TestGitHubOlderPages(t *testing.T) {
	srv, opts := fakeUpstream(t)
	ctx := context.Background()
	var page1, page2 []string
	for i := 99; i >= 0; i-- {
		page1 = append(page1, fmt.Sprintf(`{"tag_name":"v2.%d.0"}`, i))
	}
	page2 = append(page2, `{"tag_name":"v1.9.0"}`, `{"tag_name":"v1.8.0"}`)
	base := filepath.Join(srv.Dir(), "repos", "helm", "helm", "releases")
	os.WriteFile(base, []byte("["+strings.Join(page1, ",")+"]"), 0o644)
	os.WriteFile(base+".page2", []byte("["+strings.Join(page2, ",")+"]"), 0o644)
	rs, err := ResolveAll(ctx, []string{"helm@2"}, opts)
	if err != nil || versionsOf(rs)["helm"] != "2.99.0" || srv.Requests("/repos/helm/helm/releases") != 1 {
		t.Fatalf("recent: %v %v requests=%d", versionsOf(rs), err, srv.Requests("/repos/helm/helm/releases"))
	}
	rs, err = ResolveAll(ctx, []string{"helm@1.8"}, opts)
	if err != nil || versionsOf(rs)["helm"] != "1.8.0" || srv.Requests("/repos/helm/helm/releases") != 2 {
		t.Fatalf("older page: %v %v", versionsOf(rs), err)
	}
	_, err = ResolveAll(ctx, []string{"helm@1.7"}, opts)
	if err == nil || !strings.Contains(err.Error(), "Available versions: 1.8.0, 1.9.0") {
		t.Fatalf("missing: %v", err)
	}
}

func TestGitHubRateLimitHint(t *testing.T) {
	srv, opts := fakeUpstream(t)
	srv.Fail("/repos/BurntSushi/ripgrep/releases", http.StatusForbidden)
	_, err := ResolveAll(context.Background(), []string{"ripgrep"}, opts)
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(se.Hint(), "GITHUB_TOKEN") {
		t.Fatalf("got %v", err)
	}
}
