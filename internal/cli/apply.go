package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"aead.dev/minisign"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/workspace"
	"github.com/metawork/meta/internal/yamlpos"
)

// planAction is what apply does with one component.
type planAction string

const (
	actClone       planAction = "clone"
	actFetch       planAction = "fetch+checkout" // the commit is not in the clone yet
	actCheckout    planAction = "checkout"
	actUpToDate    planAction = "up-to-date"
	actSkipDirty   planAction = "skip-dirty"         // modified or untracked files, or a stash
	actSkipCommits planAction = "skip-local-commits" // commits on no remote branch or tag
	actBlocked     planAction = "blocked"            // --force, but the checkout would overwrite modified files
	actDownload    planAction = "download"           // a registry component: download and extract its tarball
	actSkip        planAction = "skip"               // anything else that keeps meta away
	actOrphan      planAction = "not-in-manifest"    // locked, but the manifest dropped it: left alone
)

// planStep is one line of apply's plan.
type planStep struct {
	Name   string     `json:"name"`
	Action planAction `json:"action"`
	Target string     `json:"target,omitempty"` // what the lock names, e.g. "1.2.0 (v1.2.0)"
	Commit string     `json:"commit,omitempty"`
	// Checksum pins a registry component's tarball ("sha256:<hex>").
	Checksum string `json:"checksum,omitempty"`
	From     string `json:"from,omitempty"` // the commit HEAD is at now (a registry component: the version extracted now)
	Why      string `json:"why,omitempty"`
	// forced: the step moves HEAD despite local work (after a backup ref).
	Forced bool `json:"forced,omitempty"`

	comp   *manifest.Component
	locked *lockfile.Component
	url    string
	err    error
	backup string
	// force: --force was given; clobbered: files the checkout overwrites
	// although git does not track them (ignored ones), saved first in
	// saved, a backup commit.
	force     bool
	clobbered []string
	saved     string
}

func newApplyCmd(a *app) *cobra.Command {
	var (
		env        string
		locked     bool
		dryRun     bool
		asJSON     bool
		force      bool
		jobs       int
		groups     []string
		denyYanked bool
	)
	cmd := &cobra.Command{
		Use:   "apply [NAMES...] [--group NAME] [--locked] [--env E] [--dry-run] [--force]",
		Short: "Bring every working tree to the lock's commits (or the resolved versions)",
		Long: `Check out in every component the commit the lock names (--locked), or what
the manifest resolves to now (keeping locked versions while valid). Prints
the plan first: clone, fetch+checkout, checkout, up-to-date, skip-dirty,
skip-local-commits, blocked, download. With NAMES or --group, only those
components are applied.

Local work is never lost: a tree with modified or untracked files, a stash,
or commits that are on no remote branch or tag is skipped and reported (exit
3). --force moves such trees anyway after recording the current HEAD as
refs/meta/backup/<timestamp> (printed in the summary); it still never
deletes untracked files or discards modifications: a tree whose modified
files the checkout would overwrite is shown as blocked, to commit or stash
first.

A component from a registry is downloaded (checksum always verified, the
signature too when the manifest's registry lists trusted_keys) and
extracted into its path, which must be absent, empty, or an untouched
earlier extraction by meta (marked by .meta-registry.json); anything else
is skipped, --force or not. A locked version that the registry has yanked
is extracted with a warning; --deny-yanked makes it an error (for CI). A tree already at its commit costs no git
process.`,
		Example: `  meta apply --locked --env prod
  meta apply --locked --env prod --dry-run
  meta apply api auth-lib --locked
  meta apply --group backend --group -legacy
  meta apply --env dev --force`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			if err := checkEnv(m, env); err != nil {
				return err
			}
			comps, err := a.selectWithGroups(m, args, groups)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var target *lockfile.File
			source := lockfile.RelPath(env)
			if locked {
				if target, err = readLock(m, env, false); err != nil {
					return err
				}
			} else {
				old, err := readLock(m, env, true)
				var ye *yamlpos.Error
				if errors.As(err, &ye) {
					return err
				}
				strategy := pubgrub.Latest
				if old != nil {
					strategy = pubgrub.First
				}
				r, err := resolve(ctx, m, resolveOptions{env: env, strategy: strategy, locked: lockedVersions(old, nil), lockedRefs: lockedCommits(old, nil), jobs: jobs})
				if err != nil {
					return a.resolveFailed(err)
				}
				a.printNotes(r)
				target, source = r.lock, "the manifest (resolved now)"
			}
			steps := planApply(ctx, m, comps, len(args) == 0 && len(groups) == 0, target, force)
			if asJSON {
				if !dryRun {
					runApply(ctx, a, a.errw(), m, steps, m.Jobs(jobs), denyYanked)
				}
				return a.applyJSON(source, steps, dryRun)
			}
			a.printApplyPlan(source, steps, dryRun)
			if dryRun {
				// The code the real run would give (barring failures it
				// cannot foresee).
				return a.skipOutcome(steps)
			}
			runApply(ctx, a, a.out(), m, steps, m.Jobs(jobs), denyYanked)
			return a.applySummary(steps)
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "apply environment `E`'s lock")
	cmd.Flags().BoolVar(&locked, "locked", false, "use the lock file as it is (no resolution, no network unless a commit is missing)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan and each outcome as JSON")
	cmd.Flags().BoolVar(&force, "force", false, "move trees with local work too, after recording refs/meta/backup/<timestamp>")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "work on `N` repositories at a time")
	cmd.Flags().BoolVar(&denyYanked, "deny-yanked", false, "fail on a locked registry version that is yanked (default: warn and extract it)")
	addGroupFlag(cmd, &groups)
	return cmd
}

