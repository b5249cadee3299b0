package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/yamlpos"
)

// maxImportDepth bounds chains of west imports and repo includes.
const maxImportDepth = 8

// westFilter is what an 'import:' mapping restricts and renames.
type westFilter struct {
	nameAllow, nameBlock, pathAllow, pathBlock []string
	prefix                                     string
}

// westImport is one manifest file an 'import:' names.
type westImport struct {
	file   string // relative to the repository the import is in
	filter westFilter
	node   *yamlpos.Node
}

type westLoader struct {
	r       *Result
	o       Options
	topDir  string // the west workspace's top directory; "" when unknown
	visited map[string]bool
}

func importWest(r *Result, file string, data []byte, o Options) error {
	w := &westLoader{r: r, o: o, visited: map[string]bool{}}
	if o.Dir != "" {
		// The manifest repository sits directly in the workspace's top
		// directory, and west.yml at its root.
		w.topDir = filepath.Dir(o.Dir)
		w.visited[filepath.Join(o.Dir, filepath.Base(file))] = true
	}
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return err
	}
	m := root.Get("manifest")
	if m == nil || m.Kind != yamlpos.Map {
		return yamlpos.Errorf(file, root, "expected a top-level 'manifest:' mapping (west.yml)")
	}
	projs, filter, err := w.load(file, m, o.Dir, "", 0)
	if err != nil {
		return err
	}
	self := m.Get("self")
	// The manifest repository itself becomes a component when west.yml
	// says where it goes (self: path:) and its URL is known.
	selfPath := ""
	if v := self.Get("path"); v != nil {
		selfPath = v.Value
	}
	if selfPath != "" {
		sp, err := checkPath(file, selfPath)
		if err != nil {
			return err
		}
		if o.ManifestURL != "" {
			rev := o.ManifestRev
			if rev == "" {
				rev = "main"
				r.warn("revisions assumed for the manifest repository (its checkout's branch is not known)", path.Base(sp), "tracks "+rev)
			}
			projs = append([]Project{{Name: path.Base(sp), URL: o.ManifestURL, Path: sp, Ref: rev, Where: file}}, projs...)
		} else {
			r.warn("the manifest repository itself is not a component: its URL is not known (pass --manifest-url)", sp, "")
		}
	}
	r.Projects = projs
	r.DefaultGroups = westDefaultGroups(filter, projs)
	return nil
}

// westDefaultGroups turns west's group-filter into meta's default
// selection. West leaves a project out when every group it is in is
// disabled; meta leaves a component out when one of its groups is
// excluded and none is named as included, so the enabled groups that
// share a project with a disabled one are named.
func westDefaultGroups(filter []string, ps []Project) []string {
	disabled := map[string]bool{}
	var order []string
	for _, g := range filter {
		if n, ok := strings.CutPrefix(g, "-"); ok {
			if !disabled[n] {
				order = append(order, n)
			}
			disabled[n] = true
		} else {
			disabled[strings.TrimPrefix(g, "+")] = false
		}
	}
	var out []string
	for _, g := range order {
		if disabled[g] {
			out = append(out, "-"+g)
		}
	}
	enabled := map[string]bool{}
	for _, p := range ps {
		off := false
		for _, g := range p.Groups {
			off = off || disabled[g]
		}
		if !off {
			continue
		}
		for _, g := range p.Groups {
			if !disabled[g] {
				enabled[g] = true
			}
		}
	}
	keys := make([]string, 0, len(enabled))
	for g := range enabled {
		keys = append(keys, g)
	}
	sort.Strings(keys)
	return append(out, keys...)
}

