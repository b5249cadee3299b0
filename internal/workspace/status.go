package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/semver"
)

// State is the coarse state of a component's checkout.
type State string

const (
	StateOK            State = "ok"
	StateMissing       State = "missing"
	StateNotGit        State = "not-git"
	StateWrongRemote   State = "wrong-remote"
	StateNotInManifest State = "not-in-manifest"
	StateError         State = "error"
)

// ComponentStatus answers "where is this repository, and is it where the
// manifest wants it?".
type ComponentStatus struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	State      State  `json:"state"`
	Branch     string `json:"branch,omitempty"`
	Detached   bool   `json:"detached,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Tag        string `json:"tag,omitempty"` // a tag at HEAD, when any
	Expected   string `json:"expected,omitempty"`
	AtExpected bool   `json:"at_expected"`
	Upstream   string `json:"upstream,omitempty"`
	Ahead      int    `json:"ahead"`
	Behind     int    `json:"behind"`
	Modified   int    `json:"modified"`
	Untracked  int    `json:"untracked"`
	Stash      bool   `json:"stash,omitempty"`
	LocalOnly  int    `json:"local_only"` // commits of HEAD or a local branch that no remote branch or tag has
	// LocalWhere names where those commits are ("branch feature", "detached HEAD").
	LocalWhere []string `json:"local_where,omitempty"`
	Remote     string   `json:"remote,omitempty"`
	WantRemote string   `json:"want_remote,omitempty"`
	Error      string   `json:"error,omitempty"`
	// Symlink is where the component's path points when it is a symbolic
	// link the user made to a clone kept elsewhere: status reads through
	// it, but apply never writes through it.
	Symlink string `json:"symlink,omitempty"`
}

// Clean reports whether the component is present, at its expected ref and
// has no local changes of any kind.
func (s ComponentStatus) Clean() bool {
	return s.State == StateOK && s.AtExpected && s.Modified == 0 && s.Untracked == 0 && s.Ahead == 0 && !s.Stash && s.LocalOnly == 0
}

// Status reports every component in comps, plus git repositories under the
// workspace root that the manifest does not list (when all is true). With
// a lock, each component is expected at the lock's commit (or registry
// version); without one, where the manifest's ref or range wants it.
func Status(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component, jobs int, all bool, lock *lockfile.File) []ComponentStatus {
	out := make([]ComponentStatus, len(comps))
	cache := loadStatusCache(m.Dir)
	rp := newRealPaths()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	for i, c := range comps {
		g.Go(func() error {
			out[i] = statusOne(gctx, m, c, cache, rp)
			if lock != nil {
				againstLock(&out[i], lock.Components[c.Name])
			}
			return nil
		})
	}
	g.Wait()
	cache.save()
	if all {
		out = append(out, strays(m)...)
	}
	return out
}

// againstLock replaces the manifest's expectation by the lock's: HEAD must
// be the locked commit (a registry component: the locked version).
func againstLock(s *ComponentStatus, lc *lockfile.Component) {
	if lc == nil {
		s.Expected, s.AtExpected = "not in the lock", false
		return
	}
	s.Expected = lc.Describe()
	if lc.FromRegistry() {
		s.AtExpected = s.Commit == "" && s.Tag == lc.Version
		return
	}
	s.Expected += " " + ShortCommit(lc.Commit)
	s.AtExpected = s.Commit != "" && lockfile.SameCommit(s.Commit, lc.Commit)
}

// ShortCommit abbreviates a commit id for tables.
func ShortCommit(c string) string { return c[:min(len(c), 12)] }

func expected(c *manifest.Component) string {
	switch {
	case c.Ref != "" && git.IsCommitID(c.Ref):
		return ShortCommit(c.Ref) // a pinned commit: short, as in every table
	case c.Ref != "":
		return c.Ref
	case c.Version != "":
		return c.Version
	}
	return "newest tag"
}

func statusOne(ctx context.Context, m *manifest.Manifest, c *manifest.Component, cache *statusCache, rp *realPaths) ComponentStatus {
	s := ComponentStatus{Name: c.Name, Path: m.Rel(c.Path), Expected: expected(c)}
	lst, err := os.Lstat(c.Path)
	if err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		s.Symlink, _ = os.Readlink(c.Path)
		_, err = os.Stat(c.Path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		s.State = StateMissing
		return s
	}
	if err := checkContained(m, c, rp); err != nil {
		s.State, s.Error = StateError, err.Error()
		return s
	}
	if c.Registry != "" {
		// 'meta apply' extracted it from the registry and left a marker
		// (internal/cli/apply.go) saying which version.
		var x struct{ Version string }
		if data, err := os.ReadFile(filepath.Join(c.Path, ".meta-registry.json")); err == nil && json.Unmarshal(data, &x) == nil && x.Version != "" {
			s.State, s.Tag, s.Remote = StateOK, x.Version, "registry "+c.Registry
			s.AtExpected = atExpected(c, s, false, []string{x.Version})
			return s
		}
	}
	repo, err := git.OpenRepo(c.Path)
	if err != nil {
		s.State = StateNotGit
		return s
	}
	origin, err := repo.RemoteURL("origin")
	if err != nil {
		s.State, s.Error = StateError, err.Error()
		return s
	}
	s.Remote = origin
	if c.Repo != "" && !SameRemote(origin, RepoURL(m, c)) && !SameRemote(origin, c.Repo) {
		s.State, s.WantRemote = StateWrongRemote, c.Repo
	} else {
		s.State = StateOK
	}
	var (
		st    git.Status
		facts refFacts
	)
	if e, ok := cache.get(c.Name); ok && unchangedSince(repo, e) {
		// Neither the refs nor the tree changed since git last said clean.
		st = git.Status{Commit: e.Commit, Branch: e.Branch, Upstream: e.Upstream, Ahead: e.Ahead, Behind: e.Behind}
		facts = e.refFacts
	} else {
		// Stamped before they are read: a ref that changes meanwhile
		// leaves a stamp that no longer matches.
		stamps, stampedAt, stampsOK := stampRefs(repo)
		refs, _ := repo.Refs()
		head, _ := repo.HeadFromRefs(refs)
		facts = factsOf(refs, head.Commit)
		if ok && stillClean(repo, e, head, refs) {
			st = git.Status{Commit: head.Commit, Branch: head.Branch, Upstream: e.Upstream, Ahead: e.Ahead, Behind: e.Behind}
			if n := e.withRefs(repo, stamps, stampedAt, facts); stampsOK && n.RefSeal != nil {
				cache.put(c.Name, n)
			}
		} else {
			st, err = git.GetStatus(ctx, c.Path)
			if err != nil {
				s.State, s.Error = StateError, err.Error()
				return s
			}
			var snap *statusCacheEntry
			// The same test 'meta apply' refuses on (FindLocalWork).
			s.LocalOnly, s.LocalWhere, err = UnpushedCommits(ctx, c.Path, head, refs)
			if err != nil {
				s.State, s.Error = StateError, err.Error()
				return s
			}
			if s.LocalOnly == 0 {
				snap = snapshot(repo, head, refs, st)
			}
			facts = factsOf(refs, st.Commit)
			if snap != nil && stampsOK && st.Commit == head.Commit {
				snap = snap.withRefs(repo, stamps, stampedAt, facts)
			}
			cache.put(c.Name, snap)
		}
	}
	s.Commit, s.Branch, s.Detached = st.Commit, st.Branch, st.Branch == ""
	s.Upstream, s.Ahead, s.Behind = st.Upstream, st.Ahead, st.Behind
	s.Modified, s.Untracked = st.Modified, st.Untracked
	s.Stash = facts.Stash
	if n := len(facts.TagsAtHead); n > 0 {
		s.Tag = facts.TagsAtHead[n-1]
	}
	s.AtExpected = atExpected(c, s, facts.HasTags, facts.TagsAtHead)
	return s
}

// refFacts is what status needs from a repository's refs besides HEAD.
type refFacts struct {
	Stash      bool     `json:"stash,omitempty"`
	TagsAtHead []string `json:"tags_at_head,omitempty"` // sorted
	HasTags    bool     `json:"has_tags,omitempty"`
}

func factsOf(refs map[string]string, commit string) refFacts {
	f := refFacts{Stash: refs["refs/stash"] != ""}
	for name, id := range refs {
		if t, ok := strings.CutPrefix(name, "refs/tags/"); ok {
			f.HasTags = true
			if id == commit && commit != "" {
				f.TagsAtHead = append(f.TagsAtHead, t)
			}
		}
	}
	sort.Strings(f.TagsAtHead)
	return f
}

// atExpected: hasTags tells whether the repository has any tag at all.
func atExpected(c *manifest.Component, s ComponentStatus, hasTags bool, tagsAtHead []string) bool {
	switch {
	case c.Ref != "":
		if s.Branch == c.Ref {
			return true
		}
		if git.IsCommitID(c.Ref) && strings.HasPrefix(s.Commit, c.Ref) {
			return true
		}
		for _, t := range tagsAtHead {
			if t == c.Ref {
				return true
			}
		}
		return false
	default:
		set := semver.Releases()
		if c.Version != "" {
			var err error
			if set, err = semver.ParseConstraint(c.Version); err != nil {
				return false
			}
		}
		for _, t := range tagsAtHead {
			if v, err := semver.ParseVersion(t); err == nil && set.Contains(v) {
				return true
			}
		}
		if c.Version == "" && !hasTags {
			return true // no tags anywhere: the default branch is what is wanted
		}
		return false
	}
}

// strays lists git repositories directly under the workspace root that no
// component (nor the meta repository) occupies.
func strays(m *manifest.Manifest) []ComponentStatus {
	used := map[string]bool{m.Dir: true}
	for _, c := range m.Components {
		used[c.Path] = true
	}
	entries, err := os.ReadDir(m.Workspace.Root)
	if err != nil {
		return nil
	}
	var out []ComponentStatus
	for _, e := range entries {
		p := filepath.Join(m.Workspace.Root, e.Name())
		if !e.IsDir() || used[p] || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(p, ".git")); err != nil {
			continue
		}
		s := ComponentStatus{Name: e.Name(), Path: m.Rel(p), State: StateNotInManifest}
		if h, err := git.ReadHead(p); err == nil {
			s.Branch, s.Commit, s.Detached = h.Branch, h.Commit, h.Branch == ""
		}
		s.Remote, _ = git.RemoteURL(p, "origin")
		out = append(out, s)
	}
	return out
}
