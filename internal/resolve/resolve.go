// Package resolve owns the workspace-level resolution: it chooses a
// version (or a tracked ref's commit) of every component of a manifest in
// an environment. It dispatches each component to its provider (git tags,
// or a registry's index), keeps locked versions and commits when asked,
// applies overrides, hides ranges on ref-tracked components from the
// solver (noting each), turns the solution into a lockfile.File, and
// derives the data behind conflict explanations (who holds a component
// back, who requires it). It never prints.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/regsource"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
	"github.com/metawork/meta/internal/workspace"
	"github.com/metawork/meta/internal/yamlpos"
)

// MirrorCache is where bare mirrors of component repositories are kept,
// relative to the meta repository.
const MirrorCache = ".meta/cache/mirrors"

// RootName is how the workspace is called in explanations.
const RootName = "the workspace"

// HintError is a failure with the user's next step.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// Options say how to resolve.
type Options struct {
	Env      string
	Strategy pubgrub.Strategy
	// Locked, when set, holds the versions to keep (strategy first/balanced).
	Locked map[string]semver.Version
	// LockedRefs, when set, holds the locked entries of ref-tracked
	// components: their commits are kept while the manifest tracks the same
	// ref and the commit still exists (LockedCommits builds it).
	LockedRefs map[string]*lockfile.Component
	Jobs       int
	// Progress, when set, hears how many repositories have been read.
	Progress func(loaded, total int)
}

// Result is the outcome of resolving a workspace.
type Result struct {
	Manifest   *manifest.Manifest
	Env        string
	Solution   *pubgrub.Solution               // the solved components
	Tracked    map[string]source.RefInfo       // components that follow a ref
	Lock       *lockfile.File                  // what a lock of this resolution holds
	Notes      []string                        // warnings for the user (ignored tags, unchecked ranges)
	Git        *source.Git                     // the provider, for its mirrors
	Registries map[string]*regsource.Registry  // the registries' providers, by registry name
	Entries    map[string]*regindex.IndexEntry // index entries of the solved registry components
	Versions   map[string][]semver.Version     // every version that exists, per solved component
}

