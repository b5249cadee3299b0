package backend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// tmpDir holds blobs being written; keys cannot name it (segments start
// with a letter or digit).
const tmpDir = ".tmp"

// Local stores blobs as files under a directory. Writes go to a temporary
// file that is fsynced and then hard-linked into place, so a reader sees a
// whole blob or none and the first writer wins. All access goes through
// os.Root, so nothing outside the directory is ever touched.
type Local struct {
	dir  string
	root *os.Root
}

// OpenLocal opens (creating it if needed) a local directory backend.
func OpenLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("backend: %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("backend: create %s: %w", abs, err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("backend: open %s: %w", abs, err)
	}
	return &Local{dir: abs, root: root}, nil
}

// Close releases the directory handle.
func (l *Local) Close() error { return l.root.Close() }

func (l *Local) String() string { return l.dir }

func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	f, err := l.root.Open(key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %s: %w", l.dir, key, ErrNotFound)
		}
		return nil, fmt.Errorf("%s: %w", l.dir, err)
	}
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %s: %w", l.dir, key, ErrNotFound)
	}
	return f, nil
}

func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if _, err := l.root.Lstat(key); err == nil {
		return fmt.Errorf("%s: %s: %w", l.dir, key, ErrExists)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path.Join(tmpDir, hex.EncodeToString(rnd[:]))
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("%s: %w", l.dir, err)
	}
	defer func() {
		if f != nil {
			f.Close()
		}
		l.root.Remove(tmp)
	}()
	n, err := io.Copy(f, contextReader{ctx, r})
	if err != nil {
		return fmt.Errorf("%s: write %s: %w", l.dir, key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("%s: write %s: got %d bytes, want %d", l.dir, key, n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: sync %s: %w", l.dir, key, err)
	}
	if err := f.Close(); err != nil {
		f = nil
		return fmt.Errorf("%s: write %s: %w", l.dir, key, err)
	}
	f = nil
	if dir := path.Dir(key); dir != "." {
		if err := l.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("%s: %w", l.dir, err)
		}
	}
	// link(2) fails when the name exists: the first writer wins.
	if err := l.root.Link(tmp, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %s: %w", l.dir, key, ErrExists)
		}
		return fmt.Errorf("%s: publish %s: %w", l.dir, key, err)
	}
	syncDir(filepath.Join(l.dir, filepath.FromSlash(path.Dir(key))))
	return nil
}

// syncDir makes a new directory entry durable; failures are ignored
// because some filesystems cannot fsync directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	st, err := l.root.Stat(key)
	if err != nil || !st.Mode().IsRegular() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return Info{}, fmt.Errorf("%s: %s: %w", l.dir, key, ErrNotFound)
		}
		return Info{}, fmt.Errorf("%s: %w", l.dir, err)
	}
	return Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", l.dir, err)
	}
	return nil
}

func (l *Local) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	start := "."
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = prefix[:i]
	}
	var out []Info
	err := fs.WalkDir(l.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipDir
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p == tmpDir {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) || ValidateKey(p) != nil {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return nil // removed while listing
		}
		out = append(out, Info{Key: p, Size: st.Size(), Modified: st.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list %q: %w", l.dir, prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// contextReader stops a copy when its context is cancelled.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
