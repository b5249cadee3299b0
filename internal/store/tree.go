package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// kind is the type of a tree node as the canonical serialisation sees it.
type kind uint8

const (
	kindDir kind = iota
	kindFile
	kindExec
	kindSymlink
)

func (k kind) String() string {
	switch k {
	case kindDir:
		return "dir"
	case kindFile:
		return "file"
	case kindExec:
		return "exec"
	case kindSymlink:
		return "symlink"
	}
	return "unknown"
}

// node is one entry of a tree in memory.
type node struct {
	name     string
	rel      string // slash path from the root; "" for the root
	kind     kind
	size     int64
	digest   [32]byte // contents, for files
	target   string   // for symlinks
	children []*node  // for dirs, sorted bytewise by name
	stamp    stamp    // source file identity when scanned, for change detection
}

// stamp identifies a file's state well enough to notice that it changed
// between two looks at it.
type stamp struct {
	ino, size, mtime, ctime int64
}

func stampOf(fi fs.FileInfo) stamp {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	}
	return stamp{
		ino:   int64(st.Ino),
		size:  fi.Size(),
		mtime: fi.ModTime().UnixNano(),
		ctime: ctimeNs(st),
	}
}

// SpecialFileError reports a device, socket, fifo or other file that a
// store tree cannot hold.
type SpecialFileError struct {
	Path string
	Mode fs.FileMode
}

func (e *SpecialFileError) Error() string {
	what := "special file"
	switch {
	case e.Mode&fs.ModeDevice != 0:
		what = "device"
	case e.Mode&fs.ModeNamedPipe != 0:
		what = "fifo"
	case e.Mode&fs.ModeSocket != 0:
		what = "socket"
	}
	return fmt.Sprintf("%s: is a %s; the store holds only files, directories and symlinks", e.Path, what)
}

// scan reads the shape of the tree at dir (not the file contents). dir
// itself must be a directory; symlinks inside it are recorded, never
// followed.
func scan(dir string) (*node, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	root := &node{kind: kindDir}
	return root, scanDir(dir, root)
}

func scanDir(dir string, parent *node) error {
	ents, err := os.ReadDir(dir) // sorted by name, bytewise
	if err != nil {
		return err
	}
	parent.children = make([]*node, 0, len(ents))
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		n := &node{name: e.Name(), rel: joinRel(parent.rel, e.Name())}
		// The directory entry's type (d_type) spares an lstat for
		// directories and symlinks; files need one for size and mode.
		if t := e.Type(); t.IsDir() || t&fs.ModeSymlink != 0 {
			if err := scanNode(p, n, t); err != nil {
				return err
			}
			parent.children = append(parent.children, n)
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if m := fi.Mode(); m.IsRegular() {
			n.kind = kindFile
			if m&0o100 != 0 {
				n.kind = kindExec
			}
			n.size = fi.Size()
			n.stamp = stampOf(fi)
		} else if err := scanNode(p, n, m); err != nil { // d_type unknown, or changed
			return err
		}
		parent.children = append(parent.children, n)
	}
	return nil
}

// scanNode fills in n, at p, of a type other than a regular file.
func scanNode(p string, n *node, m fs.FileMode) error {
	var err error
	switch {
	case m&fs.ModeSymlink != 0:
		n.kind = kindSymlink
		n.target, err = os.Readlink(p)
		return err
	case m.IsDir():
		n.kind = kindDir
		return scanDir(p, n)
	}
	return &SpecialFileError{Path: p, Mode: m}
}

func joinRel(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "/" + name
}

// files returns the file nodes of the tree in canonical order.
func (n *node) files() []*node {
	var out []*node
	var walk func(*node)
	walk = func(n *node) {
		for _, c := range n.children {
			switch c.kind {
			case kindFile, kindExec:
				out = append(out, c)
			case kindDir:
				walk(c)
			}
		}
	}
	walk(n)
	return out
}

// counts returns the number of files, directories (not counting the root),
// symlinks and the total size of file contents.
func (n *node) counts() (files, dirs, links int, size int64) {
	for _, c := range n.children {
		switch c.kind {
		case kindFile, kindExec:
			files++
			size += c.size
		case kindSymlink:
			links++
		case kindDir:
			f, d, l, s := c.counts()
			files, dirs, links, size = files+f, dirs+d+1, links+l, size+s
		}
	}
	return
}

// treeHash returns the hex SHA-256 of the canonical serialisation of n.
// File digests must already be filled in.
func treeHash(n *node) string {
	h := sha256.New()
	w := bufio.NewWriterSize(h, 64<<10)
	putStr(w, "meta-tree-v1")
	putNode(w, n)
	_ = w.Flush() // writes to a hash cannot fail
	return hex.EncodeToString(h.Sum(nil))
}

