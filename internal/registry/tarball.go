package registry

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/metawork/meta/internal/linkpath"
)

// Tarball limits: a component tarball is source, not a data set.
const (
	// MaxTarballEntries is the default bound on a tarball's entries.
	MaxTarballEntries = 100_000
	// DefaultMaxUnpacked is the default bound on what a tarball inflates
	// to: every byte the gzip stream yields, tar headers and padding
	// included.
	DefaultMaxUnpacked = 1 << 30
	// maxTrailingZeros bounds the zero padding allowed after the tar's end
	// blocks (tar writers pad to a record of 10 KiB; 1 MiB is generous).
	maxTrailingZeros    = 1 << 20
	maxComponentFileLen = 1 << 20
)

// MarkerFile is the file meta writes at the root of a tree it extracted
// from a registry. A tarball may not carry it.
const MarkerFile = ".meta-registry.json"

// Limits bound the reading of one tarball. Zero fields take the defaults.
type Limits struct {
	MaxEntries  int
	MaxUnpacked int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = MaxTarballEntries
	}
	if l.MaxUnpacked <= 0 {
		l.MaxUnpacked = DefaultMaxUnpacked
	}
	return l
}

// TarballError is a tarball that must be refused; the server answers 400.
type TarballError struct{ Msg string }

func (e *TarballError) Error() string { return "tarball: " + e.Msg }

func tarErr(format string, args ...any) error {
	return &TarballError{Msg: fmt.Sprintf(format, args...)}
}

// tarballOr returns the *TarballError that err holds, if any, and other
// if not.
func tarballOr(err, other error) error {
	var te *TarballError
	if errors.As(err, &te) {
		return te
	}
	return other
}

// inflateCounter counts what the gzip stream yields and fails past the
// limit, so that a bomb costs at most the limit's worth of CPU.
type inflateCounter struct {
	r     io.Reader
	n     int64
	limit int64
}

func (c *inflateCounter) Read(p []byte) (int, error) {
	if c.n > c.limit {
		return 0, tarErr("inflates to more than %d bytes", c.limit)
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return n, tarErr("inflates to more than %d bytes", c.limit)
	}
	return n, err
}

// readTarball is the one reader of component tarballs, used by the server
// on publish and by every client before extracting. It reads exactly one
// gzip member holding one tar archive and refuses anything else: a second
// gzip member, bytes after the gzip member, anything but zero padding
// after the tar's end, more than lim allows once inflated. Each entry's
// name is checked (relative, no "..", no .git component, not meta's
// marker) and its type must be a file, directory, symlink or hard link;
// fn sees each entry with its clean name and can read a file's content
// from body.
func readTarball(r io.Reader, lim Limits, fn func(h *tar.Header, name string, body io.Reader) error) error {
	lim = lim.withDefaults()
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return tarErr("not gzip-compressed: %v", err)
	}
	// One member only: the server and the clients must read the same bytes.
	zr.Multistream(false)
	in := &inflateCounter{r: zr, limit: lim.MaxUnpacked}
	tr := tar.NewReader(in)
	for count := 0; ; count++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return tarballOr(err, tarErr("not a valid tar archive: %v", err))
		}
		if count >= lim.MaxEntries {
			return tarErr("more than %d entries", lim.MaxEntries)
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			continue // git archive's commit id
		case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		default:
			return tarErr("entry %q has unsupported type %q", h.Name, h.Typeflag)
		}
		name, err := cleanEntryName(h.Name)
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg && h.Size < 0 {
			return tarErr("entry %q has a negative size", name)
		}
		if err := fn(h, name, tr); err != nil {
			return tarballOr(err, err)
		}
	}
	// After the end blocks, only zero padding may follow inside the member.
	var buf [32 << 10]byte
	var pad int64
	for {
		n, err := in.Read(buf[:])
		for _, b := range buf[:n] {
			if b != 0 {
				return tarErr("data after the end of the tar archive")
			}
		}
		pad += int64(n)
		if pad > maxTrailingZeros {
			return tarErr("more than %d bytes of padding after the end of the tar archive", maxTrailingZeros)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return tarballOr(err, tarErr("not gzip-compressed correctly: %v", err))
		}
	}
	// And nothing after the gzip member: no second member, no junk.
	if _, err := br.ReadByte(); err != io.EOF {
		if err == nil {
			return tarErr("data after the gzip stream (a second gzip member or trailing bytes)")
		}
		return tarErr("reading: %v", err)
	}
	return nil
}

// InspectTarball checks data with the default limits; see
// InspectTarballFrom.
func InspectTarball(data []byte) (componentYAML []byte, err error) {
	return InspectTarballFrom(bytes.NewReader(data), Limits{})
}

