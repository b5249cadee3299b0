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
	opts, err := a.toolOptions(toolchain.Options{Offline: true})
	if err != nil {
		return nil
	}
	r, err := toolchain.NewResolver(opts)
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

// lockTools resolves the workspace's tool specs for the lock (DESIGN §2.3:
// tools: {go: {requested: "1.22", version: "1.22.12"}}). When the upstream
// lists cannot be had (offline, no cache), the versions locked before are
// kept for specs that did not change, with a warning; a lock is never
// refused for want of a network.
func (a *app) lockTools(ctx context.Context, m *manifest.Manifest, old *lockfile.File) map[string]lockfile.Tool {
	specs := toolSpecs(m, nil)
	out := map[string]lockfile.Tool{}
	if len(specs) == 0 {
		return out
	}
	opts, err := a.toolOptions(toolchain.Options{OnNote: func(n toolchain.Note) { a.warnf("%s: %s", n.Source, n.Msg) }})
	if err != nil {
		a.warnf("%v", err)
	}
	res, err := toolchain.ResolveAll(ctx, specs, opts)
	if err != nil {
		a.warnf("tools not resolved (%s); keeping the versions locked before, if any", firstLine(err.Error()))
		if old != nil {
			for name, t := range old.Tools {
				out[name] = t
			}
		}
		return out
	}
	for _, r := range res {
		if r.Version == "" {
			continue // a package manager picks it at install time
		}
		out[r.Name] = lockfile.Tool{Requested: r.Requested, Version: r.Version}
	}
	return out
}

// toolOptions completes o with the workspace's tools.sources when meta runs
// inside a workspace whose manifest sets any (outside one, or without them,
// the toolchain reads the user config and META_SOURCE_* itself).
func (a *app) toolOptions(o toolchain.Options) (toolchain.Options, error) {
	root, err := a.metaRoot()
	if err != nil {
		return o, nil
	}
	m, err := manifest.Load(root)
	if err != nil || len(m.ToolSources) == 0 {
		return o, nil
	}
	src, err := toolchain.LoadSourcesWith(os.Getenv, m.ToolSources)
	if err != nil {
		return o, err
	}
	o.Sources = &src
	return o, nil
}