// planApply decides what to do with each of comps (all of them: orphans,
// the lock's components the manifest dropped, are listed too). A tree
// already at its commit is recognised from its HEAD file alone; only trees
// that must move cost a git status.
func planApply(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component, all bool, f *lockfile.File, force bool) []*planStep {
	var steps []*planStep
	for _, c := range comps {
		s := &planStep{Name: c.Name, comp: c}
		steps = append(steps, s)
		lc := f.Components[c.Name]
		switch {
		case lc == nil:
			s.Action, s.Why = actSkip, "not in the lock (run 'meta lock"+envFlag(f.Environment)+"')"
			continue
		case lc.FromRegistry():
			s.locked, s.Target, s.Checksum = lc, lc.Describe()+" from registry "+lc.Registry, lc.Checksum
			continue
		case c.Repo == "":
			s.Action, s.Why = actSkip, fmt.Sprintf("the lock pins a commit, but the manifest takes it from registry %q (run 'meta lock%s')", c.Registry, envFlag(f.Environment))
			continue
		}
		s.locked, s.Target, s.Commit, s.url = lc, lc.Describe(), lc.Commit, workspace.RepoURL(m, c)
	}
	for _, n := range f.Names() {
		if _, ok := m.Components[n]; !ok && all {
			lc := f.Components[n]
			steps = append(steps, &planStep{Name: n, Action: actOrphan, Target: lc.Describe(), Commit: lc.Commit,
				Why: "locked, but no longer in the manifest: left as it is"})
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(m.Jobs(0), 1))
	for _, s := range steps {
		if s.Action != "" {
			continue
		}
		if s.locked.FromRegistry() {
			planRegistry(s)
			continue
		}
		if len(s.Commit) != 40 && len(s.Commit) != 64 {
			s.Action, s.Why = actSkip, fmt.Sprintf("the lock holds an abbreviated commit %s (an older meta's lock); run 'meta lock' to pin full commits", s.Commit)
			continue
		}
		head, state := inspectTree(s)
		switch state {
		case "missing":
			s.Action = actClone
			continue
		case "at":
			s.Action = actUpToDate
			continue
		case "":
		default:
			s.Action, s.Why = actSkip, state
			continue
		}
		s.From = head.Commit
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			planMove(ctx, s, force)
		}()
	}
	wg.Wait()
	return steps
}

