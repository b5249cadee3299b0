package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/workspace"
	"github.com/metawork/meta/internal/yamlpos"
)

// This file is the glue between the manifest, the git provider, the
// solver and the lock format, shared by lock, conflicts, tree, why, apply
// and bootstrap.

// mirrorCache is where bare mirrors of component repositories are kept,
// relative to the meta repository.
const mirrorCache = ".meta/cache/mirrors"

// checkEnv returns a usage error (exit 2) when env is not an environment
// of the manifest, listing the known ones.
func checkEnv(m *manifest.Manifest, env string) error {
	if env == "" || m.HasEnvironment(env) {
		return nil
	}
	known := m.KnownEnvironments()
	hint := "known environments: " + strings.Join(known, ", ") + "; declare others under 'environments:' in " + manifest.ManifestPath + " (or " + manifest.EnvironmentsPath + ")"
	if s := yamlpos.Suggest(env, known); s != "" {
		hint = fmt.Sprintf("did you mean %q? %s", s, hint)
	}
	return usagef(hint, "unknown environment %q", env)
}

// gitProvider builds the git provider over every component of m.
func gitProvider(m *manifest.Manifest, env string, jobs int, progress func(loaded, total int)) (*source.Git, error) {
	comps := map[string]source.GitComponent{}
	for _, c := range m.List() {
		if c.Repo == "" {
			continue
		}
		deps, err := manifestDeps(m.Effective(c, env))
		if err != nil {
			return nil, err
		}
		comps[c.Name] = source.GitComponent{URL: workspace.RepoURL(m, c), Deps: deps}
	}
	return source.NewGit(source.GitOptions{CacheDir: filepath.Join(m.Dir, mirrorCache), Jobs: jobs, Progress: progress}, comps), nil
}

// registryProviders builds one index provider per registry that a
// component of m names. Index reads need no token; the URL is the user's
// registries.yaml entry for the name when there is one (a mirror), else
// the manifest's, and index files are cached per URL.
func registryProviders(m *manifest.Manifest, o resolveOptions, warn func(string)) (map[string]*source.Registry, error) {
	deps := map[string]map[string][]pubgrub.Dependency{}
	for _, c := range m.List() {
		if c.Registry == "" {
			continue
		}
		d, err := manifestDeps(m.Effective(c, o.env))
		if err != nil {
			return nil, err
		}
		if deps[c.Registry] == nil {
			deps[c.Registry] = map[string][]pubgrub.Dependency{}
		}
		deps[c.Registry][c.Name] = d
	}
	out := map[string]*source.Registry{}
	for _, name := range sortedKeys(deps) {
		c, err := registryReader(m, name, warn)
		if err != nil {
			return nil, err
		}
		out[name] = source.NewRegistry(c, source.RegistryOptions{Name: name, Locked: o.locked, Jobs: m.Jobs(o.jobs), ManifestDeps: deps[name]})
	}
	return out, nil
}

// registryReader is a client for reading registry name's index and
// tarballs: no token (reads are public), the user's URL for the name when
// registries.yaml has one, else the manifest's. warn hears when an
// unreachable registry is answered from the cache.
func registryReader(m *manifest.Manifest, name string, warn func(string)) (*registry.Client, error) {
	r, ok := m.Registries[name]
	if !ok {
		return nil, failf("add it under 'registries:' in "+manifest.ManifestPath, "no registry named %q in the manifest", name)
	}
	c := &registry.Client{URL: r.URL, HTTP: &http.Client{Timeout: 10 * time.Minute}, Warn: warn}
	paths, err := registry.DefaultPaths(os.Getenv)
	if err != nil {
		return c, nil // no home: no user registries and no cache
	}
	user, err := registry.LoadRegistries(paths.Registries)
	if err != nil {
		return nil, withHint(err, "fix or remove "+paths.Registries)
	}
	if u, ok := user[name]; ok {
		c.URL = u
	}
	c.CacheDir = paths.CacheDirFor(c.URL)
	return c, nil
}

