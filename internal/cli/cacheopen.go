package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
)

// cacheSettings are the build cache choices a command's flags make.
type cacheSettings struct {
	remote  string             // --remote-cache
	envMode buildcache.EnvMode // --env-mode
	chosen  remoteChoice       // set by openBuildCacheWith: which remote, from where
}

// remoteChoice is the remote cache a command uses and where it was set.
type remoteChoice struct {
	URL  string
	From string // --remote-cache, META_CACHE_REMOTE, user config, manifest
}

// label names the setting in messages.
func (rc remoteChoice) label() string {
	switch rc.From {
	case "manifest":
		return "cache.remote"
	case "user config":
		return "cache.remote (user config)"
	}
	return rc.From
}

// chooseRemote picks the remote cache: the --remote-cache flag, then
// META_CACHE_REMOTE, then the user config's cache.remote, then the
// workspace manifest's. A local path from the manifest is relative to the
// meta repository; from elsewhere, to the directory meta runs in.
func (a *app) chooseRemote(m *manifest.Manifest, flag string) (remoteChoice, error) {
	var rc remoteChoice
	switch {
	case flag != "":
		rc = remoteChoice{flag, "--remote-cache"}
	case os.Getenv("META_CACHE_REMOTE") != "":
		rc = remoteChoice{os.Getenv("META_CACHE_REMOTE"), "META_CACHE_REMOTE"}
	case a.user.CacheRemote != "":
		rc = remoteChoice{a.user.CacheRemote, "user config"}
	case m != nil && m.Cache.Remote != "":
		rc = remoteChoice{m.Cache.Remote, "manifest"}
	default:
		return rc, nil
	}
	if !strings.Contains(rc.URL, "://") && !filepath.IsAbs(rc.URL) {
		if rc.From == "manifest" {
			rc.URL = filepath.Join(m.Dir, rc.URL)
		} else {
			abs, err := a.absPath(rc.URL)
			if err != nil {
				return rc, err
			}
			rc.URL = abs
		}
	}
	return rc, nil
}

// openBuildCache opens the store and its build cache with the settings of
// the environment, the user config and the manifest.
func (a *app) openBuildCache(ctx context.Context, m *manifest.Manifest) (*buildcache.Cache, error) {
	return a.openBuildCacheWith(ctx, m, &cacheSettings{})
}

// openBuildCacheWith opens the build cache. Without a manifest (commands
// that only read local records) there is no remote and no tool
// environment. A remote that cannot be opened is a warning.
func (a *app) openBuildCacheWith(ctx context.Context, m *manifest.Manifest, s *cacheSettings) (*buildcache.Cache, error) {
	st, err := a.openStore()
	if err != nil {
		return nil, err
	}
	opts := buildcache.Options{EnvMode: s.envMode, Warn: func(msg string) { a.warnf("%s", msg) },
		RemoteTimeout: a.cacheTimeout(m)} // build_remote.go
	if m != nil {
		rc, err := a.chooseRemote(m, s.remote)
		if err != nil {
			return nil, err
		}
		s.chosen = rc
		if rc.URL != "" {
			opts.Remote, err = backend.Open(ctx, rc.URL, backend.Options{})
			if err != nil {
				a.warnf("%s: %v; building without the remote cache", rc.label(), err)
				opts.Remote = nil
			}
		}
		opts.ExtraEnv = a.toolEnv(ctx, m)
		opts.TrustedKeys = m.Cache.TrustedKeys
	}
	if f := os.Getenv("META_CACHE_SIGNING_KEY"); f != "" {
		key, err := os.ReadFile(f)
		if err != nil {
			return nil, failf("META_CACHE_SIGNING_KEY names the private key file made by 'meta keygen'", "cache signing key: %v", err)
		}
		opts.SigningKey = key
	}
	// Untrusted jobs (pull requests) read the shared remote but must not
	// write to it.
	opts.ReadOnly = os.Getenv("META_CACHE_READONLY") == "1" || os.Getenv("META_CACHE_READONLY") == "true"
	c, err := buildcache.Open(st, opts)
	if err != nil {
		return nil, failf("check META_CACHE_SIGNING_KEY and cache.trusted_keys", "%v", err)
	}
	return c, nil
}
