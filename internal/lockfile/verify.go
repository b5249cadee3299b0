package lockfile

import (
	"context"
	"fmt"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/git"
)

// Remote answers questions about a component's remote repository.
type Remote interface {
	// Refs lists the refs of the repository at url, annotated tags peeled.
	Refs(ctx context.Context, url string) ([]git.Ref, error)
	// HasCommit reports whether the repository at url still holds commit
	// (reachable from some ref), fetching what it needs to know.
	HasCommit(ctx context.Context, url, commit string) (bool, error)
}

// Problem is one thing Verify found wrong with a locked component.
type Problem struct {
	Name string `json:"name"`
	Msg  string `json:"message"`
	Hint string `json:"hint,omitempty"`
}

// Verify checks every locked component against its remote: the locked
// commit must still exist there, and a locked tag must still point at the
// locked commit (a moved tag is reported: what the lock names is no longer
// what the tag gives). url maps a component to the URL to ask (relative
// paths resolved); jobs bounds the remotes asked at once. Problems are
// sorted by component name. Registry components have no commit to check
// and are left out: their checksum is verified on every download.
func Verify(ctx context.Context, f *File, r Remote, url func(c *Component) string, jobs int) ([]Problem, error) {
	names := f.Names()
	found := make([][]Problem, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	for i, n := range names {
		if f.Components[n].FromRegistry() {
			continue
		}
		g.Go(func() error {
			found[i] = verifyOne(gctx, f.Components[n], r, url(f.Components[n]))
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Problem
	for _, p := range found {
		out = append(out, p...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func verifyOne(ctx context.Context, c *Component, r Remote, url string) []Problem {
	if url == "" {
		return []Problem{{Name: c.Name, Msg: "has no repository to verify against"}}
	}
	refs, err := r.Refs(ctx, url)
	if err != nil {
		return []Problem{{Name: c.Name, Msg: fmt.Sprintf("cannot list %s: %v", url, err),
			Hint: "check that the remote exists and that you can read it"}}
	}
	var probs []Problem
	atTip := false
	for _, ref := range refs {
		if SameCommit(ref.Commit, c.Commit) {
			atTip = true
		}
		if c.Ref != "" && ref.Name == "refs/tags/"+c.Ref && !SameCommit(ref.Commit, c.Commit) {
			probs = append(probs, Problem{Name: c.Name,
				Msg:  fmt.Sprintf("tag %s now points at %s, but the lock says %s", c.Ref, short(ref.Commit), short(c.Commit)),
				Hint: "someone moved the tag; find out why before re-locking"})
		}
	}
	if atTip {
		return probs
	}
	ok, err := r.HasCommit(ctx, url, c.Commit)
	switch {
	case err != nil:
		probs = append(probs, Problem{Name: c.Name, Msg: fmt.Sprintf("cannot check commit %s on %s: %v", short(c.Commit), url, err)})
	case !ok:
		probs = append(probs, Problem{Name: c.Name,
			Msg:  fmt.Sprintf("locked commit %s (%s) no longer exists on %s", short(c.Commit), c.Describe(), url),
			Hint: "the branch was rewritten or the tag deleted; run 'meta lock --update " + c.Name + "' to lock what exists"})
	}
	return probs
}
