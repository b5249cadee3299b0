package registry

// This file installs a locked registry component into a workspace: the
// download, every check on it, the extraction and the marker that lets a
// later install tell meta's untouched extraction from local work.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/semver"
)

// Extraction is the content of MarkerFile: what was extracted, and every
// file's digest.
type Extraction struct {
	Name     string            `json:"name"`
	Version  string            `json:"version"`
	Registry string            `json:"registry"`
	Checksum string            `json:"checksum"`
	Files    map[string]string `json:"files"` // slash path → "sha256:<hex>" or "symlink:<target>"
}

// maxMarkerLen bounds the marker file read back.
const maxMarkerLen = 64 << 20

// ReadMarker reads dir's extraction marker; (nil, nil) when there is none.
// A marker that is not a regular file (a symlink planted in its place) is
// an error, never followed.
func ReadMarker(dir string) (*Extraction, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	st, err := root.Lstat(MarkerFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", MarkerFile)
	}
	f, err := root.Open(MarkerFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMarkerLen))
	if err != nil {
		return nil, err
	}
	var x Extraction
	if err := json.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("%s: %v", MarkerFile, err)
	}
	return &x, nil
}

// TreeDigests lists every file below dir but the marker, as the marker
// records them.
func TreeDigests(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == MarkerFile {
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "symlink:" + t
		case d.Type().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			out[rel] = "sha256:" + hex.EncodeToString(h.Sum(nil))
		default:
			out[rel] = "special"
		}
		return nil
	})
	return out, err
}

// LocalEdits says how dir differs from what meta extracted there ("" when
// it does not), e.g. "1 modified file, 2 added files".
func LocalEdits(dir string, x *Extraction) (string, error) {
	now, err := TreeDigests(dir)
	if err != nil {
		return "", err
	}
	var changed, added, removed int
	for p, d := range now {
		was, ok := x.Files[p]
		switch {
		case !ok:
			added++
		case was != d:
			changed++
		}
	}
	for p := range x.Files {
		if _, ok := now[p]; !ok {
			removed++
		}
	}
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{changed, "modified file"}, {added, "added file"}, {removed, "removed file"}} {
		switch {
		case c.n == 1:
			parts = append(parts, "1 "+c.what)
		case c.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", c.n, c.what))
		}
	}
	return strings.Join(parts, ", "), nil
}

// YankedError is a locked version that the registry has yanked, when the
// install was asked to refuse those.
type YankedError struct{ Name, Vers, Registry string }

func (e *YankedError) Error() string {
	return fmt.Sprintf("%s@%s is yanked in registry %s (--deny-yanked); move off it with 'meta lock --update %s'", e.Name, e.Vers, e.Registry, e.Name)
}

// Install is what to install and how strictly.
type Install struct {
	// Name, Version and Checksum ("sha256:<hex>") come from the lock.
	Name, Version, Checksum string
	// Registry names the registry in messages and in the marker.
	Registry string
	// Trusted keys: with any, the version must be signed by one of them,
	// and the signature's trusted comment must name this version.
	Trusted []minisign.PublicKey
	// Dir is where the component goes. Its parent is created if needed.
	Dir string
	// Limits bound the tarball's reading.
	Limits Limits
	// DenyYanked makes a yanked version an error (*YankedError) instead of
	// a warning.
	DenyYanked bool
	// Warn hears about a yanked version.
	Warn func(string)
}

