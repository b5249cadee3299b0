package source

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/run"
	"github.com/metawork/meta/internal/semver"
)

// GitOptions configure a Git provider.
type GitOptions struct {
	// CacheDir holds the bare mirrors, one per URL, named
	// <sha256(url)>.git (<meta repo>/.meta/cache/mirrors).
	CacheDir string
	// Jobs bounds the repositories fetched at once (default 8).
	Jobs int
	// Filter is the partial-clone filter of new mirrors ("" means
	// blob:none; "-" means a full mirror).
	Filter string
	// Progress, when set, is called after each component's metadata is
	// loaded with the number loaded so far and the number known.
	Progress func(loaded, total int)
}

// GitComponent is one component the Git provider knows.
type GitComponent struct {
	URL string // what to clone (relative paths already resolved)
	// Deps are the workspace manifest's depends_on for this component,
	// added to component.yaml's at every version.
	Deps []pubgrub.Dependency
}

// Git is the solver's Provider over git repositories: a component's
// versions are its semver tags, and its dependencies at a version are the
// depends_on of component.yaml at that tag plus the manifest's. Each
// repository is read from a bare mirror cached per URL (cloned with
// --mirror and a blob filter the first time, fetched afterwards, at most
// once per Git value). Metadata is loaded once per component (singleflight)
// by a bounded pool; Prefetch starts every component at once so that the
// solver rarely waits. A Git is safe for concurrent use.
type Git struct {
	opts  GitOptions
	comps map[string]GitComponent
	sem   chan struct{}
	sf    singleflight.Group

	mu       sync.Mutex
	loaded   int
	pkgs     map[string]*gitPkg
	mirrors  map[string]*mirrorState
	warnings []string
}

// gitPkg is what was learned about one component.
type gitPkg struct {
	name     string
	mirror   string
	versions []semver.Version
	tags     map[string]gitTag // by canonical version
	err      error
}

type gitTag struct {
	tag    string
	commit string
	deps   []pubgrub.Dependency
	bad    string // why this version is unusable ("" when usable)
}

type mirrorState struct {
	once sync.Once
	dir  string
	err  error
}

// NewGit returns a provider over comps (by component name).
func NewGit(o GitOptions, comps map[string]GitComponent) *Git {
	if o.Jobs <= 0 {
		o.Jobs = 8
	}
	return &Git{
		opts:    o,
		comps:   comps,
		sem:     make(chan struct{}, o.Jobs),
		pkgs:    map[string]*gitPkg{},
		mirrors: map[string]*mirrorState{},
	}
}

// Prefetch starts loading every component in the background (bounded by
// Jobs) and returns at once; later calls for a component wait for its load.
func (g *Git) Prefetch(ctx context.Context) {
	names := make([]string, 0, len(g.comps))
	for n := range g.comps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		go g.load(ctx, n)
	}
}

// Warnings returns what was ignored along the way (tags that are not
// semantic versions, duplicate tags), sorted.
func (g *Git) Warnings() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := append([]string(nil), g.warnings...)
	sort.Strings(out)
	return out
}

func (g *Git) warn(format string, args ...any) {
	g.mu.Lock()
	g.warnings = append(g.warnings, fmt.Sprintf(format, args...))
	g.mu.Unlock()
}

// Versions implements pubgrub.Provider.
func (g *Git) Versions(ctx context.Context, pkg string) ([]semver.Version, error) {
	p, err := g.load(ctx, pkg)
	if err != nil {
		return nil, err
	}
	return p.versions, nil
}

// Dependencies implements pubgrub.Provider. A version whose component.yaml
// does not parse is reported as *pubgrub.UnusableError with the reason.
func (g *Git) Dependencies(ctx context.Context, pkg string, v semver.Version) ([]pubgrub.Dependency, error) {
	p, err := g.load(ctx, pkg)
	if err != nil {
		return nil, err
	}
	t, ok := p.tags[v.String()]
	if !ok {
		return nil, fmt.Errorf("%s has no version %s", pkg, v)
	}
	if t.bad != "" {
		return nil, &pubgrub.UnusableError{Reason: t.bad}
	}
	return t.deps, nil
}

