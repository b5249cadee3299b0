package ecosystem

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, s := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDetect(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"package-lock.json":                "{}",
		"requirements.txt":                 "",
		"requirements-dev.txt":             "",
		"requirements.in":                  "",
		"tools/go.mod":                     "module t\n",
		"api/poetry.lock":                  "",
		"api/deep/Cargo.lock":              "",
		"node_modules/x/package-lock.json": "{}",
		"vendor/go.mod":                    "",
		".venv/uv.lock":                    "",
		"target/Cargo.lock":                "",
		".hidden/yarn.lock":                "",
		"web/pnpm-lock.yaml":               "",
		"web/yarn.lock":                    "",
		"svc/uv.lock":                      "",
		"Cargo.lock":                       "",
		"testdata/go.mod":                  "",
		"npm-shrinkwrap.json":              "{}",
	})
	got, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Found{
		{"Cargo.lock", ManagerCargo},
		{"api/poetry.lock", ManagerPoetry},
		{"npm-shrinkwrap.json", ManagerNpm},
		{"package-lock.json", ManagerNpm},
		{"requirements-dev.txt", ManagerPip},
		{"requirements.txt", ManagerPip},
		{"svc/uv.lock", ManagerUV},
		{"tools/go.mod", ManagerGo},
		{"web/pnpm-lock.yaml", ManagerPnpm},
		{"web/yarn.lock", ManagerYarn},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Detect(filepath.Join(dir, "nope")); err == nil {
		t.Error("Detect of a missing directory: no error")
	}
}

func TestParseReadsNeighbours(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"requirements.txt": "-r base.txt\nb==2\n",
		"base.txt":         "a==1\n",
		"escape.txt":       "-r ../outside.txt\n",
		"yarn.lock":        yarnClassic,
		"package.json":     `{"dependencies": {"@s/a": "^1.0.0"}, "devDependencies": {"dev": "^1"}}`,
		"sub/go.mod":       "module example.com/sub\n\ngo 1.16\n\nrequire example.com/a v1.0.0\n",
		"sub/go.sum":       "example.com/a v1.0.0 h1:x=\nexample.com/b v1.0.0 h1:x=\n",
	})
	ctx := context.Background()
	l, err := Parse(ctx, dir, Found{"requirements.txt", ManagerPip})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(l.Roots, []string{"a@1", "b@2"}) {
		t.Errorf("requirements roots %v", l.Roots)
	}
	if _, err := Parse(ctx, dir, Found{"escape.txt", ManagerPip}); err == nil || !strings.Contains(err.Error(), "escape.txt:1: -r ../outside.txt") {
		t.Errorf("include outside the component: %v", err)
	}
	l, err = Parse(ctx, dir, Found{"yarn.lock", ManagerYarn})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(l.Roots, []string{"@s/a@1.2.0", "dev@1.0.0"}) {
		t.Errorf("yarn roots %v", l.Roots)
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", t.TempDir())
	l, err = Parse(ctx, dir, Found{"sub/go.mod", ManagerGo})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Packages) != 2 || l.Path != "sub/go.mod" {
		t.Errorf("go: %s %s", l.Path, summary(l))
	}
	if _, err := Parse(ctx, dir, Found{"missing.lock", ManagerUV}); err == nil {
		t.Error("missing file: no error")
	}
}

func TestShortestPaths(t *testing.T) {
	l := &Lockfile{
		Packages: []Package{
			{Name: "a", Version: "1", Deps: []string{"b@1", "c@1"}},
			{Name: "b", Version: "1", Deps: []string{"d@1"}},
			{Name: "c", Version: "1", Deps: []string{"d@1"}},
			{Name: "d", Version: "1", Deps: []string{"a@1"}},
			{Name: "e", Version: "1"},
			{Name: "r", Version: "1", Deps: []string{"d@1"}},
		},
		Roots: []string{"a@1", "r@1"},
	}
	for id, want := range map[string][]string{
		"d@1": {"r@1", "d@1"},
		"c@1": {"a@1", "c@1"},
		"a@1": {"a@1"},
		"e@1": nil,
	} {
		if got := l.PathTo(id); !cmp.Equal(got, want) {
			t.Errorf("PathTo(%s) = %v, want %v", id, got, want)
		}
	}
	if p, ok := l.Lookup("c@1"); !ok || p.Name != "c" {
		t.Errorf("Lookup(c@1) = %v %v", p, ok)
	}
	if _, ok := l.Lookup("zz@1"); ok {
		t.Error("Lookup(zz@1) found")
	}
}