// load reads the manifest mapping m of file. repoDir is the local
// directory of the repository the file is in ("" when unknown), prefix
// is prepended to its projects' paths. It returns the projects (this
// file's first, then imported ones not already defined) and the
// group-filter (imported entries first, so this file's win).
func (w *westLoader) load(file string, m *yamlpos.Node, repoDir, prefix string, depth int) ([]Project, []string, error) {
	if depth > maxImportDepth {
		return nil, nil, yamlpos.Errorf(file, m, "west imports nested more than %d deep", maxImportDepth)
	}
	remotes := map[string]string{}
	if rs := m.Get("remotes"); rs != nil && rs.Kind == yamlpos.Seq {
		for _, r := range rs.Values {
			n, u := r.Get("name"), r.Get("url-base")
			if n == nil || u == nil {
				return nil, nil, yamlpos.Errorf(file, r, "a remote needs 'name' and 'url-base'")
			}
			base := strings.TrimRight(strings.TrimSpace(u.Value), "/")
			if isRelativeURL(base) {
				if w.o.ManifestURL == "" {
					return nil, nil, &RelativeURLError{Where: fmt.Sprintf("%s:%d", file, u.Line), URL: u.Value, What: fmt.Sprintf("remote %q url-base", n.Value)}
				}
				var err error
				if base, err = resolveURL(w.o.ManifestURL, base, true); err != nil {
					return nil, nil, yamlpos.Errorf(file, u, "%v", err)
				}
			}
			remotes[n.Value] = base
		}
	}
	defRemote, defRev := "", "master" // west's default revision
	if d := m.Get("defaults"); d != nil {
		if v := d.Get("remote"); v != nil {
			defRemote = v.Value
		}
		if v := d.Get("revision"); v != nil {
			defRev = v.Value
		}
	}
	var filter []string
	if gf := m.Get("group-filter"); gf != nil {
		if gf.Kind != yamlpos.Seq {
			return nil, nil, yamlpos.Errorf(file, gf, "group-filter must be a list like [-optional, +hal]")
		}
		for _, v := range gf.Values {
			filter = append(filter, v.Value)
		}
	}
	var own []Project
	type pending struct {
		imp   westImport
		dir   string // local checkout of the project holding the file
		owner Project
	}
	var imports []pending
	projs := m.Get("projects")
	if projs != nil && projs.Kind != yamlpos.Seq && projs.Kind != yamlpos.Null {
		return nil, nil, yamlpos.Errorf(file, projs, "expected 'projects:' to be a list")
	}
	var projValues []*yamlpos.Node
	if projs != nil {
		projValues = projs.Values
	}
	for _, p := range projValues {
		name := p.Get("name")
		if name == nil || name.Value == "" {
			return nil, nil, yamlpos.Errorf(file, p, "a project needs a 'name'")
		}
		where := fmt.Sprintf("%s:%d", file, p.Line)
		pr := Project{Name: name.Value, Original: name.Value, Path: name.Value, Ref: defRev, Where: where}
		if v := p.Get("path"); v != nil {
			pr.Path = v.Value
		}
		var err error
		if pr.Path, err = checkPath(where, path.Join(prefix, pr.Path)); err != nil {
			return nil, nil, err
		}
		if v := p.Get("revision"); v != nil {
			pr.Ref = v.Value
		}
		if g := p.Get("groups"); g != nil {
			for _, v := range g.Values {
				pr.Groups = append(pr.Groups, v.Value)
			}
			if g.Kind == yamlpos.Scalar {
				pr.Groups = append(pr.Groups, g.Value)
			}
		}
		if v := p.Get("url"); v != nil {
			pr.URL = v.Value
			if isRelativeURL(pr.URL) {
				if w.o.ManifestURL == "" {
					return nil, nil, &RelativeURLError{Where: fmt.Sprintf("%s:%d", file, v.Line), URL: v.Value, What: fmt.Sprintf("project %q url", pr.Name)}
				}
				if pr.URL, err = resolveURL(w.o.ManifestURL, pr.URL, true); err != nil {
					return nil, nil, yamlpos.Errorf(file, v, "%v", err)
				}
			}
		} else {
			remote := defRemote
			if v := p.Get("remote"); v != nil {
				remote = v.Value
			}
			base, ok := remotes[remote]
			if !ok {
				return nil, nil, yamlpos.Errorf(file, p, "project %q uses remote %q, which 'remotes:' does not define", pr.Name, remote)
			}
			repoPath := pr.Name
			if v := p.Get("repo-path"); v != nil {
				repoPath = v.Value
			}
			pr.URL = base + "/" + strings.TrimLeft(repoPath, "/")
		}
		for i, k := range p.Keys {
			switch k.Value {
			case "name", "path", "revision", "groups", "url", "remote", "repo-path", "import":
			case "west-commands":
				w.r.warn("west-commands are not carried over (meta has no west extension commands)", pr.Name, p.Values[i].Value)
			case "clone-depth":
				w.r.warn("clone-depth is not carried over; meta clones full history (see 'meta bootstrap --shallow')", pr.Name, p.Values[i].Value)
			case "submodules":
				w.r.warn("submodules are not carried over; add 'git submodule update --init' to the component's setup", pr.Name, "")
			default:
				w.r.warn("project keys meta does not know are not carried over", pr.Name, k.Value)
			}
		}
		if imp := p.Get("import"); imp != nil {
			list, err := westImports(file, imp, "west.yml")
			if err != nil {
				return nil, nil, err
			}
			for _, wi := range list {
				dir := ""
				if w.topDir != "" {
					dir = filepath.Join(w.topDir, filepath.FromSlash(pr.Path))
				}
				imports = append(imports, pending{imp: wi, dir: dir, owner: pr})
			}
		}
		own = append(own, pr)
	}

	// Self imports: files of this manifest's own repository.
	var selfImported []Project
	var selfFilter []string
	if imp := m.Get("self").Get("import"); imp != nil {
		list, err := westImports(file, imp, "")
		if err != nil {
			return nil, nil, err
		}
		for _, wi := range list {
			if repoDir == "" || w.o.ReadFile == nil {
				w.r.warn("west imports not followed: the imported files are not available here", fmt.Sprintf("self: import: %s", wi.file), "import from inside the manifest repository's checkout")
				continue
			}
			ps, gf, err := w.follow(file, wi, repoDir, prefix, depth)
			if err != nil {
				return nil, nil, err
			}
			selfImported = append(selfImported, ps...)
			selfFilter = append(selfFilter, gf...)
		}
	}

	var projImported []Project
	var projFilter []string
	for _, pi := range imports {
		local := pi.dir != "" && w.o.ReadFile != nil
		if local {
			if _, err := w.o.ReadFile(filepath.Join(pi.dir, filepath.FromSlash(pi.imp.file))); err != nil && !w.isDir(filepath.Join(pi.dir, filepath.FromSlash(pi.imp.file))) {
				local = false
			}
		}
		if !local {
			w.r.warn("west imports not followed: fetch these projects, then import again from the workspace",
				pi.owner.Name, fmt.Sprintf("%s from %s at %s into %s", pi.imp.file, pi.owner.URL, pi.owner.Ref, pi.owner.Path))
			continue
		}
		ps, gf, err := w.follow(file, pi.imp, pi.dir, prefix, depth)
		if err != nil {
			return nil, nil, err
		}
		projImported = append(projImported, ps...)
		projFilter = append(projFilter, gf...)
	}

	// This file's projects win over imported ones of the same name.
	out := own
	defined := map[string]bool{}
	for _, p := range own {
		defined[p.Original] = true
	}
	for _, p := range append(selfImported, projImported...) {
		if !defined[p.Original] {
			defined[p.Original] = true
			out = append(out, p)
		}
	}
	gf := append(append(projFilter, selfFilter...), filter...)
	return out, gf, nil
}