// Tag returns the tag and commit of pkg at version v, once loaded.
func (g *Git) Tag(pkg string, v semver.Version) (tag, commit string, ok bool) {
	g.mu.Lock()
	p := g.pkgs[pkg]
	g.mu.Unlock()
	if p == nil {
		return "", "", false
	}
	t, ok := p.tags[v.String()]
	return t.tag, t.commit, ok
}

// load reads a component's tags and component.yaml files once.
func (g *Git) load(ctx context.Context, pkg string) (*gitPkg, error) {
	g.mu.Lock()
	if p, ok := g.pkgs[pkg]; ok {
		g.mu.Unlock()
		return p, p.err
	}
	g.mu.Unlock()
	v, err, _ := g.sf.Do(pkg, func() (any, error) {
		p := g.loadPkg(ctx, pkg)
		if p.err != nil && ctx.Err() != nil {
			return p, p.err // do not cache a cancellation
		}
		g.mu.Lock()
		g.pkgs[pkg] = p
		g.loaded++
		loaded := g.loaded
		g.mu.Unlock()
		if g.opts.Progress != nil {
			g.opts.Progress(loaded, len(g.comps))
		}
		return p, p.err
	})
	return v.(*gitPkg), err
}

func (g *Git) loadPkg(ctx context.Context, pkg string) *gitPkg {
	p := &gitPkg{name: pkg, tags: map[string]gitTag{}}
	c, ok := g.comps[pkg]
	if !ok {
		p.err = fmt.Errorf("%s: %w (not a component of the workspace)", pkg, pubgrub.ErrNotFound)
		return p
	}
	p.mirror, p.err = g.Mirror(ctx, c.URL)
	if p.err != nil {
		return p
	}
	select {
	case g.sem <- struct{}{}:
	case <-ctx.Done():
		p.err = ctx.Err()
		return p
	}
	defer func() { <-g.sem }()
	refs, err := mirrorRefs(ctx, p.mirror, "refs/tags")
	if err != nil {
		p.err = err
		return p
	}
	type cand struct {
		v      semver.Version
		tag    string
		commit string
	}
	var cands []cand
	var ignored []string
	byVersion := map[string]int{}
	for _, r := range refs {
		tag := strings.TrimPrefix(r.Name, "refs/tags/")
		v, err := semver.ParseVersion(tag)
		if err != nil {
			ignored = append(ignored, tag)
			continue
		}
		key := v.String()
		if i, dup := byVersion[key]; dup {
			// v1.2.0 and 1.2.0 both: prefer the v-prefixed one, say so.
			if strings.HasPrefix(tag, "v") && !strings.HasPrefix(cands[i].tag, "v") {
				cands[i].tag, cands[i].commit, tag = tag, r.Commit, cands[i].tag
			}
			g.warn("%s: tags %s and %s are the same version; using %s", pkg, cands[i].tag, tag, cands[i].tag)
			continue
		}
		byVersion[key] = len(cands)
		cands = append(cands, cand{v, tag, r.Commit})
	}
	if len(ignored) > 0 {
		sort.Strings(ignored)
		more := ""
		if len(ignored) > 3 {
			more = fmt.Sprintf(" and %d more", len(ignored)-3)
			ignored = ignored[:3]
		}
		g.warn("%s: ignored tags that are not semantic versions: %s%s", pkg, strings.Join(ignored, ", "), more)
	}
	revs := make([]string, len(cands))
	for i, cd := range cands {
		revs[i] = cd.commit
	}
	files, err := readFiles(ctx, p.mirror, revs, manifest.ComponentFileName)
	if err != nil {
		p.err = err
		return p
	}
	for i, cd := range cands {
		t := gitTag{tag: cd.tag, commit: cd.commit}
		t.deps, t.bad = componentDeps(pkg, cd.tag, files[i], c.Deps)
		p.tags[cd.v.String()] = t
		p.versions = append(p.versions, cd.v)
	}
	sort.Slice(p.versions, func(i, j int) bool { return p.versions[i].Less(p.versions[j]) })
	return p
}