// InspectTarballFrom checks that r holds a gzip'd tar whose entries all
// stay inside its root — no absolute names, no "..", no link pointing out
// (links are resolved through each other), no device or FIFO, no .git —
// and returns the contents of the component.yaml at its root. It reads the
// whole archive; nothing is written anywhere.
func InspectTarballFrom(r io.Reader, lim Limits) (componentYAML []byte, err error) {
	kinds := map[string]byte{}       // cleaned entry name → type
	links := map[string]string{}     // symlink name → target
	hardlinks := map[string]string{} // hard link name → target
	var comp []byte
	err = readTarball(r, lim, func(h *tar.Header, name string, body io.Reader) error {
		if name == "." {
			if h.Typeflag != tar.TypeDir {
				return tarErr("entry %q names the root but is not a directory", h.Name)
			}
			return nil
		}
		if prev, ok := kinds[name]; ok && !(prev == tar.TypeDir && h.Typeflag == tar.TypeDir) {
			return tarErr("entry %q appears twice", name)
		}
		kinds[name] = h.Typeflag
		switch h.Typeflag {
		case tar.TypeSymlink:
			if h.Linkname == "" || strings.HasPrefix(h.Linkname, "/") || strings.Contains(h.Linkname, "\\") || strings.ContainsRune(h.Linkname, 0) {
				return tarErr("symlink %q points to %q, outside the archive", name, h.Linkname)
			}
			links[name] = h.Linkname
		case tar.TypeLink:
			target, err := cleanEntryName(h.Linkname)
			if err != nil || target == "." {
				return tarErr("hard link %q points to %q, outside the archive", name, h.Linkname)
			}
			hardlinks[name] = target
		case tar.TypeReg:
			if name == componentFileName {
				if h.Size > maxComponentFileLen {
					return tarErr("%s is larger than %d bytes", componentFileName, maxComponentFileLen)
				}
				var err error
				if comp, err = io.ReadAll(body); err != nil {
					return tarErr("reading %s: %v", componentFileName, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// No entry may live below a symlink: extracting it would write through
	// the link.
	for name := range kinds {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, ok := links[dir]; ok {
				return nil, tarErr("entry %q is below symlink %q", name, dir)
			}
			if k, ok := kinds[dir]; ok && k != tar.TypeDir {
				return nil, tarErr("entry %q is below %q, which is not a directory", name, dir)
			}
		}
	}
	for name, target := range links {
		if err := linkpath.Within(links, path.Dir(name), target); err != nil {
			return nil, tarErr("symlink %q points to %q: %v", name, target, err)
		}
	}
	for name, target := range hardlinks {
		if k, ok := kinds[target]; !ok || k != tar.TypeReg {
			return nil, tarErr("hard link %q points to %q, which is not a regular file in the archive", name, target)
		}
	}
	if comp == nil {
		if kinds[componentFileName] == tar.TypeSymlink || kinds[componentFileName] == tar.TypeLink {
			return nil, tarErr("%s must be a regular file, not a link", componentFileName)
		}
		return nil, tarErr("no %s at the root of the archive", componentFileName)
	}
	return comp, nil
}

// ExtractTarball checks the tarball in f (read from its start) with InspectTarballFrom, then
// reads it again from the start and writes it below dir, which must be
// empty. Every write goes through an os.Root on dir, so no entry can land
// outside dir whatever its name or the links before it. It returns the
// component.yaml's contents.
func ExtractTarball(f io.ReadSeeker, dir string, lim Limits) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	comp, err := InspectTarballFrom(f, lim)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	err = readTarball(f, lim, func(h *tar.Header, name string, body io.Reader) error {
		if name == "." {
			return nil
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			return root.MkdirAll(name, 0o755)
		case tar.TypeReg:
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, body)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			return err
		case tar.TypeSymlink:
			return root.Symlink(h.Linkname, name)
		case tar.TypeLink:
			return root.Link(path.Clean(h.Linkname), name)
		}
		return tarErr("entry %q has unsupported type %q", h.Name, h.Typeflag)
	})
	if err != nil {
		return nil, err
	}
	return comp, nil
}

// cleanEntryName turns an archive entry name into a clean relative path,
// refusing names that are absolute, climb out with "..", pass through a
// .git directory (a tarball could otherwise plant git hooks or a config
// whose core.fsmonitor runs a command), or name meta's marker.
func cleanEntryName(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return "", tarErr("entry %q is not a relative path inside the archive", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", tarErr("entry %q climbs out of the archive with ..", name)
		}
		if isGitDirName(part) {
			return "", tarErr("entry %q is inside a .git directory; a component tarball may not carry git metadata", name)
		}
	}
	clean := path.Clean(name)
	if strings.EqualFold(clean, MarkerFile) {
		return "", tarErr("entry %q has the name of meta's extraction marker", name)
	}
	return clean, nil
}

// isGitDirName reports whether a path component would be taken for .git
// by git or by a case-insensitive or trailing-dot-trimming filesystem.
func isGitDirName(part string) bool {
	p := strings.TrimRight(part, ". ")
	return strings.EqualFold(p, ".git") || strings.EqualFold(p, "git~1")
}