// GitProvider builds the git provider over every component of m.
func GitProvider(m *manifest.Manifest, env string, jobs int, progress func(loaded, total int)) (*source.Git, error) {
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
	return source.NewGit(source.GitOptions{CacheDir: filepath.Join(m.Dir, MirrorCache), Jobs: jobs, Progress: progress}, comps), nil
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
// error when it does not parse.
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

// LockedVersions returns the versions of f's solved components but those
// in except.
func LockedVersions(f *lockfile.File, except map[string]bool) map[string]semver.Version {
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

// LockedCommits returns f's ref-tracked entries, but those in except.
func LockedCommits(f *lockfile.File, except map[string]bool) map[string]*lockfile.Component {
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

// Resolve chooses a version (or the ref's commit) of every component of m
// in environment o.Env, which the caller has checked exists. Resolution
// failures are *pubgrub.NoSolutionError.
func Resolve(ctx context.Context, m *manifest.Manifest, o Options) (*Result, error) {
	g, err := GitProvider(m, o.Env, m.Jobs(o.Jobs), o.Progress)
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
	r := &Result{Manifest: m, Env: o.Env, Git: g, Registries: regs, Tracked: map[string]source.RefInfo{}, Versions: map[string][]semver.Version{},
		Entries: map[string]*regindex.IndexEntry{}}

	refs, root, overrides, err := rootRequirements(ctx, m, o.Env, g)
	if err != nil {
		return nil, err
	}
	names := sortedKeys(refs)
	infos, kept, err := resolveRefs(ctx, m, g, names, refs, o.LockedRefs)
	if err != nil {
		return nil, &HintError{Err: err, Hint: "check the component's 'ref' and that its repository is reachable"}
	}
	// Tracked components: what they need joins the root.
	filter := &trackedFilter{p: p, tracked: refs}
	for i, n := range names {
		r.Tracked[n] = infos[i]
		for _, d := range infos[i].Deps {
			if filter.keep(n+" ("+infos[i].Ref+")", d) {
				root = append(root, d)
			}
		}
	}
	sol, err := pubgrub.Solve(ctx, filter, pubgrub.Request{
		Root: root, RootName: RootName, Strategy: o.Strategy, Locked: o.Locked, Overrides: overrides,
	})
	if err != nil {
		var nse *pubgrub.NoSolutionError
		if errors.As(err, &nse) {
			return nil, nse
		}
		if h := RegistryHint(err); h != "" && len(regs) > 0 {
			return nil, &HintError{Err: err, Hint: h}
		}
		return nil, err
	}
	r.Solution = sol
	for _, n := range sol.Names {
		if vs, err := p.Versions(ctx, n); err == nil {
			r.Versions[n] = vs
		}
		if reg := p.registryOf(n); reg != nil {
			e, err := reg.Entry(ctx, n, sol.Versions[n])
			if err != nil {
				return nil, err
			}
			r.Entries[n] = e
		}
	}
	r.Notes = append(append(g.Warnings(), filter.notes...), kept...)
	for _, name := range sortedKeys(regs) {
		r.Notes = append(r.Notes, regs[name].Warnings()...)
	}
	regMu.Lock()
	r.Notes = append(r.Notes, sortedKeys(regWarnings)...)
	regMu.Unlock()
	r.Lock = r.toLock()
	return r, nil
}

// rootRequirements sorts m's components: those that follow a ref (refs,
// "" for a default branch), and the workspace's requirements on the
// others (root), with the overrides.
func rootRequirements(ctx context.Context, m *manifest.Manifest, env string, g *source.Git) (map[string]string, []pubgrub.Dependency, map[string]pubgrub.Override, error) {
	refs := map[string]string{}
	var root []pubgrub.Dependency
	overrides := map[string]pubgrub.Override{}
	for _, n := range sortedKeys(m.Overrides) {
		ov := m.Overrides[n]
		set, err := parseRange(ov.Version, ov.Pos)
		if err != nil {
			return nil, nil, nil, err
		}
		overrides[n] = pubgrub.Override{Version: set, Reason: ov.Reason, Source: ov.Pos.String()}
	}
	for _, c := range m.List() {
		e := m.Effective(c, env)
		_, overridden := overrides[c.Name]
		switch {
		case e.Ref != "" && c.Registry != "":
			return nil, nil, nil, &yamlpos.Error{File: c.Pos.File, Line: c.Pos.Line, Col: c.Pos.Col,
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
				return nil, nil, nil, err
			}
			if len(vs) == 0 {
				refs[c.Name] = ""
				continue
			}
			root = append(root, pubgrub.Dependency{Name: c.Name, Constraint: semver.Releases(), Source: c.Pos.String()})
		default:
			set, err := parseRange(e.Version, e.VersionPos)
			if err != nil {
				return nil, nil, nil, err
			}
			root = append(root, pubgrub.Dependency{Name: c.Name, Constraint: set, Source: e.VersionPos.String()})
		}
	}
	return refs, root, overrides, nil
}

// resolveRefs resolves the refs of the tracked components names, keeping
// a locked commit while it exists; kept notes each locked commit that is
// gone.
func resolveRefs(ctx context.Context, m *manifest.Manifest, g *source.Git, names []string, refs map[string]string, locked map[string]*lockfile.Component) ([]source.RefInfo, []string, error) {
	infos := make([]source.RefInfo, len(names))
	eg, ectx := errgroup.WithContext(ctx)
	var kept []string
	var keptMu sync.Mutex
	for i, n := range names {
		eg.Go(func() error {
			if lc, ok := locked[n]; ok && (refs[n] == lc.Ref || refs[n] == "") {
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
				kept = append(kept, fmt.Sprintf("%s: the locked commit %s is gone from %s; taking its tip", n, ShortCommit(lc.Commit), lc.Ref))
				keptMu.Unlock()
			}
			info, err := g.ResolveRef(ectx, n, refs[n])
			infos[i] = info
			return err
		})
	}
	err := eg.Wait()
	sort.Strings(kept)
	return infos, kept, err
}

// toLock turns the resolution into lock file contents.
func (r *Result) toLock() *lockfile.File {
	m := r.Manifest
	f := &lockfile.File{
		Environment:    r.Env,
		ManifestDigest: lockfile.Digest(m, r.Env),
		Tools:          map[string]lockfile.Tool{},
		Components:     map[string]*lockfile.Component{},
	}
	for _, n := range r.Solution.Names {
		v := r.Solution.Versions[n]
		var c *lockfile.Component
		if e, ok := r.Entries[n]; ok {
			reg := m.Components[n].Registry
			c = &lockfile.Component{Name: n, Version: v.String(), Registry: reg, RegistryURL: m.Registries[reg].URL, Checksum: "sha256:" + e.Cksum}
		} else {
			tag, commit, _ := r.Git.Tag(n, v)
			c = &lockfile.Component{Name: n, Version: v.String(), Ref: tag, Commit: commit}
			if mc := m.Components[n]; mc != nil {
				c.Repo = mc.Repo
			}
		}
		for _, d := range r.Solution.Deps[n] {
			c.DependsOn = append(c.DependsOn, d.Name)
		}
		f.Components[n] = c
	}
	for n, info := range r.Tracked {
		c := &lockfile.Component{Name: n, Repo: m.Components[n].Repo, Ref: info.Ref, Commit: info.Commit}
		for _, d := range info.Deps {
			c.DependsOn = append(c.DependsOn, d.Name)
		}
		f.Components[n] = c
	}
	for _, c := range f.Components {
		sort.Strings(c.DependsOn)
		c.DependsOn = Dedupe(c.DependsOn)
	}
	return f
}

// ShortCommit is a commit shortened to 12 hex digits.
func ShortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Dedupe drops adjacent repeats from sorted s, in place.
func Dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