// componentDeps turns component.yaml at a tag (nil: absent) plus the
// manifest's dependencies into the solver's; bad says why the version is
// unusable.
func componentDeps(pkg, rev string, data []byte, manifestDeps []pubgrub.Dependency) (deps []pubgrub.Dependency, bad string) {
	deps = append(deps, manifestDeps...)
	if data == nil {
		return deps, ""
	}
	file := pkg + "@" + rev + ":" + manifest.ComponentFileName
	cf, err := manifest.ParseComponentFile(file, data)
	if err != nil {
		return nil, fmt.Sprintf("%v", err)
	}
	for _, d := range cf.DependsOn {
		set := semver.Releases()
		if d.Constraint != "" {
			s, err := semver.ParseConstraint(d.Constraint)
			if err != nil {
				return nil, fmt.Sprintf("%s: depends_on %s: %v", d.Pos, d.Name, err)
			}
			set = s
		}
		deps = append(deps, pubgrub.Dependency{Name: d.Name, Constraint: set, Source: d.Pos.String()})
	}
	return deps, ""
}

// RefInfo is where a tracked ref points.
type RefInfo struct {
	Ref    string // branch or tag name ("main", "v1.2.0"), or the commit for a commit ref
	Commit string
	Deps   []pubgrub.Dependency // component.yaml's at that commit plus the manifest's
}

// ResolveRef resolves ref (a branch, tag or commit; "" for the default
// branch) of component pkg in its mirror, and reads its dependencies there.
// A component.yaml that does not parse is an error.
func (g *Git) ResolveRef(ctx context.Context, pkg, ref string) (RefInfo, error) {
	c, ok := g.comps[pkg]
	if !ok {
		return RefInfo{}, fmt.Errorf("%s: %w", pkg, pubgrub.ErrNotFound)
	}
	dir, err := g.Mirror(ctx, c.URL)
	if err != nil {
		return RefInfo{}, err
	}
	info := RefInfo{Ref: ref}
	switch {
	case ref == "":
		head, err := git.Cmd(ctx, dir, "symbolic-ref", "--quiet", "HEAD")
		if err != nil {
			return info, fmt.Errorf("%s: cannot tell the default branch of %s: %v", pkg, c.URL, err)
		}
		info.Ref = strings.TrimPrefix(head, "refs/heads/")
		info.Commit, err = git.RevParse(ctx, dir, head)
		if err != nil {
			return info, fmt.Errorf("%s: the default branch %s of %s has no commits", pkg, info.Ref, c.URL)
		}
	default:
		refs, err := mirrorRefs(ctx, dir, "refs/heads", "refs/tags")
		if err != nil {
			return info, err
		}
		for _, r := range refs {
			if r.Name == "refs/heads/"+ref || r.Name == "refs/tags/"+ref {
				info.Commit = r.Commit
				break
			}
		}
		if info.Commit == "" && git.IsCommitID(ref) {
			if full, err := git.RevParse(ctx, dir, ref); err == nil {
				info.Commit = full
			}
		}
		if info.Commit == "" {
			return info, fmt.Errorf("%s: %s has no branch, tag or commit %q", pkg, c.URL, ref)
		}
	}
	files, err := readFiles(ctx, dir, []string{info.Commit}, manifest.ComponentFileName)
	if err != nil {
		return info, err
	}
	var bad string
	info.Deps, bad = componentDeps(pkg, info.Ref, files[0], c.Deps)
	if bad != "" {
		return info, errors.New(bad)
	}
	return info, nil
}

// Mirror returns the bare mirror of url, cloning it on first use and
// fetching it (once per Git value) when it already exists. Concurrent meta
// processes are safe: a new mirror is cloned into a temporary directory
// and renamed into place.
func (g *Git) Mirror(ctx context.Context, url string) (string, error) {
	g.mu.Lock()
	st := g.mirrors[url]
	if st == nil {
		st = &mirrorState{}
		g.mirrors[url] = st
	}
	g.mu.Unlock()
	st.once.Do(func() {
		select {
		case g.sem <- struct{}{}:
		case <-ctx.Done():
			st.err = ctx.Err()
			return
		}
		defer func() { <-g.sem }()
		st.dir, st.err = g.syncMirror(ctx, url)
	})
	return st.dir, st.err
}

// MirrorDir returns where the mirror of url lives (it may not exist).
func (g *Git) MirrorDir(url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(g.opts.CacheDir, hex.EncodeToString(sum[:])+".git")
}

