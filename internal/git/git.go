// Package git is meta's thin layer over the system git binary (clone,
// fetch, ls-remote, show, status, checkout) plus a read-only reader of refs
// and remotes that answers "where is this repository?" without starting a
// git process.
package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/run"
)

// env is added to every git invocation: never prompt for credentials (a
// prompt would hang a parallel clone), never page, stable messages.
var env = []string{
	"GIT_TERMINAL_PROMPT=0",
	"GIT_PAGER=cat",
	"LC_ALL=C",
}

// Trace, when set, is told every git command before it runs (meta -v).
var Trace func(dir string, args []string)

func trace(dir string, args []string) {
	if Trace != nil {
		Trace(dir, args)
	}
}

// Cmd runs git with args in dir and returns its trimmed standard output.
func Cmd(ctx context.Context, dir string, args ...string) (string, error) {
	trace(dir, args)
	out, err := run.Output(ctx, run.Cmd{Args: append([]string{"git"}, args...), Dir: dir, Env: sshBatch(env)})
	return strings.TrimRight(string(out), "\n"), err
}

// sshBatch makes ssh fail instead of asking for a password or host key.
func sshBatch(e []string) []string {
	if os.Getenv("GIT_SSH_COMMAND") == "" && os.Getenv("GIT_SSH") == "" {
		e = append(e, "GIT_SSH_COMMAND=ssh -o BatchMode=yes")
	}
	return e
}

// CloneOptions tune a clone.
type CloneOptions struct {
	Branch  string // branch or tag to check out (git clone --branch)
	Filter  string // e.g. "blob:none" for a partial clone
	Shallow bool   // --depth 1
	Mirror  bool   // bare mirror (for caches)
}

// Clone clones url into dir (which must not exist or be empty).
func Clone(ctx context.Context, url, dir string, o CloneOptions) error {
	args := []string{"clone", "--quiet"}
	if o.Mirror {
		args = append(args, "--mirror")
	}
	if o.Branch != "" {
		if err := CheckRefName(o.Branch); err != nil {
			return fmt.Errorf("clone %s: branch %q: %v", url, o.Branch, err)
		}
		args = append(args, "--branch", o.Branch)
	}
	if o.Filter != "" {
		args = append(args, "--filter="+o.Filter)
	}
	if o.Shallow {
		args = append(args, "--depth", "1")
	}
	if (o.Shallow || o.Filter != "") && filepath.IsAbs(url) {
		// git ignores --depth and --filter for a plain local path, where
		// it copies or links the objects instead; a file:// URL makes it
		// use the transport that honours them.
		url = "file://" + url
	}
	args = append(args, "--", url, dir)
	_, err := Cmd(ctx, "", args...)
	return err
}

// Ref is one reference as listed by ls-remote or show-ref.
type Ref struct {
	Name   string // full name, e.g. refs/tags/v1.2.0
	Commit string // the commit it points at (peeled for annotated tags)
}

// LsRemote lists the refs of a remote (url or remote name in dir), with
// annotated tags peeled to their commits.
func LsRemote(ctx context.Context, dir, url string, patterns ...string) ([]Ref, error) {
	args := append([]string{"ls-remote", "--", url}, patterns...)
	out, err := Cmd(ctx, dir, args...)
	if err != nil {
		return nil, err
	}
	return parseRefList(out), nil
}

// parseRefList parses "<sha>\t<ref>" lines, peeling "^{}" entries.
func parseRefList(out string) []Ref {
	byName := map[string]string{}
	var order []string
	for _, line := range strings.Split(out, "\n") {
		sha, name, ok := strings.Cut(line, "\t")
		if !ok {
			sha, name, ok = strings.Cut(line, " ")
			if !ok {
				continue
			}
		}
		if strings.HasSuffix(name, "^{}") {
			byName[strings.TrimSuffix(name, "^{}")] = sha
			continue
		}
		if _, seen := byName[name]; !seen {
			order = append(order, name)
			byName[name] = sha
		}
	}
	refs := make([]Ref, 0, len(order))
	for _, n := range order {
		refs = append(refs, Ref{Name: n, Commit: byName[n]})
	}
	return refs
}

