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

// RootSource supplies gc roots kept outside the store: build-cache
// records, lock files. Roots may carry a "sha256:" prefix; hashes of
// entries the store does not have are ignored.
type RootSource interface {
	Roots(ctx context.Context) ([]string, error)
}

// GCOptions controls a collection.
type GCOptions struct {
	Roots   []string     // extra root hashes
	Sources []RootSource // asked for more roots once the exclusive lock is held
	// Grace keeps entries created less than this long ago, so that a
	// caller recording a root right after Add is not raced by GC.
	Grace  time.Duration
	DryRun bool // report what would be deleted, delete nothing
}

// GCResult says what a collection deleted (or would delete).
type GCResult struct {
	Deleted    []Metadata // entries removed, sorted by name then hash
	Kept       int        // entries kept
	BytesFreed int64      // disk bytes released (shared file contents counted once)
	Leftovers  []string   // debris of interrupted writers removed, relative to the store
}

// GC deletes every entry not reachable from a root (see the package
// documentation) and cleans up after interrupted writers. It holds the
// store lock exclusively, waiting for running adds to finish.
func (s *Store) GC(ctx context.Context, opts GCOptions) (GCResult, error) {
	unlock, err := s.lock(ctx, true)
	if err != nil {
		return GCResult{}, err
	}
	defer unlock()

	roots, err := s.gcRoots(ctx, opts)
	if err != nil {
		return GCResult{}, err
	}
	hashes, err := s.hashes()
	if err != nil {
		return GCResult{}, err
	}
	metas := make(map[string]Metadata, len(hashes))
	for _, h := range hashes {
		m, err := s.Query(h)
		if err != nil {
			// Unreadable metadata: keep the entry for Verify to report.
			roots = append(roots, h)
			continue
		}
		metas[h] = m
		if opts.Grace > 0 && s.now().Sub(m.Created) < opts.Grace {
			roots = append(roots, h)
		}
	}
	live := map[string]bool{}
	for len(roots) > 0 {
		h := roots[len(roots)-1]
		roots = roots[:len(roots)-1]
		if live[h] {
			continue
		}
		live[h] = true
		roots = append(roots, metas[h].References...)
	}

	var res GCResult
	var dead []string
	for _, h := range hashes {
		if live[h] {
			res.Kept++
			continue
		}
		dead = append(dead, h)
		res.Deleted = append(res.Deleted, metas[h])
	}
	slices.SortFunc(res.Deleted, func(a, b Metadata) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Hash, b.Hash)
	})
	res.BytesFreed = s.bytesFreed(dead)
	leftovers, err := s.leftovers()
	if err != nil {
		return res, err
	}
	res.Leftovers = leftovers
	if opts.DryRun {
		return res, nil
	}
	for _, h := range dead {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		// Metadata first: from that moment the entry does not exist,
		// whatever happens to the removal of its tree.
		crashPoint("gc: before metadata removal")
		if err := os.Remove(s.metaPath(h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("gc %s: %w", h, err)
		}
		crashPoint("gc: metadata removed")
		os.Remove(s.pinPath(h))
		os.Remove(s.stampsPath(h))
		if err := removeTree(s.Path(h)); err != nil {
			return res, fmt.Errorf("gc %s: %w", h, err)
		}
	}
	crashPoint("gc: entries removed")
	for _, l := range leftovers {
		if err := removeTree(filepath.Join(s.dir, l)); err != nil {
			return res, fmt.Errorf("gc: %w", err)
		}
	}
	crashPoint("gc: leftovers removed")
	if err := s.pruneIndex(); err != nil {
		return res, err
	}
	for _, d := range []string{s.dir, filepath.Join(s.dir, "tmp")} {
		if err := s.syncDir(d); err != nil {
			return res, err
		}
	}
	return res, nil
}

// gcRoots gathers pins, explicit roots and the sources' roots.
func (s *Store) gcRoots(ctx context.Context, opts GCOptions) ([]string, error) {
	roots, err := s.Pins()
	if err != nil {
		return nil, err
	}
	add := func(list []string) {
		for _, r := range list {
			if h, err := ParseHash(r); err == nil {
				roots = append(roots, h)
			}
		}
	}
	add(opts.Roots)
	for _, src := range opts.Sources {
		list, err := src.Roots(ctx)
		if err != nil {
			return nil, fmt.Errorf("gc roots: %w", err)
		}
		add(list)
	}
	return roots, nil
}

