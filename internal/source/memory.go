// Package source provides the version/dependency Providers the resolver
// reads: git tags and component.yaml, and an in-memory one for tests. The
// registry index's provider is package regsource.
package source

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
)

// Memory is an in-memory pubgrub.Provider for tests and benchmarks. Build
// it with Add and AddUnusable, then hand it to pubgrub.Solve. It is safe
// for concurrent use.
type Memory struct {
	mu   sync.RWMutex
	pkgs map[string]*memPackage
}

type memPackage struct {
	versions []semver.Version // ascending, unique
	entries  []memEntry       // parallel to versions
}

type memEntry struct {
	deps     []pubgrub.Dependency
	unusable string // non-empty: the version cannot be used, and why
}

// NewMemory returns an empty in-memory provider.
func NewMemory() *Memory { return &Memory{pkgs: map[string]*memPackage{}} }

func (m *Memory) pkg(name string) *memPackage {
	p := m.pkgs[name]
	if p == nil {
		p = &memPackage{}
		m.pkgs[name] = p
	}
	return p
}

// set records version v (build metadata does not distinguish versions).
func (p *memPackage) set(v semver.Version, e memEntry) {
	i, found := slices.BinarySearchFunc(p.versions, v, semver.Compare)
	if found {
		p.entries[i] = e
		return
	}
	if i == len(p.versions) {
		// Appending in order, the common case, keeps earlier slices intact.
		p.versions = append(p.versions, v)
		p.entries = append(p.entries, e)
		return
	}
	// Copy on write: slices already returned by Versions never change.
	p.versions = slices.Insert(slices.Clip(p.versions), i, v)
	p.entries = slices.Insert(p.entries, i, e)
}

// Add declares version v of package name with its dependencies; adding a
// version again replaces its dependencies.
func (m *Memory) Add(name string, v semver.Version, deps ...pubgrub.Dependency) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pkg(name).set(v, memEntry{deps: slices.Clone(deps)})
}

// AddPackage declares that a package exists, even with no versions.
func (m *Memory) AddPackage(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pkg(name)
}

// AddUnusable declares version v of name that exists but cannot be used,
// for the reason given (as a git tag whose component.yaml is broken).
func (m *Memory) AddUnusable(name string, v semver.Version, reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if reason == "" {
		reason = "marked unusable"
	}
	m.pkg(name).set(v, memEntry{unusable: reason})
}

// Versions returns the versions of name in ascending order; an unknown
// package is an error wrapping pubgrub.ErrNotFound. The slice is shared:
// callers must not modify it.
func (m *Memory) Versions(ctx context.Context, name string) ([]semver.Version, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p := m.pkgs[name]
	if p == nil {
		return nil, fmt.Errorf("%s: %w", name, pubgrub.ErrNotFound)
	}
	return p.versions, nil
}

// Dependencies returns what name needs at v. The slice is shared: callers
// must not modify it.
func (m *Memory) Dependencies(ctx context.Context, name string, v semver.Version) ([]pubgrub.Dependency, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p := m.pkgs[name]
	if p == nil {
		return nil, fmt.Errorf("%s: %w", name, pubgrub.ErrNotFound)
	}
	i, found := search(p.versions, &v)
	if !found {
		return nil, fmt.Errorf("%s has no version %s", name, v)
	}
	if e := p.entries[i]; e.unusable != "" {
		return nil, &pubgrub.UnusableError{Reason: e.unusable}
	}
	return p.entries[i].deps, nil
}

// search is slices.BinarySearchFunc(vs, *v, semver.Compare) without
// copying versions or calling Compare for the numeric fields: it is on
// the solver's path for every version tried.
func search(vs []semver.Version, v *semver.Version) (int, bool) {
	cmp := func(a *semver.Version) int {
		switch {
		case a.Major != v.Major:
			return cmpU(a.Major, v.Major)
		case a.Minor != v.Minor:
			return cmpU(a.Minor, v.Minor)
		case a.Patch != v.Patch:
			return cmpU(a.Patch, v.Patch)
		case a.Pre == v.Pre:
			return 0
		}
		return semver.Compare(*a, *v)
	}
	lo, hi := 0, len(vs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cmp(&vs[m]) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(vs) && cmp(&vs[lo]) == 0
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}
