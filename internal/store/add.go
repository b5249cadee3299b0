package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
)

// AddOptions carries what Add records beside the tree.
type AddOptions struct {
	// Inputs are free-form key/value facts about how the tree was made
	// (a build-cache key, a component version, ...).
	Inputs map[string]string
	// References are hashes of entries this one needs; they must exist,
	// and GC keeps them as long as this entry is kept.
	References []string
	// Expect, when set, is the hash the tree must have; Add fails
	// without storing anything when it differs.
	Expect string
	// Pin pins the entry before the store lock is released, so no GC can
	// remove it between Add and Pin.
	Pin bool
}

// Entry is a store entry as Add returns it.
type Entry struct {
	Metadata
	Path    string // the read-only tree in the store
	Existed bool   // the entry was already stored; nothing was copied
}

// Add stores a copy of the directory tree at srcDir under name and returns
// the entry. Adding a tree that is already stored only hashes it. The
// source is read twice — hashed, then copied (by the kernel where it can)
// unless its contents are already in the store — and each file is checked
// not to have changed between the two.
func (s *Store) Add(ctx context.Context, name, srcDir string, opts AddOptions) (Entry, error) {
	if err := ValidName(name); err != nil {
		return Entry{}, err
	}
	refs, err := normalizeRefs(opts.References)
	if err != nil {
		return Entry{}, err
	}
	if err := s.checkSource(srcDir); err != nil {
		return Entry{}, err
	}
	root, err := scan(srcDir)
	if err != nil {
		return Entry{}, err // names the path
	}
	l, err := s.lockShared(ctx)
	if err != nil {
		return Entry{}, err
	}
	defer l.unlock()
	if err := hashFiles(ctx, srcDir, root.files(), s.meter("hash", root.files())); err != nil {
		return Entry{}, err // names the path
	}
	hash := treeHash(root)
	if e, found, err := s.reuseStored(ctx, hash, opts, refs, l); err != nil || found {
		return e, err
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "add-*")
	if err != nil {
		return Entry{}, err
	}
	ok := false
	defer func() {
		if !ok {
			removeTree(tmp)
		}
	}()
	crashPoint("add: temp dir created")
	if err := s.build(ctx, tmp, root, func(job dirJob, dstDir string, m *meter) error {
		return s.copyDirIn(ctx, filepath.Join(srcDir, filepath.FromSlash(job.dir)), dstDir, job.files, m)
	}); err != nil {
		return Entry{}, err // names the path
	}
	e, err := s.publish(ctx, tmp, root, hash, name, opts.Inputs, refs, opts.Pin)
	ok = err == nil
	return e, err
}

// checkSource refuses a source tree that contains the store itself, which
// would copy the store into itself (adding a workspace root whose
// .meta-store lies inside it, say).
func (s *Store) checkSource(srcDir string) error {
	abs, err := filepath.Abs(srcDir)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	store := s.dir
	if real, err := filepath.EvalSymlinks(store); err == nil {
		store = real
	}
	if rel, err := filepath.Rel(abs, store); err == nil && filepath.IsLocal(rel) {
		return fmt.Errorf("add %s: the source contains the store %s; add a subdirectory, or keep the store elsewhere with META_STORE", srcDir, s.dir)
	}
	return nil
}

