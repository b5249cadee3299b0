package apply

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/testgit"
)

// newWorkspace makes remotes a and b with commits one and two, a meta
// repository listing them, and a lock pinning commit two of each.
func newWorkspace(t *testing.T) (*manifest.Manifest, *lockfile.File, map[string][2]string) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	commits := map[string][2]string{}
	lock := &lockfile.File{Components: map[string]*lockfile.Component{}}
	src := "components:\n"
	for _, n := range []string{"a", "b"} {
		dir := filepath.Join(root, "remotes", n)
		testgit.Init(t, dir)
		var c [2]string
		for i, msg := range []string{"one", "two"} {
			os.WriteFile(filepath.Join(dir, "f.txt"), []byte(msg), 0o644)
			c[i] = testgit.CommitAll(t, dir, msg)
		}
		commits[n] = c
		src += "  " + n + ":\n    repo: ../remotes/" + n + "\n    ref: main\n"
		lock.Components[n] = &lockfile.Component{Name: n, Repo: "../remotes/" + n, Ref: "main", Commit: c[1]}
	}
	meta := filepath.Join(root, "meta")
	os.MkdirAll(filepath.Join(meta, "manifests"), 0o755)
	os.WriteFile(filepath.Join(meta, manifest.ManifestPath), []byte(src), 0o644)
	m, err := manifest.Load(meta)
	if err != nil {
		t.Fatal(err)
	}
	return m, lock, commits
}

func actions(steps []*Step) map[string]Action {
	out := map[string]Action{}
	for _, s := range steps {
		out[s.Name] = s.Action
	}
	return out
}

func TestPlanAndRun(t *testing.T) {
	m, lock, commits := newWorkspace(t)
	ctx := context.Background()
	steps := Plan(ctx, m, m.List(), lock, Options{All: true, Jobs: 2})
	if got := actions(steps); got["a"] != Clone || got["b"] != Clone {
		t.Fatalf("plan on an empty workspace = %v, want clones", got)
	}
	var events progress.Collector
	Run(ctx, m, steps, RunOptions{Jobs: 2, Sink: &events})
	if n := len(events.Results()); n != 2 || events.Failed() != 0 {
		t.Fatalf("run finished %d steps, %d failed: %+v", n, events.Failed(), steps)
	}
	if got := Count(steps); got.Cloned != 2 {
		t.Errorf("count = %+v", got)
	}
	// at the commit: no work; moved back with local work: skipped, then
	// forced with a backup ref.
	if got := actions(Plan(ctx, m, m.List(), lock, Options{})); got["a"] != UpToDate || got["b"] != UpToDate {
		t.Fatalf("after the run = %v, want up-to-date", got)
	}
	a := m.Components["a"].Path
	testgit.Run(t, a, "checkout", "-q", "--detach", commits["a"][0])
	testgit.Run(t, a, "commit", "-q", "--allow-empty", "-m", "mine")
	steps = Plan(ctx, m, m.List(), lock, Options{})
	if got := actions(steps)["a"]; got != SkipCommits {
		t.Fatalf("a with a local commit = %s, want %s", got, SkipCommits)
	}
	if SkipHint(steps) == "" {
		t.Error("no hint for a skipped tree")
	}
	mine := testgit.Run(t, a, "rev-parse", "HEAD")
	steps = Plan(ctx, m, m.List(), lock, Options{Force: true})
	Run(ctx, m, steps, RunOptions{Jobs: 1})
	var sa *Step
	for _, s := range steps {
		if s.Name == "a" {
			sa = s
		}
	}
	if sa.Err != nil || sa.Backup == "" || testgit.Run(t, a, "rev-parse", sa.Backup) != mine || testgit.Run(t, a, "rev-parse", "HEAD") != commits["a"][1] {
		t.Fatalf("forced move: err %v, backup %q", sa.Err, sa.Backup)
	}
}

// A component path that is a symbolic link to a clone kept elsewhere is
// read (up to date when at its commit) but never moved, forced or not.
func TestPlanNeverWritesThroughASymlink(t *testing.T) {
	m, lock, commits := newWorkspace(t)
	ctx := context.Background()
	b := m.Components["b"]
	elsewhere := filepath.Join(m.Workspace.Root, "elsewhere", "b")
	testgit.Run(t, m.Workspace.Root, "clone", "-q", filepath.Join(m.Workspace.Root, "remotes", "b"), elsewhere)
	if err := os.Symlink(elsewhere, b.Path); err != nil {
		t.Fatal(err)
	}
	if got := actions(Plan(ctx, m, []*manifest.Component{b}, lock, Options{}))["b"]; got != UpToDate {
		t.Fatalf("linked clone at its commit = %s, want up-to-date", got)
	}
	testgit.Run(t, elsewhere, "checkout", "-q", "--detach", commits["b"][0])
	for _, force := range []bool{false, true} {
		steps := Plan(ctx, m, []*manifest.Component{b}, lock, Options{Force: force})
		if s := steps[0]; s.Action != Skip || !strings.Contains(s.Why, "is a symbolic link to") {
			t.Fatalf("force=%v: %s: %s", force, s.Action, s.Why)
		}
		Run(ctx, m, steps, RunOptions{})
	}
	if head := testgit.Run(t, elsewhere, "rev-parse", "HEAD"); head != commits["b"][0] {
		t.Errorf("the linked clone moved to %s", head)
	}
	if refs := testgit.Run(t, elsewhere, "for-each-ref", "refs/meta"); refs != "" {
		t.Errorf("backup refs written through the link: %s", refs)
	}
}

func TestChanges(t *testing.T) {
	old := &lockfile.File{Components: map[string]*lockfile.Component{
		"a": {Version: "1.0.0"}, "b": {Version: "1.2.0"}, "c": {Ref: "main", Commit: "1111111111111111"}, "d": {Version: "2.0.0"},
	}}
	updated := &lockfile.File{Components: map[string]*lockfile.Component{
		"a": {Version: "1.0.1"}, "b": {Version: "2.0.0"}, "c": {Ref: "main", Commit: "2222222222222222"}, "d": {Version: "1.9.0"}, "e": {Version: "0.1.0"},
	}}
	want := []Change{{"a", "1.0.0", "1.0.1", "patch"}, {"b", "1.2.0", "2.0.0", "major"}, {"c", "main@111111111111", "main@222222222222", "new commits"},
		{"d", "2.0.0", "1.9.0", "downgrade"}, {"e", "", "0.1.0", "new"}}
	got := Changes(old, updated)
	if len(got) != len(want) {
		t.Fatalf("changes = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
