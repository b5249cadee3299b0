// Package workspace owns the working trees of a meta workspace: cloning
// components side by side (bootstrap), reporting where each one is
// (status), running commands across them (exec, setup) and checking them
// against the manifest (validate). It never loses local work: an existing
// directory is adopted only when its origin matches, and nothing here
// resets, cleans or overwrites a working tree.
package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/run"
	"github.com/metawork/meta/internal/semver"
)

// RepoURL returns the URL to clone component c from: relative local paths
// in the manifest are relative to the meta repository.
func RepoURL(m *manifest.Manifest, c *manifest.Component) string {
	r := c.Repo
	if strings.HasPrefix(r, "./") || strings.HasPrefix(r, "../") {
		return filepath.Clean(filepath.Join(m.Dir, r))
	}
	return r
}

// SameRemote reports whether two remote URLs name the same repository,
// ignoring a trailing ".git" or "/" and a file:// prefix on local paths.
func SameRemote(a, b string) bool {
	return normRemote(a) == normRemote(b)
}

func normRemote(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "file://")
	s = strings.TrimRight(s, "/")
	s = strings.TrimSuffix(s, ".git")
	if filepath.IsAbs(s) {
		s = filepath.Clean(s)
	}
	return s
}

// CheckContained refuses a component path that exists but resolves, through
// symbolic links, to a place outside the workspace root (DESIGN §5).
func CheckContained(m *manifest.Manifest, c *manifest.Component) error {
	return checkContained(m, c, nil)
}

// checkContained is CheckContained resolving links through rp, which a
// command checking many components shares between them.
func checkContained(m *manifest.Manifest, c *manifest.Component, rp *realPaths) error {
	real, err := rp.eval(c.Path)
	if err != nil {
		return nil // missing: nothing to follow
	}
	root, err := rp.evalDir(m.Workspace.Root)
	if err != nil {
		root = m.Workspace.Root
	}
	if rel, err := filepath.Rel(root, real); err != nil || !filepath.IsLocal(rel) {
		return fmt.Errorf("%s leads to %s, outside the workspace root %s; not used", c.Path, real, m.Workspace.Root)
	}
	return nil
}

// Action is what bootstrap did with a component.
type Action string

const (
	Cloned  Action = "cloned"
	Present Action = "present" // already cloned from the right remote: adopted, not touched
	Failed  Action = "failed"
)

// BootstrapOptions tune Bootstrap.
type BootstrapOptions struct {
	Jobs    int
	Filter  string // e.g. "blob:none"
	Shallow bool
	// Pick chooses the tag to check out for a component with a version
	// constraint (or none) from the remote's tags; "" means the default
	// branch. It returns an error when no tag satisfies the constraint.
	Pick func(c *manifest.Component, tags map[string]string) (string, error)
	// Sink receives Started/Updated events per component and a Finished
	// event with each BootstrapResult as it completes (optional).
	Sink progress.Sink
}

// BootstrapResult is the outcome for one component.
type BootstrapResult struct {
	Name     string
	Path     string
	Action   Action
	Checkout string // what is checked out: branch, tag or commit
	Err      error
	Hint     string
}

// Bootstrap clones the missing components among comps, in parallel. An
// existing directory is adopted when its origin matches the manifest and
// reported otherwise; it is never modified. A failure in one component
// does not stop the others.
func Bootstrap(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component, o BootstrapOptions) []BootstrapResult {
	results := make([]BootstrapResult, len(comps))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.Jobs, 1))
	// Enclosing checkouts start first and nested ones wait for them.
	order, after := CloneOrder(m, comps)
	nest := m.Nesting()
	rp := newRealPaths()
	done := make([]chan struct{}, len(comps))
	for i := range done {
		done[i] = make(chan struct{})
	}
	for _, i := range order {
		c := comps[i]
		g.Go(func() error {
			defer close(done[i])
			if j := after[i]; j >= 0 {
				<-done[j]
			}
			r := bootstrapOne(gctx, m, c, o, rp)
			if r.Action != Failed {
				if err := ExcludeNested(m, nest, c); err != nil {
					r.Action, r.Err = Failed, err
				}
			}
			results[i] = r
			progress.Finish(o.Sink, r.Name, r, r.Err)
			return nil
		})
	}
	g.Wait()
	return results
}

