//go:build !linux && !darwin

package buildcache

import "io/fs"

// inodeCtime is unknown here; size, mtime and mode still guard the stat cache.
func inodeCtime(fi fs.FileInfo) (uint64, int64) { return 0, 0 }
