package workspace

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/git"
)

// LocalWork is what a checkout holds that exists nowhere else: changed or
// untracked files, a stash, and commits that no remote-tracking branch or
// tag contains. 'meta apply' leaves a tree with any of it alone and 'meta
// status' never calls such a tree clean; both ask FindLocalWork, so the two
// cannot disagree.
type LocalWork struct {
	Modified  int
	Untracked int
	Stash     bool
	// Commits counts the commits of HEAD and of every local branch that
	// are on no remote-tracking branch and no tag.
	Commits int
	// Where names the places holding them: "branch NAME" or "detached HEAD".
	Where []string
}

// Any reports whether there is local work of any kind.
func (w LocalWork) Any() bool {
	return w.Modified > 0 || w.Untracked > 0 || w.Stash || w.Commits > 0
}

// Files describes the uncommitted part ("2 modified files, a stash"), "" when none.
func (w LocalWork) Files() string {
	var parts []string
	if w.Modified > 0 {
		parts = append(parts, Plural(w.Modified, "modified file"))
	}
	if w.Untracked > 0 {
		parts = append(parts, Plural(w.Untracked, "untracked file"))
	}
	if w.Stash {
		parts = append(parts, "a stash")
	}
	return strings.Join(parts, ", ")
}

// CommitsText describes the unpushed commits ("branch feature has 2
// commits on no remote branch or tag"), "" when none.
func (w LocalWork) CommitsText() string {
	if w.Commits == 0 {
		return ""
	}
	where := strings.Join(w.Where, ", ")
	if where == "" {
		where = "local branches"
	}
	verb := "has"
	if len(w.Where) > 1 {
		verb = "have"
	}
	return fmt.Sprintf("%s %s %s on no remote branch or tag", where, verb, Plural(w.Commits, "commit"))
}

// Plural is "1 file", "2 files".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// FindLocalWork inspects the checkout at dir, given its git status.
func FindLocalWork(ctx context.Context, dir string, st git.Status) (LocalWork, error) {
	w := LocalWork{Modified: st.Modified, Untracked: st.Untracked}
	refs, err := git.ReadRefs(dir)
	if err != nil {
		return w, err
	}
	w.Stash = refs["refs/stash"] != ""
	head := git.Head{Branch: st.Branch, Commit: st.Commit}
	w.Commits, w.Where, err = UnpushedCommits(ctx, dir, head, refs)
	return w, err
}

// UnpushedCommits counts the commits of HEAD and of every local branch
// that no remote-tracking branch or tag contains, and names where they
// are. When every branch tip and HEAD is itself a remote branch's or a
// tag's commit it answers without starting git.
func UnpushedCommits(ctx context.Context, dir string, head git.Head, refs map[string]string) (int, []string, error) {
	published := map[string]bool{}
	for name, id := range refs {
		if strings.HasPrefix(name, "refs/remotes/") || strings.HasPrefix(name, "refs/tags/") {
			published[id] = true
		}
	}
	type tip struct{ rev, where string }
	var tips []tip
	if head.Commit != "" && !published[head.Commit] {
		where := "detached HEAD"
		if head.Branch != "" {
			where = "branch " + head.Branch
		}
		tips = append(tips, tip{"HEAD", where})
	}
	for name, id := range refs {
		b, ok := strings.CutPrefix(name, "refs/heads/")
		if !ok || b == head.Branch || published[id] {
			continue
		}
		tips = append(tips, tip{name, "branch " + b})
	}
	if len(tips) == 0 {
		return 0, nil, nil
	}
	sort.Slice(tips, func(i, j int) bool { return tips[i].rev < tips[j].rev })
	count := func(revs ...string) (int, error) {
		// revs are "HEAD" and full ref names: never taken for options.
		args := append([]string{"rev-list", "--count"}, revs...)
		out, err := git.Cmd(ctx, dir, append(args, "--not", "--remotes", "--tags")...)
		if err != nil {
			return 0, fmt.Errorf("cannot tell whether it has unpushed commits: %w", err)
		}
		return strconv.Atoi(strings.TrimSpace(out))
	}
	var revs []string
	for _, t := range tips {
		revs = append(revs, t.rev)
	}
	total, err := count(revs...)
	if err != nil || total == 0 {
		return 0, nil, err
	}
	if len(tips) == 1 {
		return total, []string{tips[0].where}, nil
	}
	// Name the places that hold them (bounded: a tree with very many
	// local branches names the first few).
	var where []string
	for i, t := range tips {
		if i == 8 {
			where = append(where, "…")
			break
		}
		if n, err := count(t.rev); err == nil && n > 0 {
			where = append(where, t.where)
		}
	}
	return total, where, nil
}
