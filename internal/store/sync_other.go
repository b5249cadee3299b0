//go:build !linux

package store

// syncFS makes everything under dir durable; without syncfs(2) that is
// an fsync of each file and directory.
func syncFS(dir string) error { return syncEach(dir) }
