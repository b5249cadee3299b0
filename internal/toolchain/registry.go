package toolchain

import (
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/yamlpos"
)

// Tool types of registry entries.
const (
	TypeRuntime      = "runtime"
	TypeGitHubBinary = "github-binary"
	TypeApt          = "apt"
	TypeNpm          = "npm"
	TypeUvTool       = "uv-tool"
	TypeCargo        = "cargo"
	TypeGoInstall    = "go-install"
	TypeCustom       = "custom"
	TypeBundle       = "bundle"
)

var toolTypes = []string{TypeRuntime, TypeGitHubBinary, TypeApt, TypeNpm, TypeUvTool, TypeCargo, TypeGoInstall, TypeCustom, TypeBundle}

// Version sources of runtimes.
const (
	SourceGo     = "go"
	SourceNode   = "node"
	SourcePython = "python"
	SourceGitHub = "github"
)

// Arches are the architectures every downloadable entry must serve.
var Arches = []string{"amd64", "arm64"}

// Tool is one registry entry.
type Tool struct {
	Name        string
	Description string
	Type        string
	Versions    string // version source: go, node, python, github; "" when the package manager picks
	Repo        string // GitHub owner/name
	Tag         string // tag template, "v{version}" by default
	Package     string // apt, npm, uv-tool, cargo and go-install package
	Bin         string // program name
	Assets      map[string]Asset
	Checksum    Checksum
	Strip       int      // leading archive directories to drop when installing
	BinDirs     []string // directories of programs inside an install
	Setup       []string // argument vector run in the unpacked archive (runtimes)
	Requires    []string
	Tools       []string // bundle members
	Role        string   // "package-manager" for tools others are installed with
	Docs        string   // custom: where the manual install is described
	Line, Col   int      // position in registry.yaml
}

// Asset is one architecture's download of a tool.
type Asset struct {
	File string // GitHub release asset name template
	URL  string // download URL template (instead of File)
	Path string // program inside the archive; "" when the download is the program
}

// Checksum says where a download's sha256 comes from.
type Checksum struct {
	File         string                       // checksums file: release asset name or URL template
	GitHubDigest bool                         // the releases API's asset digest
	Pinned       map[string]map[string]string // version → arch → hex
}

// Registry is the set of known tools.
type Registry struct {
	tools map[string]*Tool
	names []string // sorted
}

// Lookup returns the named tool.
func (r *Registry) Lookup(name string) (*Tool, bool) {
	t, ok := r.tools[name]
	return t, ok
}

// Names returns every tool name, sorted.
func (r *Registry) Names() []string { return slices.Clone(r.names) }

// Tools returns every tool, sorted by name.
func (r *Registry) Tools() []*Tool {
	out := make([]*Tool, 0, len(r.names))
	for _, n := range r.names {
		out = append(out, r.tools[n])
	}
	return out
}

// Search returns the tools whose name, description, type or package
// contains query (case-insensitive), names matching first.
func (r *Registry) Search(query string) []*Tool {
	q := strings.ToLower(strings.TrimSpace(query))
	var byName, other []*Tool
	for _, t := range r.Tools() {
		switch {
		case strings.Contains(t.Name, q):
			byName = append(byName, t)
		case strings.Contains(strings.ToLower(t.Description), q) || strings.Contains(strings.ToLower(t.Package), q) || t.Type == q || slices.Contains(t.Tools, q):
			other = append(other, t)
		}
	}
	return append(byName, other...)
}

//go:embed registry.yaml
var registryYAML []byte

var (
	defaultOnce sync.Once
	defaultReg  *Registry
	defaultErr  error
)

// DefaultRegistry returns the embedded registry.
func DefaultRegistry() (*Registry, error) {
	defaultOnce.Do(func() {
		defaultReg, defaultErr = LoadRegistry("registry.yaml", registryYAML)
	})
	return defaultReg, defaultErr
}

var (
	debName  = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	repoName = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	hex64    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	tmplVar  = regexp.MustCompile(`\{[^}]*\}`)
)

var entryKeys = []string{"description", "type", "versions", "repo", "tag", "package", "bin", "assets", "checksum", "strip", "setup", "requires", "tools", "role", "docs", "binDirs"}