// inspectTree reads a component's directory without starting git. state
// is "missing", "at" (HEAD is the locked commit), "" (must move), or why
// the tree is left alone.
func inspectTree(s *planStep) (git.Head, string) {
	c := s.comp
	st, err := os.Stat(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return git.Head{}, "missing"
	}
	if err != nil {
		return git.Head{}, err.Error()
	}
	if !st.IsDir() {
		return git.Head{}, c.RelPath + " exists and is not a directory"
	}
	if _, err := git.GitDir(c.Path); err != nil {
		entries, _ := os.ReadDir(c.Path)
		if len(entries) == 0 {
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
	return head, ""
}

// planMove decides how a tree that is not at its commit moves: whether
// local work keeps meta away, and whether the commit must be fetched.
func planMove(ctx context.Context, s *planStep, force bool) {
	dir := s.comp.Path
	st, err := git.GetStatus(ctx, dir)
	if err != nil {
		s.Action, s.Why = actSkip, "git status failed: "+firstLine(err.Error())
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
		s.Action, s.Why = actSkipDirty, strings.Join(dirty, ", ")
		return
	case local != "" && !force:
		s.Action, s.Why = actSkipCommits, local
		return
	}
	if st.Modified > 0 {
		// git checkout (never -f) keeps modified files the move does not
		// touch and refuses otherwise: say so now instead of promising a
		// checkout that will fail.
		if clash := overwritten(ctx, dir, s.Commit); clash != "" {
			s.Action, s.Why = actBlocked, clash+"; commit or stash them"
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
			s.Action, s.Why = actSkip, "cannot tell which untracked files the checkout would overwrite: "+firstLine(err.Error())
			return
		}
		if len(clob) > 0 {
			if !force {
				s.Action, s.Why = actBlocked, clobberedWhy(clob)+"; move them away, or rerun with --force to save them first"
				return
			}
			s.clobbered, clobber = clob, clobberedWhy(clob)
		}
	}
	switch {
	case len(dirty) > 0 || local != "" || clobber != "":
		s.Forced = true
		s.Why = strings.Join(append(dirty, local, clobber), "; ")
		s.Why = strings.Trim(strings.ReplaceAll(s.Why, "; ; ", "; "), "; ")
	}
	s.Action = actCheckout
	if _, err := git.RevParse(ctx, dir, s.Commit); err != nil {
		s.Action = actFetch
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
	verb := "would be overwritten"
	if len(modified) == 1 {
		return fmt.Sprintf("modified file %s %s", shown[0], verb)
	}
	return fmt.Sprintf("%d modified files %s (%s)", len(modified), verb, strings.Join(shown, ", "))
}

func (a *app) printApplyPlan(source string, steps []*planStep, dryRun bool) {
	title := "plan"
	if dryRun {
		title = "plan (dry run: nothing will change)"
	}
	a.printf("%s, from %s:\n", title, source)
	actW, nameW := 0, 0
	for _, s := range steps {
		actW, nameW = max(actW, len(s.Action)), max(nameW, len(s.Name))
	}
	for _, s := range steps {
		line := fmt.Sprintf("  %-*s %-*s", actW, s.Action, nameW, s.Name)
		if s.Target != "" {
			line += " " + s.Target
		}
		if s.Commit != "" {
			line += " " + shortCommit(s.Commit)
		}
		if sum := strings.TrimPrefix(s.Checksum, "sha256:"); sum != "" {
			line += " sha256:" + sum[:min(12, len(sum))]
		}
		if s.From != "" {
			line += " (now " + shortCommit(s.From) + ")"
		}
		if s.Forced {
			line += " [--force: " + s.Why + "; backup ref first]"
		} else if s.Why != "" {
			line += ": " + s.Why
		}
		a.printf("%s\n", strings.TrimRight(line, " "))
	}
}

// runApply carries out the plan's clone, fetch and checkout steps, with
// one live line per repository on a terminal (one plain line each when it
// finishes otherwise).
func runApply(ctx context.Context, a *app, w io.Writer, m *manifest.Manifest, steps []*planStep, jobs int, denyYanked bool) {
	var names []string
	for _, s := range steps {
		if s.Action == actClone || s.Action == actCheckout || s.Action == actFetch || s.Action == actDownload {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	lines := a.progress(w, names)
	defer lines.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	stamp := time.Now().UTC().Format("20060102T150405Z")
	var warnMu sync.Mutex
	warn := func(msg string) {
		warnMu.Lock()
		defer warnMu.Unlock()
		a.warnf("%s", msg)
	}
	nest := m.Nesting()
	for _, s := range steps {
		var work func() error
		switch s.Action {
		case actClone:
			work = func() error {
				lines.Update(s.Name, "cloning")
				if err := cloneAt(gctx, s); err != nil {
					return err
				}
				return workspace.ExcludeNested(m, nest, s.comp)
			}
		case actCheckout, actFetch:
			work = func() error { lines.Update(s.Name, string(s.Action)); return moveTo(gctx, s, stamp) }
		case actDownload:
			work = func() error { lines.Update(s.Name, "downloading"); return downloadTo(gctx, m, s, denyYanked, warn) }
		default:
			continue
		}
		g.Go(func() error {
			s.err = work()
			switch {
			case s.err != nil:
				lines.Failed(s.Name, a.pal.Red("failed"))
			case s.Action == actClone:
				lines.Done(s.Name, a.pal.Green("cloned")+" at "+shortCommit(s.Commit))
			case s.Action == actDownload:
				lines.Done(s.Name, a.pal.Green("extracted")+" "+s.locked.Version)
			default:
				lines.Done(s.Name, a.pal.Green("checked out")+" "+shortCommit(s.Commit))
			}
			return nil
		})
	}
	g.Wait()
}

// cloneAt clones the component and checks out its locked commit; the
// directory appears whole or not at all.
func cloneAt(ctx context.Context, s *planStep) error {
	c := s.comp
	parent := filepath.Dir(c.Path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(c.Path)+".meta-clone-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dest := filepath.Join(tmp, "repo")
	if err := git.Clone(ctx, s.url, dest, git.CloneOptions{}); err != nil {
		return err
	}
	if err := ensureCommit(ctx, dest, s); err != nil {
		return err
	}
	if err := checkout(ctx, dest, s); err != nil {
		return err
	}
	return workspace.PublishClone(dest, c.Path, c.RelPath)
}

// moveTo fetches the commit when needed and checks it out, after a backup
// ref when local work is being moved past.
func moveTo(ctx context.Context, s *planStep, stamp string) error {
	dir := s.comp.Path
	if s.Action == actFetch {
		if err := ensureCommit(ctx, dir, s); err != nil {
			return err
		}
		clob, err := git.Clobbered(ctx, dir, s.From, s.Commit)
		if err != nil {
			return fmt.Errorf("cannot tell which untracked files the checkout would overwrite; not moved: %v", err)
		}
		if len(clob) > 0 && !s.force {
			return fmt.Errorf("%s; not moved: move them away, or rerun with --force to save them first", clobberedWhy(clob))
		}
		s.clobbered = clob
	}
	if len(s.clobbered) > 0 {
		ref := "refs/meta/backup/" + stamp + "-ignored"
		msg := "meta apply --force: files the checkout of " + shortCommit(s.Commit) + " overwrites"
		if err := git.SaveFiles(ctx, dir, ref, s.From, msg, s.clobbered); err != nil {
			ref = fmt.Sprintf("refs/meta/backup/%s-%d-ignored", stamp, time.Now().UnixNano()%1e6)
			if err := git.SaveFiles(ctx, dir, ref, s.From, msg, s.clobbered); err != nil {
				return fmt.Errorf("cannot save the files the checkout would overwrite; not moved: %v", err)
			}
		}
		s.saved = ref
	}
	if s.Forced && s.From != "" {
		ref := "refs/meta/backup/" + stamp
		if _, err := git.Cmd(ctx, dir, "update-ref", "-m", "meta apply --force", "--end-of-options", ref, s.From, ""); err != nil {
			// The name exists (a second apply in the same second): add a suffix.
			ref = fmt.Sprintf("refs/meta/backup/%s-%d", stamp, time.Now().UnixNano()%1e6)
			if _, err := git.Cmd(ctx, dir, "update-ref", "-m", "meta apply --force", "--end-of-options", ref, s.From, ""); err != nil {
				return fmt.Errorf("cannot record a backup ref; not moved: %v", err)
			}
		}
		s.backup = ref
	}
	return checkout(ctx, dir, s)
}

// ensureCommit makes the locked commit present: the commit itself first
// (shallow and blob-less when the clone is already shallow, so a full
// clone never becomes shallow), then its recorded ref, then every ref.
func ensureCommit(ctx context.Context, dir string, s *planStep) error {
	if _, err := git.RevParse(ctx, dir, s.Commit); err == nil {
		return nil
	}
	byCommit := []string{"fetch", "--quiet", "--end-of-options", "origin", s.Commit}
	if _, err := os.Stat(filepath.Join(dir, ".git", "shallow")); err == nil {
		byCommit = []string{"fetch", "--quiet", "--depth=1", "--filter=blob:none", "--end-of-options", "origin", s.Commit}
	}
	var byRef []string
	if lc := s.locked; lc != nil && lc.Ref != "" {
		byRef = []string{"fetch", "--quiet", "--end-of-options", "origin", lc.Ref}
		if !lc.Tracked() {
			byRef = []string{"fetch", "--quiet", "--end-of-options", "origin", "tag", lc.Ref}
		}
	}
	attempts := [][]string{byCommit}
	if byRef != nil {
		attempts = append(attempts, byRef)
	}
	attempts = append(attempts, []string{"fetch", "--quiet", "--tags", "origin"})
	var last error
	for i, args := range attempts {
		if _, err := git.Cmd(ctx, dir, args...); err != nil {
			last = err
			continue
		}
		if _, err := git.RevParse(ctx, dir, s.Commit); err == nil {
			if i == 0 && byRef != nil {
				// The commit came alone; bring its tag or remote-tracking
				// branch along (the objects are here now), so the tree is
				// not mistaken for local work later and a tracked branch
				// can be checked out. Best effort.
				git.Cmd(ctx, dir, byRef...)
			}
			return nil
		}
	}
	msg := fmt.Sprintf("commit %s (%s) is not on %s", shortCommit(s.Commit), s.Target, s.url)
	if last != nil {
		msg += ": " + firstLine(last.Error())
	}
	return errors.New(msg + " — it may have been force-pushed away; run 'meta lock verify'")
}

// checkout moves HEAD to the locked commit without -f: git refuses rather
// than overwrite local changes or untracked files. A ref-tracked component
// whose branch is at the commit gets the branch checked out; anything else
// is a detached HEAD.
func checkout(ctx context.Context, dir string, s *planStep) error {
	if !git.IsCommitID(s.Commit) {
		return fmt.Errorf("commit %q is not a hex commit id", s.Commit)
	}
	args := []string{"checkout", "--quiet", "--detach", s.Commit, "--"}
	if lc := s.locked; lc != nil && lc.Tracked() && lc.Ref != "" {
		refs, err := git.ReadRefs(dir)
		if err == nil && refs["refs/remotes/origin/"+lc.Ref] == s.Commit {
			local, has := refs["refs/heads/"+lc.Ref]
			if !has || local == s.Commit || isAncestor(ctx, dir, local, s.Commit) {
				args = []string{"checkout", "--quiet", "-B", lc.Ref, "--track", "origin/" + lc.Ref, "--"}
			}
		}
	}
	_, err := git.Cmd(ctx, dir, args...)
	return err
}

func isAncestor(ctx context.Context, dir, a, b string) bool {
	_, err := git.Cmd(ctx, dir, "merge-base", "--is-ancestor", "--end-of-options", a, b)
	return err == nil
}

// applyJSON prints the plan (and, after a run, each outcome) as JSON, with
// the exit code applySummary would give.
func (a *app) applyJSON(source string, steps []*planStep, dryRun bool) error {
	type outcome struct {
		*planStep
		Result string `json:"result,omitempty"`
		Error  string `json:"error,omitempty"`
		Backup string `json:"backup_ref,omitempty"`
		Saved  string `json:"saved_files_ref,omitempty"`
	}
	out := []outcome{}
	failed, skipped := false, false
	for _, s := range steps {
		o := outcome{planStep: s, Backup: s.backup, Saved: s.saved}
		switch {
		case dryRun:
			skipped = skipped || planSkips(s)
		case s.err != nil:
			o.Result, o.Error, failed = "failed", s.err.Error(), true
		case s.Action == actClone:
			o.Result = "cloned"
		case s.Action == actDownload:
			o.Result = "extracted"
		case s.Action == actCheckout || s.Action == actFetch:
			o.Result = "checked out"
		case s.Action == actUpToDate:
			o.Result = "up to date"
		case s.Action == actOrphan:
			o.Result = "left alone"
		default:
			o.Result, skipped = "skipped", true
		}
		out = append(out, o)
	}
	if err := a.printJSON(map[string]any{"source": source, "dry_run": dryRun, "steps": out}); err != nil {
		return err
	}
	switch {
	case failed:
		return errSilent
	case skipped:
		return errCheckFailed
	}
	return nil
}

func (a *app) applySummary(steps []*planStep) error {
	var cloned, moved, extracted, same, skipped, failed int
	for _, s := range steps {
		if s.backup != "" {
			// Printed whatever happened next: the ref exists.
			a.printf("%s: previous HEAD %s saved as %s\n", s.Name, shortCommit(s.From), s.backup)
		}
		if s.saved != "" {
			what := "ignored file " + s.clobbered[0]
			if len(s.clobbered) > 1 {
				what = fmt.Sprintf("%d ignored files", len(s.clobbered))
			}
			a.printf("%s: %s saved in %s (git -C %s show %s:%s)\n", s.Name, what, s.saved, s.comp.RelPath, s.saved, strings.TrimSuffix(s.clobbered[0], "/"))
		}
		switch {
		case s.err != nil:
			failed++
			fmt.Fprintf(a.errw(), "meta: apply %s: %s\n", s.Name, firstLine(s.err.Error()))
			if h := registryHint(s.err); h != "" {
				fmt.Fprintf(a.errw(), "hint: %s: %s\n", s.Name, h)
			}
			if strings.Contains(s.err.Error(), "would be overwritten") {
				fmt.Fprintf(a.errw(), "hint: %s: commit or stash your changes; meta never discards them\n", s.Name)
			}
		case s.Action == actClone:
			cloned++
		case s.Action == actCheckout || s.Action == actFetch:
			moved++
		case s.Action == actDownload:
			extracted++
		case s.Action == actUpToDate:
			same++
		case s.Action == actOrphan:
		default:
			skipped++
		}
	}
	summary := fmt.Sprintf("%d cloned, %d checked out, ", cloned, moved)
	if extracted > 0 {
		summary += fmt.Sprintf("%d extracted, ", extracted)
	}
	a.printf("%s%d up to date, %d skipped, %d failed\n", summary, same, skipped, failed)
	switch {
	case failed > 0:
		return errSilent
	case skipped > 0:
		return a.skipOutcome(steps)
	}
	return nil
}

// skipOutcome is exit 3 with a hint when the plan leaves a tree behind
// (skipped or blocked), else nil.
func (a *app) skipOutcome(steps []*planStep) error {
	skipped := false
	for _, s := range steps {
		if s.Action == actBlocked && strings.Contains(s.Why, "ignored file") {
			fmt.Fprintf(a.errw(), "hint: blocked trees have files git ignores that the checkout would overwrite; move them away, or rerun with --force to save them in a backup ref first\n")
			return errCheckFailed
		}
		if s.Action == actBlocked {
			fmt.Fprintf(a.errw(), "hint: blocked trees have modified files the checkout would overwrite; commit or stash them, then rerun\n")
			return errCheckFailed
		}
		skipped = skipped || planSkips(s)
	}
	if !skipped {
		return nil
	}
	fmt.Fprintf(a.errw(), "hint: skipped trees keep their local work; commit, push or stash it, or rerun with --force (a backup ref is recorded first)\n")
	return errCheckFailed
}

// planSkips reports whether step s leaves its tree where it is although
// the lock wants it elsewhere.
func planSkips(s *planStep) bool {
	switch s.Action {
	case actClone, actFetch, actCheckout, actUpToDate, actDownload, actOrphan:
		return false
	}
	return true
}

// planRegistry decides what to do with a registry component's directory:
// download into an absent or empty one, replace an untouched extraction of
// another version, and leave anything else alone (DESIGN §5) — even with
// --force, which only ever moves git trees after a backup ref.
func planRegistry(s *planStep) {
	c, lc := s.comp, s.locked
	st, err := os.Lstat(c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.Action = actDownload
		return
	case err != nil:
		s.Action, s.Why = actSkip, err.Error()
		return
	case !st.IsDir():
		s.Action, s.Why = actSkip, c.RelPath+" exists and is not a directory"
		return
	}
	x, err := registry.ReadMarker(c.Path)
	if err != nil {
		s.Action, s.Why = actSkip, "cannot read meta's marker: "+err.Error()
		return
	}
	if x == nil {
		entries, _ := os.ReadDir(c.Path)
		switch {
		case len(entries) == 0:
			s.Action = actDownload
		case hasEntry(entries, ".git"):
			s.Action, s.Why = actSkip, c.RelPath+" holds a git checkout, not an extraction of "+lc.Registry+" by meta; move it away to use the registry's "+lc.Version
		default:
			s.Action, s.Why = actSkip, c.RelPath+" exists and was not extracted by meta (no "+registry.MarkerFile+"); move it away to download "+lc.Version
		}
		return
	}
	if x.Checksum == lc.Checksum {
		s.Action = actUpToDate
		return
	}
	s.From = x.Version
	edits, err := registry.LocalEdits(c.Path, x)
	switch {
	case err != nil:
		s.Action, s.Why = actSkip, "cannot compare with what meta extracted: "+err.Error()
	case edits != "":
		s.Action, s.Why = actSkipDirty, edits+" since meta extracted "+x.Version+"; copy your changes elsewhere and remove "+c.RelPath+" to update it"
	default:
		s.Action = actDownload
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

// downloadTo installs a registry component with registry.Client.Install,
// which does every check (checksum against the lock, signature bound to
// the version when the manifest's registry lists trusted_keys, the one
// tarball reader) and moves the tree into place whole.
func downloadTo(ctx context.Context, m *manifest.Manifest, s *planStep, denyYanked bool, warn func(string)) error {
	lc := s.locked
	client, err := registryReader(m, lc.Registry, warn)
	if err != nil {
		if lc.RegistryURL == "" {
			return err
		}
		client = &registry.Client{URL: lc.RegistryURL, HTTP: &http.Client{Timeout: 10 * time.Minute}}
	}
	var trusted []minisign.PublicKey
	for _, k := range m.Registries[lc.Registry].TrustedKeys {
		pk, err := registry.ParsePublicKey(k)
		if err != nil {
			return fmt.Errorf("registry %s: trusted key %q: %v", lc.Registry, k, err)
		}
		trusted = append(trusted, pk)
	}
	return client.Install(ctx, registry.Install{Name: lc.Name, Version: lc.Version, Checksum: lc.Checksum, Registry: lc.Registry,
		Trusted: trusted, Dir: s.comp.Path, DenyYanked: denyYanked, Warn: warn})
}
