package git

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
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

// RefSeal is a compact record of a repository's RefStamps: the stamped
// paths (sorted) and a digest of their stamps.
type RefSeal struct {
	Paths  []string `json:"paths"`
	Digest string   `json:"digest"`
}

// Seal condenses stamps (from RefStamps) into a RefSeal.
func Seal(stamps map[string]Stamp) RefSeal {
	paths := make([]string, 0, len(stamps))
	for p := range stamps {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return RefSeal{Paths: paths, Digest: stampDigest(paths, stamps)}
}

func stampDigest(paths []string, stamps map[string]Stamp) string {
	h := sha256.New()
	var b [32]byte
	for _, p := range paths {
		h.Write([]byte(p))
		h.Write([]byte{0})
		for i, v := range stamps[p] {
			binary.BigEndian.PutUint64(b[i*8:], uint64(v))
		}
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// RefSealMatches reports whether every path of seal (from Seal) still has
// the stamp it had, so the refs are what they were when they were stamped.
// A seal that RefStamps and Seal did not make never matches.
func (r *Repo) RefSealMatches(seal RefSeal) bool {
	if r.GitDir != r.CommonDir || seal.Digest == "" || !sort.StringsAreSorted(seal.Paths) {
		return false
	}
	for _, must := range []string{"HEAD", "packed-refs", "reftable", "refs"} {
		if i := sort.SearchStrings(seal.Paths, must); i == len(seal.Paths) || seal.Paths[i] != must {
			return false
		}
	}
	fd, err := unix.Open(r.GitDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	got := make(map[string]Stamp, len(seal.Paths))
	for _, rel := range seal.Paths {
		if rel == "" || filepath.IsAbs(rel) || strings.Contains(rel, "..") {
			return false
		}
		switch err := unix.Fstatat(fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW); {
		case err == nil:
			got[rel] = Stamp{st.Mtim.Nano(), st.Ctim.Nano(), st.Size, int64(st.Ino)}
		case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR):
			got[rel] = Stamp{}
		default:
			return false
		}
	}
	return stampDigest(seal.Paths, got) == seal.Digest
}
