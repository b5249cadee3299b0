// Package manifest owns meta's workspace description: the workspace manifest
// manifests/components.yaml (with manifests/environments.yaml), and the
// component.yaml file at the root of each component repository. It parses,
// validates and reports every problem with its file, line and column.
package manifest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/toolchain"
	"github.com/metawork/meta/internal/yamlpos"
)

// Relative locations inside a meta repository.
const (
	ManifestPath      = "manifests/components.yaml"
	EnvironmentsPath  = "manifests/environments.yaml"
	FeaturesPath      = "manifests/features.yaml"
	ComponentFileName = "component.yaml"
)

// Manifest is a loaded workspace manifest.
type Manifest struct {
	File string // absolute path of components.yaml
	Dir  string // the meta repository (parent of manifests/)

	Workspace    Workspace
	Tools        []Item
	ToolSources  map[string]string // tools.sources: go|node|python|github → URL of the upstream list
	Cache        Cache
	Build        BuildSettings
	Registries   map[string]Registry
	Components   map[string]*Component
	Order        []string                       // component names in file order
	Environments map[string]map[string]EnvEntry // env → component → override
	EnvOrder     []string                       // environment names in file order
	Overrides    map[string]Override
	Features     map[string]*Feature // from manifests/features.yaml, when present
}

// Workspace holds the workspace-wide settings.
type Workspace struct {
	Name string
	Root string // absolute directory where checkouts go
	Jobs int    // default parallelism; 0 means "pick one"
	Wire bool   // wire siblings for development after bootstrap
	// DefaultGroups is the selection when a command names no component
	// and no --group: "-G" leaves out G's members unless one of their
	// groups is listed without '-' (see InDefaultSelection).
	DefaultGroups []string
}

// Cache holds the build cache settings.
type Cache struct {
	Remote      string
	MaxAge      time.Duration // 0: default
	MaxSize     int64         // bytes; 0: unlimited
	TrustedKeys []string      // minisign public keys remote cache records must be signed by
	Timeout     time.Duration // connect/first-byte timeout of the remote; 0: default
}

// BuildSettings holds the workspace-wide build settings (the top-level 'build:').
type BuildSettings struct {
	RemoteExecutor string            // grpc(s)://HOST:PORT[/INSTANCE] of a REAPI executor
	RemotePlatform map[string]string // platform properties of remote actions
}

// Registry is a named component registry.
type Registry struct {
	Name        string
	URL         string
	TrustedKeys []string
}

// Item is a string value with the position it was declared at.
type Item struct {
	Value string
	Pos   Pos
}

// Pos is a position in a manifest file.
type Pos struct {
	File string
	Line int
	Col  int
}

// String renders the position as file:line, relative paths as written.
func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Component is one component of the workspace.
type Component struct {
	Name        string
	Repo        string // git URL or path; empty when Registry is set
	Registry    string // registry name, instead of Repo
	Version     string // semver constraint over tags; "" when tracked by Ref or any
	Ref         string // branch, tag or commit to track
	Path        string // absolute checkout directory
	RelPath     string // Path relative to the meta repository, as configured or defaulted
	Subdir      string // directory inside the checkout the component lives in ("" for its root)
	Type        string
	BuildTarget string
	Description string
	Build       *Build
	Setup       []string
	DependsOn   []Dep
	Tools       []Item
	Groups      []string
	Pos         Pos // where the component is declared
	VersionPos  Pos
}

// Build describes how a component is built.
type Build struct {
	Command string
	Outputs []string
	Inputs  []string
	Env     []string // names of environment variables that affect the build
}

// Dep is a dependency on another component with an optional constraint.
type Dep struct {
	Name       string
	Constraint string // "" means any version
	Pos        Pos
}

func (d Dep) String() string {
	if d.Constraint == "" {
		return d.Name
	}
	return d.Name + ":" + d.Constraint
}

// EnvEntry overrides a component's version or ref in one environment.
type EnvEntry struct {
	Version string
	Ref     string
	Pos     Pos
}

// Override forces a version everywhere.
type Override struct {
	Version string
	Reason  string
	Pos     Pos
}

// Feature is a named group of components from the earlier tool's features.yaml.
type Feature struct {
	Name        string
	Description string
	Components  []string
	DependsOn   []string
	Pos         Pos
}

// ErrNotFound is returned by Find when no meta repository encloses a directory.
var ErrNotFound = errors.New("not inside a meta workspace (no " + ManifestPath + " here or in any parent directory)")

// Find walks up from dir to the directory holding manifests/components.yaml.
// From inside a component checkout (which sits beside the meta repository,
// not below it) it finds the meta repository whose manifest lists it.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		if st, err := os.Stat(filepath.Join(d, ManifestPath)); err == nil && st.Mode().IsRegular() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	// Not below a meta repository: maybe inside one of its checkouts, which
	// sit beside it. Look for a meta repository next to each parent whose
	// manifest has a component enclosing dir.
	for d := filepath.Dir(abs); ; {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			cand := filepath.Join(d, e.Name())
			if !e.IsDir() || cand == abs {
				continue
			}
			if st, err := os.Stat(filepath.Join(cand, ManifestPath)); err != nil || !st.Mode().IsRegular() {
				continue
			}
			m, err := Load(cand)
			if err != nil {
				continue
			}
			for _, c := range m.Components {
				if within(c.Path, abs) {
					return cand, nil
				}
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", ErrNotFound
		}
		d = parent
	}
}