func bootstrapOne(ctx context.Context, m *manifest.Manifest, c *manifest.Component, o BootstrapOptions, rp *realPaths) BootstrapResult {
	r := BootstrapResult{Name: c.Name, Path: c.Path}
	fail := func(err error, hint string) BootstrapResult {
		r.Action, r.Err, r.Hint = Failed, err, hint
		return r
	}
	if c.Repo == "" {
		return fail(fmt.Errorf("comes from registry %q and has no git repository to clone", c.Registry), "")
	}
	url := RepoURL(m, c)
	intoNested := false // the directory holds only nested checkouts
	if err := checkContained(m, c, rp); err != nil {
		return fail(err, "replace the symbolic link with a checkout inside the workspace")
	}
	st, err := os.Stat(c.Path)
	switch {
	case err == nil && !st.IsDir():
		return fail(fmt.Errorf("%s exists and is not a directory", c.Path), "move it away, or set a different 'path' for "+c.Name)
	case err == nil:
		if repo, gerr := git.OpenRepo(c.Path); gerr == nil {
			origin, err := repo.RemoteURL("origin")
			if err != nil {
				return fail(fmt.Errorf("cannot read its git config: %v", err), "")
			}
			if !SameRemote(origin, url) && !SameRemote(origin, c.Repo) {
				if origin == "" {
					origin = "(no origin)"
				}
				return fail(fmt.Errorf("%s already exists with origin %s, but the manifest says %s; not touched", c.Path, origin, c.Repo),
					"move the directory away, or fix 'repo' in the manifest")
			}
			r.Action = Present
			if h, err := repo.Head(); err == nil {
				r.Checkout = describeHead(h)
			}
			return r
		}
		entries, err := os.ReadDir(c.Path)
		if err != nil {
			return fail(err, "")
		}
		if len(entries) > 0 {
			if !onlyNested(m, m.Nesting(), c) {
				return fail(fmt.Errorf("%s exists, is not empty and is not a git repository; not touched", c.Path),
					"move it away, or set a different 'path' for "+c.Name)
			}
			intoNested = true
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fail(err, "")
	}

	step := func(s string) { progress.Update(o.Sink, c.Name, s) }
	target, commit := c.Ref, ""
	if c.Ref == "" {
		step("listing tags")
		refs, err := git.LsRemote(ctx, "", url, "refs/tags/*")
		if err != nil {
			return fail(err, remoteHint(url))
		}
		target, err = o.Pick(c, git.Tags(refs))
		if err != nil {
			return fail(err, "check the 'version' range of "+c.Name+" against the tags that exist")
		}
	} else if git.IsCommitID(c.Ref) {
		target, commit = "", c.Ref
	}

	step("cloning")
	parent := filepath.Dir(c.Path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fail(err, "")
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(c.Path)+".meta-clone-")
	if err != nil {
		return fail(err, "")
	}
	defer os.RemoveAll(tmp)
	dest := filepath.Join(tmp, "repo")
	opts := git.CloneOptions{Branch: target, Filter: o.Filter, Shallow: o.Shallow && commit == ""}
	if err := git.Clone(ctx, url, dest, opts); err != nil {
		return fail(err, remoteHint(url))
	}
	if commit != "" {
		step("checking out " + short(commit))
		if err := checkoutCommit(ctx, dest, commit, o); err != nil {
			return fail(err, "check that commit "+commit+" exists on "+url)
		}
	}
	if intoNested {
		if err := moveInto(dest, c.Path); err != nil {
			return fail(err, "clone "+c.Name+" before the components inside it")
		}
		r.Action = Cloned
		if h, err := git.ReadHead(c.Path); err == nil {
			r.Checkout = describeHead(h)
		}
		return r
	}
	// Publish: the clone appears at its path whole or not at all.
	err = os.Remove(c.Path)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		err = os.Rename(dest, c.Path)
	}
	if err != nil {
		// Another bootstrap may have published the same clone meanwhile.
		if origin, oerr := git.RemoteURL(c.Path, "origin"); oerr == nil && (SameRemote(origin, url) || SameRemote(origin, c.Repo)) {
			r.Action = Present
			if h, err := git.ReadHead(c.Path); err == nil {
				r.Checkout = describeHead(h)
			}
			return r
		}
		return fail(err, "another process may be writing "+c.Path+"; run 'meta bootstrap' again")
	}
	r.Action = Cloned
	if h, err := git.ReadHead(c.Path); err == nil {
		r.Checkout = describeHead(h)
		if target != "" && h.Branch == "" {
			r.Checkout = target
		}
	}
	return r
}

