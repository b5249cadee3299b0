// Package importer converts other workspace tools' manifests — west's
// west.yml, vcstool's .repos, repo's default.xml, git's .gitmodules and
// provide-workspace's wrknv.toml — into meta's manifests/components.yaml.
// Nothing of the source is dropped silently: what meta does not carry over
// is returned as warnings.
package importer

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/manifest"
)

// Project is one repository found in a foreign manifest.
type Project struct {
	Name     string   // meta component name (readable, unique)
	Original string   // the name the source manifest gives it
	URL      string   // absolute: relative URLs are resolved on import
	Path     string   // checkout path relative to the workspace root
	Ref      string   // branch, tag or commit; "" for the default branch
	Groups   []string // meta group names
	Where    string   // file:line of its declaration, for messages

	refChecked bool   // Ref's kind was confirmed on the remote
	refKind    string // "branch", "tag" or "commit" once known
}

// Warning is one thing of the source manifest that meta does not carry
// over, or an assumption the import made.
type Warning struct {
	Kind    string `json:"kind"`    // one sentence shared by all warnings of a kind
	Subject string `json:"subject"` // the project, file or element concerned
	Detail  string `json:"detail,omitempty"`
}

// Result is an imported workspace.
type Result struct {
	Kind     string
	Source   string // the file as named on the command line
	Projects []Project
	// DefaultGroups is the workspace's default selection, in the syntax
	// of the manifest's workspace.default_groups ("-G" leaves G out).
	DefaultGroups []string
	Warnings      []Warning
}

// Options tune Import.
type Options struct {
	// ManifestURL is the URL of the repository the source manifest
	// comes from; relative URLs are resolved against it. Empty: a
	// relative URL is an error.
	ManifestURL string
	// ManifestRev is the branch of that repository, when known (the
	// west manifest repository becomes a component tracking it).
	ManifestRev string
	// Dir is the directory of the source file, for west imports and repo
	// includes. Empty: those are reported, not followed.
	Dir string
	// ReadFile reads a file named by an absolute path (west imports,
	// repo includes). Nil: those are reported, not followed.
	ReadFile func(name string) ([]byte, error)
	// IsDir reports whether an absolute path is a directory (west's
	// 'import: DIR'). Nil: never.
	IsDir func(name string) bool
	// ReadDir lists the file names in a directory, sorted. Nil: none.
	ReadDir func(name string) []string
	// RemoteRefs lists the branch and tag names of a remote, for deciding
	// whether a vcstool version is a branch or a tag. Nil, or an error:
	// the import says what it assumed.
	RemoteRefs func(ctx context.Context, url string) (branches, tags map[string]bool, err error)
}

// Kinds lists the formats Import understands.
var Kinds = []string{"west", "vcstool", "repo", "gitmodules", "wrknv"}

// Import reads a manifest of the given kind. file names it in messages.
// When it finds no repository it returns the error with the result, whose
// warnings may say why.
func Import(ctx context.Context, kind, file string, data []byte, o Options) (*Result, error) {
	r := &Result{Kind: kind, Source: file}
	var err error
	switch kind {
	case "west":
		err = importWest(r, file, data, o)
	case "vcstool":
		err = importVcstool(ctx, r, file, data, o)
	case "repo":
		err = importRepo(r, file, data, o)
	case "gitmodules":
		err = importGitmodules(r, file, data, o)
	case "wrknv":
		err = importWrknv(r, file, data)
	default:
		return nil, fmt.Errorf("unknown manifest kind %q (want one of %s)", kind, strings.Join(Kinds, ", "))
	}
	if err != nil {
		return nil, err
	}
	if len(r.Projects) == 0 {
		// The warnings say why (e.g. only non-git repositories).
		return r, fmt.Errorf("%s: no repositories found", file)
	}
	for i := range r.Projects {
		r.Projects[i].Ref = shortRef(r.Projects[i].Ref)
		if ref := r.Projects[i].Ref; strings.HasPrefix(ref, "refs/") || strings.HasPrefix(ref, "pull/") || strings.HasPrefix(ref, "changes/") {
			r.warn("revisions that are neither branch, tag nor commit (meta cannot clone them; pin the commit instead)", r.Projects[i].Original, ref)
		}
		if r.Projects[i].Original == "" {
			r.Projects[i].Original = r.Projects[i].Name
		}
	}
	r.Projects = uniqueNames(kind, r.Projects)
	r.groupNames()
	return r, nil
}

func (r *Result) warn(kind, subject, detail string) {
	r.Warnings = append(r.Warnings, Warning{Kind: kind, Subject: subject, Detail: detail})
}

// groupNames makes every group name valid for meta, warning about the
// ones it had to change.
func (r *Result) groupNames() {
	renamed := map[string]string{}
	fix := func(g string) string {
		if manifest.CheckName(g) == nil {
			return g
		}
		n := sanitize(g)
		if _, ok := renamed[g]; !ok {
			renamed[g] = n
			r.warn("group names changed to fit meta's naming rules", g, "now "+n)
		}
		return n
	}
	for i := range r.Projects {
		p := &r.Projects[i]
		seen := map[string]bool{}
		var gs []string
		for _, g := range p.Groups {
			g = fix(g)
			if !seen[g] {
				seen[g] = true
				gs = append(gs, g)
			}
		}
		p.Groups = gs
	}
	for i, g := range r.DefaultGroups {
		neg := strings.HasPrefix(g, "-")
		n := fix(strings.TrimPrefix(g, "-"))
		if neg {
			n = "-" + n
		}
		r.DefaultGroups[i] = n
	}
}

