package toolchain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/toolchain/fetch"
	"github.com/metawork/meta/internal/toolchain/versions"
)

// Options configure resolution and installs. The zero value resolves
// against the public upstreams with the embedded registry and the caches
// under the XDG directories of the process environment.
type Options struct {
	Registry *Registry // nil: DefaultRegistry
	Sources  *Sources  // nil: LoadSources(Getenv)
	CacheDir string    // "": $XDG_CACHE_HOME/meta/tools
	DataDir  string    // "": $XDG_DATA_HOME/meta/tools
	Offline  bool      // use cached upstream documents only
	Refresh  bool      // ignore cached upstream documents
	Client   *http.Client
	Getenv   func(string) string // nil: os.Getenv
	Now      func() time.Time
	OnNote   func(Note) // told about stale or offline upstream data, once per note
}

// Resolved is one tool requirement with its version decided.
type Resolved struct {
	Name       string   // "go", "ripgrep", "npm:eslint"
	Requested  string   // version as written ("" when none)
	Version    string   // the exact version ("1.22.12"); for tools a package manager installs, the requested one ("" = its latest)
	Exact      bool     // Version names one release (false when a package manager decides at install time)
	Type       string   // registry type, or "npm", "pip", "uv", "cargo", "go" for delegated specs
	Package    string   // package name for package-manager installs
	Implied    bool     // added because another tool needs it
	RequiredBy []string // the tools that need it, when implied
	Bundle     string   // the bundle that brought it in, when it came from one
	Tool       *Tool    // the registry entry; nil for delegated specs
	Spec       Spec
	release    *versions.Release
}

// Note is something the caller should tell the user (stale or offline data).
type Note struct {
	Source string
	Msg    string
}

// Resolver resolves specs against upstream release lists. It fetches each
// upstream document at most once and is safe for concurrent use.
type Resolver struct {
	reg   *Registry
	src   Sources
	cache *fetch.Cache
	opts  Options
	now   func() time.Time

	mu    sync.Mutex
	lists map[string][]versions.Release // by document URL and tag template
	errs  map[string]error
	notes []Note
}

// NewResolver prepares a resolver.
func NewResolver(opts Options) (*Resolver, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	reg := opts.Registry
	if reg == nil {
		var err error
		if reg, err = DefaultRegistry(); err != nil {
			return nil, err
		}
	}
	var src Sources
	if opts.Sources != nil {
		src = *opts.Sources
	} else {
		var err error
		if src, err = LoadSources(opts.Getenv); err != nil {
			return nil, err
		}
	}
	if opts.CacheDir == "" {
		opts.CacheDir = xdgDir(opts.Getenv, "XDG_CACHE_HOME", ".cache", "meta", "tools")
	}
	if opts.DataDir == "" {
		opts.DataDir = xdgDir(opts.Getenv, "XDG_DATA_HOME", filepath.Join(".local", "share"), "meta", "tools")
	}
	token := opts.Getenv("GITHUB_TOKEN")
	c := &fetch.Cache{Dir: opts.CacheDir, Client: opts.Client, Offline: opts.Offline, Refresh: opts.Refresh, Now: opts.Now,
		Header: func(u string) http.Header {
			if token != "" && strings.HasPrefix(u, strings.TrimSuffix(src.GitHub, "/")+"/") {
				return http.Header{"Authorization": {"Bearer " + token}}
			}
			return nil
		}}
	return &Resolver{reg: reg, src: src, cache: c, opts: opts, now: opts.Now, lists: map[string][]versions.Release{}, errs: map[string]error{}}, nil
}

func xdgDir(getenv func(string) string, env, fallback string, sub ...string) string {
	base := getenv(env)
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		base = filepath.Join(home, fallback)
	}
	return filepath.Join(append([]string{base}, sub...)...)
}

// Registry is the registry the resolver uses.
func (r *Resolver) Registry() *Registry { return r.reg }

// DataDir is where installs go.
func (r *Resolver) DataDir() string { return r.opts.DataDir }

// Notes returns what the resolver noticed about its data (stale or offline
// documents), once each.
func (r *Resolver) Notes() []Note {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.notes)
}

func (r *Resolver) note(source, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := Note{Source: source, Msg: fmt.Sprintf(format, args...)}
	if !slices.Contains(r.notes, n) {
		r.notes = append(r.notes, n)
		if r.opts.OnNote != nil {
			r.opts.OnNote(n)
		}
	}
}

// UnknownToolError is a name the registry does not know.
type UnknownToolError struct {
	Name       string
	Suggestion string
}

func (e *UnknownToolError) Error() string { return fmt.Sprintf("unknown tool %q", e.Name) }

