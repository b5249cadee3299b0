package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/regindex"
)

// Session is a client for one configured registry, opened on first use.
// Its methods give each error the next step for the user (see
// Named.Explain).
type Session struct {
	Config *Config
	Name   string // the registry's name; "" for "default"

	// Client and Registry are set once the session is open.
	Client   *Client
	Registry *Named

	open func() error
	once sync.Once
	err  error
}

// NewSession is a session with the named registry as configured for dir
// (the current directory when ""). Events hears, as notes, when a read is
// answered from the cache.
func NewSession(dir, name string, getenv func(string) string, events progress.Sink) *Session {
	s := &Session{Config: NewConfig(dir, getenv), Name: name}
	s.open = func() error {
		var err error
		s.Client, s.Registry, err = s.Config.Client(name, func(msg string) { progress.Note(events, "", msg) })
		return err
	}
	return s
}

// Open opens the session if it is not open yet.
func (s *Session) Open() error {
	s.once.Do(func() { s.err = s.open() })
	return s.err
}

// ParseNameVersion splits NAME[@VERSION] (a "v" before the version is
// dropped); needVersion makes the version required.
func ParseNameVersion(arg string, needVersion bool) (string, string, error) {
	name, vers, hasVers := strings.Cut(arg, "@")
	if err := regindex.ValidateName(name); err != nil {
		return "", "", Usagef("", "%v", err)
	}
	if needVersion && !hasVers {
		return "", "", Usagef("write NAME@VERSION, e.g. auth-lib@1.2.0", "%q names no version", arg)
	}
	if hasVers {
		vers = strings.TrimPrefix(vers, "v")
		if _, err := regindex.ParseVersion(vers); err != nil {
			return "", "", Usagef("write NAME@VERSION, e.g. auth-lib@1.2.0", "%v", err)
		}
	}
	return name, vers, nil
}

// Search finds packages by name or description.
func (s *Session) Search(ctx context.Context, query string, limit int) (*SearchResult, error) {
	if err := s.Open(); err != nil {
		return nil, err
	}
	res, err := s.Client.Search(ctx, query, limit)
	return res, s.explain(err)
}

// Version returns the information of the package that arg (NAME or
// NAME@VERSION) names, and the version it names (the newest when it names
// none).
func (s *Session) Version(ctx context.Context, arg string) (*PackageInfo, *VersionInfo, error) {
	name, vers, err := ParseNameVersion(arg, false)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Open(); err != nil {
		return nil, nil, err
	}
	info, err := s.Client.Info(ctx, name)
	if err != nil {
		return nil, nil, s.explain(err)
	}
	if vers == "" {
		vers = info.MaxVersion
	}
	for i := range info.Versions {
		if info.Versions[i].Vers == vers {
			return info, &info.Versions[i], nil
		}
	}
	return nil, nil, Failf(fmt.Sprintf("see the versions: meta info %s", name), "%s has no version %s", name, vers)
}

// Publish uploads a version; it needs a token.
func (s *Session) Publish(ctx context.Context, meta PublishMeta, tarball []byte) (*PublishResult, error) {
	if err := s.needLogin(); err != nil {
		return nil, err
	}
	res, err := s.Client.Publish(ctx, meta, tarball)
	return res, s.explain(err)
}

// YankOptions say why a version is yanked, or that it no longer is.
type YankOptions struct {
	Reason string // shown to users; required unless Undo
	Undo   bool
}

// Yank marks the version arg (NAME@VERSION) names yanked, or with Undo
// clears that, and returns the name and version; it needs a token.
func (s *Session) Yank(ctx context.Context, arg string, o YankOptions) (name, vers string, err error) {
	if name, vers, err = ParseNameVersion(arg, true); err != nil {
		return "", "", err
	}
	if !o.Undo && strings.TrimSpace(o.Reason) == "" {
		return "", "", Usagef("say why, so that users know what to do: --reason TEXT", "yank needs --reason")
	}
	if err := s.needLogin(); err != nil {
		return "", "", err
	}
	if o.Undo {
		_, err = s.Client.Unyank(ctx, name, vers)
	} else {
		_, err = s.Client.Yank(ctx, name, vers, o.Reason)
	}
	return name, vers, s.explain(err)
}

