// Package quickstart creates a self-contained sample workspace with no
// network: five component repositories with tagged versions and
// component.yaml dependencies (a diamond included), served as local git
// remotes, and a meta repository whose manifest lists them.
package quickstart

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/run"
)

// Release is one tagged version of a sample component.
type Release struct {
	Tag       string
	DependsOn []string // "name:range"
}

// Sample is one sample component.
type Sample struct {
	Name        string
	Description string
	Releases    []Release
	Branch      []string // depends_on of a commit on main after the last tag
}

// Samples are the components of the quickstart workspace. api depends on
// auth-lib and db-lib, which both depend on proto: a diamond. auth-lib 2.0.0
// needs proto 2, which db-lib does not accept, so the resolver has to choose
// auth-lib 1.2.0.
var Samples = []Sample{
	{Name: "proto", Description: "Shared wire formats", Releases: []Release{
		{Tag: "v1.0.0"}, {Tag: "v1.1.0"}, {Tag: "v2.0.0"},
	}},
	{Name: "auth-lib", Description: "Authentication library", Releases: []Release{
		{Tag: "v1.0.0", DependsOn: []string{"proto:^1.0.0"}},
		{Tag: "v1.2.0", DependsOn: []string{"proto:^1.1.0"}},
		{Tag: "v2.0.0", DependsOn: []string{"proto:^2.0.0"}},
	}},
	{Name: "db-lib", Description: "Database access", Releases: []Release{
		{Tag: "v1.0.0", DependsOn: []string{"proto:^1.0.0"}},
		{Tag: "v1.3.0", DependsOn: []string{"proto:^1.1.0"}},
	}},
	{Name: "api", Description: "The public API service", Releases: []Release{
		{Tag: "v1.0.0", DependsOn: []string{"auth-lib:^1.0.0", "db-lib:^1.0.0"}},
		{Tag: "v1.1.0", DependsOn: []string{"auth-lib:>=1.2.0", "db-lib:^1.3.0"}},
	}},
	{Name: "web", Description: "The web front end (tracks main)", Releases: []Release{
		{Tag: "v0.9.0", DependsOn: []string{"api:^1.0.0"}},
	}, Branch: []string{"api:^1.1.0"}},
}

// manifestTemplate is the sample workspace manifest; {{name}} stands for
// the path of that component's remote.
const manifestTemplate = `# A sample meta workspace made by 'meta quickstart'.
workspace:
  name: quickstart
  root: ..
  jobs: 4

# Tools every component needs: git comes from the system's packages, so
# 'meta tools plan' and 'meta tools dockerfile' work without a network.
tools: [git]

components:
  proto:
    repo: {{proto}}
    version: "^1.0.0"
    description: Shared wire formats
  auth-lib:
    repo: {{auth-lib}}
    description: Authentication library
    groups: [backend]
  db-lib:
    repo: {{db-lib}}
    version: "^1.0.0"
    description: Database access
    groups: [backend]
  api:
    repo: {{api}}
    version: "^1.0.0"
    description: The public API service
    groups: [backend]
  web:
    repo: {{web}}
    ref: main
    description: The web front end

environments:
  dev:
    web: main
  staging: {}
  prod:
    api: "~1.0.0"
    web: v0.9.0
`

// Steps are the commands the tour runs in the sample's meta repository,
// in order, each as the user would type it after "meta"; EditStep stands
// for changing a file of web (see Edit).
var Steps = [][]string{
	{"bootstrap"},
	{"status"},
	{"setup"},
	{"validate"},
	{"tools", "plan"},
	{"lock", "--env", "prod"},
	{"lock", "--env", "dev"},
	{"lock", "compare", "prod", "dev"},
	{"lock", "promote", "dev", "staging"},
	{"apply", "--locked", "--env", "staging"},
	{"why", "proto"},
	{"build", "--all"},
	{EditStep},
	{"build", "--all"},
	{"cache", "explain", "web"},
}

// EditStep in Steps is an edit of one file of a leaf component, shown as
// EditCommand: the next build rebuilds just that one.
const (
	EditStep    = "!edit"
	EditCommand = "echo 'a change' >> ../web/src/web.txt"
)

// TryNext are the commands the tour suggests afterwards, with comments.
var TryNext = []string{
	"meta status                # where every repository is",
	"meta tree                  # the resolved versions and who needs them",
	"meta lock verify --env dev # do the locked commits still exist upstream?",
	"meta exec -- git log --oneline -1",
	"meta lock compare prod dev --log   # with the commits in between",
	"meta import --help         # bring a west/vcstool/repo/.gitmodules manifest",
}

