package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/workspace"
)

// Request is an import of a manifest file on this machine into a meta
// repository.
type Request struct {
	Kind        string // one of Kinds
	File        string // the source file as given (relative to WorkDir)
	WorkDir     string // the directory that becomes the meta repository
	Output      string // where Write writes: "" for WorkDir's manifests/components.yaml
	Force       bool   // replace an existing manifest
	ManifestURL string // the source's repository, for relative URLs; "": its checkout's origin
	NoRemote    bool   // never contact remotes
}

// Outcome is what an import made.
type Outcome struct {
	Result   *Result
	Manifest []byte // the rendered manifest
	Dest     string // where Write wrote it
}

// Error is an import that could not be made; BadInput marks a mistake in
// the request or the source file (exit 2) as opposed to a refusal.
type Error struct {
	Err      error
	Hint     string
	BadInput bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Convert reads req.File, converts it and checks that the result loads as
// a meta manifest. Relative URLs resolve against req.ManifestURL or the
// origin of the git checkout holding the file. When the conversion itself
// fails, the outcome holds the warnings found so far.
func Convert(ctx context.Context, req Request) (*Outcome, error) {
	if !slices.Contains(Kinds, req.Kind) {
		return nil, &Error{fmt.Errorf("unknown manifest kind %q", req.Kind), "one of: " + strings.Join(Kinds, ", "), true}
	}
	file := req.File
	if !filepath.IsAbs(file) {
		file = filepath.Join(req.WorkDir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, &Error{err, "give the path of the " + req.Kind + " manifest", true}
	}
	o := localOptions(filepath.Dir(file), req.ManifestURL)
	if o.ManifestURL != "" && !absoluteURL(o.ManifestURL) {
		return nil, &Error{fmt.Errorf("--manifest-url %q is not an absolute URL or path", o.ManifestURL), "give the full URL, e.g. https://android.googlesource.com/platform/manifest", true}
	}
	if !req.NoRemote {
		o.RemoteRefs = remoteRefs
	}
	res, err := Import(ctx, req.Kind, req.File, data, o)
	var rel *RelativeURLError
	if errors.As(err, &rel) {
		return &Outcome{Result: res}, &Error{err, "pass --manifest-url URL (where this file's repository lives), or import from a clone of it whose origin is set", true}
	} else if err != nil {
		return &Outcome{Result: res}, &Error{Err: err, BadInput: true}
	}
	out := &Outcome{Result: res, Manifest: Render(res)}
	if _, err := manifest.Parse(req.WorkDir, manifest.ManifestPath, out.Manifest); err != nil {
		return nil, &Error{Err: fmt.Errorf("the imported manifest does not validate: %v", err), Hint: "edit the source manifest or the result by hand"}
	}
	return out, nil
}

// Write writes o's manifest where req says (never over an existing file
// unless req.Force), setting o.Dest, and adds meta's paths to .gitignore
// when it writes the workspace manifest.
func Write(o *Outcome, req Request) error {
	o.Dest = cmpOr(req.Output, filepath.Join(req.WorkDir, manifest.ManifestPath))
	if !filepath.IsAbs(o.Dest) {
		o.Dest = filepath.Join(req.WorkDir, o.Dest)
	}
	var exists *workspace.ExistsError
	if err := workspace.CheckNew(o.Dest, req.Force); errors.As(err, &exists) {
		return &Error{Err: err, Hint: "pass --force to replace it, or --output - to print the result"}
	} else if err != nil {
		return err
	}
	if err := atomicfile.Write(o.Dest, o.Manifest, 0o644); err != nil || req.Output != "" {
		return err
	}
	return workspace.EnsureGitignore(req.WorkDir)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// localOptions reads includes and imports from the disk and finds the
// source's repository URL and branch from the checkout holding dir.
func localOptions(dir, manifestURL string) Options {
	o := Options{
		ManifestURL: manifestURL,
		Dir:         dir,
		ReadFile:    os.ReadFile,
		IsDir: func(p string) bool {
			st, err := os.Stat(p)
			return err == nil && st.IsDir()
		},
		ReadDir: func(p string) []string {
			es, _ := os.ReadDir(p)
			var names []string
			for _, e := range es {
				if e.Type().IsRegular() {
					names = append(names, e.Name())
				}
			}
			sort.Strings(names)
			return names
		},
	}
	if top := enclosingRepo(dir); top != "" {
		if o.ManifestURL == "" {
			if u, err := git.RemoteURL(top, "origin"); err == nil && u != "" {
				o.ManifestURL = absRemote(top, u)
			}
		}
		if h, err := git.ReadHead(top); err == nil {
			o.ManifestRev = h.Branch
		}
	}
	return o
}

// enclosingRepo returns the top of the git checkout containing dir, or "".
func enclosingRepo(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		p := filepath.Dir(d)
		if p == d {
			return ""
		}
		d = p
	}
}

// absRemote makes a remote that is a relative local path absolute.
func absRemote(top, u string) string {
	if strings.HasPrefix(u, "./") || strings.HasPrefix(u, "../") {
		return filepath.Join(top, u)
	}
	return u
}

func absoluteURL(u string) bool {
	return strings.Contains(u, "://") || filepath.IsAbs(u) || manifest.CheckRepoURL(u) == nil && strings.Contains(u, "@") && strings.Contains(u, ":")
}

// remoteRefs lists a remote's branch and tag names.
func remoteRefs(ctx context.Context, url string) (map[string]bool, map[string]bool, error) {
	refs, err := git.LsRemote(ctx, "", url, "refs/heads/*", "refs/tags/*")
	if err != nil {
		return nil, nil, err
	}
	branches, tags := map[string]bool{}, map[string]bool{}
	for _, r := range refs {
		if b, ok := strings.CutPrefix(r.Name, "refs/heads/"); ok {
			branches[b] = true
		} else if t, ok := strings.CutPrefix(r.Name, "refs/tags/"); ok {
			tags[t] = true
		}
	}
	return branches, tags, nil
}

// Summary is the import's JSON report.
type Summary struct {
	Output        string             `json:"output"`
	Components    []SummaryComponent `json:"components"`
	DefaultGroups []string           `json:"default_groups,omitempty"`
	Warnings      []Warning          `json:"warnings"`
}

// SummaryComponent is one imported component in a Summary.
type SummaryComponent struct {
	Name     string   `json:"name"`
	Original string   `json:"original"`
	Repo     string   `json:"repo"`
	Path     string   `json:"path"`
	Ref      string   `json:"ref,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// Summary reports o for --json.
func (o *Outcome) Summary() Summary {
	s := Summary{Output: o.Dest, Components: []SummaryComponent{}, DefaultGroups: o.Result.DefaultGroups, Warnings: o.Result.Warnings}
	for _, p := range o.Result.Projects {
		s.Components = append(s.Components, SummaryComponent{p.Name, p.Original, p.URL, p.Path, p.Ref, p.Groups})
	}
	if s.Warnings == nil {
		s.Warnings = []Warning{}
	}
	return s
}

// WarningLines condenses ws to one line per kind: the kind, a count and up
// to three distinct subjects (all of them, with details, when all is set).
// more reports that some were left out.
func WarningLines(ws []Warning, all bool) (lines []string, more bool) {
	var kinds []string
	byKind := map[string][]Warning{}
	for _, w := range ws {
		if _, ok := byKind[w.Kind]; !ok {
			kinds = append(kinds, w.Kind)
		}
		byKind[w.Kind] = append(byKind[w.Kind], w)
	}
	for _, k := range kinds {
		list, show := byKind[k], byKind[k]
		if !all {
			show = nil
			seen := map[string]bool{}
			for _, w := range list {
				if !seen[w.Subject] && len(show) < 3 {
					seen[w.Subject] = true
					show = append(show, w)
				}
			}
		}
		ex := make([]string, len(show))
		for i, w := range show {
			ex[i] = w.Subject
			if w.Detail != "" && (all || len(list) == 1) {
				ex[i] += " (" + w.Detail + ")"
			}
		}
		line := strings.Join(ex, ", ")
		if len(show) < len(list) {
			line += ", …"
			more = true
		}
		lines = append(lines, fmt.Sprintf("%s: %d: %s", k, len(list), line))
	}
	return lines, more
}
