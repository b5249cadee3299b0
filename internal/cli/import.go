package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/importer"
	"github.com/metawork/meta/internal/manifest"
)

func newImportCmd(a *app) *cobra.Command {
	var (
		output      string
		force       bool
		manifestURL string
		noRemote    bool
		asJSON      bool
	)
	cmd := &cobra.Command{
		Use:   "import west|vcstool|repo|gitmodules|wrknv FILE",
		Short: "Convert another tool's manifest into manifests/components.yaml",
		Long: `Read west's west.yml, vcstool's .repos, repo's default.xml, git's
.gitmodules or provide-workspace's wrknv.toml ([[siblings]]) and write the
equivalent manifests/components.yaml in the current directory (which becomes
the meta repository). An existing manifest is never overwritten unless
--force is given.

Relative URLs (repo's fetch="..", a submodule's ../x.git, a west url-base
"..") are resolved against the URL of the repository the file comes from:
--manifest-url, or else the origin of the git checkout the file is in.

Revisions: commits and branches become 'ref:', full version numbers
(v3.6.0, 9.2.0) 'version:'. A vcstool version such as 2.3.x or rolling is
looked up on its remote (skip with --no-remote); what could not be checked
is reported as assumed.

Groups (west, repo) become meta groups; west's group-filter and repo's
notdefault become workspace.default_groups, so 'meta bootstrap' clones what
'west update' or 'repo sync' would, and --group NAME adds the rest. West
imports (self: import: and a project's import:) are followed when the files
are present locally. Everything meta does not carry over is reported: one
warning line per kind with a count and examples (-v lists them all,
--json prints them for tools).`,
		Example: `  meta import west ../zephyrproject/zephyr/west.yml
  meta import vcstool ros2.repos --no-remote
  meta import repo default.xml --manifest-url https://android.googlesource.com/platform/manifest
  meta import gitmodules ../monorepo/.gitmodules
  meta import wrknv ../provide-workspace/wrknv.toml`,
		ValidArgs: importer.Kinds,
		Args:      cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, file := args[0], args[1]
			known := false
			for _, k := range importer.Kinds {
				known = known || k == kind
			}
			if !known {
				return usagef("one of: "+strings.Join(importer.Kinds, ", "), "unknown manifest kind %q", kind)
			}
			if asJSON && output == "-" {
				return usagef("write the manifest to a file with --output FILE", "--json and --output - both print to stdout")
			}
			wd, err := a.workdir()
			if err != nil {
				return err
			}
			if !filepath.IsAbs(file) {
				file = filepath.Join(wd, file)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return usagef("give the path of the "+kind+" manifest", "%v", err)
			}
			o := importer.Options{
				ManifestURL: manifestURL,
				Dir:         filepath.Dir(file),
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
			if top := enclosingRepo(o.Dir); top != "" {
				if o.ManifestURL == "" {
					if u, err := git.RemoteURL(top, "origin"); err == nil && u != "" {
						o.ManifestURL = absRemote(top, u)
					}
				}
				if h, err := git.ReadHead(top); err == nil {
					o.ManifestRev = h.Branch
				}
			}
			if o.ManifestURL != "" && !absoluteURL(o.ManifestURL) {
				return usagef("give the full URL, e.g. https://android.googlesource.com/platform/manifest", "--manifest-url %q is not an absolute URL or path", o.ManifestURL)
			}
			if !noRemote {
				o.RemoteRefs = remoteRefs
			}
			res, err := importer.Import(cmd.Context(), kind, args[1], data, o)
			if err != nil && res != nil {
				a.importWarnings(res.Warnings)
			}
			if err != nil {
				var rel *importer.RelativeURLError
				if errors.As(err, &rel) {
					return usageError(err, "pass --manifest-url URL (where this file's repository lives), or import from a clone of it whose origin is set")
				}
				return usageError(err, "")
			}
			out := importer.Render(res)
			if _, err := manifest.Parse(wd, manifest.ManifestPath, out); err != nil {
				return failf("edit the source manifest or the result by hand", "the imported manifest does not validate: %v", err)
			}
			if !asJSON {
				a.importWarnings(res.Warnings)
			}
			if output == "-" {
				_, err := a.out().Write(out)
				return err
			}
			dest := output
			if dest == "" {
				dest = filepath.Join(wd, manifest.ManifestPath)
			} else if !filepath.IsAbs(dest) {
				dest = filepath.Join(wd, dest)
			}
			if _, err := os.Stat(dest); err == nil && !force {
				return failf("pass --force to replace it, or --output - to print the result", "%s already exists", dest)
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
				return err
			}
			if err := writeFileAtomic(dest, out, 0o644); err != nil {
				return err
			}
			if output == "" {
				if err := ensureGitignore(wd); err != nil {
					return err
				}
			}
			if asJSON {
				type comp struct {
					Name     string   `json:"name"`
					Original string   `json:"original"`
					Repo     string   `json:"repo"`
					Path     string   `json:"path"`
					Ref      string   `json:"ref,omitempty"`
					Groups   []string `json:"groups,omitempty"`
				}
				comps := make([]comp, 0, len(res.Projects))
				for _, p := range res.Projects {
					comps = append(comps, comp{p.Name, p.Original, p.URL, p.Path, p.Ref, p.Groups})
				}
				warnings := res.Warnings
				if warnings == nil {
					warnings = []importer.Warning{}
				}
				return a.printJSON(struct {
					Output        string             `json:"output"`
					Components    []comp             `json:"components"`
					DefaultGroups []string           `json:"default_groups,omitempty"`
					Warnings      []importer.Warning `json:"warnings"`
				}{dest, comps, res.DefaultGroups, warnings})
			}
			a.printf("imported %s from %s into %s\n", plural(len(res.Projects), "component"), args[1], dest)
			if len(res.DefaultGroups) > 0 {
				a.printf("default selection: %s (add others with --group NAME)\n", strings.Join(res.DefaultGroups, " "))
			}
			a.printf("next: meta bootstrap\n")
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of manifests/components.yaml (- for stdout)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing manifest")
	cmd.Flags().StringVar(&manifestURL, "manifest-url", "", "`URL` of the repository the file comes from, for relative URLs (default: its checkout's origin)")
	cmd.Flags().BoolVar(&noRemote, "no-remote", false, "do not contact remotes to tell branches from tags")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result and every warning as JSON")
	return cmd
}

// importWarnings prints one line per kind of warning, with a count and
// up to three examples; -v lists every one.
func (a *app) importWarnings(ws []importer.Warning) {
	var kinds []string
	byKind := map[string][]importer.Warning{}
	for _, w := range ws {
		if _, ok := byKind[w.Kind]; !ok {
			kinds = append(kinds, w.Kind)
		}
		byKind[w.Kind] = append(byKind[w.Kind], w)
	}
	more := false
	for _, k := range kinds {
		list := byKind[k]
		// Examples are distinct subjects; -v lists every warning.
		show := list
		if !a.verbose {
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
			if w.Detail != "" && (a.verbose || len(list) == 1) {
				ex[i] += " (" + w.Detail + ")"
			}
		}
		line := strings.Join(ex, ", ")
		if len(show) < len(list) {
			line += ", …"
			more = true
		}
		a.warnf("%s: %d: %s", k, len(list), line)
	}
	if more {
		a.warnf("run with -v to list every one, or --json")
	}
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
