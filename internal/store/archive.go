package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const archiveMagic = "meta-archive-v1"

// Archive record tags.
const (
	tagDir     = 'd'
	tagFile    = 'f'
	tagExec    = 'x'
	tagSymlink = 'l'
	tagEnd     = 'E'
)

// Limits the archive reader enforces before allocating anything.
const (
	maxArchivePath   = 4096
	maxArchiveTarget = 4096
	maxArchiveDepth  = 256
	maxArchiveSize   = 1 << 50
)

// WriteArchive streams the entry hash to w in the archive format described
// in the package documentation. It hashes what it streams: when the entry
// turns out corrupt it returns a *CorruptError without writing the
// trailer, so no reader accepts the stream.
func (s *Store) WriteArchive(ctx context.Context, w io.Writer, hash string) error {
	if !validHash(hash) {
		return fmt.Errorf("%q: %w", hash, ErrNotFound)
	}
	unlock, err := s.lockEntry(ctx, hash)
	if err != nil {
		return err
	}
	defer unlock()
	dir := s.Path(hash)
	root, err := scan(dir)
	if err != nil {
		return s.corrupt(hash, err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	putStr(bw, archiveMagic)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	var walk func(n *node) error
	walk = func(n *node) error {
		for _, c := range n.children {
			if err := ctx.Err(); err != nil {
				return err
			}
			switch c.kind {
			case kindDir:
				bw.WriteByte(tagDir)
				putStr(bw, c.rel)
				if err := walk(c); err != nil {
					return err
				}
			case kindSymlink:
				bw.WriteByte(tagSymlink)
				putStr(bw, c.rel)
				putStr(bw, c.target)
			default:
				tag := byte(tagFile)
				if c.kind == kindExec {
					tag = tagExec
				}
				bw.WriteByte(tag)
				putStr(bw, c.rel)
				putU64(bw, uint64(c.size))
				if err := streamFile(bw, filepath.Join(dir, filepath.FromSlash(c.rel)), c, *bp); err != nil {
					return s.corrupt(hash, err)
				}
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return err
	}
	if treeHash(root) != hash {
		bw.Flush()
		return s.mismatch(hash, root)
	}
	bw.WriteByte(tagEnd)
	putStr(bw, hash)
	return bw.Flush()
}

// streamFile writes exactly n.size bytes of the file at path to w and
// hashes them into n.digest.
func streamFile(w io.Writer, path string, n *node, buf []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	got, err := io.CopyBuffer(io.MultiWriter(w, h), io.LimitReader(onlyReader{f}, n.size), buf)
	if err != nil {
		return err
	}
	if got != n.size {
		return &CorruptError{Path: n.rel, Reason: "file is shorter than when scanned"}
	}
	h.Sum(n.digest[:0])
	return nil
}

// ArchiveError reports a malformed archive.
type ArchiveError struct {
	Offset int64 // bytes read when the problem was found
	Msg    string
}

func (e *ArchiveError) Error() string {
	return fmt.Sprintf("archive: at byte %d: %s", e.Offset, e.Msg)
}

// AddArchive reads an archive written by WriteArchive and stores its tree
// under name, exactly as Add would store the same tree. The archive is
// checked against its own trailer and, when set, opts.Expect. Entries are
// created through os.Root inside a temporary directory of the store, so a
// hostile archive cannot write anywhere else.
func (s *Store) AddArchive(ctx context.Context, r io.Reader, name string, opts AddOptions) (Entry, error) {
	if err := ValidName(name); err != nil {
		return Entry{}, err
	}
	refs, err := normalizeRefs(opts.References)
	if err != nil {
		return Entry{}, err
	}
	l, err := s.lockShared(ctx)
	if err != nil {
		return Entry{}, err
	}
	defer l.unlock()
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "archive-*")
	if err != nil {
		return Entry{}, err
	}
	ok := false
	defer func() {
		if !ok {
			removeTree(tmp)
		}
	}()
	root, err := s.extract(ctx, r, tmp)
	if err != nil {
		return Entry{}, err
	}
	hash := treeHash(root)
	if e, found, err := s.reuseStored(ctx, hash, opts, refs, l); err != nil || found {
		return e, err
	}
	if !exists(tmp) { // a gc ran while reuseStored let the lock go
		return Entry{}, fmt.Errorf("add archive %s: interrupted by gc; try again", hash)
	}
	e, err := s.publish(ctx, tmp, root, hash, name, opts.Inputs, refs, opts.Pin)
	ok = err == nil
	return e, err
}

// extract unpacks an archive into the empty directory tmp and returns
// its tree, with file digests filled in.
func (s *Store) extract(ctx context.Context, r io.Reader, tmp string) (*node, error) {
	rt, err := os.OpenRoot(tmp)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	ar := &archiveReader{r: bufio.NewReaderSize(r, 256<<10)}
	root := &node{kind: kindDir}
	var dirs []string
	sink := func(n *node, content io.Reader) error {
		switch n.kind {
		case kindDir:
			dirs = append(dirs, n.rel)
			return rt.Mkdir(n.rel, 0o755)
		case kindSymlink:
			return rt.Symlink(n.target, n.rel)
		}
		return s.extractFile(rt, tmp, n, content)
	}
	trailer, err := ar.read(ctx, root, sink)
	if err != nil {
		return nil, err
	}
	if got := treeHash(root); got != trailer {
		return nil, &ArchiveError{Offset: ar.off, Msg: fmt.Sprintf("contents hash to %s but the trailer says %s", got, trailer)}
	}
	for _, d := range slices.Backward(dirs) {
		if err := rt.Chmod(d, 0o555); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// extractFile writes one file record, hashing it, then swaps it for a
// link to identical stored contents or indexes it.
func (s *Store) extractFile(rt *os.Root, tmp string, n *node, content io.Reader) error {
	out, err := rt.OpenFile(n.rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode(n))
	if err != nil {
		return err
	}
	h := sha256.New()
	bp := bufPool.Get().(*[]byte)
	got, err := io.CopyBuffer(io.MultiWriter(out, h), onlyReader{content}, *bp)
	bufPool.Put(bp)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if got != n.size {
		return io.ErrUnexpectedEOF
	}
	h.Sum(n.digest[:0])
	crashPoint("extract: file written")
	// n.rel was validated (relative, no "..", parents are directories
	// this extraction created), so joining it to tmp stays inside tmp.
	dst := filepath.Join(tmp, filepath.FromSlash(n.rel))
	if n.size > 0 {
		idx := s.indexPath(n.digest, n.kind == kindExec)
		if fi, err := os.Lstat(idx); err == nil && fi.Mode().IsRegular() && fi.Size() == n.size {
			check := &node{size: n.size}
			if err := hashFile(idx, check); err == nil && check.digest == n.digest {
				if err := rt.Remove(n.rel); err != nil {
					return err
				}
				return os.Link(idx, dst)
			}
		}
	}
	return s.indexFile(n, dst)
}

// archiveReader parses the archive format, checking structure and order.
type archiveReader struct {
	r   *bufio.Reader
	off int64
}

func (a *archiveReader) fail(format string, args ...any) error {
	return &ArchiveError{Offset: a.off, Msg: fmt.Sprintf(format, args...)}
}

func (a *archiveReader) u64() (uint64, error) {
	var b [8]byte
	if _, err := io.ReadFull(a.r, b[:]); err != nil {
		return 0, a.fail("truncated")
	}
	a.off += 8
	return binary.LittleEndian.Uint64(b[:]), nil
}

func (a *archiveReader) str(limit int, what string) (string, error) {
	n, err := a.u64()
	if err != nil {
		return "", err
	}
	if n > uint64(limit) {
		return "", a.fail("%s is %d bytes long, at most %d allowed", what, n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(a.r, b); err != nil {
		return "", a.fail("truncated")
	}
	a.off += int64(n)
	return string(b), nil
}

// read parses the whole archive, calling sink for each record in order
// (for files, with a reader of exactly the file's bytes that sink must
// consume), and returns the hash in the trailer.
func (a *archiveReader) read(ctx context.Context, root *node, sink func(n *node, content io.Reader) error) (string, error) {
	magic, err := a.str(len(archiveMagic), "magic")
	if err != nil || magic != archiveMagic {
		return "", a.fail("not a meta archive (bad magic)")
	}
	stack := []*node{root}
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		tag, err := a.r.ReadByte()
		if err != nil {
			return "", a.fail("truncated: no trailer")
		}
		a.off++
		if tag == tagEnd {
			h, err := a.str(64, "trailer hash")
			if err != nil {
				return "", err
			}
			if !validHash(h) {
				return "", a.fail("trailer %q is not a hash", h)
			}
			if _, err := a.r.ReadByte(); err != io.EOF {
				return "", a.fail("data after the trailer")
			}
			return h, nil
		}
		rel, err := a.str(maxArchivePath, "path")
		if err != nil {
			return "", err
		}
		if err := checkArchivePath(rel); err != nil {
			return "", a.fail("%v", err)
		}
		dir, name := "", rel
		if i := strings.LastIndexByte(rel, '/'); i >= 0 {
			dir, name = rel[:i], rel[i+1:]
		}
		for len(stack) > 1 && stack[len(stack)-1].rel != dir {
			stack = stack[:len(stack)-1]
		}
		parent := stack[len(stack)-1]
		if parent.rel != dir {
			return "", a.fail("%q: its directory is not in the archive before it", rel)
		}
		if k := len(parent.children); k > 0 && parent.children[k-1].name >= name {
			return "", a.fail("%q: duplicate or out of order", rel)
		}
		n := &node{name: name, rel: rel}
		var content io.Reader
		switch tag {
		case tagDir:
			n.kind = kindDir
			if len(stack) > maxArchiveDepth {
				return "", a.fail("%q: nested too deep", rel)
			}
		case tagSymlink:
			n.kind = kindSymlink
			if n.target, err = a.str(maxArchiveTarget, "symlink target"); err != nil {
				return "", err
			}
			if n.target == "" || strings.IndexByte(n.target, 0) >= 0 {
				return "", a.fail("%q: invalid symlink target", rel)
			}
		case tagFile, tagExec:
			n.kind = kindFile
			if tag == tagExec {
				n.kind = kindExec
			}
			size, err := a.u64()
			if err != nil {
				return "", err
			}
			if size > maxArchiveSize {
				return "", a.fail("%q: size %d too large", rel, size)
			}
			n.size = int64(size)
			content = io.LimitReader(a.r, n.size)
		default:
			return "", a.fail("unknown record type %q", tag)
		}
		if err := sink(n, content); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return "", a.fail("%q: truncated file contents", rel)
			}
			return "", fmt.Errorf("archive: %s: %w", rel, err)
		}
		a.off += n.size
		parent.children = append(parent.children, n)
		if n.kind == kindDir {
			stack = append(stack, n)
		}
	}
}

// checkArchivePath accepts only clean relative slash paths whose
// components are real names.
func checkArchivePath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("%q: path contains NUL", p)
	}
	if p[0] == '/' {
		return fmt.Errorf("%q: absolute path", p)
	}
	for c := range strings.SplitSeq(p, "/") {
		switch c {
		case "":
			return fmt.Errorf("%q: empty path component", p)
		case ".", "..":
			return fmt.Errorf("%q: %q component escapes or is not canonical", p, c)
		}
		if len(c) > 255 {
			return fmt.Errorf("%q: component longer than 255 bytes", p)
		}
	}
	if !fs.ValidPath(p) {
		return fmt.Errorf("%q: invalid path", p)
	}
	return nil
}