func (g *Git) syncMirror(ctx context.Context, url string) (string, error) {
	dir := g.MirrorDir(url)
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		_, err := git.Cmd(ctx, dir, "fetch", "--quiet", "--prune", "--force", "origin")
		if err != nil && ctx.Err() == nil {
			// Another meta process may hold the mirror's ref locks for a
			// moment: one more try before giving up.
			_, err = git.Cmd(ctx, dir, "fetch", "--quiet", "--prune", "--force", "origin")
		}
		if err != nil {
			return "", fmt.Errorf("fetching %s: %w", url, err)
		}
		return dir, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(g.opts.CacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(g.opts.CacheDir, ".clone-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	args := []string{"clone", "--quiet", "--mirror"}
	switch {
	case localURL(url) || g.opts.Filter == "-":
		// A repository on this machine: a filter saves no transfer (and
		// local servers ignore it unless uploadpack.allowFilter is set).
	case g.opts.Filter == "":
		args = append(args, "--filter=blob:none")
	default:
		args = append(args, "--filter="+g.opts.Filter)
	}
	src := url
	if p, ok := strings.CutPrefix(url, "file://"); ok && filepath.IsAbs(p) {
		src = p // a plain path clones by hard links, without packing
	}
	args = append(args, "--", src, filepath.Join(tmp, "m.git"))
	var stderr bytes.Buffer
	if _, err := run.Output(ctx, run.Cmd{Args: append([]string{"git"}, args...), Env: gitEnv, Stderr: &stderr}); err != nil {
		return "", fmt.Errorf("cloning %s: %w", url, err)
	}
	completeIfUnfiltered(ctx, filepath.Join(tmp, "m.git"), stderr.String())
	if err := os.Rename(filepath.Join(tmp, "m.git"), dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "HEAD")); serr == nil {
			return dir, nil // another meta process won the race
		}
		return "", err
	}
	return dir, nil
}

// localURL reports whether url names a repository on this machine.
func localURL(url string) bool {
	return strings.HasPrefix(url, "file://") || filepath.IsAbs(url)
}

// mirrorRefs lists the refs under prefixes in a bare repository, with
// annotated tags peeled to their commits: from the files when git has
// recorded everything peeled (a fresh mirror packs every ref), else with
// git for-each-ref.
func mirrorRefs(ctx context.Context, dir string, prefixes ...string) ([]git.Ref, error) {
	if refs, ok := packedRefs(dir, prefixes); ok {
		return refs, nil
	}
	args := append([]string{"for-each-ref", "--format=%(refname) %(objectname) %(*objectname)"}, prefixes...)
	out, err := git.Cmd(ctx, dir, args...)
	if err != nil {
		return nil, err
	}
	var refs []git.Ref
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		r := git.Ref{Name: f[0], Commit: f[1]}
		if len(f) == 3 {
			r.Commit = f[2]
		}
		refs = append(refs, r)
	}
	return refs, nil
}

// gitEnv is added to the git processes started here without git.Cmd:
// never prompt (a prompt would hang the pool), stable messages.
// packedRefs reads the refs under prefixes of a bare repository without
// starting git. It reports ok only when the answer is complete and peeled:
// packed-refs says "fully-peeled" and no loose tag (whose peeled commit
// would need git to find) exists under the prefixes.
func packedRefs(dir string, prefixes []string) ([]git.Ref, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "packed-refs"))
	if err != nil {
		return nil, false
	}
	loose := false
	for _, p := range prefixes {
		filepath.WalkDir(filepath.Join(dir, filepath.FromSlash(p)), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				loose = true
				return filepath.SkipAll
			}
			return nil
		})
	}
	if loose {
		return nil, false
	}
	return parsePackedRefs(string(data), prefixes)
}

// parsePackedRefs parses a packed-refs file, keeping the refs under
// prefixes; ok is false unless the file says its tags are fully peeled and
// every line is well formed.
func parsePackedRefs(data string, prefixes []string) ([]git.Ref, bool) {
	header, body, _ := strings.Cut(data, "\n")
	if !strings.HasPrefix(header, "# pack-refs with:") || !strings.Contains(header, " fully-peeled") {
		return nil, false
	}
	var refs []git.Ref
	kept := false // whether the previous ref line was kept
	for _, line := range strings.Split(body, "\n") {
		if line == "" {
			continue
		}
		if line[0] == '^' {
			if !isHexID(line[1:]) {
				return nil, false
			}
			if kept {
				refs[len(refs)-1].Commit = line[1:]
			}
			continue
		}
		oid, name, ok := strings.Cut(line, " ")
		if !ok || !isHexID(oid) {
			return nil, false
		}
		kept = false
		for _, p := range prefixes {
			if strings.HasPrefix(name, p+"/") {
				refs = append(refs, git.Ref{Name: name, Commit: oid})
				kept = true
				break
			}
		}
	}
	return refs, true
}

