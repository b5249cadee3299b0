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

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/run"
)

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// cachedWorkspace is a workspace of one component "c" cloned from a repo
// with two commits, its status cache warm with stamps of its refs: the
// clock is a minute ahead, so nothing just written counts as racy.
func cachedWorkspace(t *testing.T) (status func() ComponentStatus, gitStatusRuns *atomic.Int32, path string) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	gitT(t, src, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(src, "sub", "b.txt"), []byte("b"), 0o644)
	gitT(t, src, "add", "-A")
	gitT(t, src, "commit", "-qm", "one")
	gitT(t, src, "commit", "-q", "--allow-empty", "-m", "two")
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
	old := clock
	clock = func() time.Time { return time.Now().Add(time.Minute) }
	t.Cleanup(func() { clock = old })
	gitStatusRuns = new(atomic.Int32)
	t.Cleanup(run.SetHook(func(cmd *run.Cmd) error {
		if len(cmd.Args) > 1 && cmd.Args[1] == "status" {
			gitStatusRuns.Add(1)
		}
		return nil
	}))
	status = func() ComponentStatus { return Status(context.Background(), m, m.List(), 2, false, nil)[0] }
	for i := range 2 {
		if s := status(); !s.Clean() || gitStatusRuns.Load() != 1 {
			t.Fatalf("run %d: git status runs = %d, status = %+v", i, gitStatusRuns.Load(), s)
		}
	}
	cache := loadStatusCache(m.Dir)
	if e := cache.entries["c"]; e.RefSeal == nil {
		t.Fatalf("the cache holds no stamps of the refs: %+v", e)
	}
	return status, gitStatusRuns, c.Path
}

// Every way a ref or HEAD can change after the cache was written is seen,
// including a ref file rewritten in place with its old size and mtime.
func TestStatusCacheRefStamps(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		check  func(t *testing.T, dir string, s ComponentStatus) // nil: only that git was asked
		runs   int32                                             // git status runs in all, with the one that filled the cache
	}{
		{"commit", func(t *testing.T, dir string) {
			gitT(t, dir, "commit", "-q", "--allow-empty", "-m", "local")
		}, func(t *testing.T, dir string, s ComponentStatus) {
			if s.Ahead != 1 || s.LocalOnly != 1 || s.Clean() || s.Commit != gitOut(t, dir, "rev-parse", "HEAD") {
				t.Errorf("after a commit: %+v", s)
			}
		}, 2},
		{"ref rewritten in place, same size and mtime", func(t *testing.T, dir string) {
			p := filepath.Join(dir, ".git", "refs", "heads", "main")
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			parent := gitOut(t, dir, "rev-parse", "HEAD~1")
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(parent + "\n")
			f.Close()
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
		}, func(t *testing.T, dir string, s ComponentStatus) {
			if s.Commit != gitOut(t, dir, "rev-parse", "HEAD~0") || s.Behind != 1 {
				t.Errorf("after moving main back in place: %+v (HEAD %s)", s, gitOut(t, dir, "rev-parse", "HEAD"))
			}
		}, 2},
		{"new tag at HEAD", func(t *testing.T, dir string) {
			gitT(t, dir, "tag", "v9.9.9")
		}, func(t *testing.T, dir string, s ComponentStatus) {
			if s.Tag != "v9.9.9" {
				t.Errorf("after tagging HEAD: %+v", s)
			}
		}, 1}, // the refs are read again; the tree needs no git
		{"other branch", func(t *testing.T, dir string) {
			gitT(t, dir, "checkout", "-q", "-b", "other")
		}, func(t *testing.T, dir string, s ComponentStatus) {
			if s.Branch != "other" || s.AtExpected {
				t.Errorf("after checkout -b other: %+v", s)
			}
		}, 2},
		{"detached", func(t *testing.T, dir string) {
			gitT(t, dir, "checkout", "-q", "--detach", "HEAD~1")
		}, func(t *testing.T, dir string, s ComponentStatus) {
			if !s.Detached || s.Commit != gitOut(t, dir, "rev-parse", "HEAD") || s.AtExpected {
				t.Errorf("after detaching: %+v", s)
			}
		}, 2},
		{"stash", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "a.txt"), []byte("x"), 0o644)
			gitT(t, dir, "stash", "-q")
		}, func(t *testing.T, dir string, s ComponentStatus) {
			if !s.Stash || s.Clean() {
				t.Errorf("after stash: %+v", s)
			}
		}, 2},
		{"pack-refs", func(t *testing.T, dir string) {
			gitT(t, dir, "pack-refs", "--all")
		}, func(t *testing.T, dir string, s ComponentStatus) {
			if !s.Clean() || s.Branch != "main" || s.Commit != gitOut(t, dir, "rev-parse", "HEAD") {
				t.Errorf("after pack-refs: %+v", s)
			}
		}, 1},
		{"file rewritten, same size and mtime", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "sub", "b.txt")
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("B")
			f.Close()
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
		}, nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, runs, dir := cachedWorkspace(t)
			tc.change(t, dir)
			s := status()
			if tc.check != nil {
				tc.check(t, dir, s)
			}
			// The cached answer was not used as it stood: git was asked,
			// or the refs were read again. (For the edit that kept size
			// and mtime, git's answer is what counts: within the second of
			// its last index refresh git itself cannot tell, so only that
			// git was asked is checked.)
			if runs.Load() != tc.runs {
				t.Errorf("git status ran %d times, want %d", runs.Load(), tc.runs)
			}
			// The next run answers the same, from the refreshed cache
			// when the tree is clean.
			again := status()
			if again.Commit != s.Commit || again.Branch != s.Branch || again.Tag != s.Tag || again.Clean() != s.Clean() || again.Stash != s.Stash {
				t.Errorf("second run after the change = %+v, first = %+v", again, s)
			}
		})
	}
}

// Refs written within racyWindow of the snapshot are not stamped: a change
// in the same clock tick would leave the same stamps.
func TestStatusCacheRecentRefsNotStamped(t *testing.T) {
	_, _, dir := cachedWorkspace(t)
	e := statusCacheEntry{Path: dir}
	r, err := git.OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	stamps, _, ok := stampRefs(r)
	if !ok {
		t.Fatal("no stamps for a plain clone")
	}
	var newest int64
	for _, st := range stamps {
		newest = max(newest, st[0], st[1])
	}
	written := time.Unix(0, newest)
	if n := e.withRefs(r, stamps, written.Add(racyWindow/2), refFacts{}); n.RefSeal != nil {
		t.Error("stamps taken right after a ref was written were kept")
	}
	if n := e.withRefs(r, stamps, written.Add(racyWindow+time.Second), refFacts{}); n.RefSeal == nil {
		t.Error("stamps of refs written well before were dropped")
	}
}
