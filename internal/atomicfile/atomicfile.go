// Package atomicfile writes files so that readers see the old content or
// the new, never a part: a temporary file beside the target, synced, then
// renamed over it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path with permissions perm through a temporary file
// in the same directory and a rename, creating parent directories. On
// failure the old file, if any, is left as it was.
func Write(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