func putNode(w *bufio.Writer, n *node) {
	switch n.kind {
	case kindDir:
		putStr(w, "dir")
		putU64(w, uint64(len(n.children)))
		for _, c := range n.children {
			putStr(w, c.name)
			putNode(w, c)
		}
	case kindFile, kindExec:
		putStr(w, n.kind.String())
		putU64(w, uint64(n.size))
		w.Write(n.digest[:])
	case kindSymlink:
		putStr(w, "symlink")
		putStr(w, n.target)
	}
}

func putU64(w io.Writer, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	w.Write(b[:])
}

func putStr(w io.Writer, s string) {
	putU64(w, uint64(len(s)))
	io.WriteString(w, s)
}

// bufPool holds copy and hash buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// hashFile fills n.digest from the file at path and checks that the file is
// still the one scan saw.
func hashFile(path string, n *node) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return hashAt(unix.AT_FDCWD, path, path, n, *bp)
}

// hashAt is hashFile for the file name in the directory dirfd; path names
// it in errors.
func hashAt(dirfd int, name, path string, n *node, buf []byte) error {
	fd, err := openReadAt(dirfd, name, path)
	if err != nil {
		return err
	}
	defer closeFD(fd)
	h := sha256.New()
	got, err := hashFD(fd, -1, h, buf)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if got != n.size {
		return fmt.Errorf("%s: changed while being read (size %d, now %d)", path, n.size, got)
	}
	h.Sum(n.digest[:0])
	return nil
}

// hashFiles hashes the tree's files under dir in parallel, opening each
// directory once.
func hashFiles(ctx context.Context, dir string, files []*node, m *meter) error {
	return eachJob(ctx, dirJobs(files), func(job dirJob) error {
		dpath := filepath.Join(dir, filepath.FromSlash(job.dir))
		dfd, err := openDir(dpath)
		if err != nil {
			return err
		}
		defer closeFD(dfd)
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		for _, n := range job.files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := hashAt(dfd, n.name, filepath.Join(dpath, n.name), n, *bp); err != nil {
				return err
			}
			m.add(n.size)
		}
		return nil
	})
}

// dirJob is a run of files of one directory, for one worker to handle
// with the directory opened once.
type dirJob struct {
	dir   string // slash path below the tree root, "." for the root
	files []*node
}

// Limits of one dirJob: big directories are split so workers share them.
const (
	jobMaxFiles = 64
	jobMaxBytes = 64 << 20
)

// dirJobs groups files, in canonical order, into jobs by directory.
func dirJobs(files []*node) []dirJob {
	var jobs []dirJob
	var job dirJob
	var bytes int64
	for _, n := range files {
		dir := parentRel(n.rel)
		if len(job.files) > 0 && (dir != job.dir || len(job.files) == jobMaxFiles || bytes > jobMaxBytes) {
			jobs = append(jobs, job)
			job, bytes = dirJob{}, 0
		}
		job.dir = dir
		job.files = append(job.files, n)
		bytes += n.size
	}
	if len(job.files) > 0 {
		jobs = append(jobs, job)
	}
	return jobs
}

// parentRel is the slash path of the directory holding rel, "." for the
// root.
func parentRel(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return "."
}

// eachJob runs fn on the jobs from a fixed pool of workers() goroutines
// that take the next job as they finish one. It stops at the first error,
// or when ctx is done, and returns that error.
func eachJob(ctx context.Context, jobs []dirJob, fn func(job dirJob) error) error {
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range min(workers(), len(jobs)) {
		g.Go(func() error {
			for gctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return nil
				}
				if err := fn(jobs[i]); err != nil {
					return err
				}
			}
			return nil // another worker failed, or ctx is done
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// onlyReader hides WriteTo so io.CopyBuffer uses the pooled buffer.
type onlyReader struct{ io.Reader }

// workers bounds file-level parallelism.
func workers() int { return max(2, runtime.GOMAXPROCS(0)) }

// HashTree returns the canonical hash of the directory tree at dir, the
// same hash [Store.Add] gives it. Symlinks are hashed as links, never
// followed; special files are an error.
func HashTree(ctx context.Context, dir string) (string, error) {
	root, err := scan(dir)
	if err != nil {
		return "", err
	}
	if err := hashFiles(ctx, dir, root.files(), nil); err != nil {
		return "", err
	}
	return treeHash(root), nil
}