func isHexID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

var gitEnv = func() []string {
	e := []string{"GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat", "LC_ALL=C"}
	if os.Getenv("GIT_SSH_COMMAND") == "" && os.Getenv("GIT_SSH") == "" {
		e = append(e, "GIT_SSH_COMMAND=ssh -o BatchMode=yes")
	}
	return e
}()

// readFiles returns the contents of the top-level file name at each rev
// (nil where absent) with one git process whatever the number of revs in a
// complete mirror. A partial mirror takes three: the root trees first (a
// blob-less mirror has every tree, so nothing is fetched lazily), then one
// fetch of the wanted blobs, then the blobs.
func readFiles(ctx context.Context, dir string, revs []string, name string) ([][]byte, error) {
	out := make([][]byte, len(revs))
	if len(revs) == 0 {
		return out, nil
	}
	if !partial(dir) {
		return readFilesDirect(ctx, dir, revs, name)
	}
	var in bytes.Buffer
	for _, r := range revs {
		in.WriteString(r + "^{tree}\n")
	}
	trees, err := run.Output(ctx, run.Cmd{Args: []string{"git", "cat-file", "--batch"}, Dir: dir, Env: gitEnv, Stdin: &in})
	if err != nil {
		return nil, err
	}
	oids := make([]string, len(revs))
	var want bytes.Buffer
	r := bufio.NewReader(bytes.NewReader(trees))
	for i := range revs {
		typ, body, err := readBatchEntry(r, dir)
		if err != nil {
			return nil, err
		}
		if typ != "tree" {
			continue // "missing": the rev has no tree
		}
		if oid := treeEntry(body, name, len(revs[i])/2); oid != "" {
			oids[i] = oid
			want.WriteString(oid + "\n")
		}
	}
	if want.Len() == 0 {
		return out, nil
	}
	list := want.String()
	if partial(dir) {
		// One round trip for every blob, instead of one lazy fetch each.
		_, err := run.Output(ctx, run.Cmd{Args: []string{"git", "-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet",
			"--no-tags", "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin", "origin"},
			Dir: dir, Env: gitEnv, Stdin: strings.NewReader(list)})
		if err != nil {
			return nil, err
		}
	}
	blobs, err := run.Output(ctx, run.Cmd{Args: []string{"git", "cat-file", "--batch"}, Dir: dir, Env: gitEnv, Stdin: strings.NewReader(list)})
	if err != nil {
		return nil, err
	}
	r = bufio.NewReader(bytes.NewReader(blobs))
	for i := range revs {
		if oids[i] == "" {
			continue
		}
		typ, body, err := readBatchEntry(r, dir)
		if err != nil {
			return nil, err
		}
		if typ != "blob" {
			return nil, fmt.Errorf("git cat-file --batch in %s: %s:%s is a %s, not a file", dir, revs[i], name, typ)
		}
		out[i] = body
	}
	return out, nil
}

// maxObject bounds the objects read here (root trees, component.yaml).
const maxObject = 64 << 20

// readFilesDirect is readFiles for a mirror holding every object: one
// git process asks for "<rev>:<name>" directly.
func readFilesDirect(ctx context.Context, dir string, revs []string, name string) ([][]byte, error) {
	var in bytes.Buffer
	for _, r := range revs {
		in.WriteString(r + ":" + name + "\n")
	}
	data, err := run.Output(ctx, run.Cmd{Args: []string{"git", "cat-file", "--batch"}, Dir: dir, Env: gitEnv, Stdin: &in})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(revs))
	r := bufio.NewReader(bytes.NewReader(data))
	for i := range revs {
		typ, body, err := readBatchEntry(r, dir)
		if err != nil {
			return nil, err
		}
		if typ == "blob" {
			out[i] = body
		}
	}
	return out, nil
}

