package resolve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/testgit"
)

// release is one tagged commit of a test repository; yaml is its
// component.yaml ("" for none).
type release struct{ tag, yaml string }

// repo makes a git repository at dir with one tagged commit per release,
// and returns the commit of the last one.
func repo(t *testing.T, dir string, rels ...release) string {
	t.Helper()
	testgit.Init(t, dir)
	var commit string
	for _, r := range rels {
		os.WriteFile(filepath.Join(dir, "file"), []byte(r.tag), 0o644)
		os.Remove(filepath.Join(dir, "component.yaml"))
		if r.yaml != "" {
			os.WriteFile(filepath.Join(dir, "component.yaml"), []byte(r.yaml), 0o644)
		}
		commit = testgit.CommitAll(t, dir, "release "+r.tag)
		if r.tag != "" {
			testgit.Run(t, dir, "tag", r.tag)
		}
	}
	return commit
}

// workspace builds base (0.3.0 … 1.0.0), lib (1.0.0 needs base >=0.4 <2)
// and a branch-tracked app, and parses manifest text over them.
func testWorkspace(t *testing.T, text string) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	repo(t, filepath.Join(dir, "remotes/base"), release{"v0.3.0", ""}, release{"v0.3.1", ""}, release{"v0.4.0", ""}, release{"v1.0.0", ""})
	repo(t, filepath.Join(dir, "remotes/lib"), release{"v1.0.0", "depends_on:\n  - \"base:>=0.4 <2\"\n"})
	repo(t, filepath.Join(dir, "remotes/app"), release{"", "depends_on:\n  - \"lib:^1.0.0\"\n"})
	meta := filepath.Join(dir, "meta")
	m, err := manifest.Parse(meta, manifest.ManifestPath, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestResolve(t *testing.T) {
	m := testWorkspace(t, `components:
  base:
    repo: ../remotes/base
  lib:
    repo: ../remotes/lib
    version: "^1.0.0"
  app:
    repo: ../remotes/app
    ref: main
`)
	for _, tc := range []struct {
		name     string
		strategy pubgrub.Strategy
		locked   *lockfile.File
		base     string
	}{
		{"latest", pubgrub.Latest, nil, "1.0.0"},
		{"conservative", pubgrub.Conservative, nil, "0.4.0"},
		{"first keeps the locked version", pubgrub.First, &lockfile.File{Components: map[string]*lockfile.Component{"base": {Name: "base", Version: "0.4.0"}}}, "0.4.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Resolve(context.Background(), m, Options{Strategy: tc.strategy, Locked: LockedVersions(tc.locked, nil)})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Lock.Components["base"].Version; got != tc.base {
				t.Errorf("base = %s, want %s", got, tc.base)
			}
			app := r.Lock.Components["app"]
			if app == nil || app.Ref != "main" || len(app.Commit) != 40 || app.Version != "" {
				t.Errorf("app = %+v, want main's commit, no version", app)
			}
			if got := strings.Join(r.Lock.Components["app"].DependsOn, ","); got != "lib" {
				t.Errorf("app depends on %q, want lib", got)
			}
			// app's range on lib is checked (lib is not tracked): no note.
			if len(r.Notes) != 0 {
				t.Errorf("notes = %q", r.Notes)
			}
			if r.Cycles() != nil {
				t.Errorf("cycles: %v", r.Cycles())
			}
		})
	}
}

func TestResolveConflictShowsWrittenRanges(t *testing.T) {
	m := testWorkspace(t, `components:
  base:
    repo: ../remotes/base
    version: "~0.3.0"
  lib:
    repo: ../remotes/lib
    version: "^1.0.0"
`)
	_, err := Resolve(context.Background(), m, Options{Strategy: pubgrub.Latest})
	var nse *pubgrub.NoSolutionError
	if !errors.As(err, &nse) {
		t.Fatalf("err = %v, want a NoSolutionError", err)
	}
	report := nse.Report()
	for _, want := range []string{"requires ~0.3.0 at manifests/components.yaml:4", "depends on base >=0.4 <2"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "^0.3.0") {
		t.Errorf("report shows the normalized range ^0.3.0:\n%s", report)
	}
}

