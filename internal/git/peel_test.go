package git

import (
	"os"
	"path/filepath"
	"testing"
)

// An annotated tag maps to its commit however git stored it: a loose ref
// to a loose tag object, a loose ref to a packed tag object, packed-refs
// with a peeled line, and packed-refs written without the peeled trait.
func TestReadRefsPeelsAnnotatedTags(t *testing.T) {
	dir := newRepo(t)
	head := gitT(t, dir, "rev-parse", "HEAD")
	gitT(t, dir, "tag", "-a", "-m", "second", "v1.2.0")
	gitT(t, dir, "tag", "-a", "-m", "nested", "v1.2.0-nested", "v1.2.0")
	check := func(stage string) {
		t.Helper()
		// Without git on PATH: the refs are read from disk alone.
		path := os.Getenv("PATH")
		os.Setenv("PATH", "")
		refs, err := ReadRefs(dir)
		os.Setenv("PATH", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.2.0-nested"} {
			if got := refs["refs/tags/"+tag]; got != head {
				t.Errorf("%s: %s = %q, want the commit %s", stage, tag, got, head)
			}
		}
	}
	check("loose refs, loose objects")
	gitT(t, dir, "repack", "-a", "-d", "-q")
	gitT(t, dir, "prune-packed")
	if m, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*")); len(m) != 0 {
		t.Fatalf("objects still loose after repack: %v", m)
	}
	check("loose refs, packed objects")
	gitT(t, dir, "pack-refs", "--all")
	check("packed refs with peeled lines")
	// An old git wrote packed-refs without peeled lines.
	p := filepath.Join(dir, ".git", "packed-refs")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var kept []byte
	for _, line := range splitLines(string(data)) {
		if line == "" || line[0] == '^' || line[0] == '#' {
			continue
		}
		kept = append(kept, line+"\n"...)
	}
	if err := os.WriteFile(p, kept, 0o644); err != nil {
		t.Fatal(err)
	}
	check("packed refs without peeled lines")
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("object abc\n"), []byte{11, 11, 0x90, 11})
	f.Add([]byte("hello"), []byte{5, 3, 2, 'h', 'i', 0x91, 4, 1})
	f.Add([]byte{}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, ok := applyDelta(base, delta)
		if ok && len(out) > maxPackedTag {
			t.Fatalf("output of %d bytes exceeds the bound", len(out))
		}
	})
}

func FuzzPackedTraits(f *testing.F) {
	f.Add([]byte("# pack-refs with: peeled fully-peeled sorted \nabc refs/tags/x\n"))
	f.Add([]byte("abc refs/tags/x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		packedTraits(data)
	})
}