func (w *westLoader) isDir(p string) bool { return w.o.IsDir != nil && w.o.IsDir(p) }

// follow loads the files of one import found in the repository at dir
// (a directory import means every .yml file in it, in name order) and
// applies the import's filters. prefix is the importing file's path
// prefix; the import's own path-prefix is added to it.
func (w *westLoader) follow(from string, wi westImport, dir, prefix string, depth int) ([]Project, []string, error) {
	target := filepath.Join(dir, filepath.FromSlash(wi.file))
	if rel, err := filepath.Rel(dir, target); err != nil || !filepath.IsLocal(rel) && rel != "." {
		return nil, nil, yamlpos.Errorf(from, wi.node, "import %q leaves its repository", wi.file)
	}
	files := []string{target}
	if w.isDir(target) {
		files = nil
		if w.o.ReadDir != nil {
			for _, n := range w.o.ReadDir(target) {
				if strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml") {
					files = append(files, filepath.Join(target, n))
				}
			}
		}
	}
	var out []Project
	var filter []string
	for _, f := range files {
		if w.visited[f] {
			continue
		}
		w.visited[f] = true
		data, err := w.o.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			w.r.warn("west imports not followed: the imported files are not available here", fmt.Sprintf("%s:%d: import %s", from, wi.node.Line, wi.file), "import from inside the west workspace, where they are checked out")
			continue
		}
		if err != nil {
			return nil, nil, yamlpos.Errorf(from, wi.node, "import %s: %v", wi.file, err)
		}
		name := f
		if w.topDir != "" {
			if rel, err := filepath.Rel(w.topDir, f); err == nil {
				name = filepath.ToSlash(rel)
			}
		}
		root, err := yamlpos.Parse(name, data)
		if err != nil {
			return nil, nil, err
		}
		m := root.Get("manifest")
		if m == nil || m.Kind != yamlpos.Map {
			return nil, nil, yamlpos.Errorf(name, root, "expected a top-level 'manifest:' mapping (west.yml)")
		}
		ps, gf, err := w.load(name, m, dir, path.Join(prefix, wi.filter.prefix), depth+1)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			if wi.filter.keep(p) {
				out = append(out, p)
			}
		}
		filter = append(filter, gf...)
	}
	return out, filter, nil
}