// inode identifies a file on disk.
type inode struct{ dev, ino uint64 }

// bytesFreed computes the disk space deleting the entries dead releases:
// a file's contents are freed when every link to it is in a dead entry or
// in the content index.
func (s *Store) bytesFreed(dead []string) int64 {
	type use struct {
		links, nlink uint64
		size         int64
	}
	uses := map[inode]*use{}
	for _, h := range dead {
		walkRegular(s.Path(h), func(_ fs.FileInfo, st *syscall.Stat_t) {
			if st == nil {
				return
			}
			k := inode{uint64(st.Dev), st.Ino}
			u := uses[k]
			if u == nil {
				u = &use{nlink: uint64(st.Nlink), size: st.Size}
				uses[k] = u
			}
			u.links++
		})
	}
	var freed int64
	idx := s.indexInodes()
	for k, u := range uses {
		links := u.links
		if idx[k] {
			links++
		}
		if links >= u.nlink {
			freed += u.size
		}
	}
	return freed
}

// indexInodes returns the inodes the content index links to.
func (s *Store) indexInodes() map[inode]bool {
	out := map[inode]bool{}
	walkRegular(filepath.Join(s.dir, ".files"), func(_ fs.FileInfo, st *syscall.Stat_t) {
		if st != nil {
			out[inode{uint64(st.Dev), st.Ino}] = true
		}
	})
	return out
}

// walkRegular calls fn for every regular file below dir that it can
// stat, with its system stat when there is one (nil if not). What cannot
// be read is passed over: the callers only count.
func walkRegular(dir string, fn func(fi fs.FileInfo, st *syscall.Stat_t)) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		fn(fi, st)
		return nil
	})
}

// leftovers lists what interrupted writers left behind: everything in
// tmp/ and trees without metadata. With the exclusive lock held no writer
// is running, so all of it is garbage whatever its age.
func (s *Store) leftovers() ([]string, error) {
	var out []string
	ents, err := os.ReadDir(filepath.Join(s.dir, "tmp"))
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		out = append(out, filepath.Join("tmp", e.Name()))
	}
	shards, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 || !isLowerHex(sh.Name()) {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(s.dir, sh.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.IsDir() && validHash(e.Name()) && !exists(s.metaPath(e.Name())) {
				out = append(out, filepath.Join(sh.Name(), e.Name()))
			}
			if h, ok := strings.CutSuffix(e.Name(), ".stamps"); ok && validHash(h) && !exists(s.metaPath(h)) {
				out = append(out, filepath.Join(sh.Name(), e.Name()))
			}
		}
	}
	return out, nil
}

// pruneIndex removes content-index files no entry links to any more.
func (s *Store) pruneIndex() error {
	idx := filepath.Join(s.dir, ".files")
	return filepath.WalkDir(idx, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink <= 1 {
			crashPoint("gc: pruning index")
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
}

// Stats summarises the store.
type Stats struct {
	Entries    int   `json:"entries"`
	Pins       int   `json:"pins"`
	Files      int64 `json:"files"`
	Bytes      int64 `json:"bytes"`       // file contents of all entries, as if stored separately
	DiskBytes  int64 `json:"disk_bytes"`  // distinct file contents actually on disk
	DedupSaved int64 `json:"dedup_saved"` // Bytes - DiskBytes: saved by hard links
}

// Stats counts entries and bytes, and what deduplication saves.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	unlock, err := s.lock(ctx, false)
	if err != nil {
		return Stats{}, err
	}
	defer unlock()
	hashes, err := s.hashes()
	if err != nil {
		return Stats{}, err
	}
	pins, err := s.Pins()
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Pins: len(pins)}
	seen := map[inode]bool{}
	for _, h := range hashes {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		st.Entries++
		walkRegular(s.Path(h), func(fi fs.FileInfo, sys *syscall.Stat_t) {
			st.Files++
			st.Bytes += fi.Size()
			if sys != nil {
				k := inode{uint64(sys.Dev), sys.Ino}
				if seen[k] {
					return
				}
				seen[k] = true
			}
			st.DiskBytes += fi.Size()
		})
	}
	st.DedupSaved = st.Bytes - st.DiskBytes
	return st, nil
}
