// Package declared connects a workspace to the toolchain: which tool specs
// its manifest and lock declare, the upstream sources its manifest sets,
// the PATH that puts their installed versions first, the versions a lock
// records, and whether the locked versions are installed.
package declared

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/toolchain"
	"github.com/metawork/meta/internal/yamlpos"
)

// Specs lists the workspace's tool specs: the lock's resolved versions
// when lock records them (exact, so no network is needed), else the
// manifest's specs (workspace-wide, then each component's).
func Specs(m *manifest.Manifest, lock *lockfile.File) []string {
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
	var out []string
	add := func(items []manifest.Item) {
		for _, it := range items {
			if !slices.Contains(out, it.Value) {
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

// InputError is a request the manifest cannot answer: a --component it
// does not declare, or no tools at all. Hint says what to do.
type InputError struct{ Msg, Hint string }

func (e *InputError) Error() string { return e.Msg }

// Requested lists the specs the manifest declares, checked, each once:
// the workspace's and every component's, or with component the
// workspace's and that one's. A spec that does not parse is an error at
// its position wrapping the *toolchain.SpecError.
func Requested(m *manifest.Manifest, component string) ([]string, error) {
	items := slices.Clone(m.Tools)
	if component != "" {
		c, ok := m.Components[component]
		if !ok {
			hint := "run 'meta status' to list the components"
			if s := yamlpos.Suggest(component, m.Order); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			return nil, &InputError{fmt.Sprintf("no component %q in %s", component, m.Rel(m.File)), hint}
		}
		items = append(items, c.Tools...)
	} else {
		for _, c := range m.List() {
			items = append(items, c.Tools...)
		}
	}
	var specs []string
	for _, it := range items {
		if _, err := toolchain.ParseSpec(it.Value); err != nil {
			return nil, fmt.Errorf("%s: %w", it.Pos, err)
		}
		if !slices.Contains(specs, it.Value) {
			specs = append(specs, it.Value)
		}
	}
	if len(specs) == 0 {
		return nil, &InputError{m.Rel(m.File) + " declares no tools", "add tools: [go@1.22, ...] to the manifest or give SPECs"}
	}
	return specs, nil
}

// Options completes o with the tools.sources of the manifest in the meta
// repository root when it sets any (otherwise the toolchain reads the
// user config and META_SOURCE_* itself). A manifest that does not load
// leaves o as it is.
func Options(root string, o toolchain.Options) (toolchain.Options, error) {
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

// PathEnv returns the environment additions that put the installed
// versions of specs first on PATH, before path. Specs that are not
// installed, or whose versions cannot be resolved by r, are left to path;
// a note on sink says which.
func PathEnv(ctx context.Context, r *toolchain.Resolver, specs []string, path string, sink progress.Sink) []string {
	var dirs []string
	for _, spec := range specs {
		ds, err := r.PathFor(ctx, []string{spec})
		if err != nil {
			progress.Note(sink, spec, fmt.Sprintf("%s: using PATH (%s)", spec, firstLine(err.Error())))
			continue
		}
		for _, d := range ds {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	return []string{"PATH=" + strings.Join(append(dirs, path), string(os.PathListSeparator))}
}

// Lock resolves specs for a lock file (DESIGN §2.3: tools: {go:
// {requested: "1.22", version: "1.22.12"}}). When the upstream lists
// cannot be had (offline, no cache), the versions of old are kept, with a
// note on sink; a lock is never refused for want of a network. Tools a
// package manager picks at install time are left out.
func Lock(ctx context.Context, specs []string, old *lockfile.File, opts toolchain.Options, sink progress.Sink) map[string]lockfile.Tool {
	out := map[string]lockfile.Tool{}
	if len(specs) == 0 {
		return out
	}
	opts.OnNote = func(n toolchain.Note) { progress.Note(sink, "", n.Source+": "+n.Msg) }
	res, err := toolchain.ResolveAll(ctx, specs, opts)
	if err != nil {
		progress.Note(sink, "", fmt.Sprintf("tools not resolved (%s); keeping the versions locked before, if any", firstLine(err.Error())))
		if old != nil {
			for name, t := range old.Tools {
				out[name] = t
			}
		}
		return out
	}
	for _, r := range res {
		if r.Version != "" {
			out[r.Name] = lockfile.Tool{Requested: r.Requested, Version: r.Version}
		}
	}
	return out
}

// CheckLocked compares the tools lock resolved with what is installed
// (offline), one message per problem.
func CheckLocked(lock *lockfile.File) ([]string, error) {
	if lock == nil || len(lock.Tools) == 0 {
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

func firstLine(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return first
}
