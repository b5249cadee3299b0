package buildcache

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// A component checkout nested inside another is a separate tree: none of
// its files are inputs of the outer component, whether or not the outer
// one is a git repository and whether or not it ignores the inner one.
func TestNestedCheckoutIsNotAnInput(t *testing.T) {
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn := func(dir string, args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for _, outerIsGit := range []bool{false, true} {
		dir := t.TempDir()
		write(filepath.Join(dir, "src", "a.c"), "outer")
		inner := filepath.Join(dir, "src", "ext")
		write(filepath.Join(inner, "b.c"), "inner")
		gitIn(inner, "init", "-q")
		if outerIsGit {
			gitIn(dir, "init", "-q")
			gitIn(dir, "add", "src/a.c")
			gitIn(dir, "commit", "-qm", "a")
		}
		for _, patterns := range [][]string{nil, {"src/**"}} {
			if outerIsGit && patterns == nil {
				continue // tracked files only: the inner tree is not tracked
			}
			d, _, err := digestInputs(context.Background(), t.TempDir(), dir, patterns, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range d.Inputs {
				got = append(got, in.Path)
			}
			if !slices.Equal(got, []string{"src/a.c"}) {
				t.Errorf("outer git=%v patterns=%v: inputs %v, want only src/a.c", outerIsGit, patterns, got)
			}
		}
	}
}
