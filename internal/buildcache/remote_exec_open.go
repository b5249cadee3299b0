package buildcache

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/reapi"
)

// ExecSettings name a remote executor: the --remote-exec, --remote-platform
// and --remote-timeout flags.
type ExecSettings struct {
	URL      string
	Platform []string // KEY=VALUE
	Timeout  time.Duration
	Getenv   func(string) string // the environment; os.Getenv when nil
}

// BadPlatformError is a platform property not written KEY=VALUE.
type BadPlatformError struct{ Prop string }

func (e *BadPlatformError) Error() string { return fmt.Sprintf("remote platform property %q", e.Prop) }

// Hint says how to write one; Usage marks a mistake in the settings.
func (e *BadPlatformError) Hint() string {
	return "write platform properties as KEY=VALUE, e.g. OSFamily=linux"
}
func (e *BadPlatformError) Usage() bool { return true }

// BadExecutorError is an executor URL that cannot be dialled.
type BadExecutorError struct{ Err error }

func (e *BadExecutorError) Error() string { return "--remote-exec: " + e.Err.Error() }
func (e *BadExecutorError) Unwrap() error { return e.Err }

// Hint says how to name an executor; Usage marks a mistake in the settings.
func (e *BadExecutorError) Hint() string { return "use grpc://HOST:PORT[/INSTANCE] or grpcs://..." }
func (e *BadExecutorError) Usage() bool  { return true }

// OpenRemoteExec connects to the executor named by the flag, the
// environment or the manifest's build.remote_executor (in that order); nil
// when none names one. Platform properties come likewise from the flag,
// $META_REMOTE_PLATFORM or build.remote_platform. An executor that does
// not offer remote execution is an error.
func OpenRemoteExec(ctx context.Context, m *manifest.Manifest, f ExecSettings) (*RemoteExec, error) {
	s := Settings{Getenv: f.Getenv}
	url := f.URL
	if url == "" {
		url = s.getenv(EnvExecutor)
	}
	if url == "" && m != nil {
		url = m.Build.RemoteExecutor
	}
	if url == "" {
		return nil, nil
	}
	props := f.Platform
	if len(props) == 0 {
		if env := s.getenv(EnvExecProps); env != "" {
			props = strings.Split(env, ",")
		}
	}
	platform := map[string]string{}
	if len(props) == 0 && m != nil {
		maps.Copy(platform, m.Build.RemotePlatform)
	}
	for _, p := range props {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, &BadPlatformError{p}
		}
		platform[k] = v
	}
	c, err := reapi.Dial(url, reapi.Options{})
	if err != nil {
		return nil, &BadExecutorError{err}
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
	return &RemoteExec{Client: c, Platform: platform, Timeout: f.Timeout}, nil
}

// UseRemoteExec makes c run build commands on the executor f names (see
// OpenRemoteExec), if any. A gRPC remote cache is the storage the
// executor's workers read (a Buildbarn scheduler serves only Execution);
// otherwise the executor's endpoint serves the CAS too.
func (c *Cache) UseRemoteExec(ctx context.Context, m *manifest.Manifest, f ExecSettings) error {
	re, err := OpenRemoteExec(ctx, m, f)
	if err != nil || re == nil {
		return err
	}
	if g, ok := c.Remote().(*backend.GRPC); ok {
		re.CAS = g.Client()
	}
	c.SetRemoteExec(re)
	return nil
}

// ExplainAction is the REAPI Action digest of name's build when f (or the
// environment, or the manifest) names an executor, else "".
func (c *Cache) ExplainAction(ctx context.Context, m *manifest.Manifest, name string, f ExecSettings) (string, error) {
	if err := c.UseRemoteExec(ctx, m, f); err != nil {
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