func TestRecommendAndWhy(t *testing.T) {
	m := testWorkspace(t, `components:
  base:
    repo: ../remotes/base
    version: "<1.0.0"
  lib:
    repo: ../remotes/lib
`)
	r, err := Resolve(context.Background(), m, Options{Strategy: pubgrub.Latest})
	if err != nil {
		t.Fatal(err)
	}
	old := &lockfile.File{Components: map[string]*lockfile.Component{"base": {Name: "base", Version: "0.3.1", Commit: strings.Repeat("a", 40)}}}
	rows := r.Recommend(old)
	if len(rows) != 2 || rows[0].Name != "base" {
		t.Fatalf("rows = %+v", rows)
	}
	b := rows[0]
	if b.Locked != "0.3.1" || b.Allowed != "0.4.0" || b.Newest != "1.0.0" || len(b.HeldBackBy) != 1 ||
		b.HeldBackBy[0].By != RootName || b.HeldBackBy[0].Source != "manifests/components.yaml:4" {
		t.Errorf("base = %+v", b)
	}
	why := r.Why("base")
	if len(why) != 3 || why[0].From != RootName || why[1].From != "lib 1.0.0" || why[1].Source != "lib@v1.0.0:component.yaml:2" || why[2].Depth != 1 {
		t.Errorf("why base = %+v", why)
	}
	nodes := r.Nodes()
	if len(nodes) != 2 || nodes[0].Name != "base" || nodes[0].Tracked || nodes[1].Name != "lib" {
		t.Errorf("nodes = %+v", nodes)
	}
	if got := strings.Join(r.TreeText(), "\n"); got != RootName+"\n└── lib 1.0.0\n    └── base 0.4.0" {
		t.Errorf("TreeText =\n%s", got)
	}
	if got := r.WhyText("base"); len(got) != 4 || got[0] != "base 0.4.0 (commit "+ShortCommit(r.Lock.Components["base"].Commit)+")" ||
		got[2] != "  ← lib 1.0.0 requires >=0.4.0, <2.0.0  (lib@v1.0.0:component.yaml:2)" {
		t.Errorf("WhyText = %q", got)
	}
	if got := r.WhyText("nope"); len(got) != 1 || got[0] != "nope is not part of the resolution" {
		t.Errorf("WhyText(nope) = %q", got)
	}
	if got := RecommendRows(rows); len(got) != 3 || strings.Join(got[0], ",") != "COMPONENT,LOCKED,ALLOWED,NEWEST,HELD BACK BY" || got[2][1] != "-" {
		t.Errorf("RecommendRows = %q", got)
	}
	tree := r.Tree()
	if len(tree) != 2 || tree[0].Label != "lib 1.0.0" || tree[1].Prefix != "    └── " || tree[1].Label != "base 0.4.0" {
		t.Errorf("tree = %+v", tree)
	}
}

func TestDependents(t *testing.T) {
	m := testWorkspace(t, `components:
  base:
    repo: ../remotes/base
  lib:
    repo: ../remotes/lib
    depends_on: [base]
overrides:
  base:
    version: "0.4.0"
`)
	got := strings.Join(Dependents(m, "base"), "; ")
	if !strings.Contains(got, "lib (manifests/components.yaml:") || !strings.Contains(got, "overrides (manifests/components.yaml:") {
		t.Errorf("Dependents(base) = %s", got)
	}
	if d := Dependents(m, "lib"); len(d) != 0 {
		t.Errorf("Dependents(lib) = %q, want none", d)
	}
}

func TestRegistryReaderUnknown(t *testing.T) {
	m := testWorkspace(t, "components:\n  base:\n    repo: ../remotes/base\n")
	_, err := RegistryReader(m, "nope", nil)
	var he *HintError
	if !errors.As(err, &he) || !strings.Contains(he.Hint, "registries:") {
		t.Errorf("err = %v, want a HintError naming 'registries:'", err)
	}
}
