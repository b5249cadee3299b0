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
	return declared.EnvFor(ctx, m, lock, toolchain.Options{}, os.Getenv("PATH"), cond(a.verbose, a.warnings(), progress.Sink(nil)))
}

// lockTools resolves the workspace's tool specs for the lock, keeping the
// versions of old when the upstream lists cannot be had.
func (a *app) lockTools(ctx context.Context, m *manifest.Manifest, old *lockfile.File) map[string]lockfile.Tool {
	return declared.LockFor(ctx, m, old, toolchain.Options{}, a.warnings())
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
