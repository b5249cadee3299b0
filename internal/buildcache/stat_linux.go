package buildcache

import (
	"io/fs"
	"syscall"
)

// inodeCtime returns the inode number and change time (ns) of fi.
func inodeCtime(fi fs.FileInfo) (uint64, int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, st.Ctim.Nano()
	}
	return 0, 0
}