// Tags returns the tag names of refs.
func Tags(refs []Ref) map[string]string {
	tags := map[string]string{}
	for _, r := range refs {
		if t, ok := strings.CutPrefix(r.Name, "refs/tags/"); ok {
			tags[t] = r.Commit
		}
	}
	return tags
}

// Show returns the contents of path at rev ("git show rev:path").
func Show(ctx context.Context, dir, rev, path string) ([]byte, error) {
	trace(dir, []string{"show", "--end-of-options", rev + ":" + path})
	out, err := run.Output(ctx, run.Cmd{Args: []string{"git", "show", "--end-of-options", rev + ":" + path}, Dir: dir, Env: env})
	return out, err
}

// RevParse resolves rev to a full commit id.
func RevParse(ctx context.Context, dir, rev string) (string, error) {
	return Cmd(ctx, dir, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
}

// Checkout checks out rev (detached unless it is a local branch). git
// checkout does not take --end-of-options, so a rev that could be read as
// an option is refused here.
func Checkout(ctx context.Context, dir, rev string) error {
	if strings.HasPrefix(rev, "-") {
		return fmt.Errorf("checkout %q: a revision cannot start with '-'", rev)
	}
	_, err := Cmd(ctx, dir, "checkout", "--quiet", rev, "--")
	return err
}

// Status is the state of a working tree as git status reports it.
type Status struct {
	Commit    string // HEAD commit, "" in an empty repository
	Branch    string // "" when detached
	Upstream  string
	Ahead     int
	Behind    int
	Modified  int // tracked files changed (staged or not), including conflicts
	Untracked int
}

// Dirty reports whether there are uncommitted changes to tracked files.
func (s Status) Dirty() bool { return s.Modified > 0 }

// GetStatus runs git status in dir.
func GetStatus(ctx context.Context, dir string) (Status, error) {
	trace(dir, []string{"status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal"})
	out, err := run.Output(ctx, run.Cmd{
		Args: []string{"git", "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal"},
		Dir:  dir, Env: env,
	})
	if err != nil {
		return Status{}, err
	}
	return parseStatus(out), nil
}

func parseStatus(out []byte) Status {
	var s Status
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		line := string(fields[i])
		switch {
		case strings.HasPrefix(line, "# branch.oid "):
			if oid := strings.TrimPrefix(line, "# branch.oid "); oid != "(initial)" {
				s.Commit = oid
			}
		case strings.HasPrefix(line, "# branch.head "):
			if h := strings.TrimPrefix(line, "# branch.head "); h != "(detached)" {
				s.Branch = h
			}
		case strings.HasPrefix(line, "# branch.upstream "):
			s.Upstream = strings.TrimPrefix(line, "# branch.upstream ")
		case strings.HasPrefix(line, "# branch.ab "):
			var a, b int
			fmt.Sscanf(strings.TrimPrefix(line, "# branch.ab "), "+%d -%d", &a, &b)
			s.Ahead, s.Behind = a, b
		case strings.HasPrefix(line, "1 "), strings.HasPrefix(line, "u "):
			s.Modified++
		case strings.HasPrefix(line, "2 "):
			s.Modified++
			i++ // a rename entry is followed by its original path
		case strings.HasPrefix(line, "? "):
			s.Untracked++
		}
	}
	return s
}

// RemoteURL returns the URL of remote name in dir, read from git's config
// without starting git. "" when the remote does not exist.
func RemoteURL(dir, name string) (string, error) {
	r, err := OpenRepo(dir)
	if err != nil {
		return "", err
	}
	return r.RemoteURL(name)
}

// configValue finds key in [section] of a git config file. It handles the
// common forms meta writes and git writes; anything exotic (includes,
// continuation lines) makes callers fall back to git itself.
func configValue(cfg, section, key string) string {
	in := false
	val := ""
	for _, raw := range strings.Split(cfg, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.LastIndex(line, "]")
			if end < 0 {
				in = false
				continue
			}
			in = sectionMatches(line[1:end], section)
			line = strings.TrimSpace(line[end+1:])
			if line == "" {
				continue
			}
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), key) {
			continue
		}
		v = strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		}
		val = v // the last value wins, as in git
	}
	return val
}

