package git

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestRepoRefsNestedLooseAndSymlinks(t *testing.T) {
	dir := newRepo(t)
	head := gitT(t, dir, "rev-parse", "HEAD")
	gitT(t, dir, "branch", "feature/deep/x")
	// A symbolic link to a directory inside refs is not followed (git
	// does not follow it either), so refs cannot loop or escape.
	if err := os.Symlink(filepath.Join(dir, ".git", "refs"), filepath.Join(dir, ".git", "refs", "heads", "loop")); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := r.Refs()
	if err != nil {
		t.Fatal(err)
	}
	if refs["refs/heads/feature/deep/x"] != head || refs["refs/heads/main"] != head {
		t.Errorf("refs = %v, want feature/deep/x and main at %s", refs, head)
	}
	for name := range refs {
		if len(name) > len("refs/heads/loop") && name[:len("refs/heads/loop")] == "refs/heads/loop" {
			t.Errorf("followed a symbolic link to a directory: %s", name)
		}
	}
	h, err := r.HeadFromRefs(refs)
	if err != nil || h.Branch != "main" || h.Commit != head {
		t.Errorf("HeadFromRefs = %+v, %v", h, err)
	}
}

func TestRepoReadersDoNotHangOnFIFO(t *testing.T) {
	dir := newRepo(t)
	cfg := filepath.Join(dir, ".git", "config")
	os.Remove(cfg)
	if err := syscall.Mkfifo(cfg, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	// Opening a FIFO without a writer blocks unless non-blocking: this
	// call returning at all is the test.
	if url, _ := RemoteURL(dir, "origin"); url != "" {
		t.Errorf("RemoteURL from a FIFO = %q", url)
	}
}

func TestReadSmallBounds(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	os.WriteFile(p, make([]byte, 5000), 0o644)
	if _, err := readSmall(p, 4096); err == nil {
		t.Error("readSmall read 5000 bytes with a bound of 4096")
	}
	if data, err := readSmall(p, 5000); err != nil || len(data) != 5000 {
		t.Errorf("readSmall = %d bytes, %v", len(data), err)
	}
	if _, _, err := readWithStat(p, 4096); err == nil {
		t.Error("readWithStat read 5000 bytes with a bound of 4096")
	}
	if _, err := readSmall(filepath.Join(t.TempDir(), "missing"), 10); !os.IsNotExist(err) {
		t.Errorf("missing file: %v, want not-exist", err)
	}
}

func TestTreeMatches(t *testing.T) {
	dir := t.TempDir()
	gitT(t, dir, "init", "-q", "-b", "main")
	os.MkdirAll(filepath.Join(dir, "d", "e"), 0o755)
	for _, f := range []string{"a", "d/b", "d/e/c", "z"} {
		os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644)
	}
	gitT(t, dir, "add", "-A")
	entries, ist, err := ReadIndex(dir)
	if err != nil || len(entries) != 4 {
		t.Fatalf("ReadIndex = %v, %v", entries, err)
	}
	later := ist.Mtime.Add(time.Hour).UnixNano()
	if !TreeMatches(dir, nil, entries, later) {
		t.Fatal("a tree just added does not match its index")
	}
	if TreeMatches(dir, nil, entries, 0) {
		t.Error("entries written after the racy limit were trusted")
	}
	os.WriteFile(filepath.Join(dir, "d", "e", "c"), []byte("C"), 0o644)
	if TreeMatches(dir, nil, entries, later) {
		t.Error("an edit in a subdirectory was not seen")
	}
	os.RemoveAll(filepath.Join(dir, "d"))
	if TreeMatches(dir, nil, entries, later) {
		t.Error("a removed directory was not seen")
	}
	old := time.Now().Add(-time.Hour) // not racy: creating a file moves it
	os.Chtimes(dir, old, old)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !TreeMatches(dir, map[string]int64{".": fi.ModTime().UnixNano()}, nil, later) {
		t.Error("an unchanged directory does not match its mtime")
	}
	os.WriteFile(filepath.Join(dir, "new"), nil, 0o644)
	if TreeMatches(dir, map[string]int64{".": fi.ModTime().UnixNano()}, nil, later) {
		t.Error("a file created in a directory did not show in its mtime")
	}
}