var versionLike = regexp.MustCompile(`^[vV]?[0-9]+([._-][0-9A-Za-z]+)*$`)

// goodName reports whether a path segment makes a readable component
// name: valid for meta, and not a bare version number like 5.10.
func goodName(s string) bool {
	return manifest.CheckName(s) == nil && !versionLike.MatchString(s) && len(s) > 1
}

// uniqueNames gives every project a readable, unique component name: the
// last segment of its path (west: its project name) when that is a good
// name and no other project shares it, otherwise its original name with
// '/' mapped to '-'; what still collides gets a numeric suffix.
func uniqueNames(kind string, ps []Project) []Project {
	cand := make([]string, len(ps))
	count := map[string]int{}
	for i, p := range ps {
		c := p.Original
		if kind != "west" && kind != "wrknv" {
			c = path.Base(p.Path)
		}
		cand[i] = c
		if goodName(c) {
			count[c]++
		}
	}
	for i, p := range ps {
		if !goodName(cand[i]) || count[cand[i]] > 1 {
			cand[i] = sanitize(strings.ReplaceAll(strings.Trim(p.Original, "/"), "/", "-"))
		} else {
			cand[i] = sanitize(cand[i])
		}
	}
	// Whatever still collides (or would take another project's name)
	// gets -2, -3, … in file order.
	all := map[string]bool{}
	for _, c := range cand {
		all[c] = true
	}
	assigned := map[string]bool{}
	for i := range ps {
		n := cand[i]
		if assigned[n] {
			for k := 2; ; k++ {
				alt := fmt.Sprintf("%s-%d", n, k)
				if !assigned[alt] && !all[alt] {
					n = alt
					break
				}
			}
		}
		assigned[n] = true
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
	out := b.String()
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", "-")
	}
	if len(out) > 100 {
		out = strings.TrimRight(out[:100], ".-_")
	}
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

// fullVersion matches a complete version number such as 9.2.0 or v3.6.0
// (not a series like 2.3.x, which names a branch).
var fullVersion = regexp.MustCompile(`^[vV]?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// isCommit reports whether s is a full hexadecimal commit id.
func isCommit(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// useVersion reports whether p's revision is written as meta's
// 'version:' (a full version number that is, or is taken to be, a tag)
// rather than 'ref:'.
func useVersion(p Project) bool {
	if !fullVersion.MatchString(p.Ref) {
		return false
	}
	return p.refKind != "branch"
}

// Render writes a components.yaml for r. Components are checked out under
// the workspace root (the meta repository's parent) at their original
// paths.
func Render(r *Result) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Imported by 'meta import %s' from %s.\n", r.Kind, r.Source)
	b.WriteString("workspace:\n  root: ..\n")
	if len(r.DefaultGroups) > 0 {
		fmt.Fprintf(&b, "  # What 'meta bootstrap' selects when no component or --group is named\n")
		fmt.Fprintf(&b, "  # (from the source's default groups); add the rest with --group NAME.\n")
		fmt.Fprintf(&b, "  default_groups: [%s]\n", quoteList(r.DefaultGroups))
	}
	b.WriteString("\ncomponents:\n")
	sorted := append([]Project(nil), r.Projects...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, p := range sorted {
		fmt.Fprintf(&b, "  %s:\n", p.Name)
		fmt.Fprintf(&b, "    repo: %s\n", quote(p.URL))
		if p.Ref != "" {
			if useVersion(p) {
				fmt.Fprintf(&b, "    version: %s\n", quote(p.Ref))
			} else {
				fmt.Fprintf(&b, "    ref: %s\n", quote(p.Ref))
			}
		}
		if p.Path != p.Name {
			fmt.Fprintf(&b, "    path: %s\n", quote("../"+p.Path))
		}
		if len(p.Groups) > 0 {
			fmt.Fprintf(&b, "    groups: [%s]\n", quoteList(p.Groups))
		}
		if p.Original != p.Name {
			fmt.Fprintf(&b, "    description: %s\n", quote(r.Kind+" "+sourceNoun(r.Kind)+" "+p.Original))
		}
	}
	return []byte(b.String())
}

func sourceNoun(kind string) string {
	switch kind {
	case "gitmodules":
		return "submodule"
	case "vcstool":
		return "repository"
	case "wrknv":
		return "sibling"
	}
	return "project"
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}

// quote writes s as a YAML double-quoted scalar.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkPath refuses a checkout path that would leave the workspace root.
func checkPath(where, p string) (string, error) {
	c := path.Clean(strings.TrimSpace(p))
	if p == "" || path.IsAbs(c) || c == "." || c == ".." || strings.HasPrefix(c, "../") || strings.ContainsAny(p, "\\\x00") {
		return "", fmt.Errorf("%s: path %q must be relative and stay inside the workspace", where, p)
	}
	return c, nil
}