func sectionMatches(header, want string) bool {
	// header: remote "origin"   want: remote "origin"
	h := strings.TrimSpace(header)
	name, sub, hasSub := strings.Cut(h, " ")
	wname, wsub, wHasSub := strings.Cut(want, " ")
	if !strings.EqualFold(name, wname) || hasSub != wHasSub {
		return false
	}
	return strings.TrimSpace(sub) == wsub
}

// GitDir returns the git directory of the working tree at dir (following a
// ".git" file for worktrees and submodules), or an error when dir is not
// the top of a git working tree.
func GitDir(dir string) (string, error) {
	p := filepath.Join(dir, ".git")
	st, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return p, nil
	}
	data, err := readSmall(p, maxRefFileSize)
	if err != nil {
		return "", err
	}
	target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
	if !ok {
		return "", fmt.Errorf("%s: not a gitdir file", p)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	return target, nil
}

// commonDir follows a worktree's commondir file.
func commonDir(gd string) string {
	data, err := readSmall(filepath.Join(gd, "commondir"), maxRefFileSize)
	if err != nil {
		return gd
	}
	c := strings.TrimSpace(string(data))
	if !filepath.IsAbs(c) {
		c = filepath.Join(gd, c)
	}
	return c
}

// Head is what HEAD points at, read from disk without starting git.
type Head struct {
	Branch string // "" when detached
	Commit string // "" for an unborn branch
}

// ReadHead reads HEAD of the working tree at dir.
func ReadHead(dir string) (Head, error) {
	r, err := OpenRepo(dir)
	if err != nil {
		return Head{}, err
	}
	return r.Head()
}

// HeadFromRefs is ReadHead for a caller that already holds the
// repository's refs (from ReadRefs): it reads HEAD and looks its branch up
// in refs instead of reading the refs again.
func HeadFromRefs(dir string, refs map[string]string) (Head, error) {
	r, err := OpenRepo(dir)
	if err != nil {
		return Head{}, err
	}
	return r.HeadFromRefs(refs)
}

// resolveRef reads one ref (following symbolic refs a few levels): the
// loose file if there is one, else its line in packed-refs. An unborn
// branch resolves to "".
func resolveRef(cd, ref string) (string, error) {
	for range 5 {
		if !strings.HasPrefix(ref, "refs/") || CheckRefName(ref) != nil {
			return "", fmt.Errorf("HEAD points at %q, which is not a valid ref", ref)
		}
		data, err := readSmall(filepath.Join(cd, filepath.FromSlash(ref)), maxRefFileSize)
		if err == nil {
			s := strings.TrimSpace(string(data))
			if next, ok := strings.CutPrefix(s, "ref: "); ok {
				ref = next
				continue
			}
			return s, nil
		}
		packed, err := readSmall(filepath.Join(cd, "packed-refs"), maxPackedRefsSize)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		for line := range strings.SplitSeq(string(packed), "\n") {
			if sha, name, ok := strings.Cut(line, " "); ok && name == ref && line[0] != '#' && line[0] != '^' {
				return sha, nil
			}
		}
		return "", nil
	}
	return "", fmt.Errorf("HEAD: symbolic refs nest more than 5 deep")
}

// ReadRefs returns every ref of the repository at dir (loose refs override
// packed ones), mapping full names to object ids. Tags are peeled: an
// annotated tag maps to the commit it points at, whether git left it loose
// or in packed-refs (with or without a peeled "^" line), so a HEAD at a
// tag's commit is recognised however git stored the tag.
func ReadRefs(dir string) (map[string]string, error) {
	r, err := OpenRepo(dir)
	if err != nil {
		return nil, err
	}
	return r.Refs()
}

// HasStash reports whether the repository has a stash, read from disk.
func HasStash(dir string) bool {
	refs, err := ReadRefs(dir)
	if err != nil {
		return false
	}
	_, ok := refs["refs/stash"]
	return ok
}

// SortedTags returns tag names of refs sorted for stable output.
func SortedTags(refs map[string]string) []string {
	var tags []string
	for name := range refs {
		if t, ok := strings.CutPrefix(name, "refs/tags/"); ok {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	return tags
}

// IsCommitID reports whether s is a full or abbreviated (≥ 7) hex commit id.
func IsCommitID(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
