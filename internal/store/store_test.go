package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// mktree creates a tree from a spec: "path" → contents; a path ending in
// "/" is a directory, contents "->target" a symlink, a path ending in "*"
// an executable file.
func mktree(t testing.TB, dir string, spec map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range spec {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, "*") {
			p, mode = strings.TrimSuffix(p, "*"), 0o755
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(c, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(c), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
	}
}

var goldenSpec = map[string]string{
	"README":          "hello\n",
	"bin/run*":        "#!/bin/sh\necho hi\n",
	"lib/a.txt":       "a",
	"lib/b.txt":       "",
	"lib/link":        "->a.txt",
	"lib/out":         "->../../etc/passwd",
	"empty/":          "",
	"z/deep/er/f.txt": "deep",
}

// goldenHash is the tree hash of goldenSpec. It must never change: every
// store and cache that exists depends on it. It was cross-checked with an
// independent Python implementation of the serialisation in doc.go.
const goldenHash = "81ef662203f49975d7e0c452f05375a21ca784c2c30b786f7f52e2a8028d75c4"

func TestHashTreeGolden(t *testing.T) {
	dir := t.TempDir()
	mktree(t, dir, goldenSpec)
	got, err := HashTree(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != goldenHash {
		t.Errorf("HashTree = %s, want %s", got, goldenHash)
	}
}

func TestHashTreeInvariance(t *testing.T) {
	ctx := context.Background()
	base := func(t *testing.T) string {
		dir := t.TempDir()
		mktree(t, dir, goldenSpec)
		return dir
	}
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		same   bool
	}{
		{"mtime", func(t *testing.T, dir string) {
			old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
			must(t, os.Chtimes(filepath.Join(dir, "README"), old, old))
			must(t, os.Chtimes(filepath.Join(dir, "lib"), old, old))
		}, true},
		{"group and other bits", func(t *testing.T, dir string) {
			must(t, os.Chmod(filepath.Join(dir, "README"), 0o600))
			must(t, os.Chmod(filepath.Join(dir, "lib"), 0o700))
		}, true},
		{"owner", func(t *testing.T, dir string) {
			if os.Getuid() != 0 {
				t.Skip("chown needs root")
			}
			must(t, os.Lchown(filepath.Join(dir, "README"), 1234, 5678))
		}, true},
		{"exec bit", func(t *testing.T, dir string) {
			must(t, os.Chmod(filepath.Join(dir, "README"), 0o755))
		}, false},
		{"symlink target", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "lib/link")
			must(t, os.Remove(p))
			must(t, os.Symlink("b.txt", p))
		}, false},
		{"symlink to file", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "lib/link")
			must(t, os.Remove(p))
			must(t, os.WriteFile(p, []byte("a.txt"), 0o644))
		}, false},
		{"contents", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "lib/a.txt"), []byte("b"), 0o644))
		}, false},
		{"rename", func(t *testing.T, dir string) {
			must(t, os.Rename(filepath.Join(dir, "lib/a.txt"), filepath.Join(dir, "lib/A.txt")))
		}, false},
		{"empty dir added", func(t *testing.T, dir string) {
			must(t, os.Mkdir(filepath.Join(dir, "new"), 0o755))
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := base(t)
			tt.change(t, dir)
			got, err := HashTree(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if (got == goldenHash) != tt.same {
				t.Errorf("hash after %s: %s; same as before = %v, want %v", tt.name, got, got == goldenHash, tt.same)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestHashTreeRejects(t *testing.T) {
	dir := t.TempDir()
	mktree(t, dir, map[string]string{"a": "x"})
	fifo := filepath.Join(dir, "pipe")
	if err := mkfifo(fifo); err != nil {
		t.Skip("mkfifo:", err)
	}
	_, err := HashTree(context.Background(), dir)
	var se *SpecialFileError
	if !errors.As(err, &se) || se.Path != fifo {
		t.Fatalf("HashTree with a fifo: %v, want a SpecialFileError naming %s", err, fifo)
	}
	if !strings.Contains(err.Error(), "fifo") {
		t.Errorf("error %q does not say fifo", err)
	}
	if _, err := HashTree(context.Background(), filepath.Join(dir, "a")); err == nil {
		t.Error("HashTree of a file: no error")
	}
	if _, err := HashTree(context.Background(), filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("HashTree of a missing dir: %v", err)
	}
}

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	// Runs before TempDir's own cleanup, which cannot remove read-only
	// directories unless running as root.
	t.Cleanup(func() { removeTree(s.Dir()) })
	return s
}

// addTree writes spec into a fresh source directory and adds it to s
// under name, failing the test on any error.
func addTree(t testing.TB, s *Store, name string, spec map[string]string, opts AddOptions) (e Entry, src string) {
	t.Helper()
	src = t.TempDir()
	mktree(t, src, spec)
	e, err := s.Add(context.Background(), name, src, opts)
	must(t, err)
	return e, src
}

func TestAddGet(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	src := filepath.Join(t.TempDir(), "src")
	mktree(t, src, goldenSpec)
	e, err := s.Add(ctx, "golden", src, AddOptions{Inputs: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Hash != goldenHash || e.Existed {
		t.Fatalf("Add = %s existed=%v, want %s new", e.Hash, e.Existed, goldenHash)
	}
	if e.Files != 5 || e.Dirs != 6 || e.Symlinks != 2 || e.Size != int64(len("hello\n#!/bin/sh\necho hi\nadeep")) {
		t.Errorf("counts: %+v", e.Metadata)
	}
	// The stored tree is read-only and hashes the same.
	fi, err := os.Stat(e.Path)
	must(t, err)
	if fi.Mode().Perm() != 0o555 {
		t.Errorf("entry root mode %v, want 0555", fi.Mode().Perm())
	}
	fi, err = os.Stat(filepath.Join(e.Path, "README"))
	must(t, err)
	if fi.Mode().Perm() != 0o444 {
		t.Errorf("file mode %v, want 0444", fi.Mode().Perm())
	}
	if got, _ := HashTree(ctx, e.Path); got != goldenHash {
		t.Errorf("stored tree hashes to %s", got)
	}
	// Adding again is a no-op.
	e2, err := s.Add(ctx, "again", src, AddOptions{})
	must(t, err)
	if !e2.Existed || e2.Name != "golden" {
		t.Errorf("second Add: existed=%v name=%q", e2.Existed, e2.Name)
	}
	m, err := s.Query(goldenHash)
	must(t, err)
	if diff := cmp.Diff(e.Metadata, m); diff != "" {
		t.Errorf("Query differs from Add (-add +query):\n%s", diff)
	}
	// Get restores an identical, writable tree.
	dst := filepath.Join(t.TempDir(), "out")
	must(t, s.Get(ctx, goldenHash, dst, false))
	if got, _ := HashTree(ctx, dst); got != goldenHash {
		t.Errorf("Get result hashes to %s", got)
	}
	if l, _ := os.Readlink(filepath.Join(dst, "lib/out")); l != "../../etc/passwd" {
		t.Errorf("outside symlink restored as %q", l)
	}
	if fi, _ := os.Stat(filepath.Join(dst, "README")); fi.Mode().Perm()&0o200 == 0 {
		t.Errorf("restored file is not writable: %v", fi.Mode())
	}
	// A non-empty target is refused, unless forced.
	if err := s.Get(ctx, goldenHash, dst, false); !errors.Is(err, ErrTargetNotEmpty) {
		t.Errorf("Get into non-empty dir: %v", err)
	}
	must(t, os.WriteFile(filepath.Join(dst, "extra"), []byte("x"), 0o644))
	must(t, s.Get(ctx, goldenHash, dst, true))
	if exists(filepath.Join(dst, "extra")) {
		t.Error("forced Get kept a file the entry does not have")
	}
	// An empty existing directory is fine.
	empty := t.TempDir()
	must(t, s.Get(ctx, goldenHash, empty, false))
	// List, Resolve.
	list, err := s.List()
	must(t, err)
	if len(list) != 1 || list[0].Hash != goldenHash {
		t.Errorf("List = %+v", list)
	}
	if h, err := s.Resolve("sha256:" + goldenHash[:10]); err != nil || h != goldenHash {
		t.Errorf("Resolve prefix = %q, %v", h, err)
	}
	if _, err := s.Resolve(goldenHash[:7]); err == nil {
		t.Error("Resolve accepted a 7-digit prefix")
	}
	if _, err := s.Resolve("ffffffffff"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve unknown: %v", err)
	}
}

func TestAddErrors(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	src := t.TempDir()
	mktree(t, src, map[string]string{"a": "1"})
	tests := []struct {
		name, entry, src string
		opts             AddOptions
		want             string
	}{
		{"missing source", "x", filepath.Join(src, "nope"), AddOptions{}, "no such file"},
		{"source is a file", "x", filepath.Join(src, "a"), AddOptions{}, "not a directory"},
		{"empty name", "", src, AddOptions{}, "name is empty"},
		{"control char", "a\nb", src, AddOptions{}, "control"},
		{"bad reference", "x", src, AddOptions{References: []string{"zz"}}, "not a store hash"},
		{"missing reference", "x", src, AddOptions{References: []string{strings.Repeat("a", 64)}}, "no such store entry"},
		{"unexpected hash", "x", src, AddOptions{Expect: strings.Repeat("b", 64)}, "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Add(ctx, tt.entry, tt.src, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add: %v, want error containing %q", err, tt.want)
			}
		})
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("failed adds left entries: %+v", list)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(ents) != 0 {
		t.Errorf("failed adds left temp files: %v", ents)
	}
}

func TestDedupAndStats(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	big := strings.Repeat("x", 10000)
	a, b := t.TempDir(), t.TempDir()
	mktree(t, a, map[string]string{"one": big, "two": big, "name": "a"})
	mktree(t, b, map[string]string{"three": big, "name": "b", "exec*": big})
	_, err := s.Add(ctx, "a", a, AddOptions{})
	must(t, err)
	_, err = s.Add(ctx, "b", b, AddOptions{})
	must(t, err)
	st, err := s.Stats(ctx)
	must(t, err)
	// 4 copies of big (one exec, stored separately because modes differ
	// per inode) → 2 on disk.
	want := Stats{Entries: 2, Files: 6, Bytes: 40002, DiskBytes: 20002, DedupSaved: 20000}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

// corruptFile rewrites a file inside a read-only entry, as a user with
// chmod +w could.
func corruptFile(t testing.TB, path, contents string) {
	t.Helper()
	must(t, os.Chmod(path, 0o644))
	must(t, os.WriteFile(path, []byte(contents), 0o644))
	must(t, os.Chmod(path, 0o444))
}

func TestCorruptionDetected(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	e, _ := addTree(t, s, "golden", goldenSpec, AddOptions{})
	ok, _ := addTree(t, s, "fine", map[string]string{"ok": "fine"}, AddOptions{})

	corruptFile(t, filepath.Join(e.Path, "README"), "HELLO\n")

	bad, err := s.Verify(ctx)
	must(t, err)
	if len(bad) != 1 || bad[0].Hash != e.Hash || bad[0].Path != "README" {
		t.Fatalf("Verify = %v, want one corrupt entry naming README", bad)
	}
	dst := filepath.Join(t.TempDir(), "out")
	err = s.Get(ctx, e.Hash, dst, false)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of corrupt entry: %v", err)
	}
	if exists(dst) {
		t.Error("Get of a corrupt entry created the target")
	}
	var buf bytes.Buffer
	if err := s.WriteArchive(ctx, &buf, e.Hash); !errors.Is(err, ErrCorrupt) {
		t.Errorf("WriteArchive of corrupt entry: %v", err)
	}
	if _, err := openStore(t).AddArchive(ctx, &buf, "x", AddOptions{}); err == nil {
		t.Error("a truncated archive from a corrupt entry was accepted")
	}
	must(t, s.Get(ctx, ok.Hash, dst, false))

	// A deleted file and unreadable metadata are corruption too.
	must(t, os.Chmod(filepath.Join(ok.Path), 0o755))
	must(t, os.Remove(filepath.Join(ok.Path, "ok")))
	bad, err = s.Verify(ctx)
	must(t, err)
	if len(bad) != 2 {
		t.Errorf("Verify after deleting a file: %v", bad)
	}
}

type fixedRoots []string

func (f fixedRoots) Roots(context.Context) ([]string, error) { return f, nil }

func TestGC(t *testing.T) {
	ctx := context.Background()
	shared := strings.Repeat("s", 1000)
	type entry struct {
		name string
		spec map[string]string
		refs []string // names of earlier entries
	}
	entries := []entry{
		{"base", map[string]string{"f": "base" + shared}, nil},
		{"app", map[string]string{"f": "app"}, []string{"base"}},
		{"pinned", map[string]string{"f": "pinned"}, nil},
		{"root", map[string]string{"f": "root"}, nil},
		{"source", map[string]string{"f": "source"}, nil},
		{"lonely", map[string]string{"f": "lonely" + shared, "g": shared}, nil},
		{"twin", map[string]string{"g": shared}, nil},
	}
	tests := []struct {
		name    string
		pins    []string
		roots   []string
		sources []string
		grace   time.Duration
		age     time.Duration
		kept    []string
	}{
		{"nothing rooted", nil, nil, nil, 0, 0, nil},
		{"pins, roots, sources and references", []string{"pinned"}, []string{"app"}, []string{"source"}, 0, 0,
			[]string{"app", "base", "pinned", "source"}},
		{"grace keeps young entries", nil, nil, nil, time.Hour, 0, []string{"app", "base", "lonely", "pinned", "root", "source", "twin"}},
		{"grace lets old entries go", nil, []string{"root"}, nil, time.Hour, 2 * time.Hour, []string{"root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			created := time.Now().Add(-tt.age)
			s.now = func() time.Time { return created }
			hashes := map[string]string{}
			for _, e := range entries {
				src := t.TempDir()
				mktree(t, src, e.spec)
				var refs []string
				for _, r := range e.refs {
					refs = append(refs, hashes[r])
				}
				got, err := s.Add(ctx, e.name, src, AddOptions{References: refs})
				must(t, err)
				hashes[e.name] = got.Hash
			}
			s.now = time.Now
			for _, p := range tt.pins {
				must(t, s.Pin(ctx, hashes[p]))
			}
			var roots, srcRoots []string
			for _, r := range tt.roots {
				roots = append(roots, hashes[r])
			}
			for _, r := range tt.sources {
				srcRoots = append(srcRoots, "sha256:"+hashes[r])
			}
			before, err := s.Stats(ctx)
			must(t, err)
			opts := GCOptions{Roots: roots, Sources: []RootSource{fixedRoots(srcRoots)}, Grace: tt.grace}
			dry := opts
			dry.DryRun = true
			dres, err := s.GC(ctx, dry)
			must(t, err)
			if after, _ := s.Stats(ctx); after != before {
				t.Fatalf("dry run changed the store: %+v → %+v", before, after)
			}
			res, err := s.GC(ctx, opts)
			must(t, err)
			if diff := cmp.Diff(dres, res); diff != "" {
				t.Errorf("dry run and real run differ:\n%s", diff)
			}
			var kept []string
			list, err := s.List()
			must(t, err)
			for _, m := range list {
				kept = append(kept, m.Name)
			}
			if diff := cmp.Diff(tt.kept, kept); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			after, err := s.Stats(ctx)
			must(t, err)
			if freed := before.DiskBytes - after.DiskBytes; res.BytesFreed != freed {
				t.Errorf("BytesFreed = %d, disk bytes went down by %d", res.BytesFreed, freed)
			}
			if res.Kept != len(tt.kept) || len(res.Deleted) != len(entries)-len(tt.kept) {
				t.Errorf("result: kept %d deleted %d", res.Kept, len(res.Deleted))
			}
			// The content index holds only what live entries use.
			idx := 0
			filepath.WalkDir(filepath.Join(s.Dir(), ".files"), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					idx++
				}
				return nil
			})
			if int64(idx) > after.Files {
				t.Errorf("content index has %d files for %d stored files", idx, after.Files)
			}
			if bad, err := s.Verify(ctx); err != nil || len(bad) > 0 {
				t.Errorf("verify after gc: %v %v", bad, err)
			}
		})
	}
}

func TestGCRemovesLeftovers(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	e, _ := addTree(t, s, "a", map[string]string{"a": "a"}, AddOptions{Pin: true})
	// A crashed add: a temp dir, and a renamed tree without metadata.
	must(t, os.MkdirAll(filepath.Join(s.Dir(), "tmp", "add-1", "x"), 0o755))
	must(t, os.Chmod(filepath.Join(s.Dir(), "tmp", "add-1"), 0o555))
	orphan := strings.Repeat("ab", 32)
	must(t, os.MkdirAll(s.Path(orphan), 0o755))
	must(t, os.Chmod(s.Path(orphan), 0o555))
	if s.Has(orphan) {
		t.Fatal("a tree without metadata exists")
	}
	res, err := s.GC(ctx, GCOptions{})
	must(t, err)
	want := []string{filepath.Join("tmp", "add-1"), filepath.Join("ab", orphan)}
	if diff := cmp.Diff(want, res.Leftovers); diff != "" {
		t.Errorf("leftovers (-want +got):\n%s", diff)
	}
	if exists(s.Path(orphan)) || !s.Has(e.Hash) {
		t.Error("gc kept the orphan or lost the pinned entry")
	}
}

func TestAddRepairsUncommittedTree(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	src := t.TempDir()
	mktree(t, src, goldenSpec)
	// A damaged tree sits where the entry goes, without metadata.
	must(t, os.MkdirAll(filepath.Join(s.Path(goldenHash), "junk"), 0o755))
	e, err := s.Add(ctx, "golden", src, AddOptions{})
	must(t, err)
	if e.Hash != goldenHash || exists(filepath.Join(e.Path, "junk")) {
		t.Fatalf("Add did not replace the damaged tree")
	}
	must(t, s.VerifyEntry(ctx, goldenHash))
}

func TestGetWithoutStamps(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	e, _ := addTree(t, s, "golden", goldenSpec, AddOptions{})
	must(t, os.Remove(s.stampsPath(e.Hash)))
	dst := filepath.Join(t.TempDir(), "out")
	must(t, s.Get(ctx, e.Hash, dst, false))
	if got, _ := HashTree(ctx, dst); got != e.Hash {
		t.Errorf("Get without stamps restored %s", got)
	}
	// Without stamps a damaged file is still caught, by the tree hash.
	corruptFile(t, filepath.Join(e.Path, "lib/a.txt"), "b")
	if err := s.Get(ctx, e.Hash, filepath.Join(t.TempDir(), "out"), false); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get of a damaged entry without stamps: %v", err)
	}
}

