// Package testgit makes git repositories for tests: it runs the real git
// in a directory with a fixed identity and without the machine's or the
// user's configuration, and fails the test when git does.
package testgit

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Env is the environment Run gives git in dir: the process's, a fixed
// author and committer, no system configuration, and dir as HOME so no
// user configuration is read either.
func Env(dir string) []string {
	return append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
}

// Run runs git with args in dir and returns its output without the
// surrounding white space; it fails t, with git's output, when git fails.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env(dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Init makes dir, with its parents, and a new repository in it on the
// branch main.
func Init(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	Run(t, dir, "init", "-q", "-b", "main")
}

// CommitAll stages everything in the work tree of dir, commits it with
// message, and returns the new commit's id.
func CommitAll(t testing.TB, dir, message string) string {
	t.Helper()
	Run(t, dir, "add", "-A")
	Run(t, dir, "commit", "-q", "-m", message)
	return Run(t, dir, "rev-parse", "HEAD")
}
