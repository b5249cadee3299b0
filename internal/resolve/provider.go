package resolve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/regsource"
	"github.com/metawork/meta/internal/semver"
)

// registryProviders builds one index provider per registry that a
// component of m names. Index reads need no token; the URL is the user's
// registries.yaml entry for the name when there is one (a mirror), else
// the manifest's, and index files are cached per URL.
func registryProviders(m *manifest.Manifest, o Options, warn func(string)) (map[string]*regsource.Registry, error) {
	deps := map[string]map[string][]pubgrub.Dependency{}
	for _, c := range m.List() {
		if c.Registry == "" {
			continue
		}
		d, err := manifestDeps(m.Effective(c, o.Env))
		if err != nil {
			return nil, err
		}
		if deps[c.Registry] == nil {
			deps[c.Registry] = map[string][]pubgrub.Dependency{}
		}
		deps[c.Registry][c.Name] = d
	}
	out := map[string]*regsource.Registry{}
	for _, name := range sortedKeys(deps) {
		c, err := RegistryReader(m, name, warn)
		if err != nil {
			return nil, err
		}
		out[name] = regsource.NewRegistry(c, regsource.RegistryOptions{Name: name, Locked: o.Locked, Jobs: m.Jobs(o.Jobs), ManifestDeps: deps[name]})
	}
	return out, nil
}

// RegistryReader is a client for reading registry name's index and
// tarballs: no token (reads are public), the user's URL for the name when
// registries.yaml has one, else the manifest's. warn hears when an
// unreachable registry is answered from the cache.
func RegistryReader(m *manifest.Manifest, name string, warn func(string)) (*registry.Client, error) {
	r, ok := m.Registries[name]
	if !ok {
		return nil, &HintError{Err: fmt.Errorf("no registry named %q in the manifest", name), Hint: "add it under 'registries:' in " + manifest.ManifestPath}
	}
	c := &registry.Client{URL: r.URL, HTTP: &http.Client{Timeout: 10 * time.Minute}, Warn: warn}
	paths, err := registry.DefaultPaths(os.Getenv)
	if err != nil {
		return c, nil // no home: no user registries and no cache
	}
	user, err := registry.LoadRegistries(paths.Registries)
	if err != nil {
		return nil, &HintError{Err: err, Hint: "fix or remove " + paths.Registries}
	}
	if u, ok := user[name]; ok {
		c.URL = u
	}
	c.CacheDir = paths.CacheDirFor(c.URL)
	return c, nil
}

// RegistryHint is the next step after a failed registry read ("" when
// err is not one).
func RegistryHint(err error) string {
	var ce *registry.ChecksumError
	var ue *url.Error
	var ae *registry.APIError
	switch {
	case errors.As(err, &ce):
		return "nothing was written; tell the registry's operator"
	case errors.As(err, &ue):
		return "check that the registry is reachable ('meta registry list' shows the URL in use for each name)"
	case errors.As(err, &ae):
		return "the registry answered with an error; try again, or tell its operator"
	case errors.Is(err, regindex.ErrUnsigned):
		return "ask the publisher to sign it ('meta publish --sign'), or remove the registry's trusted_keys to accept unsigned versions"
	}
	return ""
}

// dispatchProvider answers for each component from where it comes from:
// its registry's index, or git tags for everything else.
type dispatchProvider struct {
	git  pubgrub.Provider
	regs map[string]*regsource.Registry
	m    *manifest.Manifest
}

// registryOf returns the registry provider of pkg, nil for git components.
func (d *dispatchProvider) registryOf(pkg string) *regsource.Registry {
	if c := d.m.Components[pkg]; c != nil && c.Registry != "" {
		return d.regs[c.Registry]
	}
	return nil
}

func (d *dispatchProvider) Versions(ctx context.Context, pkg string) ([]semver.Version, error) {
	if r := d.registryOf(pkg); r != nil {
		return r.Versions(ctx, pkg)
	}
	return d.git.Versions(ctx, pkg)
}

func (d *dispatchProvider) Dependencies(ctx context.Context, pkg string, v semver.Version) ([]pubgrub.Dependency, error) {
	if r := d.registryOf(pkg); r != nil {
		return r.Dependencies(ctx, pkg, v)
	}
	return d.git.Dependencies(ctx, pkg, v)
}

// trackedFilter hides requirements on ref-tracked components from the
// solver: a branch has no version to check a range against. Each hidden
// range is noted for the user.
type trackedFilter struct {
	p       pubgrub.Provider
	tracked map[string]string
	mu      sync.Mutex
	notes   []string
	seen    map[string]bool
}

func (t *trackedFilter) keep(from string, d pubgrub.Dependency) bool {
	ref, ok := t.tracked[d.Name]
	if !ok {
		return true
	}
	if d.Constraint.IsAny() || d.Constraint.Equal(semver.Releases()) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	key := from + "→" + d.Name
	if !t.seen[key] {
		t.seen[key] = true
		branch := ref
		if branch == "" {
			branch = "its default branch"
		}
		t.notes = append(t.notes, fmt.Sprintf("%s requires %s %s (%s), but %s tracks %s: the range is not checked",
			from, d.Name, d.Constraint, d.Source, d.Name, branch))
	}
	return false
}

func (t *trackedFilter) Versions(ctx context.Context, pkg string) ([]semver.Version, error) {
	return t.p.Versions(ctx, pkg)
}

func (t *trackedFilter) Dependencies(ctx context.Context, pkg string, v semver.Version) ([]pubgrub.Dependency, error) {
	deps, err := t.p.Dependencies(ctx, pkg, v)
	if err != nil {
		return nil, err
	}
	out := deps[:0:0]
	for _, d := range deps {
		if t.keep(pkg+" "+v.String(), d) {
			out = append(out, d)
		}
	}
	return out, nil
}