func normalizeRefs(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, r := range in {
		h, err := ParseHash(r)
		if err != nil {
			return nil, fmt.Errorf("reference: %w", err)
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// checkAdd validates an add against its expected hash and references.
func (s *Store) checkAdd(hash, expect string, refs []string) error {
	if expect != "" {
		want, err := ParseHash(expect)
		if err != nil {
			return err
		}
		if want != hash {
			return fmt.Errorf("tree hashes to %s, expected %s", hash, want)
		}
	}
	for _, r := range refs {
		if r != hash && !s.Has(r) {
			return fmt.Errorf("reference %s: %w", r, ErrNotFound)
		}
	}
	return nil
}

// reuseStored checks the tree hash against opts and refs and, when the
// store already holds an intact entry hash, returns that entry (pinned if
// opts asks) with found set. A corrupt entry hash is removed, and found
// is false: the caller stores the tree afresh.
func (s *Store) reuseStored(ctx context.Context, hash string, opts AddOptions, refs []string, l *sharedLock) (e Entry, found bool, err error) {
	if err := s.checkAdd(hash, opts.Expect, refs); err != nil {
		return Entry{}, false, err
	}
	if !s.Has(hash) {
		return Entry{}, false, nil
	}
	reuse, err := s.reuseOrRemove(ctx, hash, l)
	if err != nil || !reuse {
		return Entry{}, false, err
	}
	e, err = s.existing(hash, opts.Pin)
	return e, true, err
}

func (s *Store) existing(hash string, pin bool) (Entry, error) {
	m, err := s.Query(hash)
	if err != nil {
		return Entry{}, err
	}
	if pin {
		if err := s.pinLocked(hash); err != nil {
			return Entry{}, err
		}
	}
	return Entry{Metadata: m, Path: s.Path(hash), Existed: true}, nil
}

// build creates the tree root under tmp: directories and symlinks in
// order, then files in parallel, one run of a directory's files at a time,
// through place (which adds each file's size to m once it is placed).
func (s *Store) build(ctx context.Context, tmp string, root *node, place func(job dirJob, dstDir string, m *meter) error) error {
	var files []*node
	var dirs []string
	var walk func(n *node) error
	walk = func(n *node) error {
		for _, c := range n.children {
			dst := filepath.Join(tmp, filepath.FromSlash(c.rel))
			switch c.kind {
			case kindDir:
				if err := os.Mkdir(dst, 0o755); err != nil {
					return err
				}
				dirs = append(dirs, dst)
				if err := walk(c); err != nil {
					return err
				}
			case kindSymlink:
				if err := os.Symlink(c.target, dst); err != nil {
					return err
				}
			default:
				files = append(files, c)
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return err
	}
	m := s.meter("copy", files)
	crashPoint("build: directories made")
	if err := eachJob(ctx, dirJobs(files), func(job dirJob) error {
		return place(job, filepath.Join(tmp, filepath.FromSlash(job.dir)), m)
	}); err != nil {
		return err
	}
	// Read-only directories, deepest first; the root stays writable until
	// it has been renamed into place.
	for _, d := range slices.Backward(dirs) {
		if err := os.Chmod(d, 0o555); err != nil {
			return err
		}
	}
	return nil
}

func fileMode(n *node) fs.FileMode {
	if n.kind == kindExec {
		return 0o555
	}
	return 0o444
}

// linkFromIndex makes dst a hard link to stored contents equal to n's,
// when the store has them. It reports whether it did. The indexed file is
// re-hashed first: linking damaged contents into a new entry would give
// it stamps that vouch for them.
func (s *Store) linkFromIndex(n *node, dst string) bool {
	if n.size == 0 {
		return false
	}
	idx := s.indexPath(n.digest, n.kind == kindExec)
	fi, err := os.Lstat(idx)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != n.size {
		return false
	}
	check := &node{size: n.size}
	if err := hashFile(idx, check); err != nil || check.digest != n.digest {
		return false
	}
	return os.Link(idx, dst) == nil
}

// dedupSeq numbers the links indexFile makes in tmp/.
var dedupSeq atomic.Int64

// indexFile records dst, a new read-only file with n's contents, in the
// content index. When another worker or writer indexed the same contents
// first, dst is replaced by a link to theirs, so that identical files
// copied at the same moment are still stored once.
func (s *Store) indexFile(n *node, dst string) error {
	if n.size == 0 {
		return nil
	}
	idx := s.indexPath(n.digest, n.kind == kindExec)
	err := os.Link(dst, idx)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(idx), 0o755); err == nil {
			err = os.Link(dst, idx)
		}
	}
	if errors.Is(err, fs.ErrExist) {
		check := &node{size: n.size}
		if hashFile(idx, check) == nil && check.digest == n.digest {
			// Link under a name of our own, then rename over dst: dst
			// is never missing.
			side := filepath.Join(s.dir, "tmp", fmt.Sprintf("dedup-%d-%d", os.Getpid(), dedupSeq.Add(1)))
			if os.Link(idx, side) == nil {
				if os.Rename(side, dst) != nil {
					os.Remove(side)
				}
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("content index: %w", err)
	}
	return nil
}

// copyDirIn copies files, all of the source directory src and already
// hashed, into the directory dst, opening each directory once.
func (s *Store) copyDirIn(ctx context.Context, src, dst string, files []*node, m *meter) error {
	srcfd, err := openDir(src)
	if err != nil {
		return err
	}
	defer closeFD(srcfd)
	dstfd, err := openDir(dst)
	if err != nil {
		return err
	}
	defer closeFD(dstfd)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	for _, n := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.copyIn(srcfd, dstfd, filepath.Join(src, n.name), filepath.Join(dst, n.name), n, *bp); err != nil {
			return err
		}
		m.add(n.size)
	}
	return nil
}

// copyIn places source file src (already hashed into n), named n.name in
// the directory srcfd, at dst, named n.name in the directory dstfd.
func (s *Store) copyIn(srcfd, dstfd int, src, dst string, n *node, buf []byte) error {
	if s.linkFromIndex(n, dst) {
		return checkUnchanged(srcfd, src, n)
	}
	in, err := openReadAt(srcfd, n.name, src)
	if err != nil {
		return err
	}
	defer closeFD(in)
	out, err := createAt(dstfd, n.name, fileMode(n))
	if err != nil {
		return err
	}
	crashPoint("copy: file created")
	got, err := copyFD(out, in, n.size, buf)
	if err == nil && !s.noSync && n.size >= writebackMin {
		startWritebackFD(out)
	}
	if cerr := closeFD(out); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if got != n.size {
		return fmt.Errorf("%s: changed while being added (size %d, then %d)", src, n.size, got)
	}
	if err := checkUnchanged(srcfd, src, n); err != nil {
		return err
	}
	crashPoint("copy: file written")
	return s.indexFile(n, dst)
}

// checkUnchanged checks that src, named n.name in the directory dirfd, is
// still the file scan saw.
func checkUnchanged(dirfd int, src string, n *node) error {
	st, err := lstatAt(dirfd, n.name, src)
	if err != nil {
		return err
	}
	if st != n.stamp {
		return fmt.Errorf("%s: changed while being added", src)
	}
	return nil
}

// publish moves the finished tree tmp into place as entry hash and
// commits it by linking its metadata file into place. The store lock must
// be held shared.
//
// A tree without metadata does not exist, so the tree and its stamps are
// renamed into place first, unsynced; then one pass syncs the tree, the
// stamps, the metadata's temporary file and the shard directory naming
// them; only then is the metadata linked into place and that link synced.
// Two rounds of syncs whatever the entry's size, and the metadata never
// reaches the disk before what it names.
func (s *Store) publish(ctx context.Context, tmp string, root *node, hash, name string, inputs map[string]string, refs []string, pin bool) (Entry, error) {
	final := s.Path(hash)
	shard := filepath.Dir(final)
	files, dirs, links, size := root.counts()
	m := Metadata{
		Version: MetadataVersion, Hash: hash, Name: name,
		Size: size, Files: files, Dirs: dirs, Symlinks: links,
		Created: s.now().UTC().Truncate(1e9), Inputs: inputs, References: refs,
	}
	meta, err := m.marshal()
	if err != nil {
		return Entry{}, err
	}
	// The stamps of the files as they are in tmp: renaming the tree
	// changes none of its files' inode, size or times.
	stamps, err := s.stampsData(tmp, root)
	if err != nil {
		return Entry{}, err
	}
	stampsTmp, err := s.writeTemp("stamps-*", stamps)
	if err != nil {
		return Entry{}, err
	}
	defer func() {
		if stampsTmp != "" {
			os.Remove(stampsTmp)
		}
	}()
	metaTmp, err := s.writeTemp("meta-*", meta)
	if err != nil {
		return Entry{}, err
	}
	defer os.Remove(metaTmp)
	newShard := false
	if err := os.Mkdir(shard, 0o755); err == nil {
		newShard = true
	} else if !errors.Is(err, fs.ErrExist) {
		return Entry{}, err
	}
	crashPoint("publish: before rename")
	ours := true // the tree in place is the one stampsTmp describes
	for attempt := 0; ; attempt++ {
		err := os.Rename(tmp, final)
		if err == nil {
			durabilityEvent("rename", tmp, final)
			break
		}
		if _, serr := os.Lstat(final); serr != nil {
			return Entry{}, fmt.Errorf("publish %s: %w", hash, err)
		}
		if s.Has(hash) { // a concurrent add won
			removeTree(tmp)
			return s.existing(hash, pin)
		}
		// A tree without metadata: a concurrent add about to commit, or
		// one that crashed after its rename. Renames are atomic, so it
		// is complete unless something damaged it since; it may not be
		// durable yet, which the sync pass below sees to.
		if got, herr := HashTree(ctx, final); herr == nil && got == hash {
			removeTree(tmp)
			ours = false
			break
		}
		if attempt == 2 {
			return Entry{}, fmt.Errorf("publish %s: %w", hash, err)
		}
		if err := s.moveAside(final); err != nil {
			return Entry{}, err
		}
	}
	crashPoint("publish: renamed")
	if err := os.Chmod(final, 0o555); err != nil {
		return Entry{}, err
	}
	if !ours { // stamps of the tree found in place
		stamps, err := s.stampsData(final, root)
		if err != nil {
			return Entry{}, err
		}
		if err := os.Remove(stampsTmp); err != nil {
			return Entry{}, err
		}
		if stampsTmp, err = s.writeTemp("stamps-*", stamps); err != nil {
			return Entry{}, err
		}
	}
	if err := os.Rename(stampsTmp, s.stampsPath(hash)); err != nil {
		return Entry{}, err
	}
	durabilityEvent("rename", stampsTmp, s.stampsPath(hash))
	stampsTmp = ""
	crashPoint("build: before sync")
	extra := []string{s.stampsPath(hash), metaTmp, shard}
	if newShard { // its own name, in the store's directory
		extra = append(extra, s.dir)
	}
	if err := s.syncPass(final, root, extra...); err != nil {
		return Entry{}, err
	}
	crashPoint("publish: before metadata")
	if err := os.Link(metaTmp, s.metaPath(hash)); err != nil && !errors.Is(err, fs.ErrExist) {
		return Entry{}, fmt.Errorf("commit %s: %w", hash, err)
	}
	durabilityEvent("link", metaTmp, s.metaPath(hash))
	if err := s.syncDir(shard); err != nil {
		return Entry{}, err
	}
	crashPoint("publish: committed")
	if pin {
		if err := s.pinLocked(hash); err != nil {
			return Entry{}, err
		}
	}
	m, err = s.Query(hash) // the first committer's metadata wins
	if err != nil {
		return Entry{}, err
	}
	return Entry{Metadata: m, Path: final}, nil
}

// writeTemp writes data to a new read-only file in the store's tmp/, not
// yet synced, and returns its path.
func (s *Store) writeTemp(pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), pattern)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o444)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// moveAside moves a damaged, uncommitted tree out of the way, into tmp/
// where GC removes it.
func (s *Store) moveAside(dir string) error {
	trash, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "trash-*")
	if err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	return os.Rename(dir, filepath.Join(trash, "tree"))
}

// removeTree deletes a tree the store made read-only.
func removeTree(dir string) error {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	crashPoint("remove: tree writable")
	return os.RemoveAll(dir)
}
