package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"aead.dev/minisign"
	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/workspace"
)

// RunOptions tune Run.
type RunOptions struct {
	Jobs int
	// DenyYanked fails a locked registry version that is yanked (else it
	// is extracted after a warning).
	DenyYanked bool
	// Registry returns the client for the manifest's registry name;
	// warnings go to warn.
	Registry func(name string, warn func(string)) (*registry.Client, error)
	// Sink receives a Planned event naming the steps that change
	// something, Started/Updated events, and a Finished event per step
	// with the *Step as result. Warnings are Noted events with no item.
	Sink progress.Sink
}

// Moves reports whether s changes the tree (clone, fetch, checkout,
// download).
func (s *Step) Moves() bool {
	switch s.Action {
	case Clone, Checkout, Fetch, Download:
		return true
	}
	return false
}

// testHook, when set by a test, is called at the stages of a clone step
// ("wait" before waiting for the enclosing clone, "parent" once its parent
// directory exists, "publish" before the clone is moved into place) and
// with "done" when a step has finished.
var testHook func(stage, name string)

func hook(stage, name string) {
	if testHook != nil {
		testHook(stage, name)
	}
}

// Run carries out the plan's clone, fetch, checkout and download steps, at
// most o.Jobs at a time, recording each outcome in its step.
func Run(ctx context.Context, m *manifest.Manifest, steps []*Step, o RunOptions) {
	var names []string
	for _, s := range steps {
		if s.Moves() {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	sink := progress.Or(o.Sink)
	progress.Plan(sink, names)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.Jobs, 1))
	stamp := time.Now().UTC().Format("20060102T150405Z")
	warn := func(msg string) { progress.Note(sink, "", msg) }
	nest := m.Nesting()
	// Clones start first, enclosing checkouts before those nested inside
	// them, and a nested clone waits for the enclosing one to finish.
	var clones []*Step
	var comps []*manifest.Component
	for _, s := range steps {
		if s.Action == Clone {
			clones = append(clones, s)
			comps = append(comps, s.Comp)
		}
	}
	order, after := workspace.CloneOrder(m, comps)
	done := make([]chan struct{}, len(clones))
	for i := range done {
		done[i] = make(chan struct{})
	}
	for _, i := range order {
		s := clones[i]
		g.Go(func() error {
			defer close(done[i])
			if j := after[i]; j >= 0 {
				hook("wait", s.Name)
				<-done[j]
			}
			progress.Start(sink, s.Name, "cloning")
			s.Err = cloneAt(gctx, s)
			if s.Err == nil {
				s.Err = workspace.ExcludeNested(m, nest, s.Comp)
			}
			hook("done", s.Name)
			progress.Finish(sink, s.Name, s, s.Err)
			return nil
		})
	}
	for _, s := range steps {
		var work func() error
		switch s.Action {
		case Checkout, Fetch:
			work = func() error { progress.Start(sink, s.Name, string(s.Action)); return moveTo(gctx, s, stamp) }
		case Download:
			work = func() error {
				progress.Start(sink, s.Name, "downloading")
				return downloadTo(gctx, m, s, o, warn)
			}
		default:
			continue
		}
		g.Go(func() error {
			s.Err = work()
			hook("done", s.Name)
			progress.Finish(sink, s.Name, s, s.Err)
			return nil
		})
	}
	g.Wait()
}

