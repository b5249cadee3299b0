package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
)

// Verify re-hashes every entry and returns one *CorruptError per entry
// that does not match its hash, has an unreadable metadata file or lost
// its tree. The error is for failures of Verify itself (cancellation,
// an unreadable store).
func (s *Store) Verify(ctx context.Context) ([]*CorruptError, error) {
	unlock, err := s.lock(ctx, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	hashes, err := s.hashes()
	if err != nil {
		return nil, err
	}
	var bad []*CorruptError
	for _, h := range hashes {
		err := s.verifyEntry(ctx, h)
		var ce *CorruptError
		switch {
		case err == nil:
		case errors.As(err, &ce):
			bad = append(bad, ce)
		default:
			return bad, err
		}
	}
	return bad, nil
}

// VerifyEntry re-hashes one entry; a mismatch is a *CorruptError.
func (s *Store) VerifyEntry(ctx context.Context, hash string) error {
	unlock, err := s.lock(ctx, false)
	if err != nil {
		return err
	}
	defer unlock()
	return s.verifyEntry(ctx, hash)
}

func (s *Store) verifyEntry(ctx context.Context, hash string) error {
	m, err := s.Query(hash)
	if err != nil {
		return err
	}
	dir := s.Path(hash)
	root, err := scan(dir)
	if err != nil {
		return s.corrupt(hash, err)
	}
	if err := hashFiles(ctx, dir, root.files(), s.meter("verify", root.files())); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.corrupt(hash, err)
	}
	if treeHash(root) != hash {
		return s.mismatch(hash, root)
	}
	files, dirs, links, size := root.counts()
	if m.Files != files || m.Dirs != dirs || m.Symlinks != links || m.Size != size {
		return &CorruptError{Hash: hash, Path: filepath.Base(s.metaPath(hash)), Reason: "metadata counts do not match the tree"}
	}
	return nil
}

// exists reports whether path exists (without following a final symlink).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