// Install downloads a locked version into in.Dir: the index entry must
// carry the locked checksum, the download is streamed to a file beside
// in.Dir with the size capped and its checksum verified, the signature is
// verified against the trusted keys and bound to the name, version and
// checksum, the tarball's component.yaml must name the package (and the
// version, when it gives one), and the tarball is read by ExtractTarball
// into a fresh directory that is moved into place whole. What is already
// at in.Dir is replaced only when it is absent, empty, or meta's untouched
// extraction.
func (c *Client) Install(ctx context.Context, in Install) error {
	entries, err := c.Index(ctx, in.Name)
	if err != nil {
		return fmt.Errorf("registry %s: %w", in.Registry, err)
	}
	want, err := semver.ParseVersion(in.Version)
	if err != nil {
		return err
	}
	// Versions equal in precedence (differing in build metadata only) are
	// one version: the one with the locked checksum is taken, and a yank of
	// any of them covers it.
	var e *IndexEntry
	var other *IndexEntry
	yanked := false
	for i := range entries {
		v, err := semver.ParseVersion(entries[i].Vers)
		if err != nil || semver.Compare(v, want) != 0 {
			continue
		}
		yanked = yanked || entries[i].Yanked
		if "sha256:"+entries[i].Cksum == in.Checksum {
			e = &entries[i]
		} else {
			other = &entries[i]
		}
	}
	if e == nil && other != nil {
		return fmt.Errorf("registry %s lists %s@%s with checksum sha256:%s, but the lock says %s: refusing (published versions never change; the index may have been tampered with)",
			in.Registry, in.Name, other.Vers, other.Cksum, in.Checksum)
	}
	if e == nil {
		return fmt.Errorf("%s@%s is not in registry %s any more; run 'meta lock --update %s'", in.Name, in.Version, in.Registry, in.Name)
	}
	if yanked {
		if in.DenyYanked {
			return &YankedError{Name: in.Name, Vers: in.Version, Registry: in.Registry}
		}
		if in.Warn != nil {
			in.Warn(fmt.Sprintf("%s@%s is yanked in registry %s; it is extracted because the lock names it: move off it with 'meta lock --update %s'", in.Name, in.Version, in.Registry, in.Name))
		}
	}
	parent := filepath.Dir(in.Dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(in.Dir)+".meta-extract-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	f, err := c.DownloadFile(ctx, *e, tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := regindex.VerifyEntry(*e, f, in.Trusted); err != nil {
		return fmt.Errorf("%s@%s from registry %s: %w", in.Name, in.Version, in.Registry, err)
	}
	tree := filepath.Join(tmp, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return err
	}
	compData, err := ExtractTarball(f, tree, in.Limits)
	if err != nil {
		return fmt.Errorf("%s@%s from registry %s: %w", in.Name, in.Version, in.Registry, err)
	}
	if err := checkComponentMatches(*e, compData); err != nil {
		return fmt.Errorf("%s@%s from registry %s: %w", in.Name, in.Version, in.Registry, err)
	}
	files, err := TreeDigests(tree)
	if err != nil {
		return err
	}
	marker, err := json.MarshalIndent(Extraction{Name: in.Name, Version: in.Version, Registry: in.Registry, Checksum: in.Checksum, Files: files}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeMarker(tree, append(marker, '\n')); err != nil {
		return err
	}
	// Replace what is there only if it is what the plan saw: absent, an
	// empty directory, or meta's untouched extraction.
	rel := filepath.Base(in.Dir)
	if x, err := ReadMarker(in.Dir); err == nil && x != nil {
		edits, err := LocalEdits(in.Dir, x)
		if err != nil || edits != "" {
			return fmt.Errorf("%s changed while downloading (%s); not touched", rel, edits)
		}
		if err := os.Rename(in.Dir, filepath.Join(tmp, "old")); err != nil {
			return err
		}
	} else if err := os.Remove(in.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s appeared while downloading; not touched: %v", rel, err)
	}
	return os.Rename(tree, in.Dir)
}

// writeMarker creates the marker in dir through an os.Root, refusing to
// follow or replace anything already there.
func writeMarker(dir string, data []byte) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	w, err := root.OpenFile(MarkerFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", MarkerFile, err)
	}
	_, err = w.Write(data)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkComponentMatches checks that the tarball's component.yaml names the
// index entry's package, and its version when it gives one: a registry
// cannot serve one package's (validly signed) tarball as another's.
func checkComponentMatches(e IndexEntry, compData []byte) error {
	comp, err := ParseComponent(componentFileName, compData)
	if err != nil {
		return fmt.Errorf("component.yaml does not parse: %v", err)
	}
	if comp.Name != e.Name {
		return fmt.Errorf("the tarball's component.yaml names %q, not %q: the registry served another package's tarball", comp.Name, e.Name)
	}
	if comp.Version != "" && comp.Version != e.Vers {
		return fmt.Errorf("the tarball's component.yaml says version %s, not %s: the registry served another version's tarball", comp.Version, e.Vers)
	}
	return nil
}
