//go:build unix

package cargoindex

import (
	"io"
	"os"
	"syscall"
)

// readFile reads the file at path into data (see readFrom) with plain
// system calls: open, read until end of file, close. An os.File costs
// several more per file (poller registration, flags, a finalizer), which
// shows when thousands of small index files are read.
func readFile(path string, data []byte) ([]byte, error) {
	fd, err := open(path)
	if err != nil {
		return data, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	return readFrom(fdReader(fd), data)
}

func open(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// fdReader reads a file descriptor, retrying reads a signal interrupted.
type fdReader int

func (f fdReader) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(f), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
