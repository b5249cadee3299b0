package git

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Repo is a working tree whose git directory (and common directory, for a
// linked worktree) has been located once, so that reading several of its
// files (config, HEAD, refs, index) does not look them up again. Meta
// reads these for every component on every status and bootstrap, so the
// readers here use plain system calls rather than os.File, which would add
// descriptor bookkeeping for files read whole in one go.
type Repo struct {
	Dir       string // the working tree
	GitDir    string // its git directory (.git, or where a .git file points)
	CommonDir string // the shared git directory of a linked worktree, else GitDir
}

// OpenRepo locates the git directory of the working tree at dir; it fails
// when dir is not the top of a git working tree.
func OpenRepo(dir string) (*Repo, error) {
	gd, err := GitDir(dir)
	if err != nil {
		return nil, err
	}
	return &Repo{Dir: dir, GitDir: gd, CommonDir: commonDir(gd)}, nil
}

// RemoteURL returns the URL of remote name, read from the repository's
// config; "" when the remote does not exist.
func (r *Repo) RemoteURL(name string) (string, error) {
	data, err := readSmall(filepath.Join(r.CommonDir, "config"), maxConfigSize)
	if err != nil {
		return "", err
	}
	return configValue(string(data), `remote "`+name+`"`, "url"), nil
}

// Head reads HEAD, resolving its branch from disk.
func (r *Repo) Head() (Head, error) {
	s, err := r.headFile()
	if err != nil {
		return Head{}, err
	}
	if ref, ok := strings.CutPrefix(s, "ref: "); ok {
		h := Head{Branch: strings.TrimPrefix(ref, "refs/heads/")}
		h.Commit, err = resolveRef(r.CommonDir, ref)
		return h, err
	}
	return Head{Commit: s}, nil
}

// HeadFromRefs reads HEAD and looks its branch up in refs (from Refs)
// instead of reading the refs again.
func (r *Repo) HeadFromRefs(refs map[string]string) (Head, error) {
	s, err := r.headFile()
	if err != nil {
		return Head{}, err
	}
	if ref, ok := strings.CutPrefix(s, "ref: "); ok {
		return Head{Branch: strings.TrimPrefix(ref, "refs/heads/"), Commit: refs[ref]}, nil
	}
	return Head{Commit: s}, nil
}

func (r *Repo) headFile() (string, error) {
	data, err := readSmall(filepath.Join(r.GitDir, "HEAD"), maxRefFileSize)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// Refs returns every ref of the repository (loose refs override packed
// ones), mapping full names to object ids; see ReadRefs.
func (r *Repo) Refs() (map[string]string, error) {
	cd := r.CommonDir
	refs := map[string]string{}
	unpeeled := map[string]bool{} // tags whose object may be a tag object
	if data, err := readSmall(filepath.Join(cd, "packed-refs"), maxPackedRefsSize); err == nil {
		peeledTrait, fully := packedTraits(data)
		var last string
		for _, line := range strings.Split(string(data), "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			if line[0] == '^' {
				if last != "" {
					refs[last] = strings.TrimSpace(line[1:])
					delete(unpeeled, last)
				}
				continue
			}
			sha, name, ok := strings.Cut(line, " ")
			if ok {
				refs[name] = sha
				last = name
				if strings.HasPrefix(name, "refs/tags/") && !peeledTrait && !fully {
					unpeeled[name] = true
				}
			}
		}
	}
	walkLooseRefs(filepath.Join(cd, "refs"), "refs", 0, func(name, s string) {
		if strings.HasPrefix(s, "ref: ") {
			return // symbolic refs such as refs/remotes/origin/HEAD
		}
		refs[name] = s
		if strings.HasPrefix(name, "refs/tags/") {
			unpeeled[name] = true
		} else {
			delete(unpeeled, name)
		}
	})
	var viaGit []string
	for name := range unpeeled {
		if id, ok := peelLoose(cd, refs[name]); ok {
			refs[name] = id
		} else {
			viaGit = append(viaGit, name)
		}
	}
	if len(viaGit) > 0 {
		sort.Strings(viaGit)
		peelWithGit(r.Dir, viaGit, refs)
	}
	return refs, nil
}

// IndexStamp is what the index file's stat said when it was read.
type IndexStamp struct {
	Size  int64
	Mtime time.Time
}

// Index parses the repository's index (versions 2 and 3) and returns the
// stat data of the very file it read.
func (r *Repo) Index() ([]IndexEntry, IndexStamp, error) {
	p := filepath.Join(r.GitDir, "index")
	data, st, err := readWithStat(p, maxIndexSize)
	if err != nil {
		return nil, IndexStamp{}, err
	}
	entries, err := parseIndex(data)
	return entries, IndexStamp{Size: st.Size, Mtime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec)}, err
}

// Size bounds for the files read whole: a hostile checkout must not make
// meta read a huge file into memory.
const (
	maxConfigSize     = 1 << 20
	maxRefFileSize    = 4 << 10
	maxPackedRefsSize = 256 << 20
	maxIndexSize      = 1 << 30
	maxRefsDepth      = 32
)

// walkLooseRefs calls fn(name, content) for every file under dir (git's
// refs directory, named prefix). Like git, it skips what it cannot read and
// does not descend into symbolic links to directories.
func walkLooseRefs(dir, prefix string, depth int, fn func(name, content string)) {
	if depth > maxRefsDepth {
		return
	}
	names, err := readDirNames(dir)
	if err != nil {
		return
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		data, err := readSmall(p, maxRefFileSize)
		if errors.Is(err, syscall.EISDIR) {
			if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
				walkLooseRefs(p, prefix+"/"+n, depth+1, fn)
			}
			continue
		}
		if err != nil {
			continue
		}
		fn(prefix+"/"+n, strings.TrimSpace(string(data)))
	}
}

// readDirNames lists a directory's entries (without "." and "..").
func readDirNames(dir string) ([]string, error) {
	fd, err := openRead(dir)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var names []string
	buf := make([]byte, 8<<10)
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
	return names, nil
}

func openRead(p string) (int, error) {
	for {
		// O_NONBLOCK: a FIFO planted in a checkout must not hang meta.
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		return fd, nil
	}
}

// readSmall reads a whole file of at most max bytes.
func readSmall(p string, max int64) ([]byte, error) {
	fd, err := openRead(p)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	return readAll(fd, p, make([]byte, 0, 512), max)
}

// readWithStat reads a regular file of at most max bytes, as long as its
// stat data says, and returns that stat data.
func readWithStat(p string, max int64) ([]byte, syscall.Stat_t, error) {
	var st syscall.Stat_t
	fd, err := openRead(p)
	if err != nil {
		return nil, st, err
	}
	defer syscall.Close(fd)
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, st, &fs.PathError{Op: "fstat", Path: p, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, st, fmt.Errorf("%s: not a regular file", p)
	}
	if st.Size > max {
		return nil, st, fmt.Errorf("%s: %d bytes, more than the %d meta reads", p, st.Size, max)
	}
	// The size fstat gave: git replaces these files by renaming a new
	// one into place, never by writing more into the one read here.
	buf := make([]byte, st.Size)
	n := 0
	for n < len(buf) {
		k, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, st, &fs.PathError{Op: "read", Path: p, Err: err}
		}
		if k == 0 {
			break
		}
		n += k
	}
	return buf[:n], st, nil
}

func readAll(fd int, p string, buf []byte, max int64) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: p, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, fmt.Errorf("%s: more than the %d bytes meta reads", p, max)
		}
	}
}