// Hint says what to do about it.
func (e *UnknownToolError) Hint() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("did you mean %q?", e.Suggestion)
	}
	return "for packages from npm, pip or other managers use a prefix: npm:NAME, pip:NAME, uv:NAME, cargo:NAME, go:MODULE/PATH; 'meta tools list' shows the registry"
}

// Expand parses specs, expands bundles and adds implicit requirements
// (a prefix's runtime, registry `requires`). The result has one entry per
// tool in a stable order: the specs as given, then what they imply.
func (r *Resolver) Expand(raws []string) ([]Resolved, error) {
	var out []Resolved
	index := map[string]int{}
	add := func(sp Spec, tool *Tool, implied bool, by string) error {
		key := sp.Key()
		if i, ok := index[key]; ok {
			prev := &out[i]
			switch {
			case implied:
				if by != "" && !slices.Contains(prev.RequiredBy, by) {
					prev.RequiredBy = append(prev.RequiredBy, by)
				}
			case prev.Implied:
				prev.Implied, prev.Requested, prev.Spec = false, sp.Version, sp
			case prev.Requested != sp.Version && sp.Version != "" && prev.Requested != "":
				return &SpecError{Spec: sp.Raw, Msg: fmt.Sprintf("%s is required twice, as %s and as %s", key, prev.Spec.Raw, sp.Raw),
					Hint: "keep one version of each tool"}
			case prev.Requested == "":
				prev.Requested, prev.Spec = sp.Version, sp
			}
			return nil
		}
		res := Resolved{Name: key, Requested: sp.Version, Spec: sp, Tool: tool, Implied: implied}
		if by != "" {
			res.RequiredBy = []string{by}
		}
		if tool != nil {
			res.Type, res.Package = tool.Type, tool.Package
		} else {
			res.Type, res.Package = sp.Manager, sp.Name
		}
		index[key] = len(out)
		out = append(out, res)
		return nil
	}
	lookup := func(name string, raw string) (*Tool, error) {
		t, ok := r.reg.Lookup(name)
		if !ok {
			return nil, &UnknownToolError{Name: name, Suggestion: yamlSuggest(name, r.reg.Names())}
		}
		return t, nil
	}
	var queue []Resolved
	for _, raw := range raws {
		sp, err := ParseSpec(raw)
		if err != nil {
			return nil, err
		}
		var tool *Tool
		if sp.Manager == "" {
			if tool, err = lookup(sp.Name, raw); err != nil {
				return nil, err
			}
			if err := checkVersionAllowed(tool, sp); err != nil {
				return nil, err
			}
			if tool.Type == TypeBundle {
				for _, m := range tool.Tools {
					mt, _ := r.reg.Lookup(m)
					_, had := index[m]
					if err := add(Spec{Raw: m, Name: m}, mt, false, ""); err != nil {
						return nil, err
					}
					if !had {
						out[index[m]].Bundle = tool.Name
					}
					queue = append(queue, out[index[m]])
				}
				continue
			}
		}
		if err := add(sp, tool, false, ""); err != nil {
			return nil, err
		}
		queue = append(queue, out[index[sp.Key()]])
	}
	// Implicit requirements, breadth first.
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		var needs []string
		if cur.Tool == nil {
			needs = cur.Spec.Implies()
		} else {
			needs = append(needs, cur.Tool.Requires...)
			switch cur.Tool.Type {
			case TypeNpm:
				needs = append(needs, "node")
			case TypeUvTool:
				needs = append(needs, "python", "uv")
			case TypeCargo:
				needs = append(needs, "rust")
			case TypeGoInstall:
				needs = append(needs, "go")
			}
		}
		for _, n := range needs {
			t, err := lookup(n, n)
			if err != nil {
				return nil, fmt.Errorf("%s needs %s: %w", cur.Name, n, err)
			}
			_, seen := index[n]
			if err := add(Spec{Raw: n, Name: n}, t, true, cur.Name); err != nil {
				return nil, err
			}
			if !seen {
				queue = append(queue, out[index[n]])
			}
		}
	}
	return out, nil
}

func yamlSuggest(name string, names []string) string {
	for _, alias := range [][2]string{{"nodejs", "node"}, {"golang", "go"}, {"python3", "python"}, {"rg", "ripgrep"}, {"az", "azure"}, {"awscli", "aws"}, {"tsc", "typescript"}, {"rustc", "rust"}, {"cargo", "rust"}} {
		if name == alias[0] && slices.Contains(names, alias[1]) {
			return alias[1]
		}
	}
	return suggest(name, names)
}

