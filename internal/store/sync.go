package store

import (
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// syncEachMax is the number of paths up to which syncPass fsyncs each
// one; for more it uses one syncfs(2), which also flushes whatever else
// is dirty on the filesystem but costs one journal commit however many
// files there are. Below it, fsyncs of only this entry's files keep a
// restore from waiting on unrelated writes (a large copy going on
// beside the build).
const syncEachMax = 256

// syncWorkers bounds the fsyncs one pass has in flight at once.
const syncWorkers = 32

// syncPass makes durable, in one pass, the tree at dir (every file and
// directory in it, dir included) and the extra paths (the entry's stamps
// and metadata files, the directories naming them). The fsyncs are issued
// together rather than one after another: a journaling filesystem (ext4,
// XFS) folds fsyncs that wait at the same time into one journal commit,
// so a small entry costs about one commit, not one per file.
func (s *Store) syncPass(dir string, root *node, extra ...string) error {
	if s.noSync {
		return nil
	}
	files, dirs, _, _ := root.counts()
	if 1+files+dirs+len(extra) > syncEachMax && syncFSCovers {
		durabilityEvent("syncfs", dir, "")
		return syncFS(dir) // the extra paths are on the same filesystem
	}
	paths := make([]string, 0, 1+files+dirs+len(extra))
	paths = append(paths, dir)
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children {
			switch c.kind {
			case kindSymlink:
			case kindDir:
				paths = append(paths, filepath.Join(dir, filepath.FromSlash(c.rel)))
				walk(c)
			default:
				paths = append(paths, filepath.Join(dir, filepath.FromSlash(c.rel)))
			}
		}
	}
	walk(root)
	return syncAll(append(paths, extra...))
}

// syncAll fsyncs every path (files or directories), several at a time.
func syncAll(paths []string) error {
	if len(paths) == 1 {
		return syncPath(paths[0])
	}
	var g errgroup.Group
	g.SetLimit(syncWorkers)
	for _, p := range paths {
		g.Go(func() error { return syncPath(p) })
	}
	return g.Wait()
}

// syncPath fsyncs the file or directory at p.
func syncPath(p string) error {
	durabilityEvent("sync", p, "")
	fd, err := openRead(p)
	if err != nil {
		return err
	}
	defer closeFD(fd)
	if err := retryEINTR(func() error { return unix.Fsync(fd) }); err != nil {
		return &os.PathError{Op: "fsync", Path: p, Err: err}
	}
	return nil
}
