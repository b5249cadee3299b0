package workspace

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/run"
)

func gitT(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// ageTree moves every mtime in dir back, refreshes git's index and moves
// the index back too, as if the clone had happened a while ago.
func ageTree(t *testing.T, dir string) {
	old := time.Now().Add(-time.Minute)
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !strings.Contains(p, string(filepath.Separator)+".git") {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	gitT(t, dir, "update-index", "--refresh", "-q")
	idx := time.Now().Add(-30 * time.Second)
	os.Chtimes(filepath.Join(dir, ".git", "index"), idx, idx)
}

func TestStatusCache(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	gitT(t, src, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(src, "sub", "b.txt"), []byte("b"), 0o755)
	gitT(t, src, "add", "-A")
	gitT(t, src, "commit", "-qm", "one")
	meta := filepath.Join(root, "meta")
	os.MkdirAll(filepath.Join(meta, "manifests"), 0o755)
	os.WriteFile(filepath.Join(meta, manifest.ManifestPath), []byte("components:\n  c:\n    repo: ../src\n    ref: main\n"), 0o644)
	m, err := manifest.Load(meta)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Components["c"]
	gitT(t, root, "clone", "-q", src, c.Path)
	ageTree(t, c.Path)

	var gitStatusRuns atomic.Int32
	defer run.SetHook(func(cmd *run.Cmd) error {
		if len(cmd.Args) > 1 && cmd.Args[1] == "status" {
			gitStatusRuns.Add(1)
		}
		return nil
	})()
	ctx := context.Background()
	status := func() ComponentStatus {
		return Status(ctx, m, m.List(), 2, false, nil)[0]
	}
	for i, want := range []int32{1, 1} { // the second run needs no git status
		s := status()
		if gitStatusRuns.Load() != want || !s.Clean() || s.Branch != "main" || s.Upstream != "origin/main" {
			t.Fatalf("run %d: git status runs = %d, status = %+v", i, gitStatusRuns.Load(), s)
		}
	}
	// A modified file (same size, new mtime) is seen.
	os.WriteFile(filepath.Join(c.Path, "sub", "b.txt"), []byte("B"), 0o755)
	if s := status(); s.Modified != 1 || gitStatusRuns.Load() != 2 {
		t.Fatalf("after modify: runs %d, %+v", gitStatusRuns.Load(), s)
	}
	gitT(t, c.Path, "checkout", "-q", "--", ".")
	ageTree(t, c.Path)
	status()
	status()
	before := gitStatusRuns.Load()
	// An untracked file in a tracked directory is seen.
	os.WriteFile(filepath.Join(c.Path, "sub", "new.txt"), []byte("n"), 0o644)
	if s := status(); s.Untracked != 1 || gitStatusRuns.Load() != before+1 {
		t.Fatalf("after untracked: runs %d, %+v", gitStatusRuns.Load(), s)
	}
	os.Remove(filepath.Join(c.Path, "sub", "new.txt"))
	// A file in a directory git does not track (an empty one) is seen too.
	os.Mkdir(filepath.Join(c.Path, "emptydir"), 0o755)
	ageTree(t, c.Path)
	status()
	if s := status(); !s.Clean() {
		t.Fatalf("empty dir: %+v", s)
	}
	before = gitStatusRuns.Load()
	os.WriteFile(filepath.Join(c.Path, "emptydir", "newfile"), nil, 0o644)
	if s := status(); s.Untracked != 1 || gitStatusRuns.Load() != before+1 {
		t.Fatalf("file in untracked dir: runs %d, %+v", gitStatusRuns.Load(), s)
	}
	os.RemoveAll(filepath.Join(c.Path, "emptydir"))
	// A new local commit (HEAD moves) is seen.
	ageTree(t, c.Path)
	status()
	gitT(t, c.Path, "commit", "-q", "--allow-empty", "-m", "local")
	if s := status(); s.Ahead != 1 {
		t.Fatalf("after commit: %+v", s)
	}
}
