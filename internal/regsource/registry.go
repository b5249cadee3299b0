// Package regsource is the resolver's Provider over a registry's sparse
// index (DESIGN §3, §7): it lists versions from index files, reads an
// entry in full only when its dependencies are asked for, and verifies
// tarballs it fetches. It reads the index through a small interface
// (RegistryIndex), so the same provider serves meta's registry client and
// a directory of Cargo index files.
package regsource

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/semver"
)

// RegistryIndex is what the registry provider reads: index files and
// tarballs. *registry.Client implements it.
type RegistryIndex interface {
	Index(ctx context.Context, name string) ([]regindex.IndexEntry, error)
	Download(ctx context.Context, e regindex.IndexEntry) ([]byte, error)
}

// LazyRegistryIndex is a RegistryIndex that can list a package's
// versions without reading its entries in full. Registry then reads an
// entry in full only when the solver asks for that version's dependencies
// (or Entry or Fetch for it), which is a small share of the versions
// listed.
type LazyRegistryIndex interface {
	RegistryIndex
	// IndexVersions returns the version and yanked flag of each entry
	// Index returns, in the same order, and a function returning entry i
	// in full, as Index would. Registry keeps the Heads, and calls that
	// function one at a time per package and keeps what it returns, which
	// no one may change after.
	IndexVersions(ctx context.Context, name string) (Heads, func(i int) (*regindex.IndexEntry, error), error)
}

// Registry is a pubgrub.Provider over one registry's sparse index. Yanked
// versions are hidden from new resolutions, except a yanked version that
// the current lock already names: that one stays a candidate and a warning
// is recorded (see Warnings). Index files are fetched once per package;
// when the solver asks for a version's dependencies, their index files are
// fetched ahead in the background by at most Jobs workers fed from a
// queue; a package the solver asks for before a worker took it is read
// by the asking goroutine itself. At most Jobs fetches run at a time.
type Registry struct {
	idx    RegistryIndex
	name   string
	locked map[string]semver.Version
	extra  map[string][]pubgrub.Dependency
	jobs   chan struct{}
	// ahead is false with RegistryOptions.NoPrefetch.
	ahead bool

	mu       sync.Mutex
	pkgs     map[string]*regPkg
	warnings map[string]string
	// queue holds the packages to fetch in the background, in order;
	// workers counts the goroutines fetching them (at most cap(jobs)).
	queue   []queued
	workers int

	// slab backs the version lists of packages (see versionBuf).
	slabMu sync.Mutex
	slab   []semver.Version

	// reqs holds the constraints parsed so far, by their text (see
	// constraint), guarded by reqMu.
	reqMu sync.Mutex
	reqs  map[string]semver.Set
}

// maxReqs bounds Registry.reqs.
const maxReqs = 1 << 14

// constraint parses req, once per text: the same requirement ("^1.2.0")
// recurs across thousands of index entries. Sets are immutable, so the
// dependencies that share a text share its Set.
func (r *Registry) constraint(req string) (semver.Set, error) {
	r.reqMu.Lock()
	set, ok := r.reqs[req]
	r.reqMu.Unlock()
	if ok {
		return set, nil
	}
	set, err := semver.ParseConstraint(req)
	if err != nil {
		return set, err
	}
	r.reqMu.Lock()
	if r.reqs == nil {
		r.reqs = map[string]semver.Set{}
	}
	if len(r.reqs) < maxReqs {
		r.reqs[req] = set
	}
	r.reqMu.Unlock()
	return set, nil
}

// versionSlab is how many versions a slab holds (56 KB).
const versionSlab = 1024

// versionBuf returns an empty slice with room for n versions, cut from a
// slab shared by packages: one allocation for many packages' lists, where
// a list each cost the allocator and the collector more (a large solve
// lists thousands of packages, all kept until the Registry goes).
func (r *Registry) versionBuf(n int) []semver.Version {
	if n > versionSlab/8 {
		return make([]semver.Version, 0, n)
	}
	r.slabMu.Lock()
	defer r.slabMu.Unlock()
	if cap(r.slab)-len(r.slab) < n {
		r.slab = make([]semver.Version, 0, versionSlab)
	}
	l := len(r.slab)
	r.slab = r.slab[:l+n]
	return r.slab[l : l : l+n]
}

