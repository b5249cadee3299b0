// Package wire sets up cross-repository development: one environment at the
// workspace root in which every component sees its siblings' working copies
// — a go.work for Go modules, one shared virtual environment with every
// Python component installed editable, and npm workspaces linking sibling
// packages. It records exactly what it added, so that unwiring removes that
// and nothing else.
package wire

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/run"
)

// Component is one working copy to wire, in dependency order.
type Component struct {
	Name string
	Dir  string // absolute
}

// Record is what wiring added, kept in the meta repository so unwiring can
// take exactly that away.
type Record struct {
	Root          string   `json:"root"`
	GoWork        string   `json:"go_work,omitempty"`        // "created" or "edited"
	GoUses        []string `json:"go_uses,omitempty"`        // use entries we added
	Venv          string   `json:"venv,omitempty"`           // venv dir we created
	VenvMarker    string   `json:"venv_marker,omitempty"`    // the token we wrote in its markerFile
	PyInstalled   []string `json:"py_installed,omitempty"`   // components installed editable
	PyProjects    []string `json:"py_projects,omitempty"`    // their distribution names
	PyPth         []string `json:"py_pth,omitempty"`         // .pth files written instead of pip installs
	NpmRoot       string   `json:"npm_root,omitempty"`       // package.json we created
	NpmWorkspaces []string `json:"npm_workspaces,omitempty"` // the workspaces we listed in it
	NpmModules    bool     `json:"npm_modules,omitempty"`    // node_modules we created
	NpmLinks      []string `json:"npm_links,omitempty"`      // links npm made for the workspaces
}

// RecordFile is where the record lives, relative to the meta repository.
const RecordFile = ".meta/wired.json"

// Step reports progress: one line per thing done.
type Step func(ecosystem, message string)

// Options say what to wire.
type Options struct {
	Root    string // workspace root (where go.work, .venv, package.json go)
	MetaDir string
	Python  string // interpreter for the venv (default python3)
	Step    Step
}

// LoadRecord reads the record; a missing one is empty.
func LoadRecord(metaDir string) (Record, error) {
	var r Record
	data, err := os.ReadFile(filepath.Join(metaDir, RecordFile))
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("%s: %v", RecordFile, err)
	}
	return r, nil
}

