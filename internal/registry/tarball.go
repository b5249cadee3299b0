package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Tarball limits: a component tarball is source, not a data set.
const (
	MaxTarballEntries   = 100_000
	MaxUnpackedSize     = 2 << 30 // bytes of file content after decompression
	maxComponentFileLen = 1 << 20
	maxSymlinkHops      = 40
)

// TarballError is a tarball that must be refused; the server answers 400.
type TarballError struct{ Msg string }

func (e *TarballError) Error() string { return "tarball: " + e.Msg }

func tarErr(format string, args ...any) error {
	return &TarballError{Msg: fmt.Sprintf(format, args...)}
}

// InspectTarball checks that data is a gzip'd tar whose entries all stay
// inside its root — no absolute names, no "..", no link pointing out, no
// device or FIFO — and returns the contents of the component.yaml at its
// root. It reads the whole archive; nothing is written anywhere.
func InspectTarball(data []byte) (componentYAML []byte, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, tarErr("not gzip-compressed: %v", err)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	kinds := map[string]byte{}       // cleaned entry name → type
	links := map[string]string{}     // symlink name → target
	hardlinks := map[string]string{} // hard link name → target
	var total int64
	var comp []byte
	for count := 0; ; count++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, tarErr("not a valid tar archive: %v", err)
		}
		if count >= MaxTarballEntries {
			return nil, tarErr("more than %d entries", MaxTarballEntries)
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			continue // git archive's commit id
		case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		default:
			return nil, tarErr("entry %q has unsupported type %q", h.Name, h.Typeflag)
		}
		name, err := cleanEntryName(h.Name)
		if err != nil {
			return nil, err
		}
		if name == "." {
			if h.Typeflag != tar.TypeDir {
				return nil, tarErr("entry %q names the root but is not a directory", h.Name)
			}
			continue
		}
		if prev, ok := kinds[name]; ok && !(prev == tar.TypeDir && h.Typeflag == tar.TypeDir) {
			return nil, tarErr("entry %q appears twice", name)
		}
		kinds[name] = h.Typeflag
		switch h.Typeflag {
		case tar.TypeSymlink:
			if h.Linkname == "" || strings.HasPrefix(h.Linkname, "/") || strings.Contains(h.Linkname, "\\") || strings.ContainsRune(h.Linkname, 0) {
				return nil, tarErr("symlink %q points to %q, outside the archive", name, h.Linkname)
			}
			links[name] = h.Linkname
		case tar.TypeLink:
			target, err := cleanEntryName(h.Linkname)
			if err != nil || target == "." {
				return nil, tarErr("hard link %q points to %q, outside the archive", name, h.Linkname)
			}
			hardlinks[name] = target
		case tar.TypeReg:
			if h.Size < 0 {
				return nil, tarErr("entry %q has a negative size", name)
			}
			total += h.Size
			if total > MaxUnpackedSize {
				return nil, tarErr("unpacks to more than %d bytes", int64(MaxUnpackedSize))
			}
			if name == componentFileName {
				if h.Size > maxComponentFileLen {
					return nil, tarErr("%s is larger than %d bytes", componentFileName, maxComponentFileLen)
				}
				comp, err = io.ReadAll(tr)
				if err != nil {
					return nil, tarErr("reading %s: %v", componentFileName, err)
				}
			} else if _, err := io.Copy(io.Discard, tr); err != nil {
				return nil, tarErr("reading %q: %v", name, err)
			}
		}
	}
	// Drain the gzip stream: a truncated archive must not pass.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, tarErr("not gzip-compressed correctly: %v", err)
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
		if err := resolveWithin(links, path.Dir(name), target); err != nil {
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

// cleanEntryName turns an archive entry name into a clean relative path,
// refusing names that are absolute or climb out with "..".
func cleanEntryName(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return "", tarErr("entry %q is not a relative path inside the archive", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", tarErr("entry %q climbs out of the archive with ..", name)
		}
	}
	return path.Clean(name), nil
}

// resolveWithin follows target from dir, through the archive's other
// symlinks, and fails if the path ever leaves the root.
func resolveWithin(links map[string]string, dir, target string) error {
	var stack []string // components of the current position
	if dir != "." {
		stack = strings.Split(dir, "/")
	}
	pending := strings.Split(target, "/")
	hops := 0
	for len(pending) > 0 {
		part := pending[0]
		pending = pending[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return errors.New("it leaves the archive")
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, part)
		cur := strings.Join(stack, "/")
		if t, ok := links[cur]; ok {
			hops++
			if hops > maxSymlinkHops {
				return errors.New("too many levels of symlinks")
			}
			if strings.HasPrefix(t, "/") {
				return errors.New("it goes through an absolute symlink")
			}
			stack = stack[:len(stack)-1]
			pending = append(strings.Split(t, "/"), pending...)
		}
	}
	return nil
}