func TestGetCatchesSameSizeEdit(t *testing.T) {
	checkGetNamesEditedFile(t, corruptFile)
}

// checkGetNamesEditedFile stores two files, rewrites one of them with
// tamper to contents of the same size, and checks that Get fails with a
// CorruptError naming that file.
func checkGetNamesEditedFile(t *testing.T, tamper func(t testing.TB, path, contents string)) {
	t.Helper()
	s := openStore(t)
	e, _ := addTree(t, s, "x", map[string]string{"f": "aaaa", "g": "bbbb"}, AddOptions{})
	tamper(t, filepath.Join(e.Path, "g"), "cccc")
	err := s.Get(context.Background(), e.Hash, filepath.Join(t.TempDir(), "out"), false)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != "g" {
		t.Fatalf("Get: %v, want a CorruptError naming g", err)
	}
}

func FuzzParseStamps(f *testing.F) {
	s := openStore(f)
	e, _ := addTree(f, s, "golden", goldenSpec, AddOptions{})
	data, err := os.ReadFile(s.stampsPath(e.Hash))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseStamps(data)
		if err == nil && recs == nil {
			t.Fatal("nil map without error")
		}
	})
}

func TestProgress(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	src := t.TempDir()
	mktree(t, src, goldenSpec)
	final := map[string][2]int64{}
	var mu sync.Mutex
	s.SetProgress(func(phase string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if done > total {
			t.Errorf("%s: done %d > total %d", phase, done, total)
		}
		final[phase] = [2]int64{done, total}
	})
	e, err := s.Add(ctx, "golden", src, AddOptions{})
	must(t, err)
	must(t, s.Get(ctx, e.Hash, filepath.Join(t.TempDir(), "out"), false))
	_, err = s.Verify(ctx)
	must(t, err)
	for _, phase := range []string{"hash", "copy", "get", "verify"} {
		if got := final[phase]; got != [2]int64{e.Size, e.Size} {
			t.Errorf("%s ended at %v, want %d of %d", phase, got, e.Size, e.Size)
		}
	}
}

