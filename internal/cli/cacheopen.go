package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
)

// cacheSettings are the build cache choices a command's flags make.
type cacheSettings struct {
	remote  string                  // --remote-cache
	envMode buildcache.EnvMode      // --env-mode
	chosen  buildcache.RemoteChoice // set by openBuildCacheWith: which remote, from where
}

// openBuildCache opens the store and its build cache with the settings of
// the environment, the user config and the manifest.
func (a *app) openBuildCache(ctx context.Context, m *manifest.Manifest) (*buildcache.Cache, error) {
	return a.openBuildCacheWith(ctx, m, &cacheSettings{})
}

// openBuildCacheWith opens the build cache (see buildcache.OpenWith).
// Without a manifest (commands that only read local records) there is no
// remote and no tool environment.
func (a *app) openBuildCacheWith(ctx context.Context, m *manifest.Manifest, s *cacheSettings) (*buildcache.Cache, error) {
	st, err := a.openStore()
	if err != nil {
		return nil, err
	}
	wd, err := a.workdir()
	if err != nil {
		return nil, err
	}
	c, rc, err := buildcache.OpenWith(ctx, st, buildcache.Settings{Manifest: m, RemoteFlag: s.remote, UserRemote: a.user.CacheRemote,
		WorkDir: wd, EnvMode: s.envMode, ToolEnv: func() []string { return a.toolEnv(ctx, m) }, Warn: func(msg string) { a.warnf("%s", msg) }})
	s.chosen = rc
	return c, hinted(err)
}

// hinted gives an error of a domain package its hint and exit code: one
// with a Hint method carries that hint, and exits 2 when its Usage method
// says the mistake is in how meta was called.
func hinted(err error) error {
	var h interface{ Hint() string }
	if !errors.As(err, &h) {
		return err
	}
	if u, ok := h.(interface{ Usage() bool }); ok && u.Usage() {
		return usageError(err, h.Hint())
	}
	return withHint(err, h.Hint())
}

// addRemoteExecFlags adds build's remote execution flags.
func addRemoteExecFlags(cmd *cobra.Command, f *buildcache.ExecSettings) {
	cmd.Flags().StringVar(&f.URL, "remote-exec", "", "run build commands on the REAPI executor at `URL` (grpc://HOST:PORT[/INSTANCE] or grpcs://; default $"+buildcache.EnvExecutor+")")
	cmd.Flags().StringArrayVar(&f.Platform, "remote-platform", nil, "platform property `KEY=VALUE` of remote actions, e.g. OSFamily=linux (repeatable; default $"+buildcache.EnvExecProps+")")
	cmd.Flags().DurationVar(&f.Timeout, "remote-timeout", 0, "time limit of one remote action (default: the executor's)")
}
