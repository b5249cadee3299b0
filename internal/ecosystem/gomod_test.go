package ecosystem

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/run"
)

const goModSmall = `module example.com/app

go 1.22

toolchain go1.22.5

require (
	example.com/a v1.0.0
	example.com/b v1.2.0 // indirect
	example.com/old v0.1.0
	example.com/local v0.0.0
	example.com/gone v1.0.0
)

replace example.com/old => example.com/new v0.2.0

replace example.com/local => ./local

exclude example.com/gone v1.0.0
`

func TestGoMod(t *testing.T) {
	l := mustParse(t, ManagerGo, "go.mod", []byte(goModSmall))
	want := `example.com/a@v1.0.0 prod direct
example.com/b@v1.2.0 prod
example.com/local@v0.0.0 prod direct path
example.com/new@v0.2.0 prod direct
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "go.mod:12: example.com/gone v1.0.0 is both required and excluded") {
		t.Errorf("warnings %q", l.Warnings)
	}
	applyGoGraph(l, []byte(`example.com/app example.com/a@v1.0.0
example.com/old@v0.1.0 example.com/b@v1.2.0
example.com/a@v1.0.0 example.com/b@v1.1.0
example.com/a@v0.9.0 example.com/local@v0.0.0
example.com/b@v1.2.0 example.com/unknown@v1.0.0
`), map[string]string{"example.com/old": "example.com/new"})
	if p, _ := l.Lookup("example.com/new@v0.2.0"); !cmp.Equal(p.Deps, []string{"example.com/b@v1.2.0"}) {
		t.Errorf("replaced module's deps: %v", p.Deps)
	}
	if got := l.PathTo("example.com/b@v1.2.0"); !cmp.Equal(got, []string{"example.com/a@v1.0.0", "example.com/b@v1.2.0"}) {
		t.Errorf("PathTo(b) = %v", got)
	}
	checkInvariants(t, l)
}

func TestGoModOldGoUsesGoSum(t *testing.T) {
	mod := "module m\n\ngo 1.16\n\nrequire example.com/a v1.0.0\n"
	sum := `example.com/a v1.0.0 h1:x=
example.com/a v1.0.0/go.mod h1:y=
example.com/b v1.1.0 h1:x=
example.com/b v1.3.0 h1:x=
example.com/c v1.0.0/go.mod h1:y=
`
	l, err := parseGoMod("go.mod", []byte(mod), []byte(sum))
	if err != nil {
		t.Fatal(err)
	}
	want := "example.com/a@v1.0.0 prod direct\nexample.com/b@v1.3.0 prod\n"
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestGoModSharedFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		packages int
		roots    int
	}{
		{"go-trivy", 5, 1},
		{"go-osv-scanner", 3, 2},
		{"go-generated-vulnerable", 1, 1},
	} {
		l := mustParse(t, ManagerGo, "go.mod", sharedFixture(t, tc.dir+"/go.mod"))
		if len(l.Packages) != tc.packages || len(l.Roots) != tc.roots {
			t.Errorf("%s: %d packages, %d roots", tc.dir, len(l.Packages), len(l.Roots))
		}
		for _, p := range l.Packages {
			if p.Name == "stdlib" || p.Name == "go" || p.Name == "toolchain" {
				t.Errorf("%s: %s is not a module", tc.dir, p.ID())
			}
		}
	}
}

func TestGoModErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"go 1.22\n", "go.mod: no module directive"},
		{"module m\nrequire (\n\tx\n)\n", "go.mod:3:2: usage: require module/path v1.2.3"},
	} {
		_, err := ParseFile(ManagerGo, "go.mod", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.data, err, tc.want)
		}
	}
}

// TestGoGraphReal runs the real `go mod graph` offline on a module whose
// one requirement is replaced by a local directory.
func TestGoGraphReal(t *testing.T) {
	if _, ok := run.LookPath("go"); !ok {
		t.Skip("go not installed")
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "")
	dir := t.TempDir()
	write := func(rel, s string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/app\n\ngo 1.22\n\nrequire (\n\texample.com/lib v0.0.0\n\texample.com/leaf v0.0.0 // indirect\n)\n\nreplace example.com/lib => ./lib\n\nreplace example.com/leaf => ./leaf\n")
	write("lib/go.mod", "module example.com/lib\n\ngo 1.22\n\nrequire example.com/leaf v0.0.0\n\nreplace example.com/leaf => ../leaf\n")
	write("leaf/go.mod", "module example.com/leaf\n\ngo 1.22\n")
	l, err := Parse(context.Background(), dir, Found{Path: "go.mod", Manager: ManagerGo})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, l)
	if len(l.Warnings) != 0 {
		t.Fatalf("warnings: %q", l.Warnings)
	}
	want := "example.com/leaf@v0.0.0 prod path\nexample.com/lib@v0.0.0 prod direct path -> example.com/leaf@v0.0.0\n"
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Offline with a requirement that is not in any cache: flat list and a warning.
	write("go.mod", "module example.com/app\n\ngo 1.22\n\nrequire example.com/nowhere v1.0.0\n")
	t.Setenv("GOMODCACHE", t.TempDir())
	l, err = Parse(context.Background(), dir, Found{Path: "go.mod", Manager: ManagerGo})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Packages) != 1 || len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "go mod graph failed") {
		t.Errorf("packages %v, warnings %q", l.Packages, l.Warnings)
	}
}

func FuzzGoMod(f *testing.F) { fuzzParser(f, ManagerGo, goModSmall) }

// TestGoGraphCache runs Parse on a go.mod with a stand-in go command that
// counts its runs: with a cache directory, `go mod graph` runs once while
// go.mod, go.sum, the go command and its environment stay the same, and
// again when any of them changes; a module with a local replacement and a
// failed run are never cached; the edges are the same either way.
func TestGoGraphCache(t *testing.T) {
	bin, dir, cache := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "graphs")
	count, graph := filepath.Join(t.TempDir(), "count"), filepath.Join(t.TempDir(), "graph")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bin, "go"), "#!/bin/sh\necho run >> \"$META_TEST_COUNT\"\ncat \"$META_TEST_GRAPH\"\n")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("META_TEST_COUNT", count)
	t.Setenv("META_TEST_GRAPH", graph)
	t.Setenv("GOFLAGS", "")
	write(graph, "example.com/app example.com/a@v1.0.0\nexample.com/a@v1.0.0 example.com/b@v1.2.0\n")
	write(filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.22\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.2.0 // indirect\n)\n")
	write(filepath.Join(dir, "go.sum"), "example.com/a v1.0.0/go.mod h1:aaa=\n")
	runs := func() int {
		data, _ := os.ReadFile(count)
		return strings.Count(string(data), "run")
	}
	parse := func(ctx context.Context) string {
		t.Helper()
		l, err := Parse(ctx, dir, Found{Path: "go.mod", Manager: ManagerGo})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Warnings) != 0 {
			t.Fatalf("warnings: %q", l.Warnings)
		}
		return summary(l)
	}
	cached := WithGoGraphCache(context.Background(), cache)
	want := parse(context.Background())
	if !strings.Contains(want, "example.com/a@v1.0.0 prod direct -> example.com/b@v1.2.0") {
		t.Fatalf("the stand-in graph was not applied:\n%q", want)
	}
	steps := []struct {
		what   string
		change func()
		ctx    context.Context
		runs   int // after the step
	}{
		{"no cache", func() {}, context.Background(), 2},
		{"first with a cache", func() {}, cached, 3},
		{"same again", func() {}, cached, 3},
		{"go.sum changed", func() { write(filepath.Join(dir, "go.sum"), "example.com/a v1.0.0/go.mod h1:bbb=\n") }, cached, 4},
		{"same again", func() {}, cached, 4},
		{"GOFLAGS changed", func() { t.Setenv("GOFLAGS", "-modcacherw") }, cached, 5},
		{"go command changed", func() {
			write(filepath.Join(bin, "go"), "#!/bin/sh\n# another go\necho run >> \"$META_TEST_COUNT\"\ncat \"$META_TEST_GRAPH\"\n")
		}, cached, 6},
		{"same again", func() {}, cached, 6},
	}
	for _, s := range steps {
		s.change()
		if got := parse(s.ctx); got != want {
			t.Errorf("%s: lock file differs:\n%s\nwant:\n%s", s.what, got, want)
		}
		if got := runs(); got != s.runs {
			t.Errorf("%s: go mod graph ran %d times in all, want %d", s.what, got, s.runs)
		}
	}

	// A local replacement: the graph also depends on ./local's go.mod.
	write(filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.22\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.2.0 // indirect\n)\n\nreplace example.com/b => ./local\n")
	before := runs()
	parse(cached)
	parse(cached)
	if got := runs() - before; got != 2 {
		t.Errorf("local replacement: go mod graph ran %d times for 2 reads, want 2", got)
	}

	// A failed run is not kept.
	write(filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.22\n\nrequire example.com/a v1.0.0\n")
	write(filepath.Join(bin, "go"), "#!/bin/sh\necho run >> \"$META_TEST_COUNT\"\necho offline >&2\nexit 1\n")
	before = runs()
	for range 2 {
		l, err := Parse(cached, dir, Found{Path: "go.mod", Manager: ManagerGo})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "go mod graph failed (offline)") {
			t.Errorf("warnings %q", l.Warnings)
		}
	}
	if got := runs() - before; got != 2 {
		t.Errorf("failing go: ran %d times for 2 reads, want 2", got)
	}
}