func TestAddRepairsCorruptEntry(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	e, src := addTree(t, s, "golden", goldenSpec, AddOptions{Pin: true})
	corruptFile(t, filepath.Join(e.Path, "README"), "HELLO\n")
	if err := s.VerifyEntry(ctx, e.Hash); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("not corrupt: %v", err)
	}
	// The same tree added again replaces the damaged copy.
	e2, err := s.Add(ctx, "golden", src, AddOptions{})
	must(t, err)
	if e2.Existed || e2.Hash != e.Hash {
		t.Fatalf("re-add: existed=%v hash=%s", e2.Existed, e2.Hash)
	}
	if bad, err := s.Verify(ctx); err != nil || len(bad) != 0 {
		t.Fatalf("verify after repair: %v %v", bad, err)
	}
	if pins, _ := s.Pins(); len(pins) != 1 {
		t.Errorf("pin lost in the repair: %v", pins)
	}
	// A touched but unchanged entry is reused, not replaced.
	now := time.Now()
	must(t, os.Chtimes(filepath.Join(e.Path, "README"), now, now))
	e3, err := s.Add(ctx, "golden", src, AddOptions{})
	must(t, err)
	if !e3.Existed {
		t.Error("an intact entry with a new mtime was replaced")
	}
}

func TestDamagedContentIsNotDeduplicated(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, b := t.TempDir(), t.TempDir()
	mktree(t, a, map[string]string{"shared": "same contents"})
	mktree(t, b, map[string]string{"shared": "same contents", "other": "b"})
	ea, err := s.Add(ctx, "a", a, AddOptions{})
	must(t, err)
	corruptFile(t, filepath.Join(ea.Path, "shared"), "SAME CONTENTS")
	eb, err := s.Add(ctx, "b", b, AddOptions{})
	must(t, err)
	if err := s.VerifyEntry(ctx, eb.Hash); err != nil {
		t.Fatalf("new entry picked up damaged contents: %v", err)
	}
	must(t, s.Get(ctx, eb.Hash, filepath.Join(t.TempDir(), "out"), false))
	bad, err := s.Verify(ctx)
	must(t, err)
	if len(bad) != 1 || bad[0].Hash != ea.Hash {
		t.Errorf("Verify = %v, want only %s", bad, ea.Hash)
	}
}

