// Package publish builds what 'meta publish' uploads from a component's
// git repository: it finds the semver tag on HEAD, archives that tag with
// git, reads its component.yaml, checks the tarball the way the registry
// server will, computes the checksum and signs it with a minisign key.
// Uploading is the registry client's job.
package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/run"
)

// Options say what Prepare packages.
type Options struct {
	Dir     string // a directory inside the component's git repository ("": the current one)
	KeyFile string // minisign private key to sign with (relative to Dir); "" for none
	// Check inspects the tarball as the server will, so that problems
	// show before an upload (the server checks it whatever the client does).
	Check  bool
	Events progress.Sink // notes: a key file others can read
}

// Plan is what publish sends, and what a dry run shows.
type Plan struct {
	Name    string         `json:"name"`
	Version string         `json:"version"`
	Tag     string         `json:"tag"`
	Size    int            `json:"size"`
	Cksum   string         `json:"cksum"`
	Deps    []registry.Dep `json:"deps"`
	Tools   []string       `json:"tools"`
	Signed  bool           `json:"signed"`

	Meta    registry.PublishMeta `json:"-"` // the upload's metadata
	Tarball []byte               `json:"-"`
}

// Prepare packages the version tagged at HEAD of the repository around
// o.Dir.
func Prepare(ctx context.Context, o Options) (*Plan, error) {
	if o.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		o.Dir = wd
	}
	top, err := run.Output(ctx, run.Cmd{Args: []string{"git", "rev-parse", "--show-toplevel"}, Dir: o.Dir})
	if err != nil {
		return nil, registry.Usagef("run meta publish inside the component's git repository", "%s is not in a git repository", o.Dir)
	}
	repo := strings.TrimSpace(string(top))
	tag, vers, err := TagAtHEAD(ctx, repo)
	if err != nil {
		return nil, err
	}
	tarball, err := run.Output(ctx, run.Cmd{Args: []string{"git", "archive", "--format=tar.gz", "--end-of-options", tag}, Dir: repo})
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", tag, err)
	}
	compData, err := run.Output(ctx, run.Cmd{Args: []string{"git", "show", "--end-of-options", tag + ":component.yaml"}, Dir: repo})
	if err != nil {
		return nil, registry.Failf("commit a component.yaml at the repository root, then tag a new version", "%s has no component.yaml", tag)
	}
	if o.Check {
		if _, err := registry.InspectTarball(tarball); err != nil {
			return nil, registry.Failf("fix the repository (links must stay inside it), commit, and tag a new version", "%s: %v", tag, err)
		}
	}
	comp, err := registry.ParseComponent(tag+":component.yaml", compData)
	if err != nil {
		return nil, &registry.Problem{Err: err, Hint: "fix component.yaml, commit, and tag a new version", Usage: true}
	}
	meta := registry.PublishMeta{Name: comp.Name, Vers: vers}
	if o.KeyFile != "" {
		if meta.Sig, err = sign(o, tarball, comp.Name, vers); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(tarball)
	meta.Cksum = hex.EncodeToString(sum[:])
	return &Plan{Name: comp.Name, Version: vers, Tag: tag, Size: len(tarball), Cksum: meta.Cksum, Deps: comp.Deps, Tools: comp.Tools,
		Signed: meta.Sig != "", Meta: meta, Tarball: tarball}, nil
}

// sign signs the tarball with o.KeyFile, noting when others can read it.
func sign(o Options, tarball []byte, name, vers string) (string, error) {
	keyFile := o.KeyFile
	if !filepath.IsAbs(keyFile) {
		keyFile = filepath.Join(o.Dir, keyFile)
	}
	if st, err := os.Stat(keyFile); err == nil && st.Mode().Perm()&0o077 != 0 {
		progress.Note(o.Events, "", fmt.Sprintf("%s is readable by others (mode %04o); chmod 600 it", keyFile, st.Mode().Perm()))
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return "", registry.Usagef("make one with: meta keygen --output KEY", "--sign: %v", err)
	}
	sig, err := regindex.SignVersion(key, tarball, name, vers)
	if err != nil {
		return "", registry.Usagef("make one with: meta keygen --output KEY", "--sign %s: %v", keyFile, err)
	}
	return sig, nil
}

// TagAtHEAD finds the one semver tag on HEAD of repo and returns it with
// its version (without "v").
func TagAtHEAD(ctx context.Context, repo string) (tag, vers string, err error) {
	out, err := run.Output(ctx, run.Cmd{Args: []string{"git", "tag", "--points-at", "HEAD"}, Dir: repo})
	if err != nil {
		return "", "", err
	}
	var tags, versions []string
	for _, t := range strings.Fields(string(out)) {
		v := strings.TrimPrefix(t, "v")
		if _, err := regindex.ParseVersion(v); err == nil {
			tags, versions = append(tags, t), append(versions, v)
		}
	}
	switch len(tags) {
	case 0:
		return "", "", registry.Usagef("tag the commit first, e.g. git tag v1.2.0", "HEAD of %s has no semver tag", repo)
	case 1:
		return tags[0], versions[0], nil
	}
	sort.Strings(tags)
	return "", "", registry.Usagef("keep one version tag on the commit", "HEAD of %s has several semver tags: %s", repo, strings.Join(tags, ", "))
}
