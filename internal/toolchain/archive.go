package toolchain

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/metawork/meta/internal/linkpath"
)

// maxUnpacked bounds what one archive may unpack to, against archive bombs.
const maxUnpacked = 8 << 30

// UnsafeArchiveError is an archive entry that would land outside the
// target directory (absolute, "..", or through a link).
type UnsafeArchiveError struct {
	Archive string
	Entry   string
	Why     string
}

func (e *UnsafeArchiveError) Error() string {
	return fmt.Sprintf("refusing archive %s: entry %q %s", e.Archive, e.Entry, e.Why)
}

// entryPath cleans an archive entry name and drops strip leading
// directories. It returns "" for entries that strip away entirely.
func entryPath(archive, name string, strip int) (string, error) {
	if strings.ContainsRune(name, 0) {
		return "", &UnsafeArchiveError{archive, name, "has a NUL byte"}
	}
	n := strings.ReplaceAll(name, "\\", "/")
	if path.IsAbs(n) {
		return "", &UnsafeArchiveError{archive, name, "is an absolute path"}
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", &UnsafeArchiveError{archive, name, "leaves the target directory"}
		}
	}
	c := path.Clean(n)
	if c == "." {
		return "", nil
	}
	parts := strings.Split(c, "/")
	if len(parts) <= strip {
		return "", nil
	}
	return strings.Join(parts[strip:], "/"), nil
}

// checkLink refuses a link whose target leaves the root.
func checkLink(archive, entry, rel, target string) error {
	if path.IsAbs(target) {
		return &UnsafeArchiveError{archive, entry, fmt.Sprintf("links to the absolute path %q", target)}
	}
	joined := path.Join(path.Dir(rel), target)
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return &UnsafeArchiveError{archive, entry, fmt.Sprintf("links to %q, outside the target directory", target)}
	}
	return nil
}

// unpack extracts the archive at file (kind tar.gz or zip) into dir,
// dropping strip leading directories. Every entry is checked before it is
// written and writes go through os.Root, so nothing lands outside dir.
// Once everything is written, every symlink is resolved through all the
// others (linkpath.Within): a chain of links that together climb out of
// dir fails the unpack, and the caller throws dir away.
func unpack(file, kind, dir string, strip int) error {
	links := map[string]string{} // rel → target, every symlink written
	if err := unpackEntries(file, kind, dir, strip, links); err != nil {
		return err
	}
	for rel, target := range links {
		if err := linkpath.Within(links, path.Dir(rel), target); err != nil {
			return &UnsafeArchiveError{path.Base(file), rel, fmt.Sprintf("links to %q: %v", target, err)}
		}
	}
	return nil
}

func unpackEntries(file, kind, dir string, strip int, links map[string]string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var total int64
	write := func(rel string, mode fs.FileMode, r io.Reader) error {
		if d := path.Dir(rel); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm()&0o755|0o600)
		if err != nil {
			return err
		}
		n, err := io.Copy(f, io.LimitReader(r, maxUnpacked-total+1))
		total += n
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil && total > maxUnpacked {
			err = fmt.Errorf("archive %s unpacks to more than %d GiB", path.Base(file), maxUnpacked>>30)
		}
		return err
	}
	name := path.Base(file)
	switch kind {
	case KindTarGz:
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("archive %s: %w", name, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("archive %s: %w", name, err)
			}
			rel, err := entryPath(name, h.Name, strip)
			if err != nil {
				return err
			}
			if rel == "" {
				continue
			}
			switch h.Typeflag {
			case tar.TypeDir:
				err = root.MkdirAll(rel, 0o755)
			case tar.TypeReg:
				err = write(rel, fs.FileMode(h.Mode), tr)
			case tar.TypeSymlink:
				if err = checkLink(name, h.Name, rel, h.Linkname); err == nil {
					if d := path.Dir(rel); d != "." {
						root.MkdirAll(d, 0o755)
					}
					err = root.Symlink(h.Linkname, rel)
					links[rel] = h.Linkname
				}
			case tar.TypeLink:
				var target string
				if target, err = entryPath(name, h.Linkname, strip); err == nil && target != "" {
					if d := path.Dir(rel); d != "." {
						root.MkdirAll(d, 0o755)
					}
					err = root.Link(target, rel)
				}
			case tar.TypeXGlobalHeader, tar.TypeXHeader:
			default:
				return &UnsafeArchiveError{name, h.Name, fmt.Sprintf("has unsupported type %q", h.Typeflag)}
			}
			if err != nil {
				return fmt.Errorf("archive %s: %s: %w", name, h.Name, err)
			}
		}
	case KindZip:
		zr, err := zip.OpenReader(file)
		if err != nil {
			return fmt.Errorf("archive %s: %w", name, err)
		}
		defer zr.Close()
		for _, zf := range zr.File {
			rel, err := entryPath(name, zf.Name, strip)
			if err != nil {
				return err
			}
			if rel == "" {
				continue
			}
			mode := zf.Mode()
			switch {
			case mode.IsDir():
				err = root.MkdirAll(rel, 0o755)
			case mode&fs.ModeSymlink != 0:
				rc, oerr := zf.Open()
				if oerr != nil {
					return oerr
				}
				target, _ := io.ReadAll(io.LimitReader(rc, 4096))
				rc.Close()
				if err = checkLink(name, zf.Name, rel, string(target)); err == nil {
					err = root.Symlink(string(target), rel)
					links[rel] = string(target)
				}
			case mode.IsRegular():
				rc, oerr := zf.Open()
				if oerr != nil {
					return fmt.Errorf("archive %s: %s: %w", name, zf.Name, oerr)
				}
				err = write(rel, mode, rc)
				rc.Close()
			default:
				return &UnsafeArchiveError{name, zf.Name, "has an unsupported file type"}
			}
			if err != nil {
				return fmt.Errorf("archive %s: %s: %w", name, zf.Name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("archive %s: unsupported kind %q", name, kind)
}
