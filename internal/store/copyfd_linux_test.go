package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCopyFDFallsBack checks that a copy the kernel refuses to make with
// copy_file_range (another filesystem, an old kernel, a filesystem without
// support) is made with read and write instead, and that other errors, or
// a refusal after bytes were copied, are reported.
func TestCopyFDFallsBack(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160,000 bytes
	for _, tc := range []struct {
		name    string
		errno   error
		after   int // calls that succeed (copying 1000 bytes each) before errno
		wantErr bool
	}{
		{"EXDEV", unix.EXDEV, 0, false},
		{"ENOSYS", unix.ENOSYS, 0, false},
		{"EOPNOTSUPP", unix.EOPNOTSUPP, 0, false},
		{"EINVAL", unix.EINVAL, 0, false},
		{"EIO", unix.EIO, 0, true},
		{"EXDEV after a partial copy", unix.EXDEV, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			copyFileRange = func(rfd int, roff *int64, wfd int, woff *int64, n int, flags int) (int, error) {
				calls++
				if calls > tc.after {
					return 0, tc.errno
				}
				return unix.CopyFileRange(rfd, roff, wfd, woff, min(n, 1000), flags)
			}
			t.Cleanup(func() { copyFileRange = unix.CopyFileRange })
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := openRead(src)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFD(in)
			out, err := createAt(unix.AT_FDCWD, filepath.Join(dir, "dst"), 0o644)
			if err != nil {
				t.Fatal(err)
			}
			got, err := copyFD(out, in, int64(len(data)), make([]byte, 4096))
			if cerr := closeFD(out); cerr != nil {
				t.Fatal(cerr)
			}
			if tc.wantErr {
				if !errors.Is(err, tc.errno) {
					t.Fatalf("copyFD: %v, want %v", err, tc.errno)
				}
				return
			}
			if err != nil || got != int64(len(data)) {
				t.Fatalf("copyFD = %d, %v; want %d, nil", got, err, len(data))
			}
			back, err := os.ReadFile(filepath.Join(dir, "dst"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back, data) {
				t.Fatalf("copy differs from the source (%d bytes, want %d)", len(back), len(data))
			}
		})
	}
}
