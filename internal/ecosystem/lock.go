package ecosystem

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/run"
)

// LockStep is one run of a package manager that writes or refreshes a lock
// file in one directory of a component.
type LockStep struct {
	Manager string   // npm, pnpm, uv, pip-compile, poetry, cargo, go
	Dir     string   // slash-separated, relative to the component root ("" for the root)
	Args    []string // the program and its arguments
	Env     []string // extra environment
	Writes  string   // the lock file it writes, relative to the component root
	// Missing is set when the program is not installed; Install says what
	// to install. Such a step fails with a *MissingToolError when run.
	Missing bool
	Install string
}

// MissingToolError says a package manager a component needs is not installed.
type MissingToolError struct {
	Tool    string
	Install string // what to install, and where to get it
}

func (e *MissingToolError) Error() string { return e.Tool + " is not installed" }

// LockOptions tune PlanLock.
type LockOptions struct {
	Offline bool // pass each manager's offline flag; GOPROXY=off for go
}

// install hints, shown when a package manager is missing.
const (
	installNode  = "Node.js, which brings npm: https://nodejs.org/en/download"
	installPnpm  = "pnpm: https://pnpm.io/installation"
	installUV    = "uv: https://docs.astral.sh/uv/getting-started/installation/ (or pip-tools, for pip-compile: pip install pip-tools)"
	installUVPy  = "uv: https://docs.astral.sh/uv/getting-started/installation/"
	installPoet  = "Poetry: https://python-poetry.org/docs/#installation"
	installCargo = "Rust's cargo: https://rustup.rs"
	installGo    = "Go: https://go.dev/dl/"
)

// PlanLock decides which package managers lock the component at dir, from
// the project files at its root and one directory below (as Detect):
//
//	package.json      npm install --package-lock-only --ignore-scripts
//	                  (pnpm install --lockfile-only --ignore-scripts when
//	                  pnpm-lock.yaml is there)
//	requirements.in   uv pip compile requirements.in -o requirements.txt,
//	                  or pip-compile when uv is absent
//	pyproject.toml    uv lock (poetry lock when poetry.lock is there);
//	                  skipped when requirements.in is there
//	Cargo.toml        cargo generate-lockfile
//	go.mod            go mod tidy
//
// Below the root, a project file is only looked at when the root has none
// of its kind (the root's manager handles workspace members and local
// packages); Go modules below the root are always locked on their own.
// Steps are sorted by directory, then manager. A step whose program is not
// on PATH is returned with Missing set.
func PlanLock(dir string, opts LockOptions) ([]LockStep, error) {
	dirs := []string{""}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() && !skipDirs[e.Name()] && e.Name()[0] != '.' {
			dirs = append(dirs, e.Name())
		}
	}
	var steps []LockStep
	rootHas := func(name string) bool {
		st, err := os.Stat(filepath.Join(dir, name))
		return err == nil && st.Mode().IsRegular()
	}
	for _, d := range dirs {
		has := func(name string) bool {
			if d != "" && name != "go.mod" && (rootHas(name) ||
				(name == "pyproject.toml" || name == "requirements.in") && (rootHas("pyproject.toml") || rootHas("requirements.in"))) {
				// The root project's manager handles its members
				// (npm/uv/cargo workspaces, local file: packages); only Go
				// modules below the root are locked on their own.
				return false
			}
			st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(d), name))
			return err == nil && st.Mode().IsRegular()
		}
		add := func(s LockStep, tool, install string) {
			s.Dir = d
			s.Writes = path.Join(d, s.Writes)
			if _, ok := run.LookPath(tool); !ok {
				s.Missing, s.Install = true, install
			}
			steps = append(steps, s)
		}
		if has("package.json") {
			if has("pnpm-lock.yaml") {
				s := LockStep{Manager: ManagerPnpm, Args: []string{"pnpm", "install", "--lockfile-only", "--ignore-scripts"}, Writes: "pnpm-lock.yaml"}
				if opts.Offline {
					s.Args = append(s.Args, "--offline")
				}
				add(s, "pnpm", installPnpm)
			} else {
				s := LockStep{Manager: ManagerNpm, Args: []string{"npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"}, Writes: "package-lock.json"}
				if opts.Offline {
					s.Args = append(s.Args, "--offline")
				}
				add(s, "npm", installNode)
			}
		}
		switch {
		case has("requirements.in"):
			if _, ok := run.LookPath("uv"); ok || !hasTool("pip-compile") {
				s := LockStep{Manager: ManagerUV, Args: []string{"uv", "pip", "compile", "requirements.in", "-o", "requirements.txt", "--quiet"}, Writes: "requirements.txt"}
				if opts.Offline {
					s.Args = append(s.Args, "--offline")
				}
				add(s, "uv", installUV)
			} else {
				add(LockStep{Manager: "pip-compile", Args: []string{"pip-compile", "--quiet", "--output-file", "requirements.txt", "requirements.in"}, Writes: "requirements.txt"}, "pip-compile", installUV)
			}
		case has("pyproject.toml") && has("poetry.lock"):
			add(LockStep{Manager: ManagerPoetry, Args: []string{"poetry", "lock"}, Writes: "poetry.lock"}, "poetry", installPoet)
		case has("pyproject.toml"):
			s := LockStep{Manager: ManagerUV, Args: []string{"uv", "lock"}, Writes: "uv.lock"}
			if opts.Offline {
				s.Args = append(s.Args, "--offline")
			}
			add(s, "uv", installUVPy)
		}
		if has("Cargo.toml") {
			s := LockStep{Manager: ManagerCargo, Args: []string{"cargo", "generate-lockfile"}, Writes: "Cargo.lock"}
			if opts.Offline {
				s.Args = append(s.Args, "--offline")
			}
			add(s, "cargo", installCargo)
		}
		if has("go.mod") {
			s := LockStep{Manager: ManagerGo, Args: []string{"go", "mod", "tidy"}, Writes: "go.sum"}
			if opts.Offline {
				s.Env = []string{"GOPROXY=off", "GOFLAGS=-mod=mod"}
			}
			add(s, "go", installGo)
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Dir < steps[j].Dir })
	return steps, nil
}

func hasTool(name string) bool {
	_, ok := run.LookPath(name)
	return ok
}

// RunLock runs one step in the component at dir. A missing program gives
// a *MissingToolError; a failing one a *run.Error with its output.
func RunLock(ctx context.Context, dir string, s LockStep) error {
	if s.Missing {
		return &MissingToolError{Tool: s.Args[0], Install: s.Install}
	}
	out, err := run.Output(ctx, run.Cmd{Args: s.Args, Dir: filepath.Join(dir, filepath.FromSlash(s.Dir)), Env: s.Env})
	if err != nil {
		// Some tools explain themselves on stdout; keep that when stderr is empty.
		var re *run.Error
		if errors.As(err, &re) && strings.TrimSpace(re.Stderr) == "" {
			re.Stderr = string(out)
		}
		return err
	}
	return nil
}
