package git

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Stamp is the stat data of a file or directory that changes whenever it
// is written, replaced, created or removed — for a directory, whenever an
// entry in it is added, removed or renamed: modification time, change time
// (both in nanoseconds), size and inode. The zero Stamp means "absent".
type Stamp [4]int64

// StampOf stamps path without following a final symbolic link; a path
// that does not exist has the zero Stamp.
func StampOf(path string) (Stamp, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return Stamp{}, nil
		}
		return Stamp{}, &fs.PathError{Op: "lstat", Path: path, Err: err}
	}
	return Stamp{st.Mtim.Nano(), st.Ctim.Nano(), st.Size, int64(st.Ino)}, nil
}

// Since reports whether the stamp's modification or change time is later
// than t: a stamp taken that recently cannot be trusted to change on the
// next write, which may fall in the same clock tick.
func (s Stamp) Since(t time.Time) bool {
	return s[0] > t.UnixNano() || s[1] > t.UnixNano()
}

// maxRefStamps bounds how many entries RefStamps will stamp.
const maxRefStamps = 512

// RefStamps stamps everything the repository's refs are read from: HEAD,
// packed-refs and every directory and file under refs/, keyed by their
// path relative to the git directory. Any change to a ref — a commit, a
// checkout, a fetch, a new or deleted branch or tag, pack-refs, a ref file
// edited in place — changes at least one of these stamps, since git writes
// refs by renaming a lock file into place (which changes the directory)
// and any in-place write changes the file. ok is false when the layout is
// not one this can vouch for: a linked worktree (refs shared with other
// worktrees), a symbolic link under refs/, a reftable repository, or more
// than maxRefStamps entries.
func (r *Repo) RefStamps() (stamps map[string]Stamp, ok bool) {
	if r.GitDir != r.CommonDir {
		return nil, false
	}
	stamps = map[string]Stamp{}
	for _, name := range []string{"HEAD", "packed-refs", "reftable", "refs"} {
		s, err := StampOf(filepath.Join(r.GitDir, name))
		if err != nil {
			return nil, false
		}
		stamps[name] = s
	}
	if stamps["reftable"] != (Stamp{}) || stamps["refs"] == (Stamp{}) {
		return nil, false
	}
	var walk func(rel string, depth int) bool
	walk = func(rel string, depth int) bool {
		names, err := readDirNames(filepath.Join(r.GitDir, filepath.FromSlash(rel)))
		if err != nil || depth > maxRefsDepth {
			return false
		}
		for _, n := range names {
			p := rel + "/" + n
			var st syscall.Stat_t
			if err := syscall.Lstat(filepath.Join(r.GitDir, filepath.FromSlash(p)), &st); err != nil {
				return false
			}
			stamps[p] = Stamp{st.Mtim.Nano(), st.Ctim.Nano(), st.Size, int64(st.Ino)}
			if len(stamps) > maxRefStamps {
				return false
			}
			switch st.Mode & syscall.S_IFMT {
			case syscall.S_IFDIR:
				if !walk(p, depth+1) {
					return false
				}
			case syscall.S_IFREG:
			default:
				return false
			}
		}
		return true
	}
	if !walk("refs", 0) {
		return nil, false
	}
	return stamps, true
}

// RefStampsMatch reports whether every stamp in stamps (from RefStamps) is
// unchanged, so the refs are what they were when they were stamped. A set
// that RefStamps did not make never matches.
func (r *Repo) RefStampsMatch(stamps map[string]Stamp) bool {
	if r.GitDir != r.CommonDir {
		return false
	}
	for _, must := range []string{"HEAD", "packed-refs", "reftable", "refs"} {
		if _, ok := stamps[must]; !ok {
			return false
		}
	}
	fd, err := unix.Open(r.GitDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	for rel, want := range stamps {
		if rel == "" || filepath.IsAbs(rel) || strings.Contains(rel, "..") {
			return false
		}
		var got Stamp
		switch err := unix.Fstatat(fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW); {
		case err == nil:
			got = Stamp{st.Mtim.Nano(), st.Ctim.Nano(), st.Size, int64(st.Ino)}
		case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR):
		default:
			return false
		}
		if got != want {
			return false
		}
	}
	return true
}