func saveRecord(metaDir string, r Record) error {
	p := filepath.Join(metaDir, RecordFile)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	data, _ := json.MarshalIndent(r, "", "  ")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func rel(root, dir string) string {
	r, err := filepath.Rel(root, dir)
	if err != nil {
		return dir
	}
	return "./" + filepath.ToSlash(r)
}

// Kinds lists which ecosystems a component uses, by its files.
func Kinds(dir string) (goMod, python, npm bool) {
	goMod = exists(filepath.Join(dir, "go.mod"))
	python = exists(filepath.Join(dir, "pyproject.toml")) || exists(filepath.Join(dir, "setup.py"))
	npm = exists(filepath.Join(dir, "package.json"))
	return
}

// Wire wires comps (in dependency order) and records what it added,
// merging with an earlier record so wiring twice is harmless.
func Wire(ctx context.Context, comps []Component, o Options) (Record, error) {
	r, err := LoadRecord(o.MetaDir)
	if err != nil {
		return r, err
	}
	r.Root = o.Root
	step := o.Step
	if step == nil {
		step = func(string, string) {}
	}
	var goDirs, pyComps, npmDirs []Component
	for _, c := range comps {
		g, p, n := Kinds(c.Dir)
		if g {
			goDirs = append(goDirs, c)
		}
		if p {
			pyComps = append(pyComps, c)
		}
		if n {
			npmDirs = append(npmDirs, c)
		}
	}
	save := func() { saveRecord(o.MetaDir, r) }
	if len(goDirs) > 0 {
		if err := wireGo(ctx, o.Root, goDirs, &r, step); err != nil {
			save()
			return r, fmt.Errorf("go: %w", err)
		}
	}
	if len(pyComps) > 0 {
		if err := wirePython(ctx, o, pyComps, &r, step); err != nil {
			save()
			return r, fmt.Errorf("python: %w", err)
		}
	}
	if len(npmDirs) > 0 {
		if err := wireNpm(ctx, o.Root, npmDirs, &r, step); err != nil {
			save()
			return r, fmt.Errorf("npm: %w", err)
		}
	}
	return r, saveRecord(o.MetaDir, r)
}

func wireGo(ctx context.Context, root string, comps []Component, r *Record, step Step) error {
	work := filepath.Join(root, "go.work")
	if _, ok := run.LookPath("go"); !ok {
		return errors.New("the go command is not on PATH (needed for go.work)")
	}
	if !exists(work) {
		if _, err := run.Output(ctx, run.Cmd{Args: []string{"go", "work", "init"}, Dir: root}); err != nil {
			return err
		}
		r.GoWork = "created"
		step("go", "created "+work)
	} else if r.GoWork == "" {
		r.GoWork = "edited"
	}
	have, err := goWorkUses(ctx, root)
	if err != nil {
		return err
	}
	for _, c := range comps {
		u := rel(root, c.Dir)
		if have[filepath.Clean(c.Dir)] {
			continue
		}
		if _, err := run.Output(ctx, run.Cmd{Args: []string{"go", "work", "use", u}, Dir: root}); err != nil {
			return err
		}
		r.GoUses = append(r.GoUses, u)
		step("go", "go.work uses "+u)
	}
	if _, err := run.Output(ctx, run.Cmd{Args: []string{"go", "work", "sync"}, Dir: root}); err != nil {
		step("go", "go work sync failed (offline?): "+firstLine(err.Error()))
	}
	return nil
}

// goWorkUses returns the absolute directories go.work at root uses.
func goWorkUses(ctx context.Context, root string) (map[string]bool, error) {
	out, err := run.Output(ctx, run.Cmd{Args: []string{"go", "work", "edit", "-json"}, Dir: root})
	if err != nil {
		return nil, err
	}
	var w struct {
		Use []struct{ DiskPath string }
	}
	if err := json.Unmarshal(out, &w); err != nil {
		return nil, fmt.Errorf("go work edit -json: %v", err)
	}
	have := map[string]bool{}
	for _, u := range w.Use {
		p := u.DiskPath
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		have[filepath.Clean(p)] = true
	}
	return have, nil
}

// GoWorkMissing lists the Go components that go.work at root does not use.
func GoWorkMissing(ctx context.Context, root string, comps []Component) ([]string, error) {
	var goComps []Component
	for _, c := range comps {
		if g, _, _ := Kinds(c.Dir); g {
			goComps = append(goComps, c)
		}
	}
	if len(goComps) == 0 {
		return nil, nil
	}
	if !exists(filepath.Join(root, "go.work")) {
		names := make([]string, len(goComps))
		for i, c := range goComps {
			names[i] = c.Name
		}
		return names, nil
	}
	have, err := goWorkUses(ctx, root)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, c := range goComps {
		if !have[filepath.Clean(c.Dir)] {
			missing = append(missing, c.Name)
		}
	}
	return missing, nil
}

// VenvDir is the shared virtual environment of a workspace root.
func VenvDir(root string) string { return filepath.Join(root, ".venv") }

func wirePython(ctx context.Context, o Options, comps []Component, r *Record, step Step) error {
	venv := VenvDir(o.Root)
	py := filepath.Join(venv, "bin", "python")
	if _, err := os.Lstat(venv); err == nil && !exists(py) {
		// Not ours, and not an environment: never build one into (and
		// later remove) a directory the user made.
		return fmt.Errorf("%s exists but is not a virtual environment (no bin/python); move it away and wire again", venv)
	}
	if !exists(py) {
		if uv, ok := run.LookPath("uv"); ok {
			args := []string{uv, "venv", venv}
			if o.Python != "" {
				args = append(args, "--python", o.Python)
			}
			if _, err := run.Output(ctx, run.Cmd{Args: args, Dir: o.Root}); err != nil {
				return err
			}
		} else {
			interp := o.Python
			if interp == "" {
				interp = "python3"
			}
			if _, err := run.Output(ctx, run.Cmd{Args: []string{interp, "-m", "venv", venv}, Dir: o.Root}); err != nil {
				return err
			}
		}
		token, err := newToken()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(venv, markerFile), []byte(token+"\n"), 0o644); err != nil {
			return err
		}
		r.Venv, r.VenvMarker = venv, token
		step("python", "created "+venv)
	}
	installed := map[string]bool{}
	for _, n := range r.PyInstalled {
		installed[n] = true
	}
	for _, c := range comps {
		var args []string
		if uv, ok := run.LookPath("uv"); ok {
			args = []string{uv, "pip", "install", "--python", py, "--no-deps", "-e", c.Dir}
		} else {
			args = []string{py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-e", c.Dir}
		}
		if installed[c.Name] {
			continue
		}
		if _, err := run.Output(ctx, run.Cmd{Args: args, Dir: c.Dir}); err != nil {
			// Offline, pip cannot fetch build requirements such as wheel:
			// put the working copy on the venv's path directly, which is
			// what an editable install amounts to for imports.
			pth, perr := writePth(ctx, py, c)
			if perr != nil {
				return fmt.Errorf("installing %s editable: %w (and a .pth fallback failed: %v)", c.Name, err, perr)
			}
			r.PyPth = append(r.PyPth, pth)
			r.PyInstalled = append(r.PyInstalled, c.Name)
			installed[c.Name] = true
			step("python", "linked "+c.Name+" into the venv with "+filepath.Base(pth)+" (pip could not install it editable: "+lastLine(err.Error())+")")
			continue
		}
		r.PyInstalled = append(r.PyInstalled, c.Name)
		r.PyProjects = append(r.PyProjects, ProjectName(c.Dir))
		installed[c.Name] = true
		step("python", "installed "+c.Name+" (editable)")
	}
	return nil
}

// writePth adds c's import root (its src/ directory when it has one) to
// the venv's site-packages through a .pth file.
func writePth(ctx context.Context, py string, c Component) (string, error) {
	out, err := run.Output(ctx, run.Cmd{Args: []string{py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"}})
	if err != nil {
		return "", err
	}
	site := strings.TrimSpace(string(out))
	dir := c.Dir
	if st, err := os.Stat(filepath.Join(c.Dir, "src")); err == nil && st.IsDir() {
		dir = filepath.Join(c.Dir, "src")
	}
	p := filepath.Join(site, "meta-wire-"+c.Name+".pth")
	return p, os.WriteFile(p, []byte(dir+"\n"), 0o644)
}

// ProjectName is a Python component's distribution name: pyproject.toml's
// [project] name, else its directory name.
func ProjectName(dir string) string {
	name := filepath.Base(dir)
	if data, err := os.ReadFile(filepath.Join(dir, "pyproject.toml")); err == nil {
		inProject := false
		for _, line := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(line)
			if strings.HasPrefix(t, "[") {
				inProject = t == "[project]"
				continue
			}
			if k, v, ok := strings.Cut(t, "="); inProject && ok && strings.TrimSpace(k) == "name" {
				name = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return name
}

// PythonModule guesses the import name of a Python component from its
// pyproject.toml [project] name (dashes become underscores), else its
// directory name.
func PythonModule(dir string) string {
	name := strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(ProjectName(dir)))
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return "_invalid_module_name"
		}
	}
	return name
}

func wireNpm(ctx context.Context, root string, comps []Component, r *Record, step Step) error {
	pkg := filepath.Join(root, "package.json")
	if exists(pkg) && r.NpmRoot == "" {
		step("npm", "skipped: "+pkg+" exists and was not written by meta; add the components to its \"workspaces\" yourself")
		return nil
	}
	ws := make([]string, 0, len(comps))
	for _, c := range comps {
		ws = append(ws, strings.TrimPrefix(rel(root, c.Dir), "./"))
	}
	sort.Strings(ws)
	doc := map[string]any{
		"name":        "meta-workspace",
		"private":     true,
		"description": npmDescription,
		"workspaces":  ws,
	}
	data, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(pkg, append(data, '\n'), 0o644); err != nil {
		return err
	}
	r.NpmRoot, r.NpmWorkspaces = pkg, ws
	step("npm", "wrote "+pkg+" with workspaces "+strings.Join(ws, ", "))
	if _, ok := run.LookPath("npm"); !ok {
		return errors.New("npm is not on PATH")
	}
	hadModules := exists(filepath.Join(root, "node_modules"))
	_, err := run.Output(ctx, run.Cmd{Args: []string{"npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--offline", "--no-package-lock"}, Dir: root})
	if !hadModules && exists(filepath.Join(root, "node_modules")) {
		r.NpmModules = true
	}
	if err != nil {
		return err
	}
	r.NpmLinks = nil
	for _, c := range comps {
		if name := npmName(c.Dir); name != "" {
			link := filepath.Join(root, "node_modules", filepath.FromSlash(name))
			if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				r.NpmLinks = append(r.NpmLinks, link)
			}
		}
	}
	step("npm", "linked "+strings.Join(ws, ", ")+" in "+filepath.Join(root, "node_modules"))
	return nil
}

// npmName reads the package name from dir/package.json.
func npmName(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Name string }
	if json.Unmarshal(data, &p) != nil || strings.Contains(p.Name, "..") {
		return ""
	}
	return p.Name
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// Check reports what is wrong with the wiring of comps at root: Go
// components missing from go.work, a shared venv whose interpreter does not
// match python (e.g. "3.11"; "" skips the check), and Python components
// that do not import in it.
func Check(ctx context.Context, root string, comps []Component, python string) []string {
	var probs []string
	missing, err := GoWorkMissing(ctx, root, comps)
	if err != nil {
		probs = append(probs, "go.work: "+firstLine(err.Error()))
	}
	for _, n := range missing {
		probs = append(probs, "go.work does not use "+n)
	}
	var pyComps []Component
	for _, c := range comps {
		if _, p, _ := Kinds(c.Dir); p {
			pyComps = append(pyComps, c)
		}
	}
	if len(pyComps) == 0 {
		return probs
	}
	py := filepath.Join(VenvDir(root), "bin", "python")
	if !exists(py) {
		return append(probs, "no shared virtual environment at "+VenvDir(root))
	}
	out, err := run.Output(ctx, run.Cmd{Args: []string{py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"}})
	if err != nil {
		return append(probs, "the venv's interpreter does not run: "+firstLine(err.Error()))
	}
	have := strings.TrimSpace(string(out))
	if python != "" && have != python && !strings.HasPrefix(have, python+".") {
		probs = append(probs, fmt.Sprintf("the venv runs Python %s, the workspace requires python@%s", have, python))
	}
	for _, c := range pyComps {
		mod := PythonModule(c.Dir)
		// -I: no current directory on sys.path, so a checkout named like
		// the module cannot pass for it as a namespace package.
		if _, err := run.Output(ctx, run.Cmd{Args: []string{py, "-I", "-c", "import " + mod}, Dir: os.TempDir()}); err != nil {
			probs = append(probs, fmt.Sprintf("%s: 'import %s' fails in the venv: %s", c.Name, mod, lastLine(err.Error())))
		}
	}
	return probs
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// newToken returns a random marker token.
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
