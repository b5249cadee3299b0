package testgit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestRepository(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := filepath.Join(t.TempDir(), "a", "repo")
	Init(t, dir)
	if got := Run(t, dir, "symbolic-ref", "--short", "HEAD"); got != "main" {
		t.Errorf("branch %q, want main", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := CommitAll(t, dir, "first")
	if len(c) != 40 {
		t.Errorf("CommitAll returned %q, want a commit id", c)
	}
	if got := Run(t, dir, "log", "-1", "--format=%an <%ae> %s"); got != "t <t@t> first" {
		t.Errorf("commit %q, want the fixed identity and the message", got)
	}
	if got := Run(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("work tree not clean after CommitAll: %q", got)
	}
}
