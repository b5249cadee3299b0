// Package apply plans and performs the moves of a workspace's checkouts to
// a lock (or to a resolution turned into one), never losing local work:
// clones, fetches of pinned commits, checkouts, registry downloads, backup
// refs before a forced move, and the rules that skip or block a tree. Each
// item's progress and result flows up as progress events; the package never
// prints.
package apply

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/workspace"
)

// Action is what apply does with one component.
type Action string

// The actions of a plan.
const (
	Clone       Action = "clone"
	Fetch       Action = "fetch+checkout" // the commit is not in the clone yet
	Checkout    Action = "checkout"
	UpToDate    Action = "up-to-date"
	SkipDirty   Action = "skip-dirty"         // modified or untracked files, or a stash
	SkipCommits Action = "skip-local-commits" // commits on no remote branch or tag
	Blocked     Action = "blocked"            // --force, but the checkout would overwrite modified files
	Download    Action = "download"           // a registry component: download and extract its tarball
	Skip        Action = "skip"               // anything else that keeps meta away
	Orphan      Action = "not-in-manifest"    // locked, but the manifest dropped it: left alone
)

// Step is one line of a plan, and after Run its outcome.
type Step struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	Target string `json:"target,omitempty"` // what the lock names, e.g. "1.2.0 (v1.2.0)"
	Commit string `json:"commit,omitempty"`
	// Checksum pins a registry component's tarball ("sha256:<hex>").
	Checksum string `json:"checksum,omitempty"`
	From     string `json:"from,omitempty"` // the commit HEAD is at now (a registry component: the version extracted now)
	Why      string `json:"why,omitempty"`
	// Forced: the step moves HEAD despite local work (after a backup ref).
	Forced bool `json:"forced,omitempty"`

	// Comp and Locked are the manifest's and the lock's entries.
	Comp   *manifest.Component `json:"-"`
	Locked *lockfile.Component `json:"-"`
	// Err is why Run failed on this step; Backup the ref recording the
	// HEAD a forced move left; Clobbered the ignored files the checkout
	// overwrites, saved first in the commit Saved.
	Err       error    `json:"-"`
	Backup    string   `json:"-"`
	Clobbered []string `json:"-"`
	Saved     string   `json:"-"`

	url   string
	force bool
}

// Options tune Plan.
type Options struct {
	// All: every component was selected, so the lock's components that the
	// manifest dropped are listed too.
	All bool
	// Force moves trees with local work too, after a backup ref.
	Force bool
	// Jobs bounds the git status calls running at once.
	Jobs int
}

// Plan decides what to do with each of comps to bring it to lock f. A tree
// already at its commit is recognised from its HEAD file alone; only trees
// that must move cost a git status.
func Plan(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component, f *lockfile.File, o Options) []*Step {
	var steps []*Step
	for _, c := range comps {
		s := &Step{Name: c.Name, Comp: c}
		steps = append(steps, s)
		lc := f.Components[c.Name]
		switch {
		case lc == nil:
			s.Action, s.Why = Skip, "not in the lock (run 'meta lock"+envFlag(f.Environment)+"')"
		case lc.FromRegistry():
			s.Locked, s.Target, s.Checksum = lc, lc.Describe()+" from registry "+lc.Registry, lc.Checksum
		case c.Repo == "":
			s.Action, s.Why = Skip, fmt.Sprintf("the lock pins a commit, but the manifest takes it from registry %q (run 'meta lock%s')", c.Registry, envFlag(f.Environment))
		default:
			s.Locked, s.Target, s.Commit, s.url = lc, lc.Describe(), lc.Commit, workspace.RepoURL(m, c)
		}
	}
	for _, n := range f.Names() {
		if _, ok := m.Components[n]; !ok && o.All {
			lc := f.Components[n]
			steps = append(steps, &Step{Name: n, Action: Orphan, Target: lc.Describe(), Commit: lc.Commit,
				Why: "locked, but no longer in the manifest: left as it is"})
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(o.Jobs, 1))
	for _, s := range steps {
		if s.Action != "" {
			continue
		}
		if s.Locked.FromRegistry() {
			planRegistry(s)
			continue
		}
		if len(s.Commit) != 40 && len(s.Commit) != 64 {
			s.Action, s.Why = Skip, fmt.Sprintf("the lock holds an abbreviated commit %s (an older meta's lock); run 'meta lock' to pin full commits", s.Commit)
			continue
		}
		head, state := inspectTree(s)
		switch state {
		case "missing":
			s.Action = Clone
			continue
		case "at":
			s.Action = UpToDate
			continue
		case "":
		default:
			s.Action, s.Why = Skip, state
			continue
		}
		s.From = head.Commit
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			planMove(ctx, s, o.Force)
		}()
	}
	wg.Wait()
	return steps
}