// readBatchEntry reads one answer of git cat-file --batch: its type
// ("missing" for an unknown object) and contents.
func readBatchEntry(r *bufio.Reader, dir string) (string, []byte, error) {
	hdr, err := r.ReadString('\n')
	if err != nil {
		return "", nil, fmt.Errorf("git cat-file --batch in %s: %v", dir, err)
	}
	f := strings.Fields(hdr)
	if len(f) == 2 && f[1] == "missing" {
		return "missing", nil, nil
	}
	if len(f) != 3 {
		return "", nil, fmt.Errorf("git cat-file --batch in %s: unexpected %q", dir, strings.TrimSpace(hdr))
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || n < 0 || n > maxObject {
		return "", nil, fmt.Errorf("git cat-file --batch in %s: bad size in %q", dir, strings.TrimSpace(hdr))
	}
	buf := make([]byte, n+1) // contents and a newline
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", nil, fmt.Errorf("git cat-file --batch in %s: %v", dir, err)
	}
	return f[1], buf[:n], nil
}

// treeEntry finds the regular file name in a raw tree object ("<mode>
// <name>\0<binary id>" entries, ids of idLen bytes: 20 for SHA-1
// repositories, 32 for SHA-256 ones) and returns its id in hex.
func treeEntry(tree []byte, name string, idLen int) string {
	for len(tree) > 0 {
		sp := bytes.IndexByte(tree, ' ')
		nul := bytes.IndexByte(tree, 0)
		if sp < 0 || nul < sp {
			return ""
		}
		if len(tree) < nul+1+idLen {
			return ""
		}
		mode, entry := string(tree[:sp]), string(tree[sp+1:nul])
		id := tree[nul+1 : nul+1+idLen]
		tree = tree[nul+1+idLen:]
		if entry == name && (mode == "100644" || mode == "100755") {
			return hex.EncodeToString(id)
		}
	}
	return ""
}

// partial reports whether the mirror may lack blobs: it was cloned with a
// filter that the server honoured (git marks such packs .promisor).
func partial(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.promisor"))
	return len(m) > 0
}

// completeIfUnfiltered turns a mirror whose server ignored the clone's
// filter (local and dumb servers do) back into an ordinary one, so that
// reading it never asks the server for objects it already has.
func completeIfUnfiltered(ctx context.Context, dir string, cloneStderr string) {
	if !strings.Contains(cloneStderr, "filtering not recognized by server") {
		return
	}
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.promisor"))
	for _, p := range packs {
		os.Remove(p)
	}
	git.Cmd(ctx, dir, "config", "--unset", "remote.origin.partialclonefilter")
	git.Cmd(ctx, dir, "config", "--unset", "remote.origin.promisor")
	git.Cmd(ctx, dir, "config", "--unset", "extensions.partialclone")
}

// Refs lists the refs of the repository at url, from its mirror (fetched
// first): it implements lockfile.Remote.
func (g *Git) Refs(ctx context.Context, url string) ([]git.Ref, error) {
	dir, err := g.Mirror(ctx, url)
	if err != nil {
		return nil, err
	}
	return mirrorRefs(ctx, dir, "refs/heads", "refs/tags")
}

// HasCommit reports whether commit is reachable from a branch or tag of
// the repository at url: it implements lockfile.Remote.
func (g *Git) HasCommit(ctx context.Context, url, commit string) (bool, error) {
	dir, err := g.Mirror(ctx, url)
	if err != nil {
		return false, err
	}
	if _, err := git.RevParse(ctx, dir, commit); err != nil {
		return false, nil
	}
	out, err := git.Cmd(ctx, dir, "for-each-ref", "--count=1", "--contains="+commit, "--format=%(refname)", "refs/heads", "refs/tags")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) != "", nil
}

// Log returns the subjects of the commits in from..to of the repository at
// url, newest first, at most limit of them (0: no limit).
func (g *Git) Log(ctx context.Context, url, from, to string, limit int) ([]string, error) {
	dir, err := g.Mirror(ctx, url)
	if err != nil {
		return nil, err
	}
	args := []string{"log", "--format=%h %s"}
	if limit > 0 {
		args = append(args, "-n", strconv.Itoa(limit))
	}
	rng := to
	if from != "" {
		rng = from + ".." + to
	}
	out, err := git.Cmd(ctx, dir, append(args, "--end-of-options", rng, "--")...)
	if err != nil {
		return nil, err
	}
	if out == "" {
		return nil, nil
	}
	return strings.Split(out, "\n"), nil
}
