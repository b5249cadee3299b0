// Package importer converts other workspace tools' manifests — west's
// west.yml, vcstool's .repos, repo's default.xml and git's .gitmodules —
// into meta's manifests/components.yaml.
package importer

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/yamlpos"
)

// Project is one repository found in a foreign manifest.
type Project struct {
	Name string // meta component name
	URL  string
	Path string // checkout path relative to the workspace root
	Ref  string // branch, tag or commit; "" for the default branch
}

// Kinds lists the formats Parse understands.
var Kinds = []string{"west", "vcstool", "repo", "gitmodules"}

// Parse reads a manifest of the given kind. file names it in errors.
func Parse(kind, file string, data []byte) ([]Project, error) {
	ps, _, err := ParseWithNotes(kind, file, data)
	return ps, err
}

// ParseWithNotes is Parse that also says what of the source manifest meta
// does not carry over (groups, includes, copyfile/linkfile, non-git
// repositories), so that nothing is dropped silently.
func ParseWithNotes(kind, file string, data []byte) ([]Project, []string, error) {
	var ps []Project
	var notes []string
	var err error
	switch kind {
	case "west":
		ps, err = parseWest(file, data, &notes)
	case "vcstool":
		ps, err = parseVcstool(file, data, &notes)
	case "repo":
		ps, err = parseRepo(file, data, &notes)
	case "gitmodules":
		ps, err = parseGitmodules(file, data)
	default:
		return nil, nil, fmt.Errorf("unknown manifest kind %q (want one of %s)", kind, strings.Join(Kinds, ", "))
	}
	if err != nil {
		return nil, nil, err
	}
	if len(ps) == 0 {
		return nil, notes, fmt.Errorf("%s: no repositories found", file)
	}
	for i := range ps {
		ps[i].Ref = shortRef(ps[i].Ref)
	}
	return uniqueNames(ps), notes, nil
}