func checkoutCommit(ctx context.Context, dir, commit string, o BootstrapOptions) error {
	if _, err := git.RevParse(ctx, dir, commit); err != nil {
		// Not in the cloned history: ask the server for it directly.
		args := []string{"fetch", "--quiet"}
		if o.Shallow {
			args = append(args, "--depth=1")
		}
		if _, err := git.Cmd(ctx, dir, append(args, "--end-of-options", "origin", commit)...); err != nil {
			return err
		}
	}
	return git.Checkout(ctx, dir, commit)
}

func remoteHint(url string) string {
	if strings.HasPrefix(url, "git@") || strings.HasPrefix(url, "ssh://") {
		return "check that your SSH key is loaded (ssh-add -l) and can read " + url
	}
	if strings.HasPrefix(url, "http") {
		return "check the URL and your credentials for " + url + " (meta never prompts; use a credential helper)"
	}
	return "check that " + url + " exists and is a git repository"
}

func describeHead(h git.Head) string {
	if h.Branch != "" {
		return h.Branch
	}
	return short(h.Commit)
}

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// PickNewest returns a Pick function choosing the newest tag that satisfies
// the component's version constraint (any version when it has none); tags
// that are not semver are ignored. With no constraint and no semver tags it
// picks the default branch ("").
func PickNewest() func(c *manifest.Component, tags map[string]string) (string, error) {
	return func(c *manifest.Component, tags map[string]string) (string, error) {
		set := semver.Releases()
		if c.Version != "" {
			s, err := semver.ParseConstraint(c.Version)
			if err != nil {
				return "", fmt.Errorf("version %q: %v", c.Version, err)
			}
			set = s
		}
		best, bestTag := semver.Version{}, ""
		var all []string
		for tag := range tags {
			v, err := semver.ParseVersion(tag)
			if err != nil {
				continue
			}
			all = append(all, tag)
			if set.Contains(v) && (bestTag == "" || semver.Compare(v, best) > 0) {
				best, bestTag = v, tag
			}
		}
		if bestTag != "" || c.Version == "" {
			return bestTag, nil
		}
		sort.Strings(all)
		if len(all) == 0 {
			return "", fmt.Errorf("no semver tags on the remote to satisfy %q", c.Version)
		}
		return "", fmt.Errorf("no tag satisfies %q (tags: %s)", c.Version, strings.Join(all, ", "))
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers (a program's
// stdout and stderr collated into one).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

// ExecResult is the outcome of a command in one component.
type ExecResult struct {
	Name      string
	Dir       string
	Output    []byte // stdout and stderr, collated
	ExitCode  int
	Err       error
	NotCloned bool // skipped: the component is not on disk
}

// Exec runs argv in every component's directory, at most jobs at a time,
// collecting each one's output whole so that outputs never interleave.
// sink receives a Started event as each begins and a Finished event with
// its ExecResult as each ends (serially).
func Exec(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component, argv []string, env []string, jobs int, sink progress.Sink) []ExecResult {
	results := make([]ExecResult, len(comps))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	for i, c := range comps {
		g.Go(func() error {
			r := ExecResult{Name: c.Name, Dir: c.Path}
			progress.Start(sink, c.Name, "running")
			if _, err := os.Stat(c.Path); err != nil {
				r.NotCloned = true
			} else if err := CheckContained(m, c); err != nil {
				r.Err, r.ExitCode = err, -1
			} else {
				var buf lockedBuffer
				err := run.Run(gctx, run.Cmd{Args: argv, Dir: c.Path, Env: env, Stdout: &buf, Stderr: &buf})
				r.Output = buf.Bytes()
				if err != nil {
					r.Err, r.ExitCode = err, -1
					var re *run.Error
					if errors.As(err, &re) {
						r.ExitCode = re.ExitCode
						if re.ExitCode > 0 {
							r.Err = fmt.Errorf("exit status %d", re.ExitCode)
						}
					}
				}
			}
			results[i] = r
			mu.Lock()
			progress.Finish(sink, r.Name, r, r.Err)
			mu.Unlock()
			return nil
		})
	}
	g.Wait()
	return results
}
