package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/manifest"
)

// StarterManifest is what 'meta init' writes: a commented example of
// every common setting.
const StarterManifest = `# The workspace manifest of meta: https://github.com/metawork/meta
# Every component is a git repository, cloned next to this meta repository.
workspace:
  name: my-workspace
  root: ..          # where checkouts go, relative to this repository
  jobs: 8           # parallel git, setup and build jobs

# Tools every component needs (go@1.22 = newest 1.22.x; npm:eslint; uv:ruff).
tools: []

components:
  # auth-lib:
  #   repo: git@github.com:acme/auth-lib.git
  #   version: "^1.2.0"         # semver range over the repository's tags
  #   setup: ["make setup"]
  #   build:
  #     command: make build
  #     outputs: [dist]
  #
  # api:
  #   repo: https://github.com/acme/api.git
  #   ref: main                 # track a branch, tag or commit instead
  #   depends_on: ["auth-lib:^1.2.0"]

# Per-environment versions or refs (also read from manifests/environments.yaml).
# environments:
#   dev:  { api: main }
#   prod: { api: "~2.1.0" }

# Force a version everywhere, with the reason 'meta why' shows.
# overrides:
#   auth-lib: { version: "1.2.5", reason: "CVE-2026-1234 fixed in 1.2.5" }
`

// ExistsError is a file meta would not overwrite without --force.
type ExistsError struct{ File string }

func (e *ExistsError) Error() string { return fmt.Sprintf("%s already exists", e.File) }

// CheckNew returns an *ExistsError when file exists and force is not set.
func CheckNew(file string, force bool) error {
	if _, err := os.Stat(file); err == nil && !force {
		return &ExistsError{file}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Init turns dir into a meta repository: it writes the starter manifest
// (an *ExistsError when one is there and force is not set) and adds meta's
// paths to .gitignore. It returns the manifest's path.
func Init(dir string, force bool) (string, error) {
	file := filepath.Join(dir, manifest.ManifestPath)
	if err := CheckNew(file, force); err != nil {
		return file, err
	}
	if err := atomicfile.Write(file, []byte(StarterManifest), 0o644); err != nil {
		return file, err
	}
	return file, EnsureGitignore(dir)
}

// metaIgnores are the paths of a meta repository that meta writes and that
// must not be committed: caches, mirrors, wiring records and the store.
var metaIgnores = []string{".meta/", ".meta-store/"}

// EnsureGitignore adds metaIgnores to dir/.gitignore when missing, keeping
// whatever the file already says.
func EnsureGitignore(dir string) error {
	p := filepath.Join(dir, ".gitignore")
	data, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	out := string(data)
	added := false
	for _, ig := range metaIgnores {
		if !have[ig] && !have[strings.TrimSuffix(ig, "/")] && !have["/"+ig] {
			if out != "" && !strings.HasSuffix(out, "\n") {
				out += "\n"
			}
			if !added {
				out += "# written by meta: caches and the local store\n"
				added = true
			}
			out += ig + "\n"
		}
	}
	if !added {
		return nil
	}
	return atomicfile.Write(p, []byte(out), 0o644)
}
