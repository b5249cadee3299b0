package git

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// IndexEntry is one path of a git index, with the stat data git cached for it.
type IndexEntry struct {
	Path      string
	CtimeSec  uint32
	CtimeNsec uint32
	MtimeSec  uint32
	MtimeNsec uint32
	Dev       uint32
	Ino       uint32
	Mode      uint32 // 0100644, 0100755, 0120000 or 0160000
	Size      uint32 // truncated to 32 bits, as git stores it
}

// ErrIndexUnsupported means the index uses a feature this reader does not
// handle (version 4 path compression, a split index, conflict stages,
// skip-worktree or intent-to-add entries); callers fall back to git.
var ErrIndexUnsupported = errors.New("git index format not handled")

// ReadIndex parses the index of the working tree at dir (versions 2 and
// 3) and returns the stat data of the file it read.
func ReadIndex(dir string) ([]IndexEntry, IndexStamp, error) {
	r, err := OpenRepo(dir)
	if err != nil {
		return nil, IndexStamp{}, err
	}
	return r.Index()
}

func parseIndex(data []byte) ([]IndexEntry, error) {
	if len(data) < 12 || string(data[:4]) != "DIRC" {
		return nil, fmt.Errorf("not a git index")
	}
	version := binary.BigEndian.Uint32(data[4:8])
	if version != 2 && version != 3 {
		return nil, ErrIndexUnsupported
	}
	n := binary.BigEndian.Uint32(data[8:12])
	if uint64(n)*62 > uint64(len(data)) {
		return nil, fmt.Errorf("git index: %d entries cannot fit in %d bytes", n, len(data))
	}
	entries := make([]IndexEntry, 0, n)
	off := 12
	for i := uint32(0); i < n; i++ {
		if off+62 > len(data) {
			return nil, fmt.Errorf("git index truncated")
		}
		e := data[off:]
		be := binary.BigEndian
		flags := be.Uint16(e[60:62])
		if flags&0x3000 != 0 { // merge stage
			return nil, ErrIndexUnsupported
		}
		hdr := 62
		if flags&0x4000 != 0 { // extended flags: skip-worktree, intent-to-add
			if version < 3 || off+64 > len(data) {
				return nil, fmt.Errorf("git index: bad extended flags")
			}
			if be.Uint16(e[62:64]) != 0 {
				return nil, ErrIndexUnsupported
			}
			hdr = 64
		}
		end := bytes.IndexByte(e[hdr:], 0)
		if end < 0 {
			return nil, fmt.Errorf("git index truncated in a path")
		}
		entries = append(entries, IndexEntry{
			Path:      string(e[hdr : hdr+end]),
			CtimeSec:  be.Uint32(e[0:4]),
			CtimeNsec: be.Uint32(e[4:8]),
			MtimeSec:  be.Uint32(e[8:12]),
			MtimeNsec: be.Uint32(e[12:16]),
			Dev:       be.Uint32(e[16:20]),
			Ino:       be.Uint32(e[20:24]),
			Mode:      be.Uint32(e[24:28]),
			Size:      be.Uint32(e[36:40]),
		})
		// Entries are padded with 1–8 NULs to a multiple of 8 bytes.
		length := hdr + end
		off += (length + 8) &^ 7
	}
	if len(data) >= off+8 && string(data[off:off+4]) == "link" {
		return nil, ErrIndexUnsupported // split index
	}
	return entries, nil
}

// StatMatches reports whether the file at path still has the stat data the
// index cached for it (change and modification time, size, inode and
// type), as git's own refresh check does. A false answer
// means "maybe changed": ask git.
func (e IndexEntry) StatMatches(path string) bool {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return false
	}
	return e.matches(&st)
}

func (e IndexEntry) matches(st *unix.Stat_t) bool {
	// The change time too, as git does by default (core.trustctime): an
	// edit that keeps the size and puts the old mtime back still moves it.
	if uint32(st.Ctim.Sec) != e.CtimeSec || uint32(st.Ctim.Nsec) != e.CtimeNsec {
		return false
	}
	if uint32(st.Mtim.Sec) != e.MtimeSec || uint32(st.Mtim.Nsec) != e.MtimeNsec ||
		uint32(st.Size) != e.Size || uint32(st.Ino) != e.Ino {
		return false
	}
	switch e.Mode {
	case 0o100644:
		return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&0o100 == 0
	case 0o100755:
		return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&0o100 != 0
	case 0o120000:
		return st.Mode&unix.S_IFMT == unix.S_IFLNK
	}
	return false // gitlinks and anything else: let git decide
}

// TreeMatches reports whether the working tree at dir is as recorded:
// every directory in dirMtimes (relative to dir, "." for dir itself) has
// the modification time (in nanoseconds) recorded for it, and every
// entry's file still has the stat data the index cached for it
// (StatMatches) and was not written at or after racyMtime (git's
// racy-clean rule: such a file may have changed within the same clock
// tick). Everything is looked up from one descriptor of dir, without
// following a final symbolic link.
func TreeMatches(dir string, dirMtimes map[string]int64, entries []IndexEntry, racyMtime int64) bool {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	for rel, want := range dirMtimes {
		if rel == "" || filepath.IsAbs(rel) {
			return false
		}
		if unix.Fstatat(fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mtim.Nano() != want {
			return false
		}
	}
	for _, e := range entries {
		if int64(e.MtimeSec)*1e9+int64(e.MtimeNsec) >= racyMtime {
			return false
		}
		if e.Path == "" || filepath.IsAbs(e.Path) {
			return false
		}
		if unix.Fstatat(fd, e.Path, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || !e.matches(&st) {
			return false
		}
	}
	return true
}
