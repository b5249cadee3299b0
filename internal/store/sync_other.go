//go:build !linux

package store

import (
	"io/fs"
	"os"
	"path/filepath"
)

// syncTree makes everything written under dir durable by fsyncing every
// file and directory in it.
func syncTree(dir string) error {
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