// LoadRegistry parses and validates a registry document. Errors name the
// file, line and column.
func LoadRegistry(file string, data []byte) (*Registry, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	if root.Kind != yamlpos.Map {
		return nil, yamlpos.Errorf(file, root, "the registry must be a mapping of tool names to entries, not %s", root.Kind)
	}
	reg := &Registry{tools: map[string]*Tool{}}
	for i, k := range root.Keys {
		t, err := parseEntry(file, k, root.Values[i])
		if err != nil {
			return nil, err
		}
		reg.tools[t.Name] = t
		reg.names = append(reg.names, t.Name)
	}
	sort.Strings(reg.names)
	// Cross-references.
	for _, k := range root.Keys {
		t := reg.tools[k.Value]
		v := root.Values[slices.Index(root.Keys, k)]
		check := func(field string, names []string) error {
			for j, n := range names {
				m, ok := reg.tools[n]
				item := v.Get(field).Values[j]
				if !ok {
					e := yamlpos.Errorf(file, item, "%s: %s names unknown tool %q", t.Name, field, n)
					if s := yamlpos.Suggest(n, reg.names); s != "" {
						e.WithHint("did you mean %q?", s)
					}
					return e
				}
				if m.Type == TypeBundle {
					return yamlpos.Errorf(file, item, "%s: %s names the bundle %q; list its tools instead", t.Name, field, n)
				}
				if n == t.Name {
					return yamlpos.Errorf(file, item, "%s: %s names itself", t.Name, field)
				}
			}
			return nil
		}
		if err := check("requires", t.Requires); err != nil {
			return nil, err
		}
		if err := check("tools", t.Tools); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

func parseEntry(file string, k, v *yamlpos.Node) (*Tool, error) {
	t := &Tool{Name: k.Value, Line: k.Line, Col: k.Col}
	errf := func(n *yamlpos.Node, format string, args ...any) error {
		return yamlpos.Errorf(file, n, "%s: %s", t.Name, fmt.Sprintf(format, args...))
	}
	if err := checkRegistryName(t.Name, t.Name, 0); err != nil {
		return nil, yamlpos.Errorf(file, k, "invalid tool name %q: %v", t.Name, strings.TrimPrefix(err.Error(), fmt.Sprintf("tool spec %q: ", t.Name)))
	}
	if v.Kind != yamlpos.Map {
		return nil, errf(v, "expected a mapping with description and type, not %s", v.Kind)
	}
	for _, key := range v.Keys {
		if !slices.Contains(entryKeys, key.Value) {
			e := errf(key, "unknown field %q", key.Value)
			if s := yamlpos.Suggest(key.Value, entryKeys); s != "" {
				e.(*yamlpos.Error).WithHint("did you mean %q?", s)
			}
			return nil, e
		}
	}
	str := func(field string) (string, error) {
		n := v.Get(field)
		if n == nil {
			return "", nil
		}
		if n.Kind != yamlpos.Scalar {
			return "", errf(n, "%s must be a string, not %s", field, n.Kind)
		}
		return n.Value, nil
	}
	list := func(field string) ([]string, error) {
		n := v.Get(field)
		if n == nil {
			return nil, nil
		}
		if n.Kind != yamlpos.Seq {
			return nil, errf(n, "%s must be a list, not %s", field, n.Kind)
		}
		var out []string
		for _, it := range n.Values {
			if it.Kind != yamlpos.Scalar || it.Value == "" {
				return nil, errf(it, "%s items must be non-empty strings", field)
			}
			out = append(out, it.Value)
		}
		return out, nil
	}
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{{"description", &t.Description}, {"type", &t.Type}, {"versions", &t.Versions}, {"repo", &t.Repo}, {"tag", &t.Tag},
		{"package", &t.Package}, {"bin", &t.Bin}, {"role", &t.Role}, {"docs", &t.Docs}} {
		if *f.dst, err = str(f.name); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"setup", &t.Setup}, {"requires", &t.Requires}, {"tools", &t.Tools}, {"binDirs", &t.BinDirs}} {
		if *f.dst, err = list(f.name); err != nil {
			return nil, err
		}
	}
	if s, err := str("strip"); err != nil {
		return nil, err
	} else if s != "" {
		if t.Strip, err = strconv.Atoi(s); err != nil || t.Strip < 0 || t.Strip > 3 {
			return nil, errf(v.Get("strip"), "strip must be 0 to 3")
		}
	}
	if t.Description == "" {
		return nil, errf(k, "missing description")
	}
	if v.Get("type") == nil {
		return nil, errf(k, "missing type").(*yamlpos.Error).WithHint("types: %s", strings.Join(toolTypes, ", "))
	}
	if !slices.Contains(toolTypes, t.Type) {
		e := errf(v.Get("type"), "unknown type %q", t.Type).(*yamlpos.Error)
		if s := yamlpos.Suggest(t.Type, toolTypes); s != "" {
			return nil, e.WithHint("did you mean %q?", s)
		}
		return nil, e.WithHint("types: %s", strings.Join(toolTypes, ", "))
	}
	if t.Role != "" && t.Role != "package-manager" {
		return nil, errf(v.Get("role"), "role must be package-manager")
	}
	// Fields that belong to other types.
	allowed := map[string][]string{
		TypeRuntime:      {"versions", "repo", "tag", "assets", "checksum", "strip", "setup", "binDirs", "requires", "bin"},
		TypeGitHubBinary: {"repo", "tag", "bin", "assets", "checksum", "requires", "role", "strip", "binDirs"},
		TypeApt:          {"package", "requires"},
		TypeNpm:          {"package", "requires", "bin"},
		TypeUvTool:       {"package", "requires", "bin"},
		TypeCargo:        {"package", "requires", "bin"},
		TypeGoInstall:    {"package", "requires", "bin"},
		TypeCustom:       {"docs", "requires", "bin"},
		TypeBundle:       {"tools"},
	}[t.Type]
	for _, key := range v.Keys {
		if key.Value != "description" && key.Value != "type" && !slices.Contains(allowed, key.Value) {
			return nil, errf(key, "field %q does not apply to type %s", key.Value, t.Type)
		}
	}
	switch t.Type {
	case TypeRuntime:
		if !slices.Contains([]string{SourceGo, SourceNode, SourcePython, SourceGitHub}, t.Versions) {
			return nil, errf(orNode(v.Get("versions"), k), "runtime needs versions: go, node, python or github")
		}
		if t.Versions == SourceGitHub {
			if err := parseDownloads(file, t, k, v); err != nil {
				return nil, err
			}
		}
	case TypeGitHubBinary:
		t.Versions = SourceGitHub
		if err := parseDownloads(file, t, k, v); err != nil {
			return nil, err
		}
	case TypeApt, TypeNpm, TypeUvTool, TypeCargo, TypeGoInstall:
		if t.Package == "" {
			return nil, errf(k, "type %s needs a package", t.Type)
		}
		if err := checkPackage(t.Type, t.Package); err != nil {
			return nil, errf(v.Get("package"), "%v", err)
		}
	case TypeCustom:
		if !strings.HasPrefix(t.Docs, "https://") {
			return nil, errf(orNode(v.Get("docs"), k), "custom tools need docs: an https URL saying how to install them")
		}
	case TypeBundle:
		if len(t.Tools) == 0 {
			return nil, errf(orNode(v.Get("tools"), k), "a bundle needs a non-empty tools list")
		}
	}
	if len(t.BinDirs) == 0 {
		t.BinDirs = []string{"bin"}
	}
	return t, nil
}

func orNode(n, fallback *yamlpos.Node) *yamlpos.Node {
	if n != nil {
		return n
	}
	return fallback
}

// checkPackage validates a registry package name with the spec grammars.
func checkPackage(typ, pkg string) error {
	var err error
	switch typ {
	case TypeApt:
		if !debName.MatchString(pkg) {
			return fmt.Errorf("invalid Debian package name %q", pkg)
		}
		return nil
	case TypeNpm:
		err = checkNpmName(pkg, pkg, 0)
	case TypeUvTool:
		err = checkPyName(pkg, pkg, 0)
	case TypeCargo:
		err = checkCrateName(pkg, pkg, 0)
	case TypeGoInstall:
		err = checkGoPath(pkg, pkg, 0)
	}
	if se, ok := err.(*SpecError); ok {
		return fmt.Errorf("package %q: %s", pkg, se.Msg)
	}
	return err
}

// parseDownloads reads repo, tag, assets and checksum.
func parseDownloads(file string, t *Tool, k, v *yamlpos.Node) error {
	errf := func(n *yamlpos.Node, format string, args ...any) error {
		return yamlpos.Errorf(file, orNode(n, k), "%s: %s", t.Name, fmt.Sprintf(format, args...))
	}
	if !repoName.MatchString(t.Repo) {
		return errf(v.Get("repo"), "needs repo: OWNER/NAME on GitHub (its releases list the versions)")
	}
	if t.Tag == "" {
		t.Tag = "v{version}"
	}
	if strings.Count(t.Tag, "{version}") != 1 || len(tmplVar.FindAllString(t.Tag, -1)) != 1 {
		return errf(v.Get("tag"), "tag must contain {version} once and no other placeholder")
	}
	an := v.Get("assets")
	if an == nil || an.Kind != yamlpos.Map {
		return errf(an, "needs assets: a mapping of amd64 and arm64 to their downloads")
	}
	t.Assets = map[string]Asset{}
	for i, ak := range an.Keys {
		if !slices.Contains(Arches, ak.Value) {
			return errf(ak, "unknown architecture %q (expected amd64 or arm64)", ak.Value)
		}
		av := an.Values[i]
		if av.Kind != yamlpos.Map {
			return errf(av, "asset for %s must be a mapping with file or url", ak.Value)
		}
		var a Asset
		for j, fk := range av.Keys {
			fv := av.Values[j]
			if fv.Kind != yamlpos.Scalar || fv.Value == "" {
				return errf(fv, "%s must be a non-empty string", fk.Value)
			}
			switch fk.Value {
			case "file":
				a.File = fv.Value
			case "url":
				a.URL = fv.Value
			case "path":
				a.Path = fv.Value
			default:
				return errf(fk, "unknown asset field %q (expected file, url, path)", fk.Value)
			}
			if err := checkTemplate(fv.Value, fk.Value == "url"); err != nil {
				return errf(fv, "%s: %v", fk.Value, err)
			}
		}
		if (a.File == "") == (a.URL == "") {
			return errf(av, "asset for %s needs exactly one of file or url", ak.Value)
		}
		if a.File != "" && strings.Contains(a.File, "/") {
			return errf(av, "asset file %q must be a release asset name, without '/'", a.File)
		}
		if a.Path != "" {
			if c := path.Clean(a.Path); path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
				return errf(av, "asset path %q leaves the archive", a.Path)
			}
		}
		t.Assets[ak.Value] = a
	}
	for _, arch := range Arches {
		if _, ok := t.Assets[arch]; !ok {
			return errf(an, "missing asset for %s", arch)
		}
	}
	cn := v.Get("checksum")
	if cn == nil || cn.Kind != yamlpos.Map {
		return errf(cn, "needs checksum: file (a checksums file), sha256 (pinned per version) or github-digest: true")
	}
	for i, ck := range cn.Keys {
		cv := cn.Values[i]
		switch ck.Value {
		case "file":
			if cv.Kind != yamlpos.Scalar || cv.Value == "" {
				return errf(cv, "checksum file must be a string")
			}
			if err := checkTemplate(cv.Value, strings.Contains(cv.Value, "://")); err != nil {
				return errf(cv, "checksum file: %v", err)
			}
			t.Checksum.File = cv.Value
		case "github-digest":
			if cv.Kind != yamlpos.Scalar || cv.Value != "true" {
				return errf(cv, "github-digest must be true")
			}
			t.Checksum.GitHubDigest = true
		case "sha256":
			if cv.Kind != yamlpos.Map {
				return errf(cv, "sha256 must map versions to {amd64: HEX, arm64: HEX}")
			}
			t.Checksum.Pinned = map[string]map[string]string{}
			for j, vk := range cv.Keys {
				per := cv.Values[j]
				if per.Kind != yamlpos.Map {
					return errf(per, "sha256 %s must map amd64 and arm64 to digests", vk.Value)
				}
				m := map[string]string{}
				for x, ak := range per.Keys {
					if !slices.Contains(Arches, ak.Value) {
						return errf(ak, "unknown architecture %q", ak.Value)
					}
					if !hex64.MatchString(per.Values[x].Value) {
						return errf(per.Values[x], "sha256 must be 64 lowercase hex digits")
					}
					m[ak.Value] = per.Values[x].Value
				}
				for _, arch := range Arches {
					if m[arch] == "" {
						return errf(per, "sha256 %s: missing %s", vk.Value, arch)
					}
				}
				t.Checksum.Pinned[vk.Value] = m
			}
		default:
			return errf(ck, "unknown checksum source %q (expected file, sha256, github-digest)", ck.Value)
		}
	}
	n := 0
	for _, b := range []bool{t.Checksum.File != "", t.Checksum.GitHubDigest, t.Checksum.Pinned != nil} {
		if b {
			n++
		}
	}
	if n != 1 {
		return errf(cn, "checksum needs exactly one of file, sha256, github-digest")
	}
	return nil
}

// checkTemplate allows only known placeholders, and https URLs.
func checkTemplate(s string, isURL bool) error {
	for _, m := range tmplVar.FindAllString(s, -1) {
		if m != "{version}" && m != "{asset}" && m != "{url}" {
			return fmt.Errorf("unknown placeholder %s (known: {version}, {asset}, {url})", m)
		}
	}
	if isURL && !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "{url}") {
		return fmt.Errorf("%q must be an https URL", s)
	}
	if strings.ContainsAny(s, " \t\n'\"`$\\;|&<>") {
		return fmt.Errorf("%q contains a character that is not allowed", s)
	}
	return nil
}

// expand fills a template.
func expand(tmpl, version, asset, url string) string {
	r := strings.NewReplacer("{version}", version, "{asset}", asset, "{url}", url)
	return r.Replace(tmpl)
}

// hintOf returns the hint an error carries, if any.
func hintOf(err error) string {
	switch e := err.(type) {
	case *yamlpos.Error:
		return e.Hint
	case *SpecError:
		return e.Hint
	}
	return ""
}

// suggest returns the closest name for a "did you mean".
func suggest(name string, names []string) string { return yamlpos.Suggest(name, names) }
