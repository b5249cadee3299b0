package store

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncFSCovers says that syncFS makes everything on the filesystem
// durable.
const syncFSCovers = true

// syncFS flushes the whole filesystem holding dir with one syncfs(2),
// far cheaper than an fsync per file of a large tree.
func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}

// startWritebackFD asks the kernel to start writing fd's data to disk now,
// without waiting, so the sync before publication finds little left to do.
func startWritebackFD(fd int) {
	unix.SyncFileRange(fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}

// copyFileRange is copy_file_range(2); tests replace it to make the
// kernel refuse.
var copyFileRange = unix.CopyFileRange

// copyFD copies size bytes from in to out with copy_file_range(2), which
// shares blocks where the filesystem can (reflinks on XFS and Btrfs) and
// never moves the bytes through user space; it falls back to read and
// write where the kernel refuses. It returns what was copied, at most
// size: a source that grew meanwhile is caught by the callers' stamp
// checks (Add) or was ruled out by them (Get).
func copyFD(out, in int, size int64, buf []byte) (int64, error) {
	var done int64
	for done < size {
		n, err := copyFileRange(in, nil, out, nil, int(min(size-done, 1<<30)), 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			if done == 0 && (errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)) {
				return copyRW(out, in, buf)
			}
			return done, err
		}
		if n == 0 {
			break
		}
		done += int64(n)
	}
	return done, nil
}
