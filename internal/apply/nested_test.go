package apply

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/testgit"
)

// TestRunNestedClones clones an outer component and one nested inside its
// path in the same run, forcing the interleaving that used to fail: the
// inner clone has made its parent directories inside the outer path when
// the outer clone is published. Both must succeed, and the inner checkout
// must end up inside the outer one.
func TestRunNestedClones(t *testing.T) {
	root := t.TempDir()
	lock := &lockfile.File{Components: map[string]*lockfile.Component{}}
	src := "components:\n"
	for _, n := range []string{"outer", "inner"} {
		dir := filepath.Join(root, "remotes", n)
		testgit.Init(t, dir)
		os.WriteFile(filepath.Join(dir, n+".txt"), []byte(n), 0o644)
		c := testgit.CommitAll(t, dir, n)
		path := "../ws/o"
		if n == "inner" {
			path = "../ws/o/nested/in"
		}
		src += "  " + n + ":\n    repo: ../remotes/" + n + "\n    ref: main\n    path: " + path + "\n"
		lock.Components[n] = &lockfile.Component{Name: n, Repo: "../remotes/" + n, Ref: "main", Commit: c}
	}
	meta := filepath.Join(root, "meta")
	os.MkdirAll(filepath.Join(meta, "manifests"), 0o755)
	os.WriteFile(filepath.Join(meta, manifest.ManifestPath), []byte(src), 0o644)
	m, err := manifest.Load(meta)
	if err != nil {
		t.Fatal(err)
	}

	// innerReady: the inner clone has either made its directories inside
	// the outer path or is waiting for the outer clone; outerDone: the
	// outer step has finished.
	innerReady, outerDone := make(chan struct{}), make(chan struct{})
	var readyOnce sync.Once
	testHook = func(stage, name string) {
		switch {
		case name == "inner" && (stage == "wait" || stage == "parent"):
			readyOnce.Do(func() { close(innerReady) })
			if stage == "parent" {
				<-outerDone
			}
		case name == "outer" && stage == "publish":
			<-innerReady
		case name == "outer" && stage == "done":
			close(outerDone)
		}
	}
	defer func() { testHook = nil }()

	ctx := context.Background()
	steps := Plan(ctx, m, m.List(), lock, Options{All: true, Jobs: 2})
	if got := actions(steps); got["outer"] != Clone || got["inner"] != Clone {
		t.Fatalf("plan = %v, want two clones", got)
	}
	Run(ctx, m, steps, RunOptions{Jobs: 2})
	for _, s := range steps {
		if s.Err != nil {
			t.Errorf("%s: %v", s.Name, s.Err)
		}
	}
	for _, f := range []string{"o/outer.txt", "o/nested/in/inner.txt"} {
		if _, err := os.Stat(filepath.Join(root, "ws", f)); err != nil {
			t.Errorf("after the run: %v", err)
		}
	}
}
