package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Errors callers test for with errors.Is.
var (
	ErrNotFound       = errors.New("no such store entry")
	ErrAmbiguous      = errors.New("ambiguous hash prefix")
	ErrCorrupt        = errors.New("store entry is corrupt")
	ErrTargetNotEmpty = errors.New("target is not empty")
	ErrNotPinned      = errors.New("entry is not pinned")
)

// CorruptError reports a store entry whose contents no longer match its
// hash, or whose files cannot be read as stored.
type CorruptError struct {
	Hash   string
	Path   string // the file found wrong, relative to the entry, when known
	Reason string
}

func (e *CorruptError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("store entry %s is corrupt: %s: %s", e.Hash, e.Path, e.Reason)
	}
	return fmt.Sprintf("store entry %s is corrupt: %s", e.Hash, e.Reason)
}

func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Store is a content-addressed store rooted at one directory. Its methods
// are safe for concurrent use, by goroutines and by processes.
type Store struct {
	dir    string
	now    func() time.Time // tests replace it
	noSync bool             // skip fsyncs: fuzz tests only, where durability is not under test

	progress Progress // see SetProgress
}

// Open returns the store at dir, creating the directory and its layout
// when missing.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{abs, filepath.Join(abs, "tmp"), filepath.Join(abs, "pins"), filepath.Join(abs, ".files")} {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("open store: %s is not a directory", abs)
	}
	// A store inside a repository must never be committed.
	ignore := filepath.Join(abs, ".gitignore")
	if _, err := os.Lstat(ignore); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(ignore, []byte("# meta's content-addressed store: never commit it\n*\n"), 0o644); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	return &Store{dir: abs, now: time.Now}, nil
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

// Path returns where the tree of the entry hash lives (read-only), or ""
// when hash is not a full hash. It does not check that the entry exists.
func (s *Store) Path(hash string) string {
	if !validHash(hash) {
		return ""
	}
	return filepath.Join(s.dir, hash[:2], hash)
}

func (s *Store) metaPath(hash string) string {
	return filepath.Join(s.dir, hash[:2], hash+".metadata.json")
}

func (s *Store) pinPath(hash string) string { return filepath.Join(s.dir, "pins", hash) }

// indexPath is the content-index link for a file's contents.
func (s *Store) indexPath(digest [32]byte, exec bool) string {
	h := fmt.Sprintf("%x", digest)
	if exec {
		h += ".x"
	}
	return filepath.Join(s.dir, ".files", h[:2], h)
}

// lock takes the store lock, shared or exclusive, and returns its release.
// Waiting for it stops when ctx is done.
func (s *Store) lock(ctx context.Context, exclusive bool) (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store lock: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err == nil {
		return func() { f.Close() }, nil
	}
	done := make(chan error, 1)
	go func() { done <- flockRetry(int(f.Fd()), how) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("store lock: %w", err)
		}
		return func() { f.Close() }, nil
	case <-ctx.Done():
		// Closing the file releases the lock whenever flock returns.
		go func() { <-done; f.Close() }()
		return nil, ctx.Err()
	}
}

func flockRetry(fd, how int) error {
	for {
		err := syscall.Flock(fd, how)
		if err != syscall.EINTR {
			return err
		}
	}
}

// Has reports whether the entry hash exists (its metadata is committed).
func (s *Store) Has(hash string) bool {
	if !validHash(hash) {
		return false
	}
	_, err := os.Lstat(s.metaPath(hash))
	return err == nil
}