// cloneAt clones the component and checks out its locked commit; the
// directory appears whole or not at all.
func cloneAt(ctx context.Context, s *Step) error {
	c := s.Comp
	parent := filepath.Dir(c.Path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	hook("parent", s.Name)
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
	hook("publish", s.Name)
	return workspace.PublishClone(dest, c.Path, c.RelPath)
}

// moveTo fetches the commit when needed and checks it out, after a backup
// ref when local work is being moved past.
func moveTo(ctx context.Context, s *Step, stamp string) error {
	dir := s.Comp.Path
	if s.Action == Fetch {
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
		s.Clobbered = clob
	}
	if len(s.Clobbered) > 0 {
		ref := "refs/meta/backup/" + stamp + "-ignored"
		msg := "meta apply --force: files the checkout of " + workspace.ShortCommit(s.Commit) + " overwrites"
		if err := git.SaveFiles(ctx, dir, ref, s.From, msg, s.Clobbered); err != nil {
			ref = fmt.Sprintf("refs/meta/backup/%s-%d-ignored", stamp, time.Now().UnixNano()%1e6)
			if err := git.SaveFiles(ctx, dir, ref, s.From, msg, s.Clobbered); err != nil {
				return fmt.Errorf("cannot save the files the checkout would overwrite; not moved: %v", err)
			}
		}
		s.Saved = ref
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
		s.Backup = ref
	}
	return checkout(ctx, dir, s)
}

// ensureCommit makes the locked commit present: the commit itself first
// (shallow and blob-less when the clone is already shallow, so a full
// clone never becomes shallow), then its recorded ref, then every ref.
func ensureCommit(ctx context.Context, dir string, s *Step) error {
	if _, err := git.RevParse(ctx, dir, s.Commit); err == nil {
		return nil
	}
	byCommit := []string{"fetch", "--quiet", "--end-of-options", "origin", s.Commit}
	if _, err := os.Stat(filepath.Join(dir, ".git", "shallow")); err == nil {
		byCommit = []string{"fetch", "--quiet", "--depth=1", "--filter=blob:none", "--end-of-options", "origin", s.Commit}
	}
	var byRef []string
	if lc := s.Locked; lc != nil && lc.Ref != "" {
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
	msg := fmt.Sprintf("commit %s (%s) is not on %s", workspace.ShortCommit(s.Commit), s.Target, s.url)
	if last != nil {
		msg += ": " + firstLine(last.Error())
	}
	return errors.New(msg + " — it may have been force-pushed away; run 'meta lock verify'")
}

// checkout moves HEAD to the locked commit without -f: git refuses rather
// than overwrite local changes or untracked files. A ref-tracked component
// whose branch is at the commit gets the branch checked out; anything else
// is a detached HEAD.
func checkout(ctx context.Context, dir string, s *Step) error {
	if !git.IsCommitID(s.Commit) {
		return fmt.Errorf("commit %q is not a hex commit id", s.Commit)
	}
	args := []string{"checkout", "--quiet", "--detach", s.Commit, "--"}
	if lc := s.Locked; lc != nil && lc.Tracked() && lc.Ref != "" {
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

// downloadTo installs a registry component with registry.Client.Install,
// which does every check (checksum against the lock, signature bound to
// the version when the manifest's registry lists trusted_keys, the one
// tarball reader) and moves the tree into place whole.
func downloadTo(ctx context.Context, m *manifest.Manifest, s *Step, o RunOptions, warn func(string)) error {
	lc := s.Locked
	var client *registry.Client
	err := errors.New("no registry client")
	if o.Registry != nil {
		client, err = o.Registry(lc.Registry, warn)
	}
	if err != nil {
		if lc.RegistryURL == "" {
			return err
		}
		client = &registry.Client{URL: lc.RegistryURL, HTTP: &http.Client{Timeout: 10 * time.Minute}}
	}
	var trusted []minisign.PublicKey
	for _, k := range m.Registries[lc.Registry].TrustedKeys {
		pk, err := regindex.ParsePublicKey(k)
		if err != nil {
			return fmt.Errorf("registry %s: trusted key %q: %v", lc.Registry, k, err)
		}
		trusted = append(trusted, pk)
	}
	return client.Install(ctx, registry.Install{Name: lc.Name, Version: lc.Version, Checksum: lc.Checksum, Registry: lc.Registry,
		Trusted: trusted, Dir: s.Comp.Path, DenyYanked: o.DenyYanked, Warn: warn})
}
