//go:build !linux

package store

import (
	"io/fs"
	"path/filepath"
)

// syncFSCovers is false: without syncfs(2), syncPass fsyncs every path
// itself.
const syncFSCovers = false

// syncFS fsyncs every file and directory under dir, dir included.
func syncFS(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink == 0 {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	return syncAll(paths)
}

// startWritebackFD does nothing where sync_file_range(2) does not exist.
func startWritebackFD(fd int) {}

// copyFD copies in to out through buf.
func copyFD(out, in int, size int64, buf []byte) (int64, error) { return copyRW(out, in, buf) }