// Load reads the workspace manifest of the meta repository at dir, plus
// manifests/environments.yaml and manifests/features.yaml when present.
func Load(dir string) (*Manifest, error) { return LoadContext(context.Background(), dir) }

// LoadContext is Load that stops with ctx's error when ctx is done.
func LoadContext(ctx context.Context, dir string) (*Manifest, error) {
	file := filepath.Join(dir, ManifestPath)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m, err := ParseContext(ctx, dir, ManifestPath, data)
	if err != nil {
		return nil, err
	}
	m.File = file
	if data, err := os.ReadFile(filepath.Join(dir, EnvironmentsPath)); err == nil {
		if err := m.parseEnvironmentsFile(EnvironmentsPath, data); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if data, err := os.ReadFile(filepath.Join(dir, FeaturesPath)); err == nil {
		if err := m.parseFeaturesFile(FeaturesPath, data); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return m, nil
}

// Parse parses and validates a components.yaml. dir is the meta repository
// that relative paths are resolved against; file names the file in errors.
func Parse(dir, file string, data []byte) (*Manifest, error) {
	return ParseContext(context.Background(), dir, file, data)
}

// ParseContext is Parse that stops with ctx's error when ctx is done.
func ParseContext(ctx context.Context, dir, file string, data []byte) (*Manifest, error) {
	m, errs := parseAll(ctx, dir, file, data)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return m, nil
}

// ParseAll is Parse reporting every problem it can find, not only the
// first: each top-level section and each component is checked on its own
// (a broken component is left out, and what only follows from its absence
// is not reported again). The manifest is nil when there are errors.
func ParseAll(dir, file string, data []byte) (*Manifest, []error) {
	return parseAll(context.Background(), dir, file, data)
}

func parseAll(ctx context.Context, dir, file string, data []byte) (*Manifest, []error) {
	root, err := yamlpos.ParseContext(ctx, file, data)
	if err != nil {
		return nil, []error{err}
	}
	p := &parser{file: file}
	var errs []error
	var broken []string
	m := &Manifest{
		Dir:          dir,
		Registries:   map[string]Registry{},
		Components:   map[string]*Component{},
		Environments: map[string]map[string]EnvEntry{},
		Overrides:    map[string]Override{},
	}
	if root.Kind == yamlpos.Null {
		return nil, []error{yamlpos.Errorf(file, root, "the manifest is empty").
			WithHint("run 'meta init' to write a starter manifest")}
	}
	if err := p.expect(root, yamlpos.Map, "a mapping with a 'components' key"); err != nil {
		return nil, []error{err}
	}
	if err := p.keys(root, topKeys); err != nil {
		errs = append(errs, err)
	}
	m.Workspace.Root = filepath.Clean(filepath.Join(dir, ".."))
	if ws := root.Get("workspace"); ws != nil && ws.Kind != yamlpos.Null {
		if err := p.workspace(m, ws); err != nil {
			errs = append(errs, err)
		}
	}
	if t := root.Get("tools"); t != nil {
		if err := p.workspaceTools(m, t); err != nil {
			errs = append(errs, err)
		}
	}
	if c := root.Get("cache"); c != nil && c.Kind != yamlpos.Null {
		if err := p.cache(m, c); err != nil {
			errs = append(errs, err)
		}
	}
	if b := root.Get("build"); b != nil && b.Kind != yamlpos.Null {
		if err := p.buildSettings(m, b); err != nil {
			errs = append(errs, err)
		}
	}
	if r := root.Get("registries"); r != nil && r.Kind != yamlpos.Null {
		if err := p.registries(m, r); err != nil {
			errs = append(errs, err)
		}
	}
	comps := root.Get("components")
	if comps == nil {
		return nil, append(errs, yamlpos.Errorf(file, root, "missing 'components'").
			WithHint("list your repositories under 'components:'; see 'meta init'"))
	}
	if comps.Kind != yamlpos.Null {
		if err := p.expect(comps, yamlpos.Map, "a mapping of component names to settings"); err != nil {
			return nil, append(errs, err)
		}
		for i, k := range comps.Keys {
			if i%1024 == 1023 && ctx.Err() != nil {
				return nil, []error{ctx.Err()}
			}
			c, err := p.component(m, k, comps.Values[i])
			if err != nil {
				errs = append(errs, err)
				broken = append(broken, k.Value)
				continue
			}
			m.Components[c.Name] = c
			m.Order = append(m.Order, c.Name)
		}
	}
	if e := root.Get("environments"); e != nil && e.Kind != yamlpos.Null {
		if err := p.environments(m, e); err != nil && !followsFrom(err, broken) {
			errs = append(errs, err)
		}
	}
	if o := root.Get("overrides"); o != nil && o.Kind != yamlpos.Null {
		if err := p.overrides(m, o); err != nil && !followsFrom(err, broken) {
			errs = append(errs, err)
		}
	}
	if err := p.validate(m, comps); err != nil && !followsFrom(err, broken) {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := p.checkLinkEscapes(m, comps); err != nil {
		return nil, []error{err}
	}
	return m, nil
}

// followsFrom reports whether err only says that one of the broken
// components (already reported) is missing.
func followsFrom(err error, broken []string) bool {
	for _, b := range broken {
		if strings.Contains(err.Error(), fmt.Sprintf("%q", b)) {
			return true
		}
	}
	return false
}

var topKeys = []string{"workspace", "tools", "cache", "build", "registries", "components", "environments", "overrides"}

type parser struct{ file string }

func (p *parser) pos(n *yamlpos.Node) Pos { return Pos{File: p.file, Line: n.Line, Col: n.Col} }

func (p *parser) errf(n *yamlpos.Node, format string, args ...any) *yamlpos.Error {
	return yamlpos.Errorf(p.file, n, format, args...)
}

func (p *parser) expect(n *yamlpos.Node, k yamlpos.Kind, what string) error {
	if n.Kind != k {
		return p.errf(n, "expected %s, found %s", what, n.Kind)
	}
	return nil
}

// keys rejects keys of map n that are not in allowed, suggesting the closest.
func (p *parser) keys(n *yamlpos.Node, allowed []string) error {
	for _, k := range n.Keys {
		found := false
		for _, a := range allowed {
			if k.Value == a {
				found = true
				break
			}
		}
		if found {
			continue
		}
		e := p.errf(k, "unknown key %q", k.Value)
		if s := yamlpos.Suggest(k.Value, allowed); s != "" {
			e.Msg += fmt.Sprintf(" (did you mean %q?)", s)
			return e.WithHint("rename it to %q", s)
		}
		return e.WithHint("known keys here: %s", strings.Join(allowed, ", "))
	}
	return nil
}

func (p *parser) str(n *yamlpos.Node, what string) (string, error) {
	if n.Kind == yamlpos.Null {
		return "", nil
	}
	if n.Kind != yamlpos.Scalar {
		return "", p.errf(n, "%s must be a string, found %s", what, n.Kind)
	}
	return n.Value, nil
}

// strOrList accepts a string or a list of strings.
func (p *parser) strOrList(n *yamlpos.Node, what string) ([]string, error) {
	if n.Kind == yamlpos.Scalar {
		return []string{n.Value}, nil
	}
	items, err := p.items(n, what)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Value
	}
	return out, nil
}

func (p *parser) items(n *yamlpos.Node, what string) ([]Item, error) {
	if n.Kind == yamlpos.Null {
		return nil, nil
	}
	if n.Kind != yamlpos.Seq {
		return nil, p.errf(n, "expected a list of %ss, found %s", what, n.Kind).
			WithHint("write it as [a, b] or one '- item' per line")
	}
	out := make([]Item, 0, len(n.Values))
	for _, v := range n.Values {
		if v.Kind != yamlpos.Scalar || v.Value == "" {
			return nil, p.errf(v, "each %s must be a non-empty string, found %s", what, v.Kind)
		}
		out = append(out, Item{Value: v.Value, Pos: p.pos(v)})
	}
	return out, nil
}

// workspaceTools reads the top-level tools: a list of specs, or a mapping
// with 'require' (the list) and 'sources' (go|node|python|github → URL of
// that upstream's version list, e.g. a company mirror).
func (p *parser) workspaceTools(m *Manifest, n *yamlpos.Node) error {
	if n.Kind != yamlpos.Map {
		var err error
		m.Tools, err = p.tools(n)
		return err
	}
	if err := p.keys(n, []string{"require", "sources"}); err != nil {
		return err
	}
	if r := n.Get("require"); r != nil {
		var err error
		if m.Tools, err = p.tools(r); err != nil {
			return err
		}
	}
	src := n.Get("sources")
	if src == nil || src.Kind == yamlpos.Null {
		return nil
	}
	if src.Kind != yamlpos.Map {
		return p.errf(src, "tools.sources must map go, node, python or github to a URL")
	}
	m.ToolSources = map[string]string{}
	names := []string{"go", "node", "python", "github"}
	for i, k := range src.Keys {
		known := false
		for _, nm := range names {
			known = known || nm == k.Value
		}
		if !known {
			e := p.errf(k, "unknown tool source %q (expected go, node, python or github)", k.Value)
			if s := yamlpos.Suggest(k.Value, names); s != "" {
				e.Msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return e
		}
		v := src.Values[i]
		if v.Kind != yamlpos.Scalar || !(strings.HasPrefix(v.Value, "http://") || strings.HasPrefix(v.Value, "https://")) {
			return p.errf(v, "tools.sources.%s must be an http(s) URL", k.Value)
		}
		m.ToolSources[k.Value] = v.Value
	}
	return nil
}

// tools reads a list of tool specs, each checked against its grammar.
func (p *parser) tools(n *yamlpos.Node) ([]Item, error) {
	items, err := p.items(n, "tool spec")
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		if _, err := toolchain.ParseSpec(it.Value); err != nil {
			return nil, p.errf(n.Values[i], "%v", err).
				WithHint("write NAME[@VERSION] (go@1.22, node@lts) or MANAGER:PACKAGE[@VERSION] (npm:eslint, uv:ruff); 'meta tools list' shows the names")
		}
	}
	return items, nil
}

func (p *parser) workspace(m *Manifest, n *yamlpos.Node) error {
	if err := p.expect(n, yamlpos.Map, "a mapping (name, root, jobs, wire, default_groups)"); err != nil {
		return err
	}
	if err := p.keys(n, []string{"name", "root", "jobs", "wire", "default_groups"}); err != nil {
		return err
	}
	if v := n.Get("default_groups"); v != nil {
		if err := p.defaultGroups(m, v); err != nil {
			return err
		}
	}
	var err error
	if v := n.Get("name"); v != nil {
		if m.Workspace.Name, err = p.str(v, "workspace.name"); err != nil {
			return err
		}
	}
	if v := n.Get("root"); v != nil {
		r, err := p.str(v, "workspace.root")
		if err != nil {
			return err
		}
		if r != "" {
			if filepath.IsAbs(r) {
				m.Workspace.Root = filepath.Clean(r)
			} else {
				m.Workspace.Root = filepath.Clean(filepath.Join(m.Dir, r))
			}
		}
	}
	if v := n.Get("jobs"); v != nil {
		j, err := strconv.Atoi(v.Value)
		if err != nil || j < 1 || j > 1024 {
			return p.errf(v, "workspace.jobs must be a whole number from 1 to 1024, found %q", v.Value)
		}
		m.Workspace.Jobs = j
	}
	if v := n.Get("wire"); v != nil {
		b, err := strconv.ParseBool(v.Value)
		if err != nil {
			return p.errf(v, "workspace.wire must be true or false, found %q", v.Value)
		}
		m.Workspace.Wire = b
	}
	return nil
}

func (p *parser) cache(m *Manifest, n *yamlpos.Node) error {
	if err := p.expect(n, yamlpos.Map, "a mapping (remote, max_age, max_size, trusted_keys, timeout)"); err != nil {
		return err
	}
	if err := p.keys(n, []string{"remote", "max_age", "max_size", "trusted_keys", "timeout"}); err != nil {
		return err
	}
	if v := n.Get("timeout"); v != nil {
		d, err := time.ParseDuration(v.Value)
		if err != nil || d <= 0 {
			return p.errf(v, "cache.timeout %q is not a positive duration", v.Value).WithHint("write a duration like 2s or 500ms")
		}
		m.Cache.Timeout = d
	}
	if tk := n.Get("trusted_keys"); tk != nil {
		keys, err := p.items(tk, "public key")
		if err != nil {
			return err
		}
		for _, it := range keys {
			m.Cache.TrustedKeys = append(m.Cache.TrustedKeys, it.Value)
		}
	}
	var err error
	if v := n.Get("remote"); v != nil {
		if m.Cache.Remote, err = p.str(v, "cache.remote"); err != nil {
			return err
		}
	}
	if v := n.Get("max_age"); v != nil {
		d, err := ParseAge(v.Value)
		if err != nil {
			return p.errf(v, "cache.max_age: %v", err).WithHint("write a duration like 30d, 12h or 90m")
		}
		m.Cache.MaxAge = d
	}
	if v := n.Get("max_size"); v != nil {
		s, err := ParseSize(v.Value)
		if err != nil {
			return p.errf(v, "cache.max_size: %v", err).WithHint("write a size like 10GB, 500MiB or 1073741824")
		}
		m.Cache.MaxSize = s
	}
	return nil
}

// buildSettings reads the top-level 'build:' mapping: remote_executor
// (a REAPI executor URL) and remote_platform (platform properties).
func (p *parser) buildSettings(m *Manifest, n *yamlpos.Node) error {
	if err := p.expect(n, yamlpos.Map, "a mapping (remote_executor, remote_platform)"); err != nil {
		return err
	}
	if err := p.keys(n, []string{"remote_executor", "remote_platform"}); err != nil {
		return err
	}
	if v := n.Get("remote_executor"); v != nil {
		u, err := p.str(v, "build.remote_executor")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(u, "grpc://") && !strings.HasPrefix(u, "grpcs://") {
			return p.errf(v, "build.remote_executor %q is not a grpc:// or grpcs:// URL", u).WithHint("write grpc://HOST:PORT[/INSTANCE]")
		}
		m.Build.RemoteExecutor = u
	}
	if v := n.Get("remote_platform"); v != nil && v.Kind != yamlpos.Null {
		if err := p.expect(v, yamlpos.Map, "a mapping of platform property names to values"); err != nil {
			return err
		}
		m.Build.RemotePlatform = map[string]string{}
		for i, k := range v.Keys {
			val, err := p.str(v.Values[i], "build.remote_platform."+k.Value)
			if err != nil {
				return err
			}
			m.Build.RemotePlatform[k.Value] = val
		}
	}
	return nil
}

func (p *parser) registries(m *Manifest, n *yamlpos.Node) error {
	if err := p.expect(n, yamlpos.Map, "a mapping of registry names to URLs"); err != nil {
		return err
	}
	for i, k := range n.Keys {
		v := n.Values[i]
		r := Registry{Name: k.Value}
		switch v.Kind {
		case yamlpos.Scalar:
			r.URL = v.Value
		case yamlpos.Map:
			if err := p.keys(v, []string{"url", "trusted_keys"}); err != nil {
				return err
			}
			u := v.Get("url")
			if u == nil {
				return p.errf(v, "registry %q needs a 'url'", k.Value)
			}
			r.URL = u.Value
			if tk := v.Get("trusted_keys"); tk != nil {
				keys, err := p.items(tk, "public key")
				if err != nil {
					return err
				}
				for _, it := range keys {
					r.TrustedKeys = append(r.TrustedKeys, it.Value)
				}
			}
		default:
			return p.errf(v, "registry %q must be a URL or a mapping with 'url', found %s", k.Value, v.Kind)
		}
		if u, err := url.Parse(r.URL); err == nil && u.User != nil {
			at := v
			if x := v.Get("url"); x != nil {
				at = x
			}
			return p.errf(at, "registry %q: the URL %q carries credentials", k.Value, u.Redacted()).
				WithHint("a manifest is shared and copied into lock files: remove the user and password and run 'meta login --registry %s' instead", k.Value)
		}
		if !strings.HasPrefix(r.URL, "http://") && !strings.HasPrefix(r.URL, "https://") {
			return p.errf(v, "registry %q: %q is not an http(s) URL", k.Value, r.URL).
				WithHint("write the registry's base URL, e.g. https://registry.example.com")
		}
		m.Registries[k.Value] = r
	}
	return nil
}

var componentKeys = []string{
	"repo", "registry", "version", "ref", "path", "subdir", "type", "build_target", "build",
	"setup", "depends_on", "tools", "description", "groups",
}

func (p *parser) component(m *Manifest, k, n *yamlpos.Node) (*Component, error) {
	name := k.Value
	if err := CheckName(name); err != nil {
		return nil, p.errf(k, "component name %q: %v", name, err).
			WithHint("use letters, digits, '.', '_' and '-' only, starting with a letter or digit")
	}
	c := &Component{Name: name, Pos: p.pos(k)}
	if n.Kind == yamlpos.Null {
		return nil, p.errf(k, "component %q has no settings", name).
			WithHint("give it at least 'repo: <git URL>'")
	}
	if err := p.expect(n, yamlpos.Map, fmt.Sprintf("settings for component %q", name)); err != nil {
		return nil, err
	}
	if err := p.keys(n, componentKeys); err != nil {
		return nil, err
	}
	var err error
	get := func(key string, dst *string) error {
		if v := n.Get(key); v != nil {
			s, err := p.str(v, name+"."+key)
			if err != nil {
				return err
			}
			*dst = s
		}
		return nil
	}
	for key, dst := range map[string]*string{
		"repo": &c.Repo, "registry": &c.Registry, "version": &c.Version, "ref": &c.Ref,
		"type": &c.Type, "build_target": &c.BuildTarget, "description": &c.Description,
	} {
		if err := get(key, dst); err != nil {
			return nil, err
		}
	}
	if v := n.Get("version"); v != nil {
		c.VersionPos = p.pos(v)
	}
	switch {
	case c.Repo == "" && c.Registry == "":
		return nil, p.errf(k, "component %q needs 'repo' (a git URL) or 'registry'", name).
			WithHint("add 'repo: git@host:org/%s.git'", name)
	case c.Repo != "" && c.Registry != "":
		return nil, p.errf(n.KeyNode("registry"), "component %q has both 'repo' and 'registry'; choose one", name)
	}
	if c.Repo != "" {
		if err := CheckRepoURL(c.Repo); err != nil {
			return nil, p.errf(n.Get("repo"), "component %q: repo %q: %v", name, c.Repo, err).
				WithHint("write a git URL (https://host/org/repo.git, git@host:org/repo.git, file:///path) or a local path")
		}
	}
	if c.Registry != "" {
		if _, ok := m.Registries[c.Registry]; !ok {
			return nil, p.errf(n.Get("registry"), "component %q names registry %q, which 'registries:' does not define", name, c.Registry)
		}
	}
	if c.Ref != "" {
		if err := git.CheckRefName(c.Ref); err != nil {
			return nil, p.errf(n.Get("ref"), "%s.ref %q is not a valid git ref name: %v", name, c.Ref, err).
				WithHint("write a branch, tag or commit id as git names it, e.g. main or v1.2.0")
		}
	}
	if c.Version != "" && c.Ref != "" {
		return nil, p.errf(n.KeyNode("ref"), "component %q has both 'version' and 'ref'; choose one", name).
			WithHint("'version' is a semver range over tags; 'ref' tracks a branch, tag or commit")
	}
	if c.Version != "" && !LooksLikeConstraint(c.Version) {
		return nil, p.errf(n.Get("version"), "component %q: version %q is not a semver range", name, c.Version).
			WithHint("write a range like ^1.2.0, ~1.2, >=1.0 <2, or use 'ref: %s' to track a branch or tag", c.Version)
	}
	if c.Version != "" {
		if err := checkRange(c.Version); err != nil {
			return nil, p.errf(n.Get("version"), "component %q: version %q: %v", name, c.Version, err).
				WithHint("write a range like ^1.2.0, ~1.2 or >=1.0 <2")
		}
	}
	rel := filepath.Join(filepath.Base(m.Workspace.Root), name)
	abs := filepath.Join(m.Workspace.Root, name)
	if v := n.Get("path"); v != nil {
		s, err := p.str(v, name+".path")
		if err != nil {
			return nil, err
		}
		if s != "" {
			rel = s
			if filepath.IsAbs(s) {
				abs = filepath.Clean(s)
			} else {
				abs = filepath.Clean(filepath.Join(m.Dir, s))
			}
		}
	}
	if rp, err := filepath.Rel(m.Dir, abs); err == nil {
		rel = rp
	}
	c.Path, c.RelPath = abs, rel
	if v := n.Get("subdir"); v != nil {
		s, err := p.str(v, name+".subdir")
		if err != nil {
			return nil, err
		}
		sub := filepath.ToSlash(filepath.Clean(filepath.FromSlash(s)))
		if s == "" || sub == "." || !filepath.IsLocal(filepath.FromSlash(s)) {
			return nil, p.errf(v, "component %q: subdir %q must be a relative path inside the repository", name, s).
				WithHint("write the package's directory relative to the repository root, e.g. packages/api")
		}
		c.Subdir = sub
	}
	if v := n.Get("build"); v != nil {
		if c.Build, err = p.build(name, v); err != nil {
			return nil, err
		}
	}
	if v := n.Get("setup"); v != nil && v.Kind != yamlpos.Null {
		if c.Setup, err = p.strOrList(v, "setup command"); err != nil {
			return nil, err
		}
	}
	if v := n.Get("depends_on"); v != nil {
		if c.DependsOn, err = p.deps(v); err != nil {
			return nil, err
		}
	}
	if v := n.Get("tools"); v != nil {
		if c.Tools, err = p.tools(v); err != nil {
			return nil, err
		}
	}
	if v := n.Get("groups"); v != nil && v.Kind != yamlpos.Null {
		if c.Groups, err = p.strOrList(v, "group name"); err != nil {
			return nil, err
		}
		for i, g := range c.Groups {
			if err := CheckName(g); err != nil {
				node := v
				if v.Kind == yamlpos.Seq {
					node = v.Values[i]
				}
				return nil, p.errf(node, "group name %q: %v", g, err)
			}
		}
	}
	return c, nil
}

func (p *parser) build(name string, n *yamlpos.Node) (*Build, error) {
	b := &Build{}
	switch n.Kind {
	case yamlpos.Null:
		return nil, nil
	case yamlpos.Scalar:
		b.Command = n.Value
		return b, nil
	case yamlpos.Map:
	default:
		return nil, p.errf(n, "%s.build must be a command or a mapping (command, outputs, inputs, env), found %s", name, n.Kind)
	}
	if err := p.keys(n, []string{"command", "outputs", "inputs", "env"}); err != nil {
		return nil, err
	}
	var err error
	if v := n.Get("command"); v != nil {
		if b.Command, err = p.str(v, name+".build.command"); err != nil {
			return nil, err
		}
	}
	if b.Command == "" {
		return nil, p.errf(n, "%s.build needs a 'command'", name)
	}
	for key, dst := range map[string]*[]string{"outputs": &b.Outputs, "inputs": &b.Inputs, "env": &b.Env} {
		if v := n.Get(key); v != nil && v.Kind != yamlpos.Null {
			if *dst, err = p.strOrList(v, key+" entry"); err != nil {
				return nil, err
			}
		}
	}
	for i, o := range b.Outputs {
		if filepath.IsAbs(o) || !filepath.IsLocal(o) {
			node := n.Get("outputs")
			if node.Kind == yamlpos.Seq {
				node = node.Values[i]
			}
			return nil, p.errf(node, "%s.build.outputs: %q leaves the component directory", name, o).
				WithHint("outputs are paths relative to the component")
		}
	}
	return b, nil
}

func (p *parser) deps(n *yamlpos.Node) ([]Dep, error) {
	if n.Kind == yamlpos.Null {
		return nil, nil
	}
	if n.Kind != yamlpos.Seq {
		return nil, p.errf(n, "depends_on must be a list like [\"auth-lib:^1.2.0\", \"db\"], found %s", n.Kind)
	}
	var out []Dep
	for _, v := range n.Values {
		d := Dep{Pos: p.pos(v)}
		switch v.Kind {
		case yamlpos.Scalar:
			d.Name, d.Constraint, _ = strings.Cut(v.Value, ":")
		case yamlpos.Map:
			// {name: auth-lib, version: "^1.2"} or {auth-lib: "^1.2"}
			if nm := v.Get("name"); nm != nil {
				if err := p.keys(v, []string{"name", "version"}); err != nil {
					return nil, err
				}
				d.Name = nm.Value
				if ver := v.Get("version"); ver != nil {
					d.Constraint = ver.Value
				}
			} else if len(v.Keys) == 1 {
				d.Name, d.Constraint = v.Keys[0].Value, v.Values[0].Value
			} else {
				return nil, p.errf(v, "a dependency is \"name\", \"name:range\" or {name: ..., version: ...}")
			}
		default:
			return nil, p.errf(v, "a dependency is \"name\" or \"name:range\", found %s", v.Kind)
		}
		d.Name = strings.TrimSpace(d.Name)
		d.Constraint = strings.TrimSpace(d.Constraint)
		if err := CheckName(d.Name); err != nil {
			return nil, p.errf(v, "dependency %q: %v", d.Name, err).
				WithHint("write \"name\" or \"name:range\", e.g. \"auth-lib:^1.2.0\"")
		}
		if d.Constraint != "" && !LooksLikeConstraint(d.Constraint) {
			return nil, p.errf(v, "dependency %q: %q is not a semver range", d.Name, d.Constraint).
				WithHint("write a range like ^1.2.0, ~1.2 or >=1.0 <2")
		}
		if d.Constraint != "" {
			if err := checkRange(d.Constraint); err != nil {
				return nil, p.errf(v, "dependency %q: %q: %v", d.Name, d.Constraint, err).
					WithHint("write a range like ^1.2.0, ~1.2 or >=1.0 <2")
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func (p *parser) envEntry(comp string, v *yamlpos.Node) (EnvEntry, error) {
	e := EnvEntry{Pos: p.pos(v)}
	switch v.Kind {
	case yamlpos.Scalar:
		if LooksLikeConstraint(v.Value) {
			e.Version = v.Value
			if err := checkRange(v.Value); err != nil {
				return e, p.errf(v, "%s: version %q: %v", comp, v.Value, err)
			}
		} else {
			e.Ref = v.Value
		}
	case yamlpos.Map:
		if err := p.keys(v, []string{"version", "ref"}); err != nil {
			return e, err
		}
		if x := v.Get("version"); x != nil {
			e.Version = x.Value
		}
		if x := v.Get("ref"); x != nil {
			e.Ref = x.Value
		}
		if (e.Version == "") == (e.Ref == "") {
			return e, p.errf(v, "%s: give exactly one of 'version' or 'ref'", comp)
		}
	default:
		return e, p.errf(v, "%s: expected a version range or a ref, found %s", comp, v.Kind)
	}
	if e.Ref != "" {
		at := v
		if x := v.Get("ref"); x != nil {
			at = x
		}
		if err := git.CheckRefName(e.Ref); err != nil {
			return e, p.errf(at, "%s.ref %q is not a valid git ref name: %v", comp, e.Ref, err).
				WithHint("write a branch, tag or commit id as git names it, e.g. main or v1.2.0")
		}
	}
	return e, nil
}

func (p *parser) environments(m *Manifest, n *yamlpos.Node) error {
	if err := p.expect(n, yamlpos.Map, "a mapping of environment names to component overrides"); err != nil {
		return err
	}
	for i, k := range n.Keys {
		if err := CheckName(k.Value); err != nil {
			return p.errf(k, "environment name %q: %v", k.Value, err)
		}
		env := m.Environments[k.Value]
		if env == nil {
			env = map[string]EnvEntry{}
			m.Environments[k.Value] = env
			m.EnvOrder = append(m.EnvOrder, k.Value)
		}
		v := n.Values[i]
		if v.Kind == yamlpos.Null {
			continue
		}
		if err := p.expect(v, yamlpos.Map, "a mapping of component names to a version range or ref"); err != nil {
			return err
		}
		for j, ck := range v.Keys {
			if _, ok := m.Components[ck.Value]; !ok {
				return p.unknownComponent(m, ck, "environment "+k.Value)
			}
			if prev, ok := env[ck.Value]; ok {
				return p.errf(ck, "environment %s sets %s twice (also at %s)", k.Value, ck.Value, prev.Pos)
			}
			e, err := p.envEntry(ck.Value, v.Values[j])
			if err != nil {
				return err
			}
			env[ck.Value] = e
		}
	}
	return nil
}

func (p *parser) overrides(m *Manifest, n *yamlpos.Node) error {
	if err := p.expect(n, yamlpos.Map, "a mapping of component names to {version, reason}"); err != nil {
		return err
	}
	for i, k := range n.Keys {
		if _, ok := m.Components[k.Value]; !ok {
			return p.unknownComponent(m, k, "overrides")
		}
		v := n.Values[i]
		o := Override{Pos: p.pos(k)}
		switch v.Kind {
		case yamlpos.Scalar:
			o.Version = v.Value
		case yamlpos.Map:
			if err := p.keys(v, []string{"version", "reason"}); err != nil {
				return err
			}
			if x := v.Get("version"); x != nil {
				o.Version = x.Value
			}
			if x := v.Get("reason"); x != nil {
				o.Reason = x.Value
			}
		default:
			return p.errf(v, "override for %s must be a version or {version, reason}", k.Value)
		}
		if o.Version == "" || !LooksLikeConstraint(o.Version) {
			return p.errf(v, "override for %s needs a 'version' (a semver version or range)", k.Value)
		}
		if err := checkRange(o.Version); err != nil {
			return p.errf(v, "override for %s: version %q: %v", k.Value, o.Version, err)
		}
		m.Overrides[k.Value] = o
	}
	return nil
}

func (p *parser) unknownComponent(m *Manifest, k *yamlpos.Node, where string) error {
	e := p.errf(k, "%s names component %q, which is not in 'components'", where, k.Value)
	if s := yamlpos.Suggest(k.Value, m.Order); s != "" {
		e.Msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return e
}

// validate checks what spans components: dependency references, unique and
// contained paths.
func (p *parser) validate(m *Manifest, comps *yamlpos.Node) error {
	for _, name := range m.Order {
		c := m.Components[name]
		for _, d := range c.DependsOn {
			if d.Name == name {
				return &yamlpos.Error{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col,
					Msg: fmt.Sprintf("component %q depends on itself", name), Hint: "remove the dependency"}
			}
			if _, ok := m.Components[d.Name]; !ok {
				e := &yamlpos.Error{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col,
					Msg: fmt.Sprintf("component %q depends on %q, which is not in 'components'", name, d.Name)}
				if s := yamlpos.Suggest(d.Name, m.Order); s != "" {
					e.Msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else {
					e.Hint = fmt.Sprintf("add %q under 'components:' or remove the dependency", d.Name)
				}
				return e
			}
		}
	}
	// Paths: inside the workspace root, not the meta repo itself, unique;
	// nesting is checked by checkNesting.
	names := append([]string(nil), m.Order...)
	sort.Slice(names, func(i, j int) bool { return m.Components[names[i]].Path < m.Components[names[j]].Path })
	for i, name := range names {
		c := m.Components[name]
		node := comps.Get(name).Get("path")
		if node == nil {
			node = comps.KeyNode(name)
		}
		if !within(m.Workspace.Root, c.Path) || c.Path == m.Workspace.Root {
			return p.errf(node, "component %q: path %s is outside the workspace root %s", name, c.RelPath, m.Workspace.Root).
				WithHint("component paths must stay inside the workspace root (workspace.root)")
		}
		if c.Path == m.Dir || within(c.Path, m.Dir) {
			return p.errf(node, "component %q: path %s is the meta repository itself", name, c.RelPath)
		}
		for j := i - 1; j >= 0 && m.Components[names[j]].Path == c.Path; j-- {
			if prev := m.Components[names[j]]; !sameCheckout(prev, c) {
				return p.errf(node, "components %q and %q share the path %s", prev.Name, name, c.RelPath).
					WithHint("give one of them a different 'path', or give both the same repo and version and a different 'subdir'")
			}
		}
	}
	return p.checkNesting(m, comps)
}

// sameCheckout reports whether two components may share one checkout:
// packages of one repository (same repo and version or ref) at different
// subdirectories, neither inside the other.
func sameCheckout(a, b *Component) bool {
	if a.Subdir == "" || b.Subdir == "" || a.Repo != b.Repo || a.Registry != b.Registry || a.Version != b.Version || a.Ref != b.Ref {
		return false
	}
	return !within(a.Subdir, b.Subdir) && !within(b.Subdir, a.Subdir)
}

// within reports whether path is dir or below it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsLocal(rel) || rel == "."
}

// parseMappingFile parses a YAML file whose top level must be a mapping
// (what describes it in the error if not). An empty file gives a nil root
// and no error.
func parseMappingFile(file string, data []byte, what string) (*parser, *yamlpos.Node, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, nil, err
	}
	p := &parser{file: file}
	if root.Kind == yamlpos.Null {
		return p, nil, nil
	}
	if err := p.expect(root, yamlpos.Map, what); err != nil {
		return nil, nil, err
	}
	return p, root, nil
}

func (m *Manifest) parseEnvironmentsFile(file string, data []byte) error {
	p, root, err := parseMappingFile(file, data, "a mapping with an 'environments' key")
	if err != nil || root == nil {
		return err
	}
	if err := p.keys(root, []string{"environments"}); err != nil {
		return err
	}
	if e := root.Get("environments"); e != nil && e.Kind != yamlpos.Null {
		return p.environments(m, e)
	}
	return nil
}

func (m *Manifest) parseFeaturesFile(file string, data []byte) error {
	p, root, err := parseMappingFile(file, data, "a mapping with a 'features' key")
	if err != nil || root == nil {
		return err
	}
	fs := root.Get("features")
	if fs == nil || fs.Kind == yamlpos.Null {
		return nil
	}
	if err := p.expect(fs, yamlpos.Map, "a mapping of feature names to settings"); err != nil {
		return err
	}
	m.Features = map[string]*Feature{}
	for i, k := range fs.Keys {
		v := fs.Values[i]
		f := &Feature{Name: k.Value, Pos: p.pos(k)}
		if v.Kind != yamlpos.Map {
			return p.errf(v, "feature %q must be a mapping", k.Value)
		}
		// The earlier tool allowed free-form keys (contracts, policies);
		// only components, depends_on and description matter here.
		if d := v.Get("description"); d != nil {
			f.Description = d.Value
		}
		if c := v.Get("components"); c != nil {
			items, err := p.items(c, "component name")
			if err != nil {
				return err
			}
			for _, it := range items {
				if _, ok := m.Components[it.Value]; !ok {
					return p.unknownComponent(m, &yamlpos.Node{Line: it.Pos.Line, Col: it.Pos.Col, Value: it.Value}, "feature "+k.Value)
				}
				f.Components = append(f.Components, it.Value)
			}
		}
		if d := v.Get("depends_on"); d != nil {
			items, err := p.items(d, "feature name")
			if err != nil {
				return err
			}
			for _, it := range items {
				f.DependsOn = append(f.DependsOn, it.Value)
			}
		}
		m.Features[f.Name] = f
	}
	for _, f := range m.Features {
		for _, d := range f.DependsOn {
			if _, ok := m.Features[d]; !ok {
				return &yamlpos.Error{File: file, Line: f.Pos.Line, Col: f.Pos.Col,
					Msg: fmt.Sprintf("feature %q depends on feature %q, which is not defined", f.Name, d)}
			}
		}
	}
	return nil
}

// Jobs returns the parallelism to use: flag when positive, else the
// manifest's, else a default.
func (m *Manifest) Jobs(flag int) int {
	if flag > 0 {
		return flag
	}
	if m != nil && m.Workspace.Jobs > 0 {
		return m.Workspace.Jobs
	}
	return 8
}

// List returns the components in file order.
func (m *Manifest) List() []*Component {
	out := make([]*Component, 0, len(m.Order))
	for _, n := range m.Order {
		out = append(out, m.Components[n])
	}
	return out
}

// Effective returns component c as seen in environment env: the
// environment's version or ref replaces the component's own.
func (m *Manifest) Effective(c *Component, env string) *Component {
	e, ok := m.Environments[env][c.Name]
	if !ok {
		return c
	}
	cc := *c
	cc.Version, cc.Ref = e.Version, e.Ref
	cc.VersionPos = e.Pos
	return &cc
}

// Rel returns path relative to the meta repository, for messages.
func (m *Manifest) Rel(path string) string {
	if r, err := filepath.Rel(m.Dir, path); err == nil {
		return r
	}
	return path
}

// checkRange validates a semver range in the resolver's dialect.
func checkRange(s string) error {
	if s == "latest" {
		return nil
	}
	_, err := semver.ParseConstraint(s)
	return err
}
