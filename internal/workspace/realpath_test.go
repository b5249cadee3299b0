package workspace

import (
	"os"
	"path/filepath"
	"testing"
)

// realPaths must answer exactly as filepath.EvalSymlinks, whatever part of
// a path is a link, also when it has resolved the parents before.
func TestRealPathsMatchEvalSymlinks(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(root, "ws")
	out := filepath.Join(root, "outside")
	for _, d := range []string{"ws/a/b/c", "ws/real/x", "outside/y"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.Symlink(filepath.Join(ws, "real"), filepath.Join(ws, "link"))        // a parent that is a link
	os.Symlink(out, filepath.Join(ws, "a", "escape"))                       // a leaf leading outside
	os.Symlink("../real/x", filepath.Join(ws, "a", "rel"))                  // a relative link
	os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(ws, "dead"))   // dangling
	os.Symlink(filepath.Join(ws, "a", "b", "c"), filepath.Join(ws, "deep")) // ".." after it is not ws
	paths := []string{
		ws, filepath.Join(ws, "a/b/c"), filepath.Join(ws, "link/x"), filepath.Join(ws, "link"),
		filepath.Join(ws, "a/escape"), filepath.Join(ws, "a/escape/y"), filepath.Join(ws, "a/rel"),
		filepath.Join(ws, "dead"), filepath.Join(ws, "missing/z"), ws + "/a/b/../rel", ws + "/deep/../c", ws + "/deep/..", "/",
	}
	rp := newRealPaths()
	for range 2 { // the second round answers from what the first remembered
		for _, p := range paths {
			want, werr := filepath.EvalSymlinks(p)
			got, gerr := rp.eval(p)
			if got != want || (werr == nil) != (gerr == nil) {
				t.Errorf("eval(%s) = %q, %v; EvalSymlinks = %q, %v", p, got, gerr, want, werr)
			}
		}
	}
}