// Query returns the metadata of the entry hash.
func (s *Store) Query(hash string) (Metadata, error) {
	if !validHash(hash) {
		return Metadata{}, fmt.Errorf("%q: %w", hash, ErrNotFound)
	}
	data, err := os.ReadFile(s.metaPath(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return Metadata{}, fmt.Errorf("%s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return Metadata{}, err
	}
	m, err := ParseMetadata(data)
	if err != nil {
		return Metadata{}, &CorruptError{Hash: hash, Reason: err.Error()}
	}
	if m.Hash != hash {
		return Metadata{}, &CorruptError{Hash: hash, Reason: "metadata names hash " + m.Hash}
	}
	return m, nil
}

// MinPrefix is the shortest hash prefix Resolve accepts.
const MinPrefix = 8

// Resolve expands a unique hash prefix of at least MinPrefix hex digits
// (optionally "sha256:"-prefixed) to the full hash of an existing entry.
func (s *Store) Resolve(prefix string) (string, error) {
	p := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(prefix, "sha256:"), "SHA256:"))
	if len(p) < MinPrefix || len(p) > 64 || !isLowerHex(p) {
		return "", fmt.Errorf("%q is not a store hash or a prefix of at least %d hex digits", prefix, MinPrefix)
	}
	if len(p) == 64 {
		if !s.Has(p) {
			return "", fmt.Errorf("%s: %w", p, ErrNotFound)
		}
		return p, nil
	}
	ents, err := os.ReadDir(filepath.Join(s.dir, p[:2]))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var found []string
	for _, e := range ents {
		h, ok := strings.CutSuffix(e.Name(), ".metadata.json")
		if ok && validHash(h) && strings.HasPrefix(h, p) {
			found = append(found, h)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: %w", prefix, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s: %w: matches %s", prefix, ErrAmbiguous, strings.Join(found, ", "))
}

// List returns the metadata of every entry, sorted by name then hash.
// Entries whose metadata cannot be read are left out; Verify reports them.
func (s *Store) List() ([]Metadata, error) {
	hashes, err := s.hashes()
	if err != nil {
		return nil, err
	}
	out := make([]Metadata, 0, len(hashes))
	for _, h := range hashes {
		m, err := s.Query(h)
		if err != nil {
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Metadata) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Hash, b.Hash)
	})
	return out, nil
}

// hashes returns the hash of every committed entry, sorted.
func (s *Store) hashes() ([]string, error) {
	shards, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 || !isLowerHex(sh.Name()) {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(s.dir, sh.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			h, ok := strings.CutSuffix(e.Name(), ".metadata.json")
			if ok && validHash(h) && h[:2] == sh.Name() {
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// Pin makes the entry hash a gc root until Unpin.
func (s *Store) Pin(ctx context.Context, hash string) error {
	unlock, err := s.lock(ctx, false)
	if err != nil {
		return err
	}
	defer unlock()
	return s.pinLocked(hash)
}

func (s *Store) pinLocked(hash string) error {
	if !s.Has(hash) {
		return fmt.Errorf("pin %s: %w", hash, ErrNotFound)
	}
	return s.writeFileAtomic(s.pinPath(hash), []byte(hash+"\n"))
}

// Unpin removes the pin of hash. It returns ErrNotPinned when there is none.
func (s *Store) Unpin(ctx context.Context, hash string) error {
	if !validHash(hash) {
		return fmt.Errorf("unpin %q: %w", hash, ErrNotPinned)
	}
	unlock, err := s.lock(ctx, false)
	if err != nil {
		return err
	}
	defer unlock()
	err = os.Remove(s.pinPath(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unpin %s: %w", hash, ErrNotPinned)
	}
	return err
}

// Pins returns the pinned hashes, sorted.
func (s *Store) Pins() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "pins"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if validHash(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// writeFileAtomic writes data to path through a synced temporary file in
// the store's tmp/ (same filesystem), renames it into place and syncs the
// directory.
func (s *Store) writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "write-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o444)
	}
	if err == nil {
		err = s.syncFile(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	durabilityEvent("rename", tmp, path)
	return s.syncDir(filepath.Dir(path))
}

// syncFile fsyncs f (unless the store is in the fuzz tests' no-sync mode).
func (s *Store) syncFile(f *os.File) error {
	if s.noSync {
		return nil
	}
	durabilityEvent("sync", f.Name(), "")
	return f.Sync()
}

// syncDir fsyncs a directory so a rename or creation in it is durable.
func (s *Store) syncDir(dir string) error {
	if s.noSync {
		return nil
	}
	return syncPath(dir)
}