func envFlag(env string) string {
	if env == "" {
		return ""
	}
	return " --env " + env
}

// inspectTree reads a component's directory without starting git. state
// is "missing", "at" (HEAD is the locked commit), "" (must move), or why
// the tree is left alone.
func inspectTree(s *Step) (git.Head, string) {
	c := s.Comp
	lst, err := os.Lstat(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return git.Head{}, "missing"
	}
	if err != nil {
		return git.Head{}, err.Error()
	}
	link := ""
	if lst.Mode()&fs.ModeSymlink != 0 {
		link = linkTarget(c.Path)
	}
	st, err := os.Stat(c.Path)
	if err != nil {
		return git.Head{}, err.Error()
	}
	if !st.IsDir() {
		return git.Head{}, c.RelPath + " exists and is not a directory"
	}
	if _, err := git.GitDir(c.Path); err != nil {
		entries, _ := os.ReadDir(c.Path)
		if len(entries) == 0 && link == "" {
			return git.Head{}, "missing"
		}
		return git.Head{}, c.RelPath + " exists and is not a git repository"
	}
	origin, err := git.RemoteURL(c.Path, "origin")
	if err != nil {
		return git.Head{}, "cannot read its git config: " + err.Error()
	}
	if !workspace.SameRemote(origin, s.url) && !workspace.SameRemote(origin, c.Repo) {
		if origin == "" {
			origin = "(none)"
		}
		return git.Head{}, fmt.Sprintf("its origin %s is not the manifest's %s", origin, c.Repo)
	}
	head, err := git.ReadHead(c.Path)
	if err != nil {
		return head, "cannot read HEAD: " + err.Error()
	}
	if head.Commit == s.Commit {
		return head, "at"
	}
	if link != "" {
		return head, LinkWhy(c.RelPath, link, s.Commit)
	}
	return head, ""
}

// LinkWhy says why a component whose path is a symbolic link the user made
// is not moved: meta never writes through such a link (no checkout, no
// backup ref, no download), since the clone it points at is the user's.
func LinkWhy(rel, target, commit string) string {
	why := rel + " is a symbolic link to " + target + ", which meta never modifies"
	if commit != "" {
		why += "; to move it: git -C " + target + " checkout " + workspace.ShortCommit(commit)
	}
	return why
}

// linkTarget is where the symbolic link at path leads, resolved.
func linkTarget(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	t, _ := os.Readlink(path)
	return t
}

// planMove decides how a tree that is not at its commit moves: whether
// local work keeps meta away, and whether the commit must be fetched.
func planMove(ctx context.Context, s *Step, force bool) {
	dir := s.Comp.Path
	st, err := git.GetStatus(ctx, dir)
	if err != nil {
		s.Action, s.Why = Skip, "git status failed: "+firstLine(err.Error())
		return
	}
	// The same test 'meta status' reports with (workspace.FindLocalWork).
	work, err := workspace.FindLocalWork(ctx, dir, st)
	var dirty []string
	if f := work.Files(); f != "" {
		dirty = append(dirty, f)
	}
	local := work.CommitsText()
	if err != nil {
		local = firstLine(err.Error())
	}
	switch {
	case len(dirty) > 0 && !force:
		s.Action, s.Why = SkipDirty, strings.Join(dirty, ", ")
		return
	case local != "" && !force:
		s.Action, s.Why = SkipCommits, local
		return
	}
	if st.Modified > 0 {
		// git checkout (never -f) keeps modified files the move does not
		// touch and refuses otherwise: say so now instead of promising a
		// checkout that will fail.
		if clash := overwritten(ctx, dir, s.Commit); clash != "" {
			s.Action, s.Why = Blocked, clash+"; commit or stash them"
			return
		}
	}
	s.force = force
	var clobber string
	if _, err := git.RevParse(ctx, dir, s.Commit); err == nil {
		// Files the target commit tracks and the user has, ignored by
		// git: checkout would overwrite them without a word.
		clob, err := git.Clobbered(ctx, dir, st.Commit, s.Commit)
		if err != nil {
			s.Action, s.Why = Skip, "cannot tell which untracked files the checkout would overwrite: "+firstLine(err.Error())
			return
		}
		if len(clob) > 0 {
			if !force {
				s.Action, s.Why = Blocked, clobberedWhy(clob)+"; move them away, or rerun with --force to save them first"
				return
			}
			s.Clobbered, clobber = clob, clobberedWhy(clob)
		}
	}
	if len(dirty) > 0 || local != "" || clobber != "" {
		s.Forced = true
		s.Why = strings.Join(append(dirty, local, clobber), "; ")
		s.Why = strings.Trim(strings.ReplaceAll(s.Why, "; ; ", "; "), "; ")
	}
	s.Action = Checkout
	if _, err := git.RevParse(ctx, dir, s.Commit); err != nil {
		s.Action = Fetch
	}
}

