package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Get copies the entry hash to the directory target and verifies it on
// the way: every byte copied is hashed and the tree hash compared with the
// entry's before anything appears at target. The copy is made in a
// temporary directory beside target and renamed into place, so target
// ends up either untouched or exactly the entry (files 0644/0755 and
// directories 0755, owned by the caller; never hard links into the
// store). A target that exists and is not an empty directory is refused
// with ErrTargetNotEmpty unless force is set, in which case it is
// replaced; a filesystem root, a directory holding the store and a git
// repository are refused even then. A corrupt entry yields a
// *CorruptError and target is left alone.
func (s *Store) Get(ctx context.Context, hash, target string, force bool) error {
	if !validHash(hash) {
		return fmt.Errorf("%q: %w", hash, ErrNotFound)
	}
	if target == "" {
		return errors.New("get: no target directory")
	}
	target, err := filepath.Abs(target)
	if err != nil {
		return err
	}
	if err := s.checkTarget(target); err != nil {
		return err
	}
	unlock, err := s.lockEntry(ctx, hash)
	if err != nil {
		return err
	}
	defer unlock()
	exists, empty, err := targetState(target)
	if err != nil {
		return err
	}
	if exists && !empty && !force {
		return fmt.Errorf("%s: %w", target, ErrTargetNotEmpty)
	}
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".meta-get-*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := s.copyOut(ctx, hash, tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := replaceDir(tmp, target, exists, empty); err != nil {
		return err
	}
	done = true
	return nil
}

// checkTarget refuses targets that even force must not replace: a
// filesystem root, a directory holding the store, and a git repository.
func (s *Store) checkTarget(target string) error {
	if filepath.Dir(target) == target {
		return fmt.Errorf("get: refusing to replace %s", target)
	}
	if rel, err := filepath.Rel(target, s.dir); err == nil && filepath.IsLocal(rel) {
		return fmt.Errorf("get: target %s holds the store %s", target, s.dir)
	}
	if exists(filepath.Join(target, ".git")) {
		return fmt.Errorf("get: target %s is a git repository; refusing to replace it", target)
	}
	return nil
}

// targetState reports whether target exists and, if so, whether it is an
// empty directory.
func targetState(target string) (exists, empty bool, err error) {
	fi, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, true, nil
	}
	if err != nil {
		return false, false, err
	}
	if !fi.IsDir() {
		return true, false, nil
	}
	d, err := os.Open(target)
	if err != nil {
		return true, false, err
	}
	defer d.Close()
	names, err := d.Readdirnames(1)
	if err == io.EOF {
		return true, true, nil
	}
	return true, len(names) == 0, err
}

// replaceDir renames the finished copy tmp to target, first moving an
// existing target out of the way.
func replaceDir(tmp, target string, exists, empty bool) error {
	if !exists {
		return os.Rename(tmp, target)
	}
	if empty {
		if err := os.Remove(target); err != nil {
			return err
		}
		return os.Rename(tmp, target)
	}
	old, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+".meta-old-*")
	if err != nil {
		return err
	}
	aside := filepath.Join(old, "old")
	if err := os.Rename(target, aside); err != nil {
		os.Remove(old)
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Rename(aside, target) // put it back
		os.Remove(old)
		return err
	}
	return os.RemoveAll(old)
}