// queued is a package waiting for a background fetch.
type queued struct {
	name string
	p    *regPkg
}

type regPkg struct {
	// started is set (under Registry.mu) by whoever fetches the package,
	// finished when the fetch is over; done is made (under Registry.mu)
	// by the first caller that has to wait for it, and closed with
	// finished: most packages are read by their only caller, with no
	// one waiting.
	started, finished bool
	done              chan struct{}
	// heads is what listing read of each entry.
	heads Heads
	// sorted holds the versions that parse, ascending, and at the index
	// of each one's entry (the last one when entries repeat a version);
	// at is nil when sorted[k] is entry k for every k.
	sorted []semver.Version
	at     []int32
	err    error
	// entries holds the entries in full, from a RegistryIndex that is
	// not lazy. With a LazyRegistryIndex, full reads entry i in full;
	// complete holds it at i once read (guarded by mu).
	entries  []regindex.IndexEntry
	full     func(i int) (*regindex.IndexEntry, error)
	complete byPos[*regindex.IndexEntry]

	// versions is what Versions returns, computed once; deps caches
	// Dependencies by position in sorted (guarded by mu). The solver
	// keeps what it derives from these slices across solves, keyed by
	// their identity, so the same question gets the same slice.
	versionsOnce sync.Once
	versions     []semver.Version
	mu           sync.Mutex
	deps         byPos[regDeps]
}

// find returns the index of v's entry.
func (p *regPkg) find(v semver.Version) (int, bool) {
	k, ok := p.position(v)
	if !ok {
		return 0, false
	}
	return p.entryOf(k), true
}

// entryOf returns the index of sorted[k]'s entry.
func (p *regPkg) entryOf(k int) int {
	if p.at == nil {
		return k
	}
	return int(p.at[k])
}

// byPos holds values by position (in a package's entries or versions),
// few in most packages: the solver asks about one or two versions of most
// packages it lists. It keeps them in a short list, and in a slice of
// every position once that list grows past byPosList. The zero T means
// "absent".
type byPos[T any] struct {
	list  []posValue[T]
	dense []T
}

type posValue[T any] struct {
	at int32
	v  T
}

const byPosList = 8

// get returns the value at i, or the zero T.
func (b *byPos[T]) get(i int) T {
	if b.dense != nil {
		return b.dense[i]
	}
	for _, pv := range b.list {
		if int(pv.at) == i {
			return pv.v
		}
	}
	var zero T
	return zero
}

// set stores v at i, of n positions.
func (b *byPos[T]) set(i, n int, v T) {
	if b.dense == nil {
		for k := range b.list {
			if int(b.list[k].at) == i {
				b.list[k].v = v
				return
			}
		}
		if len(b.list) < byPosList {
			b.list = append(b.list, posValue[T]{int32(i), v})
			return
		}
		b.dense = make([]T, n)
		for _, pv := range b.list {
			b.dense[pv.at] = pv.v
		}
		b.list = nil
	}
	b.dense[i] = v
}

// position returns v's position in sorted.
func (p *regPkg) position(v semver.Version) (int, bool) {
	k := sort.Search(len(p.sorted), func(k int) bool { return semver.Compare(p.sorted[k], v) >= 0 })
	return k, k < len(p.sorted) && p.sorted[k] == v
}

type regDeps struct {
	deps []pubgrub.Dependency
	err  error
	done bool
}

