package ecosystem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Managers, as named in Found.Manager and Lockfile.Manager.
const (
	ManagerNpm    = "npm"
	ManagerPnpm   = "pnpm"
	ManagerYarn   = "yarn"
	ManagerPip    = "pip"
	ManagerUV     = "uv"
	ManagerPoetry = "poetry"
	ManagerCargo  = "cargo"
	ManagerGo     = "go"
)

// Found is a lock file found in a component.
type Found struct {
	Path    string // slash-separated, relative to the component root
	Manager string // one of the Manager constants
}

// ParseFailure is a lock file that was found but could not be read or
// parsed. Callers must report it (e.g. "not audited"), never drop it.
type ParseFailure struct {
	Path    string // relative to the component root
	Manager string
	Err     error
}

func (f ParseFailure) Error() string { return f.Path + ": " + f.Err.Error() }

// skipDirs are never searched for lock files.
var skipDirs = map[string]bool{
	"node_modules": true, "vendor": true, ".git": true, "target": true,
	".venv": true, "venv": true, "testdata": true, "__pycache__": true,
}

// lockManager says which manager owns a file name, or "".
func lockManager(name string) string {
	switch name {
	case "package-lock.json", "npm-shrinkwrap.json":
		return ManagerNpm
	case "pnpm-lock.yaml":
		return ManagerPnpm
	case "yarn.lock":
		return ManagerYarn
	case "uv.lock":
		return ManagerUV
	case "poetry.lock":
		return ManagerPoetry
	case "Cargo.lock":
		return ManagerCargo
	case "go.mod":
		return ManagerGo
	}
	if strings.HasPrefix(name, "requirements") && strings.HasSuffix(name, ".txt") {
		return ManagerPip
	}
	return ""
}

// Detect finds the lock files of the component at dir: those at its root
// and those one directory level below it (a Go module in tools/, a Python
// service in api/), skipping node_modules, vendor, .git, target, .venv,
// venv, testdata and hidden directories. Deeper files are not searched: a
// workspace's members share the lock file at its root. go.mod stands in for
// Go's lock (go.sum is read beside it). The result is sorted by path.
func Detect(dir string) ([]Found, error) {
	var out []Found
	top, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	scan := func(rel string, entries []os.DirEntry) {
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			if m := lockManager(e.Name()); m != "" {
				out = append(out, Found{Path: path.Join(rel, e.Name()), Manager: m})
			}
		}
	}
	scan("", top)
	for _, e := range top {
		name := e.Name()
		if !e.IsDir() || skipDirs[name] || strings.HasPrefix(name, ".") {
			continue
		}
		sub, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				continue
			}
			return nil, err
		}
		scan(name, sub)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Parse reads and parses the lock file f of the component at dir. Unlike
