package store

// File I/O on raw descriptors for the per-file hot paths of Add and Get.
// Going through *os.File costs a regular file about eight extra system
// calls (fcntl to make it non-blocking and back, a failed epoll_ctl, an
// fstat): on a tree of 70,000 small files that is most of the time.

import (
	"errors"
	"hash"
	"io/fs"

	"golang.org/x/sys/unix"
)

// writebackMin is the size from which a copied file's writeback is started
// at once; smaller files are left to the one sync before publication.
const writebackMin = 1 << 20

func retryEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// openRead opens path for reading without following a final symlink.
func openRead(path string) (int, error) {
	return openReadAt(unix.AT_FDCWD, path, path)
}

// openReadAt opens name in the directory dirfd for reading without
// following a final symlink; path names it in errors.
func openReadAt(dirfd int, name, path string) (int, error) {
	return openFlags(dirfd, name, path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC)
}

// openDir opens the directory at path, refusing a symlink.
func openDir(path string) (int, error) {
	return openFlags(unix.AT_FDCWD, path, path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC)
}

func openFlags(dirfd int, name, path string, flags int) (int, error) {
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = unix.Openat(dirfd, name, flags, 0)
		return err
	})
	if err != nil {
		return -1, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// lstatAt returns the stamp of name in the directory dirfd, without
// following a symlink; path names it in errors.
func lstatAt(dirfd int, name, path string) (stamp, error) {
	var st unix.Stat_t
	err := retryEINTR(func() error { return unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if err != nil {
		return stamp{}, &fs.PathError{Op: "lstat", Path: path, Err: err}
	}
	return stampOfUnix(&st), nil
}

// createAt creates name, one path component, in the directory dirfd
// (unix.AT_FDCWD for a path), failing if anything exists there — a
// symlink included.
func createAt(dirfd int, name string, mode fs.FileMode) (int, error) {
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode.Perm()))
		return err
	})
	if err != nil {
		return -1, &fs.PathError{Op: "create", Path: name, Err: err}
	}
	return fd, nil
}

// readFD reads from fd into buf, retrying interrupted calls; 0 at the end.
func readFD(fd int, buf []byte) (int, error) {
	var n int
	err := retryEINTR(func() (err error) {
		n, err = unix.Read(fd, buf)
		return err
	})
	return n, err
}

// writeFD writes all of b to fd.
func writeFD(fd int, b []byte) error {
	for len(b) > 0 {
		var n int
		err := retryEINTR(func() (err error) {
			n, err = unix.Write(fd, b)
			return err
		})
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// hashFD hashes everything fd has left into h, writing it to out too when
// out is not -1, and returns the byte count. A failed write is an
// *fs.PathError with Op "write"; a failed read is the bare errno.
func hashFD(fd, out int, h hash.Hash, buf []byte) (int64, error) {
	var total int64
	for {
		k, err := readFD(fd, buf)
		if err != nil {
			return total, err
		}
		if k == 0 {
			return total, nil
		}
		h.Write(buf[:k])
		if out >= 0 {
			if err := writeFD(out, buf[:k]); err != nil {
				return total, &fs.PathError{Op: "write", Path: "copy", Err: err}
			}
		}
		total += int64(k)
	}
}

// closeFD closes fd, reporting a failure (a write error may surface only
// at close on some filesystems).
func closeFD(fd int) error { return unix.Close(fd) }

// copyRW copies everything in has left to out through buf.
func copyRW(out, in int, buf []byte) (int64, error) {
	var total int64
	for {
		k, err := readFD(in, buf)
		if err != nil {
			return total, err
		}
		if k == 0 {
			return total, nil
		}
		if err := writeFD(out, buf[:k]); err != nil {
			return total, err
		}
		total += int64(k)
	}
}

// stampOfUnix is stampOf for a raw stat result.
func stampOfUnix(st *unix.Stat_t) stamp {
	return stamp{
		ino:   int64(st.Ino),
		size:  st.Size,
		mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec,
		ctime: st.Ctim.Sec*1e9 + st.Ctim.Nsec,
	}
}
