package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// sharedLock is a shared store lock that can be let go and taken again.
type sharedLock struct {
	s       *Store
	release func()
}

func (s *Store) lockShared(ctx context.Context) (*sharedLock, error) {
	release, err := s.lock(ctx, false)
	if err != nil {
		return nil, err
	}
	return &sharedLock{s: s, release: release}, nil
}

// lockEntry takes the store lock shared for reading entry hash, and fails
// with ErrNotFound, the lock released, when the store does not hold it.
func (s *Store) lockEntry(ctx context.Context, hash string) (unlock func(), err error) {
	unlock, err = s.lock(ctx, false)
	if err != nil {
		return nil, err
	}
	if !s.Has(hash) {
		unlock()
		return nil, fmt.Errorf("%s: %w", hash, ErrNotFound)
	}
	return unlock, nil
}

func (l *sharedLock) unlock() {
	if l.release != nil {
		l.release()
		l.release = nil
	}
}

func (l *sharedLock) relock(ctx context.Context) error {
	release, err := l.s.lock(ctx, false)
	l.release = release
	return err
}

// intact reports, cheaply (lstat only), whether the committed entry hash
// is as it was stored: the same shape, modes and symlinks, and every file
// unchanged according to its stamp.
func (s *Store) intact(hash string) bool {
	stamps, err := s.readStamps(hash)
	if err != nil {
		return false
	}
	root, err := scan(s.Path(hash))
	if err != nil {
		return false
	}
	files := root.files()
	if len(files) != len(stamps) {
		return false
	}
	for _, n := range files {
		rec, ok := stamps[n.rel]
		if !ok || !rec.matches(n.stamp) {
			return false
		}
		n.digest = rec.digest
	}
	return treeHash(root) == hash
}

// reuseOrRemove decides what an add of a tree the store already has does.
// An intact entry is reused (true). One that fails the cheap check is
// re-hashed; if it is corrupt, it is removed under the exclusive lock (the
// caller's shared lock l is let go meanwhile and held again on return),
// so that the caller stores the good tree in its place (false) — adding a
// tree again is how a damaged entry is repaired. Pins are kept.
func (s *Store) reuseOrRemove(ctx context.Context, hash string, l *sharedLock) (bool, error) {
	if s.intact(hash) {
		return true, nil
	}
	err := s.verifyEntry(ctx, hash)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, ErrCorrupt) {
		return false, err
	}
	l.unlock()
	if err := s.removeCorrupt(ctx, hash); err != nil {
		l.relock(ctx)
		return false, err
	}
	if err := l.relock(ctx); err != nil {
		return false, err
	}
	// Another add may have repaired it while the lock was let go.
	return s.Has(hash) && s.intact(hash), nil
}

// removeCorrupt deletes entry hash if, checked again under the exclusive
// lock, it is still corrupt: metadata first, then stamps, then the tree is
// moved into tmp/ for GC.
func (s *Store) removeCorrupt(ctx context.Context, hash string) error {
	release, err := s.lock(ctx, true)
	if err != nil {
		return err
	}
	defer release()
	if !s.Has(hash) || !errors.Is(s.verifyEntry(ctx, hash), ErrCorrupt) {
		return nil
	}
	if err := os.Remove(s.metaPath(hash)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(s.stampsPath(hash)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.unindex(s.Path(hash)); err != nil {
		return err
	}
	if exists(s.Path(hash)) {
		return s.moveAside(s.Path(hash))
	}
	return nil
}

// unindex removes from the content index every link to a file of the
// tree at dir, so that damaged contents are never linked into a new entry.
func (s *Store) unindex(dir string) error {
	inodes := map[int64]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				inodes[stampOf(fi).ino] = true
			}
		}
		return nil
	})
	idx := filepath.Join(s.dir, ".files")
	return filepath.WalkDir(idx, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if fi, err := d.Info(); err == nil && inodes[stampOf(fi).ino] {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
}