func parseWest(file string, data []byte, notes *[]string) ([]Project, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	m := root.Get("manifest")
	if m == nil || m.Kind != yamlpos.Map {
		return nil, yamlpos.Errorf(file, root, "expected a top-level 'manifest:' mapping (west.yml)")
	}
	if imp := m.Get("self").Get("import"); imp != nil {
		*notes = append(*notes, fmt.Sprintf("%s:%d: self.import is not followed; import those manifests separately", file, imp.Line))
	}
	remotes := map[string]string{}
	if rs := m.Get("remotes"); rs != nil && rs.Kind == yamlpos.Seq {
		for _, r := range rs.Values {
			n, u := r.Get("name"), r.Get("url-base")
			if n == nil || u == nil {
				return nil, yamlpos.Errorf(file, r, "a remote needs 'name' and 'url-base'")
			}
			remotes[n.Value] = strings.TrimRight(u.Value, "/")
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
	projs := m.Get("projects")
	if projs == nil || projs.Kind != yamlpos.Seq {
		return nil, yamlpos.Errorf(file, m, "expected 'projects:' to be a list")
	}
	var out []Project
	for _, p := range projs.Values {
		name := p.Get("name")
		if name == nil || name.Value == "" {
			return nil, yamlpos.Errorf(file, p, "a project needs a 'name'")
		}
		pr := Project{Name: name.Value, Path: name.Value, Ref: defRev}
		if v := p.Get("path"); v != nil {
			pr.Path = v.Value
		}
		if v := p.Get("revision"); v != nil {
			pr.Ref = v.Value
		}
		if g := p.Get("groups"); g != nil {
			*notes = append(*notes, fmt.Sprintf("%s:%d: project %s: west groups are not imported; set meta's 'groups:' on the component", file, g.Line, pr.Name))
		}
		if g := p.Get("import"); g != nil {
			*notes = append(*notes, fmt.Sprintf("%s:%d: project %s: its imported manifest is not followed", file, g.Line, pr.Name))
		}
		if v := p.Get("url"); v != nil {
			pr.URL = v.Value
		} else {
			remote := defRemote
			if v := p.Get("remote"); v != nil {
				remote = v.Value
			}
			base, ok := remotes[remote]
			if !ok {
				return nil, yamlpos.Errorf(file, p, "project %q uses remote %q, which 'remotes:' does not define", pr.Name, remote)
			}
			repoPath := pr.Name
			if v := p.Get("repo-path"); v != nil {
				repoPath = v.Value
			}
			pr.URL = base + "/" + repoPath
		}
		out = append(out, pr)
	}
	return out, nil
}

func parseVcstool(file string, data []byte, notes *[]string) ([]Project, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	repos := root.Get("repositories")
	if repos == nil || repos.Kind != yamlpos.Map {
		return nil, yamlpos.Errorf(file, root, "expected a top-level 'repositories:' mapping (vcstool .repos)")
	}
	var out []Project
	for i, k := range repos.Keys {
		v := repos.Values[i]
		if t := v.Get("type"); t != nil && t.Value != "git" {
			*notes = append(*notes, fmt.Sprintf("%s:%d: %s skipped: it is a %s repository and meta manages git repositories only", file, t.Line, k.Value, t.Value))
			continue
		}
		u := v.Get("url")
		if u == nil {
			return nil, yamlpos.Errorf(file, v, "repository %q needs a 'url'", k.Value)
		}
		pr := Project{Name: path.Base(k.Value), Path: k.Value, URL: u.Value}
		if ver := v.Get("version"); ver != nil {
			pr.Ref = ver.Value
		}
		out = append(out, pr)
	}
	return out, nil
}

type repoXML struct {
	Remotes []struct {
		Name     string `xml:"name,attr"`
		Fetch    string `xml:"fetch,attr"`
		Revision string `xml:"revision,attr"`
	} `xml:"remote"`
	Default struct {
		Remote   string `xml:"remote,attr"`
		Revision string `xml:"revision,attr"`
	} `xml:"default"`
	Includes []struct {
		Name string `xml:"name,attr"`
	} `xml:"include"`
	Projects []struct {
		Name     string     `xml:"name,attr"`
		Path     string     `xml:"path,attr"`
		Remote   string     `xml:"remote,attr"`
		Revision string     `xml:"revision,attr"`
		Groups   string     `xml:"groups,attr"`
		Copyfile []struct{} `xml:"copyfile"`
		Linkfile []struct{} `xml:"linkfile"`
	} `xml:"project"`
}

func parseRepo(file string, data []byte, notes *[]string) ([]Project, error) {
	var x repoXML
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&x); err != nil {
		line := bytes.Count(data[:min(int(dec.InputOffset()), len(data))], []byte("\n")) + 1
		return nil, fmt.Errorf("%s:%d: invalid repo manifest XML: %v", file, line, err)
	}
	for _, inc := range x.Includes {
		*notes = append(*notes, fmt.Sprintf("%s: <include name=%q> is not followed; import that manifest too", file, inc.Name))
	}
	fetch, revs := map[string]string{}, map[string]string{}
	for _, r := range x.Remotes {
		fetch[r.Name] = strings.TrimRight(r.Fetch, "/")
		revs[r.Name] = r.Revision
	}
	var out []Project
	for _, p := range x.Projects {
		if p.Name == "" {
			return nil, fmt.Errorf("%s: a <project> has no name", file)
		}
		remote := p.Remote
		if remote == "" {
			remote = x.Default.Remote
		}
		base, ok := fetch[remote]
		if !ok {
			return nil, fmt.Errorf("%s: project %q uses remote %q, which no <remote> defines", file, p.Name, remote)
		}
		pr := Project{Name: path.Base(p.Name), Path: p.Path, URL: base + "/" + p.Name, Ref: p.Revision}
		if p.Groups != "" {
			*notes = append(*notes, fmt.Sprintf("%s: project %s: groups %q are not imported; set meta's 'groups:' on the component", file, p.Name, p.Groups))
		}
		if len(p.Copyfile)+len(p.Linkfile) > 0 {
			*notes = append(*notes, fmt.Sprintf("%s: project %s: copyfile/linkfile are not imported; add them as a setup command", file, p.Name))
		}
		if pr.Path == "" {
			pr.Path = p.Name
		}
		if pr.Ref == "" {
			pr.Ref = revs[remote]
		}
		if pr.Ref == "" {
			pr.Ref = x.Default.Revision
		}
		out = append(out, pr)
	}
	return out, nil
}

var submoduleHeader = regexp.MustCompile(`^\[submodule\s+"(.*)"\]$`)

func parseGitmodules(file string, data []byte) ([]Project, error) {
	var out []Project
	var cur *Project
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		if s[0] == '[' {
			mm := submoduleHeader.FindStringSubmatch(s)
			if mm == nil {
				return nil, fmt.Errorf("%s:%d: expected [submodule \"name\"], found %q", file, line, s)
			}
			out = append(out, Project{Name: path.Base(mm[1])})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: %q outside a [submodule] section", file, line, s)
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected key = value, found %q", file, line, s)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		switch k {
		case "path":
			cur.Path = v
		case "url":
			cur.URL = v
		case "branch":
			if v != "." {
				cur.Ref = v
			}
		}
	}
	for _, p := range out {
		if p.URL == "" || p.Path == "" {
			return nil, fmt.Errorf("%s: submodule %q needs both path and url", file, p.Name)
		}
	}
	return out, sc.Err()
}

