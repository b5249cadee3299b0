package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
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
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/term"
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
}

func newApplyCmd(a *app) *cobra.Command {
	var (
		env    string
		locked bool
		dryRun bool
		asJSON bool
		force  bool
		jobs   int
		groups []string
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
is skipped, --force or not. A tree already at its commit costs no git
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
					runApply(ctx, a, a.errw(), m, steps, m.Jobs(jobs))
				}
				return a.applyJSON(source, steps, dryRun)
			}
			a.printApplyPlan(source, steps, dryRun)
			if dryRun {
				return nil
			}
			runApply(ctx, a, a.out(), m, steps, m.Jobs(jobs))
			return a.applySummary(steps)
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "apply environment `E`'s lock")
	cmd.Flags().BoolVar(&locked, "locked", false, "use the lock file as it is (no resolution, no network unless a commit is missing)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan and each outcome as JSON")
	cmd.Flags().BoolVar(&force, "force", false, "move trees with local work too, after recording refs/meta/backup/<timestamp>")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "work on `N` repositories at a time")
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
	var dirty []string
	if st.Modified > 0 {
		dirty = append(dirty, plural(st.Modified, "modified file"))
	}
	if st.Untracked > 0 {
		dirty = append(dirty, plural(st.Untracked, "untracked file"))
	}
	if git.HasStash(dir) {
		dirty = append(dirty, "a stash")
	}
	var local string
	if st.Commit != "" {
		out, err := git.Cmd(ctx, dir, "rev-list", "--count", st.Commit, "--not", "--remotes", "--tags")
		switch {
		case err != nil:
			local = "cannot tell whether it has unpushed commits: " + firstLine(err.Error())
		case out != "0":
			where := "detached HEAD"
			if st.Branch != "" {
				where = "branch " + st.Branch
			}
			local = fmt.Sprintf("%s has %s on no remote branch or tag", where, plural(atoiPrefix(out), "commit"))
		}
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
	switch {
	case len(dirty) > 0 || local != "":
		s.Forced = true
		s.Why = strings.Join(append(dirty, local), "; ")
		s.Why = strings.Trim(s.Why, "; ")
	}
	s.Action = actCheckout
	if _, err := git.RevParse(ctx, dir, s.Commit); err != nil {
		s.Action = actFetch
	}
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
		args := append([]string{"diff", "--name-only", "HEAD", commit, "--"}, modified...)
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

func atoiPrefix(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
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
func runApply(ctx context.Context, a *app, w io.Writer, m *manifest.Manifest, steps []*planStep, jobs int) {
	var names []string
	for _, s := range steps {
		if s.Action == actClone || s.Action == actCheckout || s.Action == actFetch || s.Action == actDownload {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	lines := term.NewLines(w, names)
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
			work = func() error { lines.Update(s.Name, "downloading"); return downloadTo(gctx, m, s, warn) }
		default:
			continue
		}
		g.Go(func() error {
			s.err = work()
			switch {
			case s.err != nil:
				lines.Done(s.Name, a.pal.Red("failed"))
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
	}
	if s.Forced && s.From != "" {
		ref := "refs/meta/backup/" + stamp
		if _, err := git.Cmd(ctx, dir, "update-ref", "-m", "meta apply --force", ref, s.From, ""); err != nil {
			// The name exists (a second apply in the same second): add a suffix.
			ref = fmt.Sprintf("refs/meta/backup/%s-%d", stamp, time.Now().UnixNano()%1e6)
			if _, err := git.Cmd(ctx, dir, "update-ref", "-m", "meta apply --force", ref, s.From, ""); err != nil {
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
	byCommit := []string{"fetch", "--quiet", "origin", s.Commit}
	if _, err := os.Stat(filepath.Join(dir, ".git", "shallow")); err == nil {
		byCommit = []string{"fetch", "--quiet", "--depth=1", "--filter=blob:none", "origin", s.Commit}
	}
	var byRef []string
	if lc := s.locked; lc != nil && lc.Ref != "" {
		byRef = []string{"fetch", "--quiet", "origin", lc.Ref}
		if !lc.Tracked() {
			byRef = []string{"fetch", "--quiet", "origin", "tag", lc.Ref}
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
	_, err := git.Cmd(ctx, dir, "merge-base", "--is-ancestor", a, b)
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
	}
	out := []outcome{}
	failed, skipped := false, false
	for _, s := range steps {
		o := outcome{planStep: s, Backup: s.backup}
		switch {
		case dryRun:
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
		for _, s := range steps {
			if s.Action == actBlocked {
				fmt.Fprintf(a.errw(), "hint: blocked trees have modified files the checkout would overwrite; commit or stash them, then rerun\n")
				return errCheckFailed
			}
		}
		fmt.Fprintf(a.errw(), "hint: skipped trees keep their local work; commit, push or stash it, or rerun with --force (a backup ref is recorded first)\n")
		return errCheckFailed
	}
	return nil
}

// registryMarker is the file meta writes at the root of a component it
// extracted from a registry tarball: what was extracted, and every file's
// digest, so that a later apply can tell an untouched extraction (safe to
// replace) from one with local edits (left alone).
const registryMarker = ".meta-registry.json"

type extraction struct {
	Name     string            `json:"name"`
	Version  string            `json:"version"`
	Registry string            `json:"registry"`
	Checksum string            `json:"checksum"`
	Files    map[string]string `json:"files"` // slash path → "sha256:<hex>" or "symlink:<target>"
}

// readMarker reads dir's registry marker; (nil, nil) when there is none.
func readMarker(dir string) (*extraction, error) {
	data, err := os.ReadFile(filepath.Join(dir, registryMarker))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var x extraction
	if err := json.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("%s: %v", registryMarker, err)
	}
	return &x, nil
}

// treeDigests lists every file below dir but the marker, as the marker
// records them.
func treeDigests(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == registryMarker {
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "symlink:" + t
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[rel] = "sha256:" + hex.EncodeToString(sum[:])
		default:
			out[rel] = "special"
		}
		return nil
	})
	return out, err
}

// localEdits says how dir differs from what meta extracted there ("" when
// it does not).
func localEdits(dir string, x *extraction) (string, error) {
	now, err := treeDigests(dir)
	if err != nil {
		return "", err
	}
	var changed, added, removed int
	for p, d := range now {
		was, ok := x.Files[p]
		switch {
		case !ok:
			added++
		case was != d:
			changed++
		}
	}
	for p := range x.Files {
		if _, ok := now[p]; !ok {
			removed++
		}
	}
	var parts []string
	if changed > 0 {
		parts = append(parts, plural(changed, "modified file"))
	}
	if added > 0 {
		parts = append(parts, plural(added, "added file"))
	}
	if removed > 0 {
		parts = append(parts, plural(removed, "removed file"))
	}
	return strings.Join(parts, ", "), nil
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
	x, err := readMarker(c.Path)
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
			s.Action, s.Why = actSkip, c.RelPath+" exists and was not extracted by meta (no "+registryMarker+"); move it away to download "+lc.Version
		}
		return
	}
	if x.Checksum == lc.Checksum {
		s.Action = actUpToDate
		return
	}
	s.From = x.Version
	edits, err := localEdits(c.Path, x)
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

// downloadTo fetches a registry component's tarball (the checksum always
// verified against the lock, the signature against the registry's trusted
// keys when the manifest lists some), extracts it beside the component's
// path and moves it into place: the directory appears whole or not at all,
// and a previous extraction is replaced only if it is still untouched.
func downloadTo(ctx context.Context, m *manifest.Manifest, s *planStep, warn func(string)) error {
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
	entries, err := client.Index(ctx, lc.Name)
	if err != nil {
		return fmt.Errorf("registry %s: %w", lc.Registry, err)
	}
	want, err := semver.ParseVersion(lc.Version)
	if err != nil {
		return err
	}
	var e *registry.IndexEntry
	for i := range entries {
		if v, err := semver.ParseVersion(entries[i].Vers); err == nil && semver.Compare(v, want) == 0 {
			e = &entries[i]
		}
	}
	if e == nil {
		return fmt.Errorf("%s@%s is not in registry %s any more; run 'meta lock --update %s'", lc.Name, lc.Version, lc.Registry, lc.Name)
	}
	if "sha256:"+e.Cksum != lc.Checksum {
		return fmt.Errorf("registry %s lists %s@%s with checksum sha256:%s, but the lock says %s: refusing (published versions never change; the index may have been tampered with)",
			lc.Registry, lc.Name, lc.Version, e.Cksum, lc.Checksum)
	}
	data, err := client.Download(ctx, *e)
	if err != nil {
		return err
	}
	if err := registry.VerifySignature(data, e.Sig, trusted); err != nil {
		return fmt.Errorf("%s@%s from registry %s: %w", lc.Name, lc.Version, lc.Registry, err)
	}
	if _, err := registry.InspectTarball(data); err != nil {
		return fmt.Errorf("%s@%s from registry %s: %v", lc.Name, lc.Version, lc.Registry, err)
	}
	c := s.comp
	parent := filepath.Dir(c.Path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(c.Path)+".meta-extract-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return err
	}
	if err := extractTarball(data, tree); err != nil {
		return fmt.Errorf("%s@%s: %v", lc.Name, lc.Version, err)
	}
	files, err := treeDigests(tree)
	if err != nil {
		return err
	}
	marker, err := json.MarshalIndent(extraction{Name: lc.Name, Version: lc.Version, Registry: lc.Registry, Checksum: lc.Checksum, Files: files}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tree, registryMarker), append(marker, '\n'), 0o644); err != nil {
		return err
	}
	// Replace what is there only if it is what the plan saw: absent, an
	// empty directory, or meta's untouched extraction.
	if x, err := readMarker(c.Path); err == nil && x != nil {
		edits, err := localEdits(c.Path, x)
		if err != nil || edits != "" {
			return fmt.Errorf("%s changed while downloading (%s); not touched", c.RelPath, edits)
		}
		if err := os.Rename(c.Path, filepath.Join(tmp, "old")); err != nil {
			return err
		}
	} else if err := os.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s appeared while downloading; not touched: %v", c.RelPath, err)
	}
	return os.Rename(tree, c.Path)
}

// extractTarball writes a registry tarball (already checked by
// registry.InspectTarball) below dir through an os.Root, so that no entry
// can land outside dir whatever its name or the links before it.
func extractTarball(data []byte, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if name == "." || h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, io.LimitReader(tr, registry.MaxUnpackedSize))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := root.Symlink(h.Linkname, name); err != nil {
				return err
			}
		case tar.TypeLink:
			if err := root.Link(path.Clean(h.Linkname), name); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q has unsupported type %q", h.Name, h.Typeflag)
		}
	}
}