func TestResolve(t *testing.T) {
	s := openStore(t)
	// Entries are found by their metadata file names only, so forged
	// names are enough to make prefixes collide.
	a := "abcdef01" + strings.Repeat("0", 56)
	b := "abcdef01" + strings.Repeat("1", 56)
	c := "abcdef02" + strings.Repeat("2", 56)
	must(t, os.MkdirAll(filepath.Join(s.Dir(), "ab"), 0o755))
	for _, h := range []string{a, b, c} {
		must(t, os.WriteFile(s.metaPath(h), []byte("{}"), 0o444))
	}
	tests := []struct {
		in, want string
		err      error
	}{
		{a, a, nil},
		{"sha256:" + strings.ToUpper(c[:12]), c, nil},
		{"abcdef02", c, nil},
		{"abcdef01", "", ErrAmbiguous},
		{"abcdef010", a, nil},
		{"abcdef03", "", ErrNotFound},
		{"abcdef0", "", nil}, // too short: a plain error
		{"xyzxyzxyz", "", nil},
		{strings.Repeat("f", 64), "", ErrNotFound},
	}
	for _, tt := range tests {
		got, err := s.Resolve(tt.in)
		switch {
		case tt.want != "":
			if err != nil || got != tt.want {
				t.Errorf("Resolve(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		case tt.err != nil:
			if !errors.Is(err, tt.err) {
				t.Errorf("Resolve(%q) error = %v, want %v", tt.in, err, tt.err)
			}
		default:
			if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrAmbiguous) {
				t.Errorf("Resolve(%q) error = %v, want a usage error", tt.in, err)
			}
		}
	}
}

func TestAddRefusesSourceContainingStore(t *testing.T) {
	ws := t.TempDir()
	mktree(t, ws, map[string]string{"a": "a"})
	s, err := Open(filepath.Join(ws, ".meta-store"))
	must(t, err)
	t.Cleanup(func() { removeTree(s.Dir()) })
	_, err = s.Add(context.Background(), "ws", ws, AddOptions{})
	if err == nil || !strings.Contains(err.Error(), "contains the store") {
		t.Fatalf("Add of the store's parent: %v", err)
	}
	_, err = s.Add(context.Background(), "store", s.Dir(), AddOptions{})
	if err == nil || !strings.Contains(err.Error(), "contains the store") {
		t.Fatalf("Add of the store itself: %v", err)
	}
}

func TestInvalidHashes(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	for _, h := range []string{"", "a", "../../etc", strings.Repeat("A", 64), strings.Repeat("g", 64)} {
		if s.Has(h) || s.Path(h) != "" {
			t.Errorf("%q: Has or Path accepted it", h)
		}
		if _, err := s.Query(h); !errors.Is(err, ErrNotFound) {
			t.Errorf("Query(%q) = %v", h, err)
		}
		if err := s.Get(ctx, h, t.TempDir(), true); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v", h, err)
		}
		if err := s.Pin(ctx, h); !errors.Is(err, ErrNotFound) {
			t.Errorf("Pin(%q) = %v", h, err)
		}
		if err := s.Unpin(ctx, h); !errors.Is(err, ErrNotPinned) {
			t.Errorf("Unpin(%q) = %v", h, err)
		}
		if err := s.WriteArchive(ctx, io.Discard, h); !errors.Is(err, ErrNotFound) {
			t.Errorf("WriteArchive(%q) = %v", h, err)
		}
		if err := s.VerifyEntry(ctx, h); !errors.Is(err, ErrNotFound) {
			t.Errorf("VerifyEntry(%q) = %v", h, err)
		}
	}
}

func TestGetRefusesDangerousTargets(t *testing.T) {
	ctx := context.Background()
	ws := t.TempDir()
	s, err := Open(filepath.Join(ws, ".meta-store"))
	must(t, err)
	t.Cleanup(func() { removeTree(s.Dir()) })
	e, _ := addTree(t, s, "a", map[string]string{"a": "a"}, AddOptions{})
	repo := t.TempDir()
	must(t, os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	for _, target := range []string{"", "/", ws, repo} {
		if err := s.Get(ctx, e.Hash, target, true); err == nil {
			t.Errorf("Get --force into %q succeeded", target)
		}
	}
	if !exists(filepath.Join(repo, ".git")) || !s.Has(e.Hash) {
		t.Fatal("a refused Get damaged its target")
	}
}
