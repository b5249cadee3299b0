package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
)

const starterManifest = `# The workspace manifest of meta: https://github.com/metawork/meta
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

func newInitCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a commented starter manifests/components.yaml",
		Long: `Turn DIR (default: the current directory) into a meta repository by writing
a commented starter manifests/components.yaml. An existing manifest is never
overwritten unless --force is given.`,
		Example: `  mkdir workspace && cd workspace && git init && meta init
  meta init ~/work/acme`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := a.workdir()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				dir = args[0]
				if !filepath.IsAbs(dir) {
					wd, _ := a.workdir()
					dir = filepath.Join(wd, dir)
				}
			}
			file := filepath.Join(dir, manifest.ManifestPath)
			if _, err := os.Stat(file); err == nil && !force {
				return failf("edit it, or pass --force to replace it with the starter", "%s already exists", file)
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := writeFileAtomic(file, []byte(starterManifest), 0o644); err != nil {
				return err
			}
			if err := ensureGitignore(dir); err != nil {
				return err
			}
			a.printf("wrote %s\nnext: add components, then run 'meta bootstrap'\n", file)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing manifest")
	return cmd
}

// writeFileAtomic writes data to path through a temporary file and a rename,
// creating parent directories.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// metaIgnores are the paths of a meta repository that meta writes and that
// must not be committed: caches, mirrors, wiring records and the store.
var metaIgnores = []string{".meta/", ".meta-store/"}

// ensureGitignore adds metaIgnores to dir/.gitignore when missing, keeping
// whatever the file already says.
func ensureGitignore(dir string) error {
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
	return writeFileAtomic(p, []byte(out), 0o644)
}
