//go:build !linux

package store

// syncFS makes everything under dir durable; without syncfs(2) that is
// an fsync of each file and directory.
func syncFS(dir string) error { return syncEach(dir) }

// startWritebackFD does nothing where sync_file_range(2) does not exist.
func startWritebackFD(fd int) {}

// copyFD copies in to out through buf.
func copyFD(out, in int, size int64, buf []byte) (int64, error) { return copyRW(out, in, buf) }
