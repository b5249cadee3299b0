package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/reapi"
)

// Environment settings of the remote cache and remote execution.
const (
	envRemoteExecutor = "META_REMOTE_EXECUTOR" // grpc(s)://HOST:PORT[/INSTANCE], as --remote-exec
	envRemotePlatform = "META_REMOTE_PLATFORM" // KEY=VALUE,KEY=VALUE platform properties
	envCacheTimeout   = "META_CACHE_TIMEOUT"   // connect/first-byte timeout of the remote cache, e.g. 2s
)

// remoteExecFlags are build's remote execution flags.
type remoteExecFlags struct {
	url      string
	platform []string
	timeout  time.Duration
}

func addRemoteExecFlags(cmd *cobra.Command, f *remoteExecFlags) {
	cmd.Flags().StringVar(&f.url, "remote-exec", "", "run build commands on the REAPI executor at `URL` (grpc://HOST:PORT[/INSTANCE] or grpcs://; default $"+envRemoteExecutor+")")
	cmd.Flags().StringArrayVar(&f.platform, "remote-platform", nil, "platform property `KEY=VALUE` of remote actions, e.g. OSFamily=linux (repeatable; default $"+envRemotePlatform+")")
	cmd.Flags().DurationVar(&f.timeout, "remote-timeout", 0, "time limit of one remote action (default: the executor's)")
}

// openRemoteExec connects to the executor named by the flag, the
// environment or the manifest's build.remote_executor (in that order); nil
// when none names one. Platform properties come likewise from
// --remote-platform, $META_REMOTE_PLATFORM or build.remote_platform.
func (a *app) openRemoteExec(ctx context.Context, m *manifest.Manifest, f remoteExecFlags) (*buildcache.RemoteExec, error) {
	url := f.url
	if url == "" {
		url = os.Getenv(envRemoteExecutor)
	}
	if url == "" && m != nil {
		url = m.Build.RemoteExecutor
	}
	if url == "" {
		return nil, nil
	}
	props := f.platform
	if len(props) == 0 {
		if env := os.Getenv(envRemotePlatform); env != "" {
			props = strings.Split(env, ",")
		}
	}
	platform := map[string]string{}
	if len(props) == 0 && m != nil {
		for k, v := range m.Build.RemotePlatform {
			platform[k] = v
		}
	}
	for _, p := range props {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usagef("write platform properties as KEY=VALUE, e.g. OSFamily=linux", "remote platform property %q", p)
		}
		platform[k] = v
	}
	c, err := reapi.Dial(url, reapi.Options{})
	if err != nil {
		return nil, usagef("use grpc://HOST:PORT[/INSTANCE] or grpcs://...", "--remote-exec: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := c.ExecEnabled(cctx)
	if err != nil {
		return nil, fmt.Errorf("remote executor: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("remote executor %s: the server does not offer remote execution (it may be a cache only)", c)
	}
	return &buildcache.RemoteExec{Client: c, Platform: platform, Timeout: f.timeout}, nil
}

// useRemoteExec makes c run build commands on the executor named by the
// flag or the environment, if any.
func (a *app) useRemoteExec(ctx context.Context, c *buildcache.Cache, m *manifest.Manifest, f remoteExecFlags) error {
	re, err := a.openRemoteExec(ctx, m, f)
	if err != nil || re == nil {
		return err
	}
	if g, ok := c.Remote().(*backend.GRPC); ok {
		// A gRPC cache.remote is the storage the executor's workers read
		// (a Buildbarn scheduler serves only Execution); otherwise the
		// executor's endpoint serves the CAS too.
		re.CAS = g.Client()
	}
	c.SetRemoteExec(re)
	return nil
}

// explainAction is the REAPI Action digest of name's build when an
// executor is named (flag or environment), else "".
func (a *app) explainAction(ctx context.Context, c *buildcache.Cache, m *manifest.Manifest, name string, f remoteExecFlags) (string, error) {
	if err := a.useRemoteExec(ctx, c, m, f); err != nil {
		return "", err
	}
	if !c.RemoteExecOn() {
		return "", nil
	}
	d, err := c.ActionDigest(ctx, m, name)
	if err != nil {
		return "", fmt.Errorf("cache explain %s: action: %w", name, err)
	}
	return d, nil
}

// cacheTimeout is the remote cache's connect/first-byte timeout:
// $META_CACHE_TIMEOUT, else the manifest's cache.timeout; 0 (the default)
// when neither is set. An unreadable environment value is warned about.
func (a *app) cacheTimeout(m *manifest.Manifest) time.Duration {
	s := os.Getenv(envCacheTimeout)
	if s == "" {
		if m != nil {
			return m.Cache.Timeout
		}
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		a.warnf("%s=%q is not a positive duration like 2s; using %s", envCacheTimeout, s, buildcache.DefaultRemoteTimeout)
		return 0
	}
	return d
}