// registryHint is the next step after a failed registry read ("" when
// err is not one).
func registryHint(err error) string {
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
	case errors.Is(err, registry.ErrUnsigned):
		return "ask the publisher to sign it ('meta publish --sign'), or remove the registry's trusted_keys to accept unsigned versions"
	}
	return ""
}

// dispatchProvider answers for each component from where it comes from:
// its registry's index, or git tags for everything else.
type dispatchProvider struct {
	git  pubgrub.Provider
	regs map[string]*source.Registry
	m    *manifest.Manifest
}

// registryOf returns the registry provider of pkg, nil for git components.
func (d *dispatchProvider) registryOf(pkg string) *source.Registry {
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

// manifestDeps converts a component's manifest depends_on for the solver.
func manifestDeps(c *manifest.Component) ([]pubgrub.Dependency, error) {
	var out []pubgrub.Dependency
	for _, d := range c.DependsOn {
		set, err := parseRange(d.Constraint, d.Pos)
		if err != nil {
			return nil, err
		}
		out = append(out, pubgrub.Dependency{Name: d.Name, Constraint: set, Source: d.Pos.String()})
	}
	return out, nil
}

// parseRange parses a manifest range ("" is any release), as a positioned
// usage error when it does not parse.
func parseRange(s string, pos manifest.Pos) (semver.Set, error) {
	if s == "" || s == "latest" {
		return semver.Releases(), nil
	}
	set, err := semver.ParseConstraint(s)
	if err != nil {
		return set, &yamlpos.Error{File: pos.File, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf("version range %q: %v", s, err),
			Hint: "write a range like ^1.2.0, ~1.2, >=1.0 <2"}
	}
	return set, nil
}

// resolveOptions say how to resolve.
type resolveOptions struct {
	env      string
	strategy pubgrub.Strategy
	// locked, when set, holds the versions to keep (strategy first/balanced).
	locked map[string]semver.Version
	// lockedRefs, when set, holds the locked entries of ref-tracked
	// components: their commits are kept while the manifest tracks the same
	// ref and the commit still exists (lockedCommits builds it).
	lockedRefs map[string]*lockfile.Component
	jobs       int
	// progress, when set, hears how many repositories have been read.
	progress func(loaded, total int)
}

// resolution is the outcome of resolving a workspace.
type resolution struct {
	m        *manifest.Manifest
	env      string
	sol      *pubgrub.Solution               // the solved components
	tracked  map[string]source.RefInfo       // components that follow a ref
	lock     *lockfile.File                  // what a lock of this resolution holds
	notes    []string                        // warnings for the user (ignored tags, unchecked ranges)
	git      *source.Git                     // the provider, for its mirrors
	regs     map[string]*source.Registry     // the registries' providers, by registry name
	entries  map[string]*registry.IndexEntry // index entries of the solved registry components
	versions map[string][]semver.Version     // every version that exists, per solved component
	root     string
}

// rootName is how the workspace is called in explanations.
const rootName = "the workspace"

// lockedVersions returns the versions of f's solved components.
func lockedVersions(f *lockfile.File, except map[string]bool) map[string]semver.Version {
	if f == nil {
		return nil
	}
	out := map[string]semver.Version{}
	for n, c := range f.Components {
		if c.Version == "" || except[n] {
			continue
		}
		if v, err := semver.ParseVersion(c.Version); err == nil {
			out[n] = v
		}
	}
	return out
}

// lockedCommits returns f's ref-tracked entries, but those in except.
func lockedCommits(f *lockfile.File, except map[string]bool) map[string]*lockfile.Component {
	if f == nil {
		return nil
	}
	out := map[string]*lockfile.Component{}
	for n, c := range f.Components {
		if c.Tracked() && !except[n] && len(c.Commit) >= 40 {
			out[n] = c
		}
	}
	return out
}

// resolve chooses a version (or the ref's commit) of every component of m
// in environment o.env. Resolution failures are *pubgrub.NoSolutionError.
func resolve(ctx context.Context, m *manifest.Manifest, o resolveOptions) (*resolution, error) {
	if err := checkEnv(m, o.env); err != nil {
		return nil, err
	}
	g, err := gitProvider(m, o.env, m.Jobs(o.jobs), o.progress)
	if err != nil {
		return nil, err
	}
	var regMu sync.Mutex
	regWarnings := map[string]bool{}
	regs, err := registryProviders(m, o, func(msg string) {
		regMu.Lock()
		defer regMu.Unlock()
		regWarnings[msg] = true
	})
	if err != nil {
		return nil, err
	}
	g.Prefetch(ctx)
	p := &dispatchProvider{git: g, regs: regs, m: m}
	r := &resolution{m: m, env: o.env, git: g, regs: regs, tracked: map[string]source.RefInfo{}, versions: map[string][]semver.Version{},
		entries: map[string]*registry.IndexEntry{}, root: rootName}

	// Which components follow a ref, and what the root asks of the others.
	refs := map[string]string{}
	var root []pubgrub.Dependency
	overrides := map[string]pubgrub.Override{}
	for _, n := range sortedKeys(m.Overrides) {
		ov := m.Overrides[n]
		set, err := parseRange(ov.Version, ov.Pos)
		if err != nil {
			return nil, err
		}
		overrides[n] = pubgrub.Override{Version: set, Reason: ov.Reason, Source: ov.Pos.String()}
	}
	for _, c := range m.List() {
		e := m.Effective(c, o.env)
		_, overridden := overrides[c.Name]
		switch {
		case e.Ref != "" && c.Registry != "":
			return nil, &yamlpos.Error{File: c.Pos.File, Line: c.Pos.Line, Col: c.Pos.Col,
				Msg:  fmt.Sprintf("%s comes from registry %q and tracks ref %q: a registry serves versions, not refs", c.Name, c.Registry, e.Ref),
				Hint: "give it a 'version' range, or a 'repo' to track a branch"}
		case e.Ref != "" && !overridden:
			refs[c.Name] = e.Ref
		case e.Version == "" && !overridden && c.Registry != "":
			root = append(root, pubgrub.Dependency{Name: c.Name, Constraint: semver.Releases(), Source: c.Pos.String()})
		case e.Version == "" && !overridden:
			// Any version: the newest tag allowed; a repository without
			// semver tags follows its default branch.
			vs, err := g.Versions(ctx, c.Name)
			if err != nil {
				return nil, err
			}
			if len(vs) == 0 {
				refs[c.Name] = ""
				continue
			}
			root = append(root, pubgrub.Dependency{Name: c.Name, Constraint: semver.Releases(), Source: c.Pos.String()})
		default:
			set, err := parseRange(e.Version, e.VersionPos)
			if err != nil {
				return nil, err
			}
			root = append(root, pubgrub.Dependency{Name: c.Name, Constraint: set, Source: e.VersionPos.String()})
		}
	}

	// Tracked components: resolve their refs; what they need joins the root.
	names := sortedKeys(refs)
	infos := make([]source.RefInfo, len(names))
	eg, ectx := errgroup.WithContext(ctx)
	var kept []string
	var keptMu sync.Mutex
	for i, n := range names {
		eg.Go(func() error {
			if lc, ok := o.lockedRefs[n]; ok && (refs[n] == lc.Ref || refs[n] == "") {
				// Keep the locked commit while it exists (the branch may
				// have moved on: 'meta lock --update' takes its tip).
				url := workspace.RepoURL(m, m.Components[n])
				if ok, err := g.HasCommit(ectx, url, lc.Commit); err == nil && ok {
					info, err := g.ResolveRef(ectx, n, lc.Commit)
					if err == nil {
						info.Ref = lc.Ref
					}
					infos[i] = info
					return err
				}
				keptMu.Lock()
				kept = append(kept, fmt.Sprintf("%s: the locked commit %s is gone from %s; taking its tip", n, shortCommit(lc.Commit), lc.Ref))
				keptMu.Unlock()
			}
			info, err := g.ResolveRef(ectx, n, refs[n])
			infos[i] = info
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, withHint(err, "check the component's 'ref' and that its repository is reachable")
	}
	filter := &trackedFilter{p: p, tracked: refs}
	for i, n := range names {
		r.tracked[n] = infos[i]
		for _, d := range infos[i].Deps {
			if filter.keep(n+" ("+infos[i].Ref+")", d) {
				root = append(root, d)
			}
		}
	}

	sol, err := pubgrub.Solve(ctx, filter, pubgrub.Request{
		Root: root, RootName: rootName, Strategy: o.strategy, Locked: o.locked, Overrides: overrides,
	})
	if err != nil {
		var nse *pubgrub.NoSolutionError
		if errors.As(err, &nse) {
			return nil, nse
		}
		if h := registryHint(err); h != "" && len(regs) > 0 {
			return nil, withHint(err, h)
		}
		return nil, err
	}
	r.sol = sol
	for _, n := range sol.Names {
		if vs, err := p.Versions(ctx, n); err == nil {
			r.versions[n] = vs
		}
		if reg := p.registryOf(n); reg != nil {
			e, err := reg.Entry(ctx, n, sol.Versions[n])
			if err != nil {
				return nil, err
			}
			r.entries[n] = e
		}
	}
	sort.Strings(kept)
	r.notes = append(append(g.Warnings(), filter.notes...), kept...)
	for _, name := range sortedKeys(regs) {
		r.notes = append(r.notes, regs[name].Warnings()...)
	}
	regMu.Lock()
	r.notes = append(r.notes, sortedKeys(regWarnings)...)
	regMu.Unlock()
	r.lock = r.toLock()
	return r, nil
}

// toLock turns the resolution into lock file contents.
func (r *resolution) toLock() *lockfile.File {
	f := &lockfile.File{
		Environment:    r.env,
		ManifestDigest: lockfile.Digest(r.m, r.env),
		Tools:          map[string]lockfile.Tool{},
		Components:     map[string]*lockfile.Component{},
	}
	for _, n := range r.sol.Names {
		v := r.sol.Versions[n]
		var c *lockfile.Component
		if e, ok := r.entries[n]; ok {
			reg := r.m.Components[n].Registry
			c = &lockfile.Component{Name: n, Version: v.String(), Registry: reg, RegistryURL: r.m.Registries[reg].URL, Checksum: "sha256:" + e.Cksum}
		} else {
			tag, commit, _ := r.git.Tag(n, v)
			c = &lockfile.Component{Name: n, Version: v.String(), Ref: tag, Commit: commit}
			if mc := r.m.Components[n]; mc != nil {
				c.Repo = mc.Repo
			}
		}
		for _, d := range r.sol.Deps[n] {
			c.DependsOn = append(c.DependsOn, d.Name)
		}
		f.Components[n] = c
	}
	for n, info := range r.tracked {
		c := &lockfile.Component{Name: n, Repo: r.m.Components[n].Repo, Ref: info.Ref, Commit: info.Commit}
		for _, d := range info.Deps {
			c.DependsOn = append(c.DependsOn, d.Name)
		}
		f.Components[n] = c
	}
	for _, c := range f.Components {
		sort.Strings(c.DependsOn)
		c.DependsOn = dedupe(c.DependsOn)
	}
	return f
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

// resolveProgress returns a progress callback drawing one status line on
// a terminal (nil elsewhere: CI logs get no progress noise) and the
// function that clears it.
func (a *app) resolveProgress() (func(loaded, total int), func()) {
	if !term.Interactive(a.errw()) {
		return nil, func() {}
	}
	var mu sync.Mutex
	drawn := false
	return func(loaded, total int) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(a.errw(), "\rresolving: %d/%d repositories read", loaded, total)
			drawn = true
		}, func() {
			mu.Lock()
			defer mu.Unlock()
			if drawn {
				fmt.Fprint(a.errw(), "\r\033[K")
			}
		}
}

// printNotes prints the resolution's warnings.
func (a *app) printNotes(r *resolution) {
	for _, n := range r.notes {
		a.warnf("%s", n)
	}
}

// conflictError prints a resolution failure in full and returns the error
// that ends the command with code.
func (a *app) reportNoSolution(nse *pubgrub.NoSolutionError) {
	fmt.Fprintf(a.errw(), "meta: %s\n\n", nse.Headline)
	fmt.Fprint(a.errw(), strings.TrimPrefix(nse.Report(), nse.Headline+"\n\n"))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