// checkVersionAllowed refuses versions on tools that cannot take one.
func checkVersionAllowed(t *Tool, sp Spec) error {
	if sp.Version == "" {
		return nil
	}
	switch t.Type {
	case TypeBundle:
		return &SpecError{Spec: sp.Raw, Msg: fmt.Sprintf("bundle %q does not take a version", t.Name), Hint: "give versions to its tools instead, e.g. " + t.Tools[0] + "@VERSION"}
	case TypeApt:
		return &SpecError{Spec: sp.Raw, Msg: fmt.Sprintf("%s is a Debian package and takes no version (the base image's release decides)", t.Name), Hint: "write " + t.Name}
	case TypeCustom:
		return &SpecError{Spec: sp.Raw, Msg: fmt.Sprintf("%s is installed by hand and takes no version", t.Name), Hint: "see " + t.Docs}
	}
	return nil
}

// ResolveAll resolves specs: bundles expanded, implicit requirements
// added, and every runtime and GitHub-released tool's version decided
// against its upstream list (`go@1.22` → 1.22.12). Cold, it fetches each
// needed upstream document once, all in parallel. It is what `meta lock`
// records: Name, Requested and Version per tool, as in
// `tools: {go: {requested: "1.22", version: "1.22.12"}}`. Stale or offline
// data is reported through opts.OnNote.
func ResolveAll(ctx context.Context, specs []string, opts Options) ([]Resolved, error) {
	r, err := NewResolver(opts)
	if err != nil {
		return nil, err
	}
	return r.Resolve(ctx, specs)
}

// Resolve is ResolveAll on this resolver.
func (r *Resolver) Resolve(ctx context.Context, specs []string) ([]Resolved, error) {
	res, err := r.Expand(specs)
	if err != nil {
		return nil, err
	}
	// Fetch every needed list in parallel first.
	var g errgroup.Group // no cancellation: each failure is reported with its spec below
	seen := map[string]bool{}
	for _, x := range res {
		if x.Tool == nil || x.Tool.Versions == "" {
			continue
		}
		src := x.Tool.Versions + ":" + x.Tool.Repo
		if seen[src] {
			continue
		}
		seen[src] = true
		t := x.Tool
		g.Go(func() error {
			_, err := r.Releases(ctx, t)
			return err
		})
	}
	fetchErr := g.Wait()
	var errs []error
	for i := range res {
		x := &res[i]
		if x.Tool == nil || x.Tool.Versions == "" {
			x.Version, x.Exact = x.Requested, exactRequest(x.Requested)
			continue
		}
		rels, err := r.Releases(ctx, x.Tool)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rel, err := versions.Select(x.Tool.Name, rels, x.Requested)
		if err != nil && x.Tool.Versions == SourceGitHub {
			rel, err = r.selectOlder(ctx, x.Tool, rels, x.Requested, err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		x.Version, x.Exact, x.release = rel.Version.Text, true, &rel
	}
	if len(errs) > 0 {
		return res, errs[0]
	}
	if fetchErr != nil {
		return res, fetchErr
	}
	return res, nil
}

// Releases returns a runtime's or GitHub tool's releases, newest first.
func (r *Resolver) Releases(ctx context.Context, t *Tool) ([]versions.Release, error) {
	var u string
	var parse func([]byte) ([]versions.Release, error)
	switch t.Versions {
	case SourceGo:
		u = dirURL(r.src.Go) + "?mode=json&include=all"
		parse = func(b []byte) ([]versions.Release, error) { return versions.ParseGo(b, dirURL(r.src.Go)) }
	case SourceNode:
		u = r.src.nodeList()
		parse = func(b []byte) ([]versions.Release, error) { return versions.ParseNode(b, dirURL(r.src.Node)) }
	case SourcePython:
		u = r.src.Python
		parse = func(b []byte) ([]versions.Release, error) { return versions.ParsePython(b, r.src.Python) }
	case SourceGitHub:
		u = r.src.githubList(t.Repo)
		parse = func(b []byte) ([]versions.Release, error) { return versions.ParseGitHub(b, u, t.Tag) }
	default:
		return nil, fmt.Errorf("%s has no version list (type %s)", t.Name, t.Type)
	}
	key := u + "\x00" + t.Tag
	r.mu.Lock()
	if l, ok := r.lists[key]; ok {
		r.mu.Unlock()
		return l, nil
	}
	if err, ok := r.errs[key]; ok {
		r.mu.Unlock()
		return nil, err
	}
	r.mu.Unlock()
	l, err := r.releases(ctx, t, u, parse)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			r.errs[key] = err
		}
		return nil, err
	}
	r.lists[key] = l
	return l, nil
}

