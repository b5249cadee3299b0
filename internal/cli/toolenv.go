package cli

import (
	"context"
	"os"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/toolchain"
	"github.com/metawork/meta/internal/toolchain/declared"
)

// toolEnv returns the environment additions that put the installed versions
// of the workspace's tools first on PATH ('meta tools install' puts them in
// meta's data directory). Tools that are not installed, or whose versions
// cannot be resolved offline, are left to whatever PATH already finds; with
// -v meta says which.
func (a *app) toolEnv(ctx context.Context, m *manifest.Manifest) []string {
	lock, _ := readLock(m, "", true)
	specs := declared.Specs(m, lock)
	if len(specs) == 0 {
		return nil
	}
	opts, err := a.toolOptions(toolchain.Options{Offline: true})
	if err != nil {
		return nil
	}
	r, err := toolchain.NewResolver(opts)
	if err != nil {
		return nil
	}
	var notes progress.Sink
	if a.verbose {
		notes = a.warnings()
	}
	return declared.PathEnv(ctx, r, specs, os.Getenv("PATH"), notes)
}

// lockTools resolves the workspace's tool specs for the lock, keeping the
// versions of old when the upstream lists cannot be had.
func (a *app) lockTools(ctx context.Context, m *manifest.Manifest, old *lockfile.File) map[string]lockfile.Tool {
	specs := declared.Specs(m, nil)
	if len(specs) == 0 {
		return map[string]lockfile.Tool{}
	}
	opts, err := a.toolOptions(toolchain.Options{})
	if err != nil {
		a.warnf("%v", err)
	}
	return declared.Lock(ctx, specs, old, opts, a.warnings())
}

// toolOptions completes o with the workspace's tools.sources when meta runs
// inside a workspace whose manifest sets any.
func (a *app) toolOptions(o toolchain.Options) (toolchain.Options, error) {
	root, err := a.metaRoot()
	if err != nil {
		return o, nil
	}
	return declared.Options(root, o)
}