// RegistryOptions configure NewRegistry.
type RegistryOptions struct {
	// Name names the registry in sources and messages ("default").
	Name string
	// Locked holds the versions of an existing lock: a yanked version
	// listed here is still offered.
	Locked map[string]semver.Version
	// Jobs bounds concurrent index fetches (16 when 0).
	Jobs int
	// ManifestDeps are added to every version's dependencies, by package:
	// the workspace manifest's depends_on for a component (DESIGN §2.2).
	ManifestDeps map[string][]pubgrub.Dependency
	// NoPrefetch reads a package's index only when the solver asks for
	// it, on the solver's goroutine: Dependencies does not start fetching
	// the packages depended on. For an index on local disk, where reading
	// a file costs less than handing the read to another goroutine and
	// waking it (thousands of times in a large solve), this saves CPU.
	// Explicit Prefetch calls still fetch in the background.
	NoPrefetch bool
}

// NewRegistry returns a provider reading idx.
func NewRegistry(idx RegistryIndex, opts RegistryOptions) *Registry {
	if opts.Jobs <= 0 {
		opts.Jobs = 16
	}
	if opts.Name == "" {
		opts.Name = "registry"
	}
	return &Registry{
		idx:      idx,
		name:     opts.Name,
		locked:   opts.Locked,
		extra:    opts.ManifestDeps,
		jobs:     make(chan struct{}, opts.Jobs),
		ahead:    !opts.NoPrefetch,
		pkgs:     map[string]*regPkg{},
		warnings: map[string]string{},
	}
}

var _ pubgrub.Provider = (*Registry)(nil)