func (r *Resolver) releases(ctx context.Context, t *Tool, u string, parse func([]byte) ([]versions.Release, error)) ([]versions.Release, error) {
	var parsed []versions.Release
	doc, err := r.cache.Get(ctx, u, func(b []byte) error {
		var err error
		parsed, err = parse(b)
		return err
	})
	if err != nil {
		return nil, sourceError(t, err)
	}
	// The parsed list is kept beside the raw document, keyed by its digest,
	// so a warm run decodes a compact index instead of the upstream JSON.
	key := parsedKey(doc.SHA256, t.Versions, u, t.Tag)
	if parsed == nil {
		parsed = r.loadParsed(key)
	}
	if parsed == nil {
		if parsed, err = parse(doc.Body); err != nil {
			return nil, sourceError(t, err)
		}
	}
	r.saveParsed(key, parsed)
	name := t.Versions
	if name == SourceGitHub {
		name = "github " + t.Repo
	}
	switch {
	case doc.Stale:
		r.note(name, "%s release list could not be refreshed (%s); using the cached copy from %s ago", name, doc.StaleWhy, age(r.now().Sub(doc.FetchedAt)))
	case r.opts.Offline:
		r.note(name, "offline: %s release list from the cache, fetched %s ago", name, age(r.now().Sub(doc.FetchedAt)))
	}
	return parsed, nil
}

// SourceError is a failure to obtain or read a tool's release list.
type SourceError struct {
	Tool string
	Env  string // the variable that moves the source
	Err  error
}

func (e *SourceError) Error() string { return fmt.Sprintf("%s: %v", e.Tool, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// Hint says what to do about it.
func (e *SourceError) Hint() string {
	var fe *fetch.Error
	if e.Env == SourceEnv[SourceGitHub] && (strings.Contains(e.Error(), "403") || strings.Contains(e.Error(), "429")) {
		return "GitHub limits anonymous API calls: set GITHUB_TOKEN, or wait, or use --offline with the cache"
	}
	if errors.As(e.Err, &fe) && fe.Hint != "" {
		if strings.Contains(fe.Hint, "META_SOURCE") && e.Env != "" {
			return strings.Replace(fe.Hint, "META_SOURCE_*", e.Env, 1)
		}
		return fe.Hint
	}
	if e.Env != "" {
		return "the upstream sent a broken document; try again later, or point " + e.Env + " at a mirror"
	}
	return ""
}

func sourceError(t *Tool, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &SourceError{Tool: t.Name, Env: SourceEnv[t.Versions], Err: err}
}

// age formats a duration for people: "5m", "3h", "2d".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// exactRequest reports whether a version handed to a package manager names
// one release ("8.0.0", "v0.16.2"), not a line ("8") or "latest".
func exactRequest(v string) bool {
	pv, err := versions.ParseVersion(v)
	return err == nil && len(pv.Nums) >= 3
}

// githubPageSize is the releases API page size meta asks for.
const githubPageSize = 100

// maxGitHubPages bounds how far back a request for an old release looks.
const maxGitHubPages = 5

// selectOlder looks for req on further pages of a GitHub releases listing
// when the first page was full and did not have it: a request for an old
// release costs extra requests, the common case does not.
func (r *Resolver) selectOlder(ctx context.Context, t *Tool, rels []versions.Release, req string, firstErr error) (versions.Release, error) {
	for page := 2; page <= maxGitHubPages; page++ {
		prev := r.src.githubList(t.Repo)
		if page > 2 {
			prev += fmt.Sprintf("&page=%d", page-1)
		}
		if d := r.cache.Cached(prev); d == nil || rawCount(d.Body) < githubPageSize {
			break
		}
		u := r.src.githubList(t.Repo) + fmt.Sprintf("&page=%d", page)
		doc, err := r.cache.Get(ctx, u, func(b []byte) error {
			if rawCount(b) >= 0 {
				return nil // any JSON array will do: a page may hold only other tags
			}
			_, err := versions.ParseGitHub(b, u, t.Tag) // says what is wrong with it
			return err
		})
		if err != nil {
			return versions.Release{}, sourceError(t, err)
		}
		more, _ := versions.ParseGitHub(doc.Body, u, t.Tag)
		rels = append(rels, more...)
		rel, err := versions.Select(t.Name, rels, req)
		if err == nil {
			return rel, nil
		}
		firstErr = err
	}
	return versions.Release{}, firstErr
}

// rawCount is the number of entries in a JSON array, or -1.
func rawCount(b []byte) int {
	var items []json.RawMessage
	if json.Unmarshal(b, &items) != nil {
		return -1
	}
	return len(items)
}
