package remoteexec

import (
	"strings"
	"testing"

	"github.com/metawork/meta/internal/reapi"
)

func spec(files ...File) Spec {
	return Spec{Files: files, WorkingDir: "svc", Args: []string{"/bin/sh", "-c", "true"}, Env: map[string]string{"B": "2", "A": "1"}, Outputs: []string{"bin", "out"}}
}

func file(p, content string) File {
	return File{Path: p, Abs: "/nonexistent", Digest: reapi.Digest([]byte(content))}
}

func TestPrepareIsDeterministic(t *testing.T) {
	a, err := Prepare(spec(file("svc/main.c", "x"), file("lib/out/lib.a", "y"), File{Path: "svc/link", Symlink: "main.c"}))
	if err != nil {
		t.Fatal(err)
	}
	// The same inputs in another order, and the env map built differently.
	s := spec(File{Path: "svc/link", Symlink: "main.c"}, file("lib/out/lib.a", "y"), file("svc/main.c", "x"))
	s.Env = map[string]string{"A": "1", "B": "2"}
	b, err := Prepare(s)
	if err != nil {
		t.Fatal(err)
	}
	if a.Action.Hash != b.Action.Hash {
		t.Fatalf("same action, different digests: %s %s", a.Action.Hash, b.Action.Hash)
	}
	c, _ := Prepare(spec(file("svc/main.c", "changed"), file("lib/out/lib.a", "y"), File{Path: "svc/link", Symlink: "main.c"}))
	if c.Action.Hash == a.Action.Hash {
		t.Fatal("a changed input did not change the action digest")
	}
	e := spec(file("svc/main.c", "x"), file("lib/out/lib.a", "y"), File{Path: "svc/link", Symlink: "main.c"})
	e.Outputs = []string{"bin"}
	if d, _ := Prepare(e); d.Action.Hash == a.Action.Hash {
		t.Fatal("changed outputs did not change the action digest")
	}
}

func TestPrepareRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"../escape", "/abs", "a/../b", "", ".", "a//b"} {
		if _, err := Prepare(spec(file(p, "x"))); err == nil || !strings.Contains(err.Error(), "clean relative path") {
			t.Errorf("input %q: err = %v", p, err)
		}
	}
	if _, err := Prepare(spec(file("a", "x"), file("a/b", "y"))); err == nil {
		t.Error("a path that is both a file and a directory was accepted")
	}
}

func TestCheckRel(t *testing.T) {
	for _, p := range []string{"../x", "/etc/passwd", "a/../../x", ""} {
		if checkRel(p) == nil {
			t.Errorf("output path %q accepted", p)
		}
	}
	for _, n := range []string{"..", ".", "a/b", ""} {
		if checkName(n) == nil {
			t.Errorf("tree entry name %q accepted", n)
		}
	}
}
