package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// tamperKeepingStamps rewrites a stored file with contents of the same
// size and puts its mtime back, as an attacker who wants the cheap check
// to pass would (issue 15 item 11). Only the ctime moves, and nobody can
// set that back.
func tamperKeepingStamps(t testing.TB, path, contents string) {
	t.Helper()
	fi, err := os.Lstat(path)
	must(t, err)
	if int64(len(contents)) != fi.Size() {
		t.Fatal("the tampered contents must keep the size")
	}
	corruptFile(t, path, contents)
	must(t, os.Chtimes(path, fi.ModTime(), fi.ModTime()))
}

func TestGetCatchesEditKeepingSizeAndMtime(t *testing.T) {
	checkGetNamesEditedFile(t, tamperKeepingStamps)
}

func TestAddRepairsEditKeepingSizeAndMtime(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	e, src := addTree(t, s, "golden", goldenSpec, AddOptions{})
	readme := filepath.Join(e.Path, "README")
	orig, _ := os.ReadFile(readme)
	evil := make([]byte, len(orig))
	for i := range evil {
		evil[i] = 'X'
	}
	tamperKeepingStamps(t, readme, string(evil))
	e2, err := s.Add(ctx, "golden", src, AddOptions{})
	must(t, err)
	if e2.Existed || e2.Hash != e.Hash {
		t.Fatalf("re-add: existed=%v hash=%s, want the entry stored afresh", e2.Existed, e2.Hash)
	}
	if bad, err := s.Verify(ctx); err != nil || len(bad) != 0 {
		t.Fatalf("verify after repair: %v %v", bad, err)
	}
	must(t, s.Get(ctx, e.Hash, filepath.Join(t.TempDir(), "out"), false))
}

// Deduplication links a stored file into a new entry, which moves its
// ctime: the older entry's next Get re-hashes it, passes, and restamps,
// so the one after that is cheap again.
func TestGetRestampsAfterDedup(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, b := t.TempDir(), t.TempDir()
	mktree(t, a, map[string]string{"shared": "same contents", "a": "a"})
	mktree(t, b, map[string]string{"shared": "same contents", "b": "b"})
	ea, err := s.Add(ctx, "a", a, AddOptions{})
	must(t, err)
	_, err = s.Add(ctx, "b", b, AddOptions{})
	must(t, err)
	if s.intact(ea.Hash) {
		t.Fatal("a's stamps still match after its file was linked into b (ctime should have moved)")
	}
	must(t, s.Get(ctx, ea.Hash, filepath.Join(t.TempDir(), "out"), false))
	if !s.intact(ea.Hash) {
		t.Fatal("Get verified the entry but did not restamp it")
	}
}
