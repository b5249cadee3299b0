package resolve

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/workspace"
)

// LockURL is the URL of a locked component: the manifest's (relative
// paths resolved) when the component is still there, else the lock's.
func LockURL(m *manifest.Manifest, c *lockfile.Component) string {
	if mc, ok := m.Components[c.Name]; ok && mc.Repo != "" {
		return workspace.RepoURL(m, mc)
	}
	if strings.HasPrefix(c.Repo, "./") || strings.HasPrefix(c.Repo, "../") {
		return filepath.Clean(filepath.Join(m.Dir, c.Repo))
	}
	return c.Repo
}

// Verify checks lock f of environment env against the manifest and the
// remotes: everything lockfile.Check finds, commits gone or tags moved
// (lockfile.Verify), and registry versions no longer listed, with another
// checksum, or yanked. Problems are sorted by component name.
func Verify(ctx context.Context, m *manifest.Manifest, f *lockfile.File, env string, jobs int, warn func(string)) ([]lockfile.Problem, error) {
	probs := lockfile.Check(f, m, env)
	g, err := GitProvider(m, env, m.Jobs(jobs), nil)
	if err != nil {
		return nil, err
	}
	remote, err := lockfile.Verify(ctx, f, g, func(c *lockfile.Component) string { return LockURL(m, c) }, m.Jobs(jobs))
	if err != nil {
		return nil, err
	}
	probs = append(probs, remote...)
	probs = append(probs, verifyRegistry(ctx, m, f, warn)...)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Name < probs[j].Name })
	return probs, nil
}

// verifyRegistry checks the lock's registry components against their
// registries' indexes: the version must still be listed, with the locked
// checksum, and not yanked.
func verifyRegistry(ctx context.Context, m *manifest.Manifest, f *lockfile.File, warn func(string)) []lockfile.Problem {
	var probs []lockfile.Problem
	clients := map[string]*registry.Client{}
	for _, n := range f.Names() {
		lc := f.Components[n]
		if !lc.FromRegistry() {
			continue
		}
		c, ok := clients[lc.Registry]
		if !ok {
			var err error
			if c, err = RegistryReader(m, lc.Registry, warn); err != nil {
				probs = append(probs, lockfile.Problem{Name: n, Msg: err.Error(), Hint: "add the registry under 'registries:' in " + manifest.ManifestPath})
				continue
			}
			clients[lc.Registry] = c
		}
		entries, err := c.Index(ctx, n)
		if err != nil {
			probs = append(probs, lockfile.Problem{Name: n, Msg: fmt.Sprintf("cannot read its index in registry %s: %v", lc.Registry, err), Hint: RegistryHint(err)})
			continue
		}
		want, _ := semver.ParseVersion(lc.Version)
		var e *regindex.IndexEntry
		for i := range entries {
			if v, err := semver.ParseVersion(entries[i].Vers); err == nil && semver.Compare(v, want) == 0 {
				e = &entries[i]
			}
		}
		switch {
		case e == nil:
			probs = append(probs, lockfile.Problem{Name: n, Msg: fmt.Sprintf("locked version %s is no longer in registry %s", lc.Version, lc.Registry),
				Hint: "run 'meta lock --update " + n + "' to lock what exists"})
		case "sha256:"+e.Cksum != lc.Checksum:
			probs = append(probs, lockfile.Problem{Name: n, Msg: fmt.Sprintf("registry %s lists %s with checksum sha256:%s, but the lock says %s", lc.Registry, lc.Version, e.Cksum, lc.Checksum),
				Hint: "published versions never change: tell the registry's operator before re-locking"})
		case e.Yanked:
			probs = append(probs, lockfile.Problem{Name: n, Msg: fmt.Sprintf("locked version %s is yanked in registry %s", lc.Version, lc.Registry),
				Hint: "run 'meta lock --update " + n + "' to move off it"})
		}
	}
	return probs
}

// ChangeLogs returns, per changed git component of changes, the subjects
// of the commits between its two locked commits (at most 50; for a
// downgrade, those B lacks marked "(reverted)"; when git fails, one line
// saying why).
func ChangeLogs(ctx context.Context, m *manifest.Manifest, changes []lockfile.Change) (map[string][]string, error) {
	logs := map[string][]string{}
	g, err := GitProvider(m, "", m.Jobs(0), nil)
	if err != nil {
		return nil, err
	}
	for _, ch := range changes {
		if ch.Kind != lockfile.Changed || ch.Old.FromRegistry() || ch.New.FromRegistry() || lockfile.SameCommit(ch.Old.Commit, ch.New.Commit) {
			continue
		}
		url := LockURL(m, ch.New)
		l, err := g.Log(ctx, url, ch.Old.Commit, ch.New.Commit, 50)
		if err == nil && len(l) == 0 {
			// A downgrade: list what B lacks.
			if back, err2 := g.Log(ctx, url, ch.New.Commit, ch.Old.Commit, 50); err2 == nil {
				for _, s := range back {
					l = append(l, "(reverted) "+s)
				}
			}
		}
		if err != nil {
			first, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
			l = []string{"(log unavailable: " + first + ")"}
		}
		logs[ch.Name] = l
	}
	return logs, nil
}

// LockRequest is what 'meta lock' was asked.
type LockRequest struct {
	// Options.Strategy is used when StrategySet; else the strategy is
	// first when a lock is kept, latest otherwise. Locked and LockedRefs
	// are derived from Old.
	Options
	StrategySet bool
	// Old is the current lock (nil when there is none).
	Old *lockfile.File
	// Update re-resolves every component, or only those in Unlock.
	Update bool
	Unlock map[string]bool
}

// Locking is the outcome of LockRequest: the resolution, and the locked
// tags that now name another commit, split into those the request
// re-pins (by a full --update, or by name) and those it may not.
type Locking struct {
	*Result
	Repinned, Refused []lockfile.Change
}

// Lock resolves for a new lock: locked versions and commits are kept
// (but those unlocked), and a moved tag is re-pinned only when asked to:
// a plain lock never changes what a version means.
func Lock(ctx context.Context, m *manifest.Manifest, req LockRequest) (*Locking, error) {
	keep := req.Old
	if req.Update && len(req.Unlock) == 0 {
		keep = nil // re-resolve everything
	}
	o := req.Options
	if !req.StrategySet {
		o.Strategy = pubgrub.Latest
		if keep != nil {
			o.Strategy = pubgrub.First
		}
	}
	o.Locked, o.LockedRefs = LockedVersions(keep, req.Unlock), LockedCommits(keep, req.Unlock)
	r, err := Resolve(ctx, m, o)
	if err != nil {
		return nil, err
	}
	l := &Locking{Result: r}
	if req.Old != nil {
		for _, ch := range lockfile.MovedTags(req.Old, r.Lock) {
			if req.Update && (len(req.Unlock) == 0 || req.Unlock[ch.Name]) {
				l.Repinned = append(l.Repinned, ch)
			} else {
				l.Refused = append(l.Refused, ch)
			}
		}
	}
	return l, nil
}

// ForView resolves for views of the workspace (tree, why): the versions
// and commits of old are kept while valid, so the view matches what is
// locked.
func ForView(ctx context.Context, m *manifest.Manifest, old *lockfile.File, o Options) (*Result, error) {
	l, err := Lock(ctx, m, LockRequest{Options: o, Old: old})
	if err != nil {
		return nil, err
	}
	return l.Result, nil
}
