package cli

import (
	"context"
	"os"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/toolchain"
)

// toolSpecs lists the workspace's tool specs: the lock's resolved versions
// when the lock records them (exact, so no network is needed), else the
// manifest's specs (workspace-wide, then each component's).
func toolSpecs(m *manifest.Manifest, lock *lockfile.File) []string {
	if lock != nil && len(lock.Tools) > 0 {
		names := make([]string, 0, len(lock.Tools))
		for n := range lock.Tools {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]string, 0, len(names))
		for _, n := range names {
			out = append(out, n+"@"+lock.Tools[n].Version)
		}
		return out
	}
	seen := map[string]bool{}
	var out []string
	add := func(items []manifest.Item) {
		for _, it := range items {
			if !seen[it.Value] {
				seen[it.Value] = true
				out = append(out, it.Value)
			}
		}
	}
	add(m.Tools)
	for _, c := range m.List() {
		add(c.Tools)
	}
	return out
}

// toolEnv returns the environment additions that put the installed versions
// of the workspace's tools first on PATH ('meta tools install' puts them in
// meta's data directory). Tools that are not installed, or whose versions
// cannot be resolved offline, are left to whatever PATH already finds; with
// -v meta says which.
func (a *app) toolEnv(ctx context.Context, m *manifest.Manifest) []string {
	lock, _ := readLock(m, "", true)
	specs := toolSpecs(m, lock)
	if len(specs) == 0 {
		return nil
	}
	r, err := toolchain.NewResolver(toolchain.Options{Offline: true})
	if err != nil {
		return nil
	}
	var dirs []string
	seen := map[string]bool{}
	for _, spec := range specs {
		ds, err := r.PathFor(ctx, []string{spec})
		if err != nil {
			if a.verbose {
				a.warnf("%s: using PATH (%s)", spec, firstLine(err.Error()))
			}
			continue
		}
		for _, d := range ds {
			if !seen[d] {
				seen[d] = true
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	return []string{"PATH=" + strings.Join(append(dirs, os.Getenv("PATH")), string(os.PathListSeparator))}
}

// checkLockedTools compares the tools the lock resolved with what is
// installed, for 'meta validate'.
func checkLockedTools(m *manifest.Manifest) ([]string, error) {
	lock, err := readLock(m, "", true)
	if err != nil || lock == nil || len(lock.Tools) == 0 {
		return nil, nil
	}
	locked := map[string]string{}
	for n, t := range lock.Tools {
		locked[n] = t.Version
	}
	probs, err := toolchain.CheckInstalled(locked, toolchain.Options{Offline: true})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range probs {
		out = append(out, p.Msg)
	}
	return out, nil
}
