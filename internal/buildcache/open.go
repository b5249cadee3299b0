package buildcache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
)

// Environment variables that configure the build cache.
const (
	EnvStore      = "META_STORE"             // the store directory, instead of .meta-store in the meta repository
	EnvRemote     = "META_CACHE_REMOTE"      // the remote cache, over the user config and the manifest
	EnvTimeout    = "META_CACHE_TIMEOUT"     // connect/first-byte timeout of the remote cache, e.g. 2s
	EnvSigningKey = "META_CACHE_SIGNING_KEY" // the minisign private key file that signs records
	EnvReadOnly   = "META_CACHE_READONLY"    // 1 or true: read the remote, never write it
	EnvExecutor   = "META_REMOTE_EXECUTOR"   // grpc(s)://HOST:PORT[/INSTANCE], as --remote-exec
	EnvExecProps  = "META_REMOTE_PLATFORM"   // KEY=VALUE,KEY=VALUE platform properties
)

// StoreDir returns the store directory meta uses: $META_STORE (from
// getenv) when set, else .meta-store in the meta repository enclosing wd.
// metaRoot is that repository ("" when META_STORE is set and there is
// none). Without META_STORE and outside a workspace the error is
// manifest.Find's.
func StoreDir(wd string, getenv func(string) string) (dir, metaRoot string, err error) {
	root, ferr := manifest.Find(wd)
	if env := getenv(EnvStore); env != "" {
		if ferr != nil {
			root = ""
		}
		abs, err := filepath.Abs(env)
		return abs, root, err
	}
	if ferr != nil {
		return "", "", ferr
	}
	return filepath.Join(root, ".meta-store"), root, nil
}

// RemoteChoice is the remote cache a command uses and where it was set.
type RemoteChoice struct {
	URL  string
	From string // --remote-cache, META_CACHE_REMOTE, user config, manifest ("" when none)
}

// Label names the setting in messages.
func (rc RemoteChoice) Label() string {
	switch rc.From {
	case "manifest":
		return "cache.remote"
	case "user config":
		return "cache.remote (user config)"
	}
	return rc.From
}

// Settings are what opens a build cache for one command.
type Settings struct {
	Manifest   *manifest.Manifest // nil: local records only (no remote, no tool environment)
	RemoteFlag string             // --remote-cache
	UserRemote string             // cache.remote of the user config
	WorkDir    string             // what relative remote paths not from the manifest are relative to
	EnvMode    EnvMode
	// ToolEnv returns meta's tool environment (KEY=VALUE); called once,
	// only with a manifest.
	ToolEnv func() []string
	Getenv  func(string) string // the environment; os.Getenv when nil
	Warn    func(string)        // problems that do not fail the command
}

func (s *Settings) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

func (s *Settings) warn(format string, args ...any) {
	if s.Warn != nil {
		s.Warn(fmt.Sprintf(format, args...))
	}
}

// ChooseRemote picks the remote cache: the flag, then META_CACHE_REMOTE,
// then the user config's cache.remote, then the manifest's. A local path
// from the manifest is relative to the meta repository; from elsewhere,
// to WorkDir.
func (s *Settings) ChooseRemote() RemoteChoice {
	var rc RemoteChoice
	m := s.Manifest
	switch {
	case s.RemoteFlag != "":
		rc = RemoteChoice{s.RemoteFlag, "--remote-cache"}
	case s.getenv(EnvRemote) != "":
		rc = RemoteChoice{s.getenv(EnvRemote), EnvRemote}
	case s.UserRemote != "":
		rc = RemoteChoice{s.UserRemote, "user config"}
	case m != nil && m.Cache.Remote != "":
		rc = RemoteChoice{m.Cache.Remote, "manifest"}
	default:
		return rc
	}
	if !strings.Contains(rc.URL, "://") && !filepath.IsAbs(rc.URL) {
		base := s.WorkDir
		if rc.From == "manifest" {
			base = m.Dir
		}
		rc.URL = filepath.Join(base, rc.URL)
	}
	return rc
}

// RemoteTimeout is the remote cache's connect/first-byte timeout:
// $META_CACHE_TIMEOUT, else the manifest's cache.timeout; 0 (the default)
// when neither is set. An unreadable environment value is warned about.
func (s *Settings) RemoteTimeout() time.Duration {
	v := s.getenv(EnvTimeout)
	if v == "" {
		if s.Manifest != nil {
			return s.Manifest.Cache.Timeout
		}
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		s.warn("%s=%q is not a positive duration like 2s; using %s", EnvTimeout, v, DefaultRemoteTimeout)
		return 0
	}
	return d
}

// KeyFileError is a signing key file (META_CACHE_SIGNING_KEY) that cannot
// be read.
type KeyFileError struct{ Err error }

func (e *KeyFileError) Error() string { return "cache signing key: " + e.Err.Error() }
func (e *KeyFileError) Unwrap() error { return e.Err }

// Hint says what META_CACHE_SIGNING_KEY names.
func (e *KeyFileError) Hint() string {
	return "META_CACHE_SIGNING_KEY names the private key file made by 'meta keygen'"
}

// KeysError is a signing key or trusted keys that Open refuses.
type KeysError struct{ Err error }

func (e *KeysError) Error() string { return e.Err.Error() }
func (e *KeysError) Unwrap() error { return e.Err }

// Hint says where the keys come from.
func (e *KeysError) Hint() string { return "check META_CACHE_SIGNING_KEY and cache.trusted_keys" }

// OpenWith opens st's build cache with the settings: the remote chosen by
// ChooseRemote (one that cannot be opened is a warning, and the cache
// works without it), its timeout, the tool environment, the manifest's
// trusted keys, the signing key of META_CACHE_SIGNING_KEY and the
// read-only switch META_CACHE_READONLY (for untrusted jobs, such as pull
// requests, that read the shared remote but must not write to it).
func OpenWith(ctx context.Context, st *store.Store, s Settings) (*Cache, RemoteChoice, error) {
	opts := Options{EnvMode: s.EnvMode, Warn: s.Warn, RemoteTimeout: s.RemoteTimeout()}
	var rc RemoteChoice
	if m := s.Manifest; m != nil {
		rc = s.ChooseRemote()
		if rc.URL != "" {
			remote, err := backend.Open(ctx, rc.URL, backend.Options{})
			if err != nil {
				s.warn("%s: %v; building without the remote cache", rc.Label(), err)
			} else {
				opts.Remote = remote
			}
		}
		if s.ToolEnv != nil {
			opts.ExtraEnv = s.ToolEnv()
		}
		opts.TrustedKeys = m.Cache.TrustedKeys
	}
	if f := s.getenv(EnvSigningKey); f != "" {
		key, err := os.ReadFile(f)
		if err != nil {
			return nil, rc, &KeyFileError{err}
		}
		opts.SigningKey = key
	}
	ro := s.getenv(EnvReadOnly)
	opts.ReadOnly = ro == "1" || ro == "true"
	c, err := Open(st, opts)
	if err != nil {
		return nil, rc, &KeysError{err}
	}
	return c, rc, nil
}