// uniqueNames makes component names valid and unique: invalid characters
// become '-', and a repeated name gets its path's parent as a prefix.
func uniqueNames(ps []Project) []Project {
	seen := map[string]int{}
	for i := range ps {
		n := sanitize(ps[i].Name)
		if seen[n] > 0 {
			alt := sanitize(strings.ReplaceAll(ps[i].Path, "/", "-"))
			if seen[alt] == 0 {
				n = alt
			} else {
				n = fmt.Sprintf("%s-%d", n, seen[n]+1)
			}
		}
		seen[n]++
		ps[i].Name = n
	}
	return ps
}

func sanitize(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok || (i == 0 && (r == '.' || r == '_' || r == '-')) {
			r = '-'
			if i == 0 {
				b.WriteString("x")
			}
		}
		b.WriteRune(r)
	}
	out := strings.ReplaceAll(b.String(), "..", "-")
	if manifest.CheckName(out) != nil {
		return "component"
	}
	return out
}

// shortRef turns a full ref name into what git checkout and meta accept.
func shortRef(r string) string {
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		if s, ok := strings.CutPrefix(r, p); ok {
			return s
		}
	}
	return r
}

// Render writes a components.yaml for ps. Components are checked out under
// the workspace root (the meta repository's parent) at their original paths.
func Render(kind, source string, ps []Project) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Imported by 'meta import %s' from %s.\n", kind, source)
	b.WriteString("workspace:\n  root: ..\n\ncomponents:\n")
	sorted := append([]Project(nil), ps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, p := range sorted {
		fmt.Fprintf(&b, "  %s:\n", p.Name)
		fmt.Fprintf(&b, "    repo: %s\n", quote(p.URL))
		if p.Ref != "" {
			if manifest.LooksLikeConstraint(p.Ref) && !isCommit(p.Ref) {
				fmt.Fprintf(&b, "    version: %s\n", quote(p.Ref))
			} else {
				fmt.Fprintf(&b, "    ref: %s\n", quote(p.Ref))
			}
		}
		if p.Path != p.Name {
			fmt.Fprintf(&b, "    path: %s\n", quote("../"+p.Path))
		}
	}
	return b.Bytes()
}

func isCommit(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func quote(s string) string { return strconv.Quote(s) }