// ParseFile it may read neighbouring files: requirements includes (-r, -c),
// go.sum, package.json (yarn's and npm v1's direct dependencies),
// pyproject.toml (poetry's direct dependencies), Cargo.toml (dev-only
// crates), and it
// runs `go mod graph` for Go modules' edges (falling back to a flat list
// with a warning when that fails, e.g. offline).
func Parse(ctx context.Context, dir string, f Found) (*Lockfile, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	data, err := readLimited(root, f.Path)
	if err != nil {
		return nil, err
	}
	if err := checkNotEmpty(f.Path, f.Manager, data); err != nil {
		return nil, err
	}
	var l *Lockfile
	switch f.Manager {
	case ManagerPip:
		l, err = parseRequirements(f.Path, data, func(p string) ([]byte, error) {
			return readLimited(root, p)
		})
	case ManagerGo:
		sum, serr := root.ReadFile(filepath.FromSlash(path.Join(path.Dir(f.Path), "go.sum")))
		if serr != nil && !errors.Is(serr, fs.ErrNotExist) {
			return nil, serr
		}
		var replaced map[string]string
		l, replaced, err = parseGoModReplaced(f.Path, data, sum)
		if err == nil {
			addGoGraph(ctx, filepath.Join(dir, filepath.FromSlash(path.Dir(f.Path))), l, replaced, data, sum)
		}
	case ManagerCargo:
		ct, _ := root.ReadFile(filepath.FromSlash(path.Join(path.Dir(f.Path), "Cargo.toml")))
		l, err = parseCargoManifest(f.Path, data, cargoDevOnly(ct))
	case ManagerPoetry:
		pp, _ := root.ReadFile(filepath.FromSlash(path.Join(path.Dir(f.Path), "pyproject.toml")))
		l, err = parsePoetryProject(f.Path, data, pyprojectDirect(pp))
	case ManagerNpm, ManagerYarn:
		pj, _ := root.ReadFile(filepath.FromSlash(path.Join(path.Dir(f.Path), "package.json")))
		if f.Manager == ManagerNpm {
			l, err = parseNpm(f.Path, data, readPackageJSON(pj))
		} else {
			// .yarnrc.yml's catalogs say what "catalog:" ranges stand for;
			// one that cannot be read leaves them unresolved (warned).
			var cat map[string]map[string]string
			rcPath := path.Join(path.Dir(f.Path), ".yarnrc.yml")
			rc, rerr := readLimited(root, rcPath)
			if rerr == nil {
				cat, rerr = yarnCatalogs(rcPath, rc)
			}
			l, err = parseYarn(f.Path, data, readPackageJSON(pj), cat)
			if err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				l.Warnings = append(l.Warnings, fmt.Sprintf("%v; its catalogs are not read", rerr))
			}
		}
	default:
		l, err = ParseFile(f.Manager, f.Path, data)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// MaxLockFileSize bounds the lock files (and requirements includes) meta
// reads: the largest real ones are a few megabytes.
const MaxLockFileSize = 64 << 20

// readLimited reads the slash-separated rel under root, refusing files
// larger than MaxLockFileSize.
func readLimited(root *os.Root, rel string) ([]byte, error) {
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Size the buffer from Stat so a large file is read without regrowing;
	// the limit is still enforced on what is actually read.
	size := 512
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() < MaxLockFileSize {
		size = int(st.Size()) + 1 // +1 so reaching EOF does not grow it
	}
	data, err := readAllInto(make([]byte, 0, size), io.LimitReader(f, MaxLockFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if len(data) > MaxLockFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB; meta does not read lock files that large", rel, MaxLockFileSize>>20)
	}
	return data, nil
}

// readAllInto appends everything r holds to buf, growing it only when full.
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// checkNotEmpty refuses a lock file with nothing in it: every package
// manager writes at least its format's header, so an empty file is a
// broken one, not a project without dependencies.
func checkNotEmpty(path, manager string, data []byte) error {
	if len(bytes.TrimSpace(data)) > 0 {
		return nil
	}
	if manager == ManagerPip {
		return posf(path, 0, "the file is empty: pin at least one requirement, or delete it")
	}
	return posf(path, 0, "the file is empty: regenerate it with %s", managerLockCommand(manager))
}

// managerLockCommand names the command that writes manager's lock file.
func managerLockCommand(manager string) string {
	switch manager {
	case ManagerNpm:
		return "npm install --package-lock-only"
	case ManagerPnpm:
		return "pnpm install --lockfile-only"
	case ManagerYarn:
		return "yarn install"
	case ManagerUV:
		return "uv lock"
	case ManagerPoetry:
		return "poetry lock"
	case ManagerCargo:
		return "cargo generate-lockfile"
	case ManagerGo:
		return "go mod init and go mod tidy"
	}
	return "meta deps lock"
}

// ParseFile parses one lock file's contents. path names the file in errors
// and in Lockfile.Path. It reads nothing else: requirements includes are
// reported as warnings, Go modules get no edges. An empty file is an
// error.
func ParseFile(manager, path string, data []byte) (*Lockfile, error) {
	if err := checkNotEmpty(path, manager, data); err != nil {
		return nil, err
	}
	if len(data) > MaxLockFileSize {
		return nil, posf(path, 0, "larger than %d MiB; meta does not read lock files that large", MaxLockFileSize>>20)
	}
	switch manager {
	case ManagerNpm:
		return parseNpm(path, data, nil)
	case ManagerPnpm:
		return parsePnpm(path, data)
	case ManagerYarn:
		return parseYarn(path, data, nil, nil)
	case ManagerPip:
		return parseRequirements(path, data, nil)
	case ManagerUV:
		return parseUV(path, data)
	case ManagerPoetry:
		return parsePoetry(path, data)
	case ManagerCargo:
		return parseCargo(path, data)
	case ManagerGo:
		return parseGoMod(path, data, nil)
	}
	return nil, fmt.Errorf("%s: unknown package manager %q", path, manager)
}

// Lookup returns the package with the given ID.
func (l *Lockfile) Lookup(id string) (*Package, bool) {
	for i := range l.Packages {
		if l.Packages[i].ID() == id {
			return &l.Packages[i], true
		}
	}
	return nil, false
}

// Index maps every package ID to its package, for callers that look up many.
func (l *Lockfile) Index() map[string]*Package {
	m := make(map[string]*Package, len(l.Packages))
	for i := range l.Packages {
		m[l.Packages[i].ID()] = &l.Packages[i]
	}
	return m
}

// PathTo returns the shortest dependency path from a root to the package
// id, as IDs from the root to id inclusive ([id] when id is itself a root),
// or nil when no root reaches it. Ties are broken by the sorted order of
// roots and deps, so the answer is deterministic.
func (l *Lockfile) PathTo(id string) []string {
	return l.ShortestPaths()[id]
}

// ShortestPaths returns PathTo for every reachable package at once.
func (l *Lockfile) ShortestPaths() map[string][]string {
	parent, seen := l.searchRoots()
	out := make(map[string][]string, len(seen))
	for id := range seen {
		out[id] = pathFrom(parent, id)
	}
	return out
}

// Paths returns PathTo as a function, after one search of the graph: for
// callers that need the paths of a few packages of a large lock file.
func (l *Lockfile) Paths() func(id string) []string {
	parent, seen := l.searchRoots()
	return func(id string) []string {
		if !seen[id] {
			return nil
		}
		return pathFrom(parent, id)
	}
}

// searchRoots walks the graph breadth-first from the roots, in order:
// parent maps each package reached to the one it was first reached from.
func (l *Lockfile) searchRoots() (parent map[string]string, seen map[string]bool) {
	idx := l.Index()
	parent = make(map[string]string, len(l.Packages))
	seen = make(map[string]bool, len(l.Packages))
	var queue []string
	for _, r := range l.Roots {
		if _, ok := idx[r]; ok && !seen[r] {
			seen[r] = true
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, d := range idx[id].Deps {
			if _, ok := idx[d]; ok && !seen[d] {
				seen[d] = true
				parent[d] = id
				queue = append(queue, d)
			}
		}
	}
	return parent, seen
}

// pathFrom follows parent links from id up to its root and returns the
// path root first.
func pathFrom(parent map[string]string, id string) []string {
	var p []string
	for c := id; ; {
		p = append(p, c)
		par, ok := parent[c]
		if !ok {
			break
		}
		c = par
	}
	slices.Reverse(p)
	return p
}