// keep applies west's allowlists and blocklists to an imported project.
func (f westFilter) keep(p Project) bool {
	match := func(globs []string, s string) bool {
		for _, g := range globs {
			if ok, _ := path.Match(g, s); ok || g == s {
				return true
			}
		}
		return false
	}
	if len(f.nameAllow) > 0 || len(f.pathAllow) > 0 {
		if !match(f.nameAllow, p.Original) && !match(f.pathAllow, p.Path) {
			return false
		}
	}
	return !match(f.nameBlock, p.Original) && !match(f.pathBlock, p.Path)
}

// westImports reads an 'import:' value: true (the default file), a file
// or directory, a list of those, or a mapping with 'file' and filters.
func westImports(file string, n *yamlpos.Node, defaultFile string) ([]westImport, error) {
	switch n.Kind {
	case yamlpos.Null:
		return nil, nil
	case yamlpos.Scalar:
		switch n.Value {
		case "true", "True", "yes":
			if defaultFile == "" {
				return nil, yamlpos.Errorf(file, n, "self: import: needs a file or directory, not %q", n.Value)
			}
			return []westImport{{file: defaultFile, node: n}}, nil
		case "false", "False", "no":
			return nil, nil
		}
		return []westImport{{file: n.Value, node: n}}, nil
	case yamlpos.Seq:
		var out []westImport
		for _, v := range n.Values {
			l, err := westImports(file, v, defaultFile)
			if err != nil {
				return nil, err
			}
			out = append(out, l...)
		}
		return out, nil
	}
	wi := westImport{file: defaultFile, node: n}
	if wi.file == "" {
		wi.file = "west.yml"
	}
	list := func(key string) []string {
		v := n.Get(key)
		if v == nil {
			return nil
		}
		if v.Kind == yamlpos.Scalar {
			return []string{v.Value}
		}
		var out []string
		for _, x := range v.Values {
			out = append(out, x.Value)
		}
		return out
	}
	for _, k := range n.Keys {
		switch k.Value {
		case "file", "name-allowlist", "name-blocklist", "path-allowlist", "path-blocklist", "path-prefix":
		default:
			return nil, yamlpos.Errorf(file, k, "unknown import key %q (west knows file, name-allowlist, name-blocklist, path-allowlist, path-blocklist, path-prefix)", k.Value)
		}
	}
	if v := n.Get("file"); v != nil {
		wi.file = v.Value
	}
	wi.filter = westFilter{
		nameAllow: list("name-allowlist"), nameBlock: list("name-blocklist"),
		pathAllow: list("path-allowlist"), pathBlock: list("path-blocklist"),
	}
	if v := n.Get("path-prefix"); v != nil {
		p, err := checkPath(fmt.Sprintf("%s:%d", file, v.Line), v.Value)
		if err != nil {
			return nil, err
		}
		wi.filter.prefix = p
	}
	return []westImport{wi}, nil
}