// copyOut copies the entry hash into the empty directory dst through
// os.Root, hashing as it goes, and checks the result against hash.
func (s *Store) copyOut(ctx context.Context, hash, dst string) error {
	src := s.Path(hash)
	root, err := scan(src)
	if err != nil {
		return s.corrupt(hash, err)
	}
	r, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer r.Close()
	stamps, _ := s.readStamps(hash) // without them, every file is re-hashed
	// Files are restored by directory: each job opens its directory once
	// (through r, so inside dst) and creates its files in it with one
	// openat each, by name, never following a link; it reads them by
	// name from the stored directory, also opened once.
	var files []*node
	var walk func(n *node) error
	walk = func(n *node) error {
		for _, c := range n.children {
			switch c.kind {
			case kindDir:
				if err := r.Mkdir(c.rel, 0o755); err != nil {
					return err
				}
				if err := walk(c); err != nil {
					return err
				}
			case kindSymlink:
				if err := r.Symlink(c.target, c.rel); err != nil {
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
	m := s.meter("get", files)
	var restamp atomic.Bool // a file was re-hashed: its stamps are out of date
	err = eachJob(ctx, dirJobs(files), func(job dirJob) error {
		srcDir := filepath.Join(src, filepath.FromSlash(job.dir))
		srcfd, err := openDir(srcDir)
		if err != nil {
			return &CorruptError{Path: job.dir, Reason: err.Error()}
		}
		defer closeFD(srcfd)
		d, err := r.Open(job.dir)
		if err != nil {
			return err
		}
		defer d.Close()
		dirfd := int(d.Fd())
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		for _, n := range job.files {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec, ok := stamps[n.rel]
			if ok && rec.matches(n.stamp) {
				n.digest = rec.digest
				if err := copyOutFast(srcfd, dirfd, n, *bp); err != nil {
					return err
				}
				m.add(n.size)
				continue
			}
			if err := copyOutFile(srcfd, dirfd, n, *bp); err != nil {
				return err
			}
			m.add(n.size)
			if ok && rec.digest != n.digest {
				return &CorruptError{Path: n.rel, Reason: "contents do not match what was stored"}
			}
			restamp.Store(true)
		}
		return nil
	})
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			ce.Hash = hash
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if got := treeHash(root); got != hash {
		return s.mismatch(hash, root)
	}
	if restamp.Load() {
		// The whole entry verified: record the stamps each file had
		// before it was read (a change since then changes its ctime), so
		// the next Get can trust them again. Failing to is harmless.
		stamps := make([]stamp, len(files))
		for i, n := range files {
			stamps[i] = n.stamp
		}
		s.saveStamps(hash, files, stamps)
	}
	return nil
}

// copyOutFile copies one stored file, named n.name in the directory
// srcfd, into the directory dirfd under the same name, hashing it into
// n.digest.
func copyOutFile(srcfd, dirfd int, n *node, buf []byte) error {
	in, out, err := openCopy(srcfd, dirfd, n)
	if err != nil {
		return err
	}
	defer closeFD(in)
	h := sha256.New()
	got, err := hashFD(in, out, h, buf)
	cerr := closeFD(out)
	var werr *fs.PathError
	switch {
	case errors.As(err, &werr):
		return fmt.Errorf("%s: %w", n.rel, werr.Err) // the target's fault, not the store's
	case err != nil:
		return &CorruptError{Path: n.rel, Reason: err.Error()}
	case cerr != nil:
		return fmt.Errorf("%s: %w", n.rel, cerr)
	}
	if got != n.size {
		return &CorruptError{Path: n.rel, Reason: "changed size while being read"}
	}
	h.Sum(n.digest[:0])
	return nil
}

// copyOutFast copies one stored file whose stamp shows it unchanged since
// it was hashed, letting the kernel move the bytes.
func copyOutFast(srcfd, dirfd int, n *node, buf []byte) error {
	in, out, err := openCopy(srcfd, dirfd, n)
	if err != nil {
		return err
	}
	defer closeFD(in)
	got, err := copyFD(out, in, n.size, buf)
	if cerr := closeFD(out); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if got != n.size {
		return &CorruptError{Path: n.rel, Reason: "changed size while being read"}
	}
	return nil
}

// openCopy opens the stored file n.name in the directory srcfd for
// reading and creates n's file in the directory dirfd for writing; a
// stored file that cannot be opened is corrupt. The caller closes both.
func openCopy(srcfd, dirfd int, n *node) (in, out int, err error) {
	in, err = openReadAt(srcfd, n.name, n.rel)
	if err != nil {
		return -1, -1, &CorruptError{Path: n.rel, Reason: err.Error()}
	}
	out, err = createAt(dirfd, n.name, outMode(n))
	if err != nil {
		closeFD(in)
		return -1, -1, err
	}
	return in, out, nil
}

// outMode is the mode Get gives a restored file.
func outMode(n *node) fs.FileMode {
	if n.kind == kindExec {
		return 0o755
	}
	return 0o644
}

// corrupt wraps an error met while reading entry hash as corruption.
func (s *Store) corrupt(hash string, err error) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		ce.Hash = hash
		return ce
	}
	var se *SpecialFileError
	if errors.Is(err, fs.ErrNotExist) || errors.As(err, &se) || errors.Is(err, fs.ErrPermission) {
		rel := ""
		var pe *fs.PathError
		if errors.As(err, &pe) {
			if r, rerr := filepath.Rel(s.Path(hash), pe.Path); rerr == nil && filepath.IsLocal(r) {
				rel = filepath.ToSlash(r)
			}
		}
		reason := err.Error()
		if pe != nil {
			reason = pe.Err.Error()
		}
		return &CorruptError{Hash: hash, Path: rel, Reason: reason}
	}
	return err
}

// mismatch explains a tree whose hash (files already hashed into root)
// is not hash: it names the files whose contents differ from what the
// content index says they held when stored, when it can tell.
func (s *Store) mismatch(hash string, root *node) error {
	if stamps, err := s.readStamps(hash); err == nil {
		for _, n := range root.files() {
			if rec, ok := stamps[n.rel]; ok && rec.digest != n.digest {
				return &CorruptError{Hash: hash, Path: n.rel, Reason: "contents do not match what was stored"}
			}
		}
	}
	want := s.indexedDigests()
	for _, n := range root.files() {
		fi, err := os.Lstat(filepath.Join(s.Path(hash), filepath.FromSlash(n.rel)))
		if err != nil {
			continue
		}
		d, ok := want[stampOf(fi).ino]
		if ok && d != n.digest {
			return &CorruptError{Hash: hash, Path: n.rel, Reason: "contents do not match what was stored"}
		}
	}
	return &CorruptError{Hash: hash, Reason: "tree does not match its hash"}
}

// indexedDigests maps inode numbers of content-index files to the
// digests their names record.
func (s *Store) indexedDigests() map[int64][32]byte {
	out := map[int64][32]byte{}
	idx := filepath.Join(s.dir, ".files")
	shards, _ := os.ReadDir(idx)
	for _, sh := range shards {
		ents, _ := os.ReadDir(filepath.Join(idx, sh.Name()))
		for _, e := range ents {
			var d [32]byte
			name := e.Name()
			if len(name) < 64 || !isLowerHex(name[:64]) {
				continue
			}
			if _, err := hex.Decode(d[:], []byte(name[:64])); err != nil {
				continue
			}
			if fi, err := e.Info(); err == nil {
				out[stampOf(fi).ino] = d
			}
		}
	}
	return out
}