// load returns the package's parsed index, fetching it at most once. With
// wait false it only queues the fetch. With wait true, a package no one
// is fetching yet is fetched by the caller itself, sparing a hand-off to
// a worker and back.
func (r *Registry) load(ctx context.Context, name string, wait bool) (*regPkg, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	p, ok := r.pkgs[name]
	if !ok {
		p = &regPkg{}
		r.pkgs[name] = p
		if !wait {
			r.queue = append(r.queue, queued{name, p})
			if r.workers < cap(r.jobs) {
				r.workers++
				// The fetches outlive the caller: other callers share them.
				go r.work(context.WithoutCancel(ctx))
			}
		}
	}
	if !wait {
		r.mu.Unlock()
		return nil, nil
	}
	if !p.started {
		p.started = true
		r.mu.Unlock()
		// Other callers share the result: the caller's cancellation must
		// not become the package's error.
		r.fetch(context.WithoutCancel(ctx), name, p)
		return p, p.err
	}
	if p.finished {
		r.mu.Unlock()
		return p, p.err
	}
	if p.done == nil {
		p.done = make(chan struct{})
	}
	done := p.done
	r.mu.Unlock()
	select {
	case <-done:
		return p, p.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// work fetches queued packages until the queue is empty.
func (r *Registry) work(ctx context.Context) {
	for {
		r.mu.Lock()
		var q queued
		for len(r.queue) > 0 && (q.p == nil || q.p.started) {
			q = r.queue[0]
			r.queue[0] = queued{}
			r.queue = r.queue[1:]
		}
		if q.p == nil || q.p.started {
			r.workers--
			r.mu.Unlock()
			return
		}
		q.p.started = true
		r.mu.Unlock()
		r.fetch(ctx, q.name, q.p)
	}
}

// fetch reads the package's index into p, then marks it finished.
func (r *Registry) fetch(ctx context.Context, name string, p *regPkg) {
	defer r.finish(p)
	r.jobs <- struct{}{}
	defer func() { <-r.jobs }()
	var err error
	if lazy, ok := r.idx.(LazyRegistryIndex); ok {
		p.heads, p.full, err = lazy.IndexVersions(ctx, name)
		if err == nil {
			if cerr := p.heads.check(); cerr != nil {
				err = fmt.Errorf("%s: %w", name, cerr)
			}
		}
	} else {
		p.entries, err = r.idx.Index(ctx, name)
		if err == nil {
			if p.heads, err = headsOf(p.entries); err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	if errors.Is(err, regindex.ErrPackageNotFound) {
		p.err = fmt.Errorf("%s: not in registry %s: %w", name, r.name, pubgrub.ErrNotFound)
		return
	}
	if err != nil {
		p.err = fmt.Errorf("registry %s: %w", r.name, err)
		return
	}
	p.sorted, p.at = sortVersions(&p.heads, r.versionBuf(p.heads.Len()))
}

// finish marks p's fetch over and wakes those waiting for it.
func (r *Registry) finish(p *regPkg) {
	r.mu.Lock()
	p.finished = true
	if p.done != nil {
		close(p.done)
	}
	r.mu.Unlock()
}

// sortVersions parses the versions of heads and sorts them, with the
// index of each one's entry, keeping the last entry of a version that
// repeats. The indexes are nil when the versions are in order and all
// parse, so that the k-th version is entry k (index files list versions
// as published: mostly in order). The versions go in vs, an empty slice
// with room for them all.
func sortVersions(heads *Heads, vs []semver.Version) ([]semver.Version, []int32) {
	var at []int32 // made at the first version that does not parse
	inOrder := true
	for i := range heads.Len() {
		v, err := semver.ParseVersion(heads.Vers(i))
		if err != nil {
			if at == nil {
				at = identity(len(vs), heads.Len())
			}
			continue // the server validates versions; skip what this client cannot order
		}
		v.Build = ""
		if n := len(vs); n > 0 && semver.Compare(vs[n-1], v) >= 0 {
			inOrder = false
		}
		vs = append(vs, v)
		if at != nil {
			at = append(at, int32(i))
		}
	}
	if inOrder {
		return vs, at
	}
	if at == nil {
		at = identity(len(vs), len(vs))
	}
	type versionAt struct {
		v semver.Version
		i int32
	}
	tmp := make([]versionAt, len(vs))
	for k := range vs {
		tmp[k] = versionAt{vs[k], at[k]}
	}
	slices.SortStableFunc(tmp, func(a, b versionAt) int { return semver.Compare(a.v, b.v) })
	vs, at = vs[:0], at[:0]
	for k, x := range tmp {
		if k+1 < len(tmp) && tmp[k+1].v == x.v {
			continue // a later entry of the same version wins
		}
		vs = append(vs, x.v)
		at = append(at, x.i)
	}
	return vs, at
}

// identity returns 0, 1, …, n-1 with room for c elements.
func identity(n, c int) []int32 {
	at := make([]int32, n, c)
	for i := range at {
		at[i] = int32(i)
	}
	return at
}

// Prefetch starts fetching the index files of names in the background.
func (r *Registry) Prefetch(ctx context.Context, names []string) {
	for _, n := range names {
		r.load(ctx, n, false)
	}
}

// Versions lists pkg's versions, leaving out yanked ones unless the lock
// names that version.
func (r *Registry) Versions(ctx context.Context, pkg string) ([]semver.Version, error) {
	p, err := r.load(ctx, pkg, true)
	if err != nil {
		return nil, err
	}
	p.versionsOnce.Do(func() { p.versions = r.listVersions(pkg, p) })
	return p.versions, nil
}

// listVersions computes Versions for a loaded package: the sorted
// versions themselves when none is yanked (the solver does not modify
// what Versions returns).
func (r *Registry) listVersions(pkg string, p *regPkg) []semver.Version {
	yanked := false
	for k := range p.sorted {
		yanked = yanked || p.heads.IsYanked(p.entryOf(k))
	}
	if !yanked {
		return p.sorted
	}
	out := make([]semver.Version, 0, len(p.sorted))
	for k, v := range p.sorted {
		if i := p.entryOf(k); p.heads.IsYanked(i) {
			lv, ok := r.locked[pkg]
			lv.Build = ""
			if !ok || lv != v {
				continue
			}
			r.mu.Lock()
			r.warnings[pkg] = fmt.Sprintf("%s@%s is yanked in registry %s but kept because the lock names it; update it with 'meta lock --update %s'", pkg, p.heads.Vers(i), r.name, pkg)
			r.mu.Unlock()
		}
		out = append(out, v)
	}
	return out
}

// Entry returns the index entry of pkg at v.
func (r *Registry) Entry(ctx context.Context, pkg string, v semver.Version) (*regindex.IndexEntry, error) {
	p, err := r.load(ctx, pkg, true)
	if err != nil {
		return nil, err
	}
	v.Build = ""
	i, ok := p.find(v)
	if !ok {
		return nil, fmt.Errorf("%s@%s: not in registry %s", pkg, v, r.name)
	}
	if p.full == nil {
		return &p.entries[i], nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.complete.get(i); e != nil {
		return e, nil
	}
	e, err := p.full(i)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", r.name, err)
	}
	if e == nil {
		return nil, fmt.Errorf("registry %s: %s@%s: the index read no entry", r.name, pkg, p.heads.Vers(i))
	}
	if e.Vers != p.heads.Vers(i) || e.Yanked != p.heads.IsYanked(i) {
		return nil, fmt.Errorf("registry %s: %s@%s: the index entry changed while read", r.name, pkg, p.heads.Vers(i))
	}
	p.complete.set(i, p.heads.Len(), e)
	return e, nil
}

// Dependencies returns what pkg needs at v, from the index, and starts
// fetching those packages' index files. The answer is parsed once per
// version and the same slice returned after.
func (r *Registry) Dependencies(ctx context.Context, pkg string, v semver.Version) ([]pubgrub.Dependency, error) {
	p, err := r.load(ctx, pkg, true)
	if err != nil {
		return nil, err
	}
	v.Build = ""
	k, found := p.position(v)
	if !found {
		return r.parseDeps(ctx, pkg, v) // says it is not in the registry
	}
	p.mu.Lock()
	d := p.deps.get(k)
	p.mu.Unlock()
	if d.done {
		return d.deps, d.err
	}
	deps, err := r.parseDeps(ctx, pkg, v)
	if err != nil {
		var ue *pubgrub.UnusableError
		if !errors.As(err, &ue) {
			return nil, err // not kept: a later call may succeed
		}
	}
	p.mu.Lock()
	if d := p.deps.get(k); d.done { // another caller was first: share its slice
		deps, err = d.deps, d.err
	} else {
		p.deps.set(k, len(p.sorted), regDeps{deps: deps, err: err, done: true})
	}
	p.mu.Unlock()
	return deps, err
}

// parseDeps reads pkg@v's dependencies from its index entry and starts
// fetching their index files (unless RegistryOptions.NoPrefetch).
func (r *Registry) parseDeps(ctx context.Context, pkg string, v semver.Version) ([]pubgrub.Dependency, error) {
	e, err := r.Entry(ctx, pkg, v)
	if err != nil {
		return nil, err
	}
	src := pkg + "@" + e.Vers + ":component.yaml (registry " + r.name + ")"
	deps := make([]pubgrub.Dependency, 0, len(e.Deps)+len(r.extra[pkg]))
	for _, d := range e.Deps {
		set, err := r.constraint(d.Req)
		if err != nil {
			return nil, &pubgrub.UnusableError{Reason: fmt.Sprintf("its dependency %s has a range that does not parse: %v", d.Name, err)}
		}
		deps = append(deps, pubgrub.Dependency{Name: d.Name, Constraint: set, Source: src})
	}
	deps = append(deps, r.extra[pkg]...)
	if r.ahead {
		for _, d := range deps {
			r.load(ctx, d.Name, false)
		}
	}
	return deps, nil
}

// Warnings returns the warnings recorded so far (yanked versions kept
// because a lock names them), sorted.
func (r *Registry) Warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.warnings))
	for _, w := range r.warnings {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// Fetch downloads pkg@v's tarball. The checksum is always verified (by the
// index client); with trusted keys the minisign signature must verify
// against one of them.
func (r *Registry) Fetch(ctx context.Context, pkg string, v semver.Version, trusted []minisign.PublicKey) ([]byte, error) {
	e, err := r.Entry(ctx, pkg, v)
	if err != nil {
		return nil, err
	}
	data, err := r.idx.Download(ctx, *e)
	if err != nil {
		return nil, err
	}
	if err := regindex.VerifySignature(*e, data, trusted); err != nil {
		return nil, fmt.Errorf("%s@%s from registry %s: %w", pkg, e.Vers, r.name, err)
	}
	return data, nil
}
