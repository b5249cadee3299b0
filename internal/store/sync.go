package store

import (
	"io/fs"
	"os"
	"path/filepath"
)

// syncEachMax is the size of a tree, in files and directories, up to
// which syncTree fsyncs each one; bigger trees use one syncfs(2), which
// also flushes whatever else is dirty on the filesystem but costs one
// journal commit instead of one per file.
const syncEachMax = 256

// syncTree makes the new tree at dir durable before it is renamed into
// place.
func (s *Store) syncTree(dir string, root *node) error {
	if s.noSync {
		return nil
	}
	files, dirs, _, _ := root.counts()
	if files+dirs > syncEachMax {
		return syncFS(dir)
	}
	return syncEach(dir)
}

// syncEach fsyncs every file and directory under dir, dir included.
func syncEach(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