// clobberedWhy says which untracked files a checkout would overwrite.
func clobberedWhy(paths []string) string {
	shown := paths
	if len(shown) > 3 {
		shown = append(shown[:3:3], "…")
	}
	if len(paths) == 1 {
		return "ignored file " + paths[0] + " would be overwritten"
	}
	return fmt.Sprintf("%d ignored files would be overwritten (%s)", len(paths), strings.Join(shown, ", "))
}

// overwritten says which modified files a checkout of commit would have
// to overwrite ("" when none). When the commit is not here yet, it cannot
// tell, and every modified file counts.
func overwritten(ctx context.Context, dir, commit string) string {
	out, err := git.Cmd(ctx, dir, "diff", "--name-only", "HEAD", "--")
	if err != nil {
		return "modified files may be overwritten (git diff failed: " + firstLine(err.Error()) + ")"
	}
	modified := strings.Fields(out)
	if len(modified) == 0 {
		return ""
	}
	if _, err := git.RevParse(ctx, dir, commit); err == nil {
		args := append([]string{"diff", "--name-only", "--end-of-options", "HEAD", commit, "--"}, modified...)
		if out, err = git.Cmd(ctx, dir, args...); err == nil {
			modified = strings.Fields(out)
		}
	}
	if len(modified) == 0 {
		return ""
	}
	shown := modified
	if len(shown) > 3 {
		shown = append(shown[:3:3], "…")
	}
	if len(modified) == 1 {
		return fmt.Sprintf("modified file %s would be overwritten", shown[0])
	}
	return fmt.Sprintf("%d modified files would be overwritten (%s)", len(modified), strings.Join(shown, ", "))
}

// planRegistry decides what to do with a registry component's directory:
// download into an absent or empty one, replace an untouched extraction of
// another version, and leave anything else alone (DESIGN §5) — even with
// --force, which only ever moves git trees after a backup ref.
func planRegistry(s *Step) {
	c, lc := s.Comp, s.Locked
	st, err := os.Lstat(c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.Action = Download
		return
	case err != nil:
		s.Action, s.Why = Skip, err.Error()
		return
	case st.Mode()&fs.ModeSymlink != 0:
		s.Action, s.Why = Skip, LinkWhy(c.RelPath, linkTarget(c.Path), "")
		return
	case !st.IsDir():
		s.Action, s.Why = Skip, c.RelPath+" exists and is not a directory"
		return
	}
	x, err := registry.ReadMarker(c.Path)
	if err != nil {
		s.Action, s.Why = Skip, "cannot read meta's marker: "+err.Error()
		return
	}
	if x == nil {
		entries, _ := os.ReadDir(c.Path)
		switch {
		case len(entries) == 0:
			s.Action = Download
		case hasEntry(entries, ".git"):
			s.Action, s.Why = Skip, c.RelPath+" holds a git checkout, not an extraction of "+lc.Registry+" by meta; move it away to use the registry's "+lc.Version
		default:
			s.Action, s.Why = Skip, c.RelPath+" exists and was not extracted by meta (no "+registry.MarkerFile+"); move it away to download "+lc.Version
		}
		return
	}
	if x.Checksum == lc.Checksum {
		s.Action = UpToDate
		return
	}
	s.From = x.Version
	edits, err := registry.LocalEdits(c.Path, x)
	switch {
	case err != nil:
		s.Action, s.Why = Skip, "cannot compare with what meta extracted: "+err.Error()
	case edits != "":
		s.Action, s.Why = SkipDirty, edits+" since meta extracted "+x.Version+"; copy your changes elsewhere and remove "+c.RelPath+" to update it"
	default:
		s.Action = Download
	}
}

func hasEntry(entries []fs.DirEntry, name string) bool {
	for _, e := range entries {
		if e.Name() == name {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