// Edit makes the change EditCommand shows in the sample l.
func Edit(l Layout) error {
	f, err := os.OpenFile(filepath.Join(l.Dir, "web", "src", "web.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("a change\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Layout names the parts of a created sample.
type Layout struct {
	Dir     string // the directory given
	Remotes string // bare repositories
	Meta    string // the meta repository
}

// Create makes the sample under dir, which must not exist or be empty.
func Create(ctx context.Context, dir string) (Layout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Layout{}, err
	}
	l := Layout{Dir: abs, Remotes: filepath.Join(abs, "remotes"), Meta: filepath.Join(abs, "meta")}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return l, fmt.Errorf("%s is not empty", abs)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return l, err
	}
	if err := os.MkdirAll(l.Remotes, 0o755); err != nil {
		return l, err
	}
	for _, s := range Samples {
		if err := createRemote(ctx, l.Remotes, s); err != nil {
			return l, fmt.Errorf("creating sample repository %s: %w", s.Name, err)
		}
	}
	if err := createMeta(ctx, l); err != nil {
		return l, fmt.Errorf("creating the meta repository: %w", err)
	}
	return l, nil
}

// gitEnv makes the sample repositories identical on every machine.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=meta quickstart", "GIT_AUTHOR_EMAIL=quickstart@meta.invalid",
	"GIT_COMMITTER_NAME=meta quickstart", "GIT_COMMITTER_EMAIL=quickstart@meta.invalid",
	"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
}

func git(ctx context.Context, dir string, args ...string) error {
	return run.Run(ctx, run.Cmd{Args: append([]string{"git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...), Dir: dir, Env: gitEnv})
}

func componentYAML(s Sample, deps []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", s.Name)
	if len(deps) > 0 {
		b.WriteString("depends_on:\n")
		for _, d := range deps {
			fmt.Fprintf(&b, "  - %q\n", d)
		}
	}
	fmt.Fprintf(&b, "setup:\n  - %q\n", "echo "+s.Name+": dependencies installed")
	fmt.Fprintf(&b, "build:\n  command: %q\n  outputs: [dist]\n", "mkdir -p dist && cat src/*.txt > dist/"+s.Name+".out")
	return b.String()
}

func createRemote(ctx context.Context, remotes string, s Sample) error {
	work, err := os.MkdirTemp(remotes, "."+s.Name+"-work-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := git(ctx, work, "init", "-q"); err != nil {
		return err
	}
	write := func(rel, content string) error {
		p := filepath.Join(work, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(content), 0o644)
	}
	commit := func(msg string, deps []string, body string) error {
		if err := write("README.md", fmt.Sprintf("# %s\n\n%s\n", s.Name, s.Description)); err != nil {
			return err
		}
		if err := write(".gitignore", "dist/\n"); err != nil {
			return err
		}
		if err := write("component.yaml", componentYAML(s, deps)); err != nil {
			return err
		}
		if err := write("src/"+s.Name+".txt", body); err != nil {
			return err
		}
		if err := git(ctx, work, "add", "-A"); err != nil {
			return err
		}
		return git(ctx, work, "commit", "-q", "-m", msg)
	}
	for _, r := range s.Releases {
		if err := commit("Release "+r.Tag, r.DependsOn, s.Name+" "+r.Tag+"\n"); err != nil {
			return err
		}
		if err := git(ctx, work, "tag", "-a", "-m", s.Name+" "+r.Tag, r.Tag); err != nil {
			return err
		}
	}
	if s.Branch != nil {
		if err := commit("Work in progress on main", s.Branch, s.Name+" main\n"); err != nil {
			return err
		}
	}
	return git(ctx, remotes, "clone", "-q", "--bare", work, s.Name+".git")
}

func createMeta(ctx context.Context, l Layout) error {
	if err := os.MkdirAll(filepath.Join(l.Meta, "manifests"), 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"manifests/components.yaml": renderManifest(l.Remotes),
		".gitignore":                ".meta-store/\n.meta/\n",
		"README.md":                 "# quickstart\n\nThe meta repository of a sample workspace. Try `meta status`.\n",
	}
	for rel, content := range files {
		if err := os.WriteFile(filepath.Join(l.Meta, rel), []byte(content), 0o644); err != nil {
			return err
		}
	}
	if err := git(ctx, l.Meta, "init", "-q"); err != nil {
		return err
	}
	if err := git(ctx, l.Meta, "add", "-A"); err != nil {
		return err
	}
	return git(ctx, l.Meta, "commit", "-q", "-m", "Workspace manifest")
}

// renderManifest fills the sample manifest with the remotes' paths, quoted
// so that any directory name (spaces, colons, non-ASCII) stays one value.
func renderManifest(remotes string) string {
	out := manifestTemplate
	for _, s := range Samples {
		out = strings.ReplaceAll(out, "{{"+s.Name+"}}", strconv.Quote(filepath.Join(remotes, s.Name+".git")))
	}
	return out
}