// Owners adds and removes owners of the package arg names, then lists
// them.
func (s *Session) Owners(ctx context.Context, arg string, add, remove []string) ([]string, error) {
	name, _, err := ParseNameVersion(arg, false)
	if err != nil {
		return nil, err
	}
	if err := s.Open(); err != nil {
		return nil, err
	}
	if len(add) > 0 {
		if _, err := s.Client.AddOwners(ctx, name, add); err != nil {
			return nil, s.explain(err)
		}
	}
	if len(remove) > 0 {
		if _, err := s.Client.RemoveOwners(ctx, name, remove); err != nil {
			return nil, s.explain(err)
		}
	}
	owners, err := s.Client.Owners(ctx, name)
	return owners, s.explain(err)
}

// FetchOptions say which tarball Fetch downloads and where it writes it.
type FetchOptions struct {
	Name, Version string // when Arg is "" (else set from it)
	Arg           string // NAME@VERSION
	// TrustedKeys are public keys, or minisign .pub files, that must have
	// signed the tarball, besides the registry's own trusted keys.
	TrustedKeys []string
	Dir         string        // relative paths are relative to Dir ("": the current directory)
	Output      string        // default: NAME-VERSION.tar.gz
	Events      progress.Sink // notes: a yanked version
}

// Fetched is a downloaded, verified tarball.
type Fetched struct {
	Name, Version string
	Path          string
	Signature     bool // whether a signature was checked
}

// Fetch downloads a version's tarball, checks its SHA-256 against the
// index and its signature against the trusted keys, and writes it.
func (s *Session) Fetch(ctx context.Context, o FetchOptions) (*Fetched, error) {
	if o.Arg != "" {
		var err error
		if o.Name, o.Version, err = ParseNameVersion(o.Arg, true); err != nil {
			return nil, err
		}
	}
	if err := s.Open(); err != nil {
		return nil, err
	}
	var trusted []minisign.PublicKey
	for _, k := range slices.Concat(s.Registry.TrustedKeys, readKeyFiles(o.Dir, o.TrustedKeys)) {
		pk, err := regindex.ParsePublicKey(k)
		if err != nil {
			return nil, Usagef("a trusted key is the one-line public key 'meta keygen' prints", "trusted key %q: %v", k, err)
		}
		trusted = append(trusted, pk)
	}
	entries, err := s.Client.Index(ctx, o.Name)
	if err != nil {
		return nil, s.explain(err)
	}
	var e *IndexEntry
	for i := range entries {
		if entries[i].Vers == o.Version {
			e = &entries[i]
		}
	}
	if e == nil {
		return nil, Failf(fmt.Sprintf("see the versions: meta info %s", o.Name), "%s has no version %s in registry %s", o.Name, o.Version, s.Registry.Name)
	}
	if e.Yanked {
		progress.Note(o.Events, o.Name, fmt.Sprintf("%s@%s is yanked", o.Name, o.Version))
	}
	data, err := s.Client.Download(ctx, *e)
	if err != nil {
		return nil, s.explain(err)
	}
	if err := regindex.VerifySignature(*e, data, trusted); err != nil {
		return nil, Failf("do not use this tarball; ask the publisher", "%s@%s: %v", o.Name, o.Version, err)
	}
	out := o.Output
	if out == "" {
		out = fmt.Sprintf("%s-%s.tar.gz", o.Name, o.Version)
	}
	if out, err = absIn(o.Dir, out); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(out, data, 0o644); err != nil {
		return nil, err
	}
	return &Fetched{Name: o.Name, Version: o.Version, Path: out, Signature: len(trusted) > 0}, nil
}

// readKeyFiles replaces each key that names a readable file (relative to
// dir) with the file's contents.
func readKeyFiles(dir string, keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		f := k
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		if data, err := os.ReadFile(f); err == nil {
			k = string(data)
		}
		out = append(out, k)
	}
	return out
}

// absIn resolves p against dir, or against the current directory when
// dir is "".
func absIn(dir, p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, nil
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		dir = wd
	}
	return filepath.Join(dir, p), nil
}

// needLogin opens the session and fails when it has no token.
func (s *Session) needLogin() error {
	if err := s.Open(); err != nil {
		return err
	}
	if s.Client.Token == "" {
		return Failf(fmt.Sprintf("meta login --registry %s", s.Registry.Name), "not logged in to registry %s", s.Registry.Name)
	}
	return nil
}

func (s *Session) explain(err error) error {
	if err == nil {
		return nil
	}
	return s.Registry.Explain(err)
}
