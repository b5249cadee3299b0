package declared

import (
	"context"
	"os"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/toolchain"
)

// EnvFor is PathEnv for the tools m and lock declare (see Specs), resolved
// offline with o and m's tools.sources, before path. It is nil when there
// are none, or when they cannot be resolved at all.
func EnvFor(ctx context.Context, m *manifest.Manifest, lock *lockfile.File, o toolchain.Options, path string, sink progress.Sink) []string {
	specs := Specs(m, lock)
	if len(specs) == 0 {
		return nil
	}
	o.Offline = true
	o, err := withSources(m, o)
	if err != nil {
		return nil
	}
	r, err := toolchain.NewResolver(o)
	if err != nil {
		return nil
	}
	return PathEnv(ctx, r, specs, path, sink)
}

// LockFor is Lock for the tool specs m declares, with m's tools.sources;
// sources that do not load are a note on sink, and the defaults serve.
func LockFor(ctx context.Context, m *manifest.Manifest, old *lockfile.File, o toolchain.Options, sink progress.Sink) map[string]lockfile.Tool {
	specs := Specs(m, nil)
	if len(specs) == 0 {
		return map[string]lockfile.Tool{}
	}
	o, err := withSources(m, o)
	if err != nil {
		progress.Note(sink, "", err.Error())
	}
	return Lock(ctx, specs, old, o, sink)
}

// withSources completes o with m's tools.sources when it sets any.
func withSources(m *manifest.Manifest, o toolchain.Options) (toolchain.Options, error) {
	if len(m.ToolSources) == 0 {
		return o, nil
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	src, err := toolchain.LoadSourcesWith(getenv, m.ToolSources)
	if err != nil {
		return o, err
	}
	o.Sources = &src
	return o, nil
}
