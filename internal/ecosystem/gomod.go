package ecosystem

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/metawork/meta/internal/run"
)

// parseGoMod reads a go.mod (and its go.sum, when given) into the modules
// the main module builds with:
//   - every require; "// indirect" ones are not direct;
//   - replace: a module replaced by another module version is reported as
//     that module version; one replaced by a directory keeps its name and
//     required version with Source "path";
//   - exclude: a require of an excluded version is dropped with a warning;
//   - the go and toolchain directives are not packages (the Go standard
//     library is not something a lock file pins);
//   - for go < 1.17, whose go.mod does not list every module of the build,
//     modules with a content hash in go.sum that go.mod does not name are
//     added (highest version per module), as indirect.
//
// go.mod has no edges; Parse adds them from `go mod graph`.
func parseGoMod(path string, data, sum []byte) (*Lockfile, error) {
	l, _, err := parseGoModReplaced(path, data, sum)
	return l, err
}

// parseGoModReplaced is parseGoMod that also returns, for each module
// replaced by another module, the required path → the package's name, so
// that `go mod graph` (which prints required paths) can be mapped.
func parseGoModReplaced(path string, data, sum []byte) (*Lockfile, map[string]string, error) {
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, nil, err // modfile errors are already "path:line: ..."
	}
	if f.Module == nil {
		return nil, nil, posf(path, 0, "no module directive; is this a go.mod?")
	}
	replaced := map[string]string{}
	b := newBuilder(path, ManagerGo, Go)
	excluded := map[string]bool{}
	for _, e := range f.Exclude {
		excluded[e.Mod.Path+"@"+e.Mod.Version] = true
	}
	named := map[string]bool{}
	for _, r := range f.Require {
		mod := r.Mod
		named[mod.Path] = true
		if excluded[mod.Path+"@"+mod.Version] {
			b.warnf("%s:%d: %s %s is both required and excluded; left out", path, r.Syntax.Start.Line, mod.Path, mod.Version)
			continue
		}
		p := Package{Name: mod.Path, Version: mod.Version, Source: "registry"}
		if rep := goReplacement(f, mod.Path, mod.Version); rep != nil {
			if rep.New.Version == "" {
				p.Source = "path"
			} else {
				p.Name, p.Version = rep.New.Path, rep.New.Version
				replaced[mod.Path] = rep.New.Path
			}
		}
		id := b.add(p)
		if !r.Indirect {
			b.root(id, ScopeProd)
		}
	}
	if sum != nil && (f.Go == nil || semver.Compare("v"+f.Go.Version, "v1.17") < 0) {
		best := map[string]string{}
		for _, mv := range goSumModules(sum) {
			if named[mv[0]] {
				continue
			}
			if v, ok := best[mv[0]]; !ok || semver.Compare(mv[1], v) > 0 {
				best[mv[0]] = mv[1]
			}
		}
		for _, m := range sortedKeys(best) {
			b.add(Package{Name: m, Version: best[m], Source: "registry"})
		}
	}
	return b.finish(), replaced, nil
}

// goReplacement returns the replace directive that applies to path@version.
func goReplacement(f *modfile.File, path, version string) *modfile.Replace {
	var wild *modfile.Replace
	for _, r := range f.Replace {
		if r.Old.Path != path {
			continue
		}
		if r.Old.Version == version {
			return r
		}
		if r.Old.Version == "" {
			wild = r
		}
	}
	return wild
}

// goSumModules lists the module versions go.sum holds a content hash for
// (lines "path version h1:..."; "/go.mod"-only lines are skipped).
func goSumModules(sum []byte) [][2]string {
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(sum))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || strings.HasSuffix(f[1], "/go.mod") || !semver.IsValid(f[1]) {
			continue
		}
		out = append(out, [2]string{f[0], f[1]})
	}
	return out
}

// addGoGraph adds edges from `go mod graph`, run in the module's directory
// with GOFLAGS=-mod=mod (GOPROXY as the environment has it). When it fails
// (offline, no go installed), l keeps its flat list and records a warning.
//
// With a cache directory in ctx (WithGoGraphCache), an output is reused
// while the go.mod and go.sum (gomod, gosum), the go command and its
// environment are unchanged; see gograph.go.
func addGoGraph(ctx context.Context, dir string, l *Lockfile, replaced map[string]string, gomod, gosum []byte) {
	if len(l.Packages) == 0 {
		return
	}
	goBin, ok := run.LookPath("go")
	if !ok {
		l.Warnings = append(l.Warnings, l.Path+": go is not installed; dependency edges unknown (install Go to see them)")
		return
	}
	cache, key := goGraphCacheDir(ctx), ""
	if cache != "" {
		if key = goGraphKey(goBin, gomod, gosum); key != "" {
			if out := readGoGraph(cache, key); out != nil {
				applyGoGraph(l, out, replaced)
				return
			}
		}
	}
	out, err := run.Output(ctx, run.Cmd{Args: []string{"go", "mod", "graph"}, Dir: dir, Env: []string{"GOFLAGS=-mod=mod", "GOWORK=off"}})
	if err != nil {
		msg := err.Error()
		var re *run.Error
		if errors.As(err, &re) {
			msg = firstLine(re.Stderr)
		}
		l.Warnings = append(l.Warnings, fmt.Sprintf("%s: go mod graph failed (%s); dependency edges unknown", l.Path, msg))
		return
	}
	if key != "" {
		writeGoGraph(cache, key, out)
	}
	applyGoGraph(l, out, replaced)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// applyGoGraph adds the edges of `go mod graph` output to l. The graph
// names every version MVS considered; only edges from the selected version
// of a module count, and each target is mapped to its selected version.
// Edges from the main module (the one without a version) become roots when
// go.mod gave none.
func applyGoGraph(l *Lockfile, graph []byte, replaced map[string]string) {
	sel := map[string]int{} // module path → index in l.Packages
	for i, p := range l.Packages {
		sel[p.Name] = i
	}
	for old, name := range replaced {
		if i, ok := sel[name]; ok {
			sel[old] = i
		}
	}
	deps := make([][]string, len(l.Packages))
	sc := bufio.NewScanner(bytes.NewReader(graph))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		fromPath, fromVer, _ := strings.Cut(f[0], "@")
		toPath, _, _ := strings.Cut(f[1], "@")
		j, ok := sel[toPath]
		if !ok {
			continue
		}
		if fromVer == "" {
			continue // the main module: go.mod's requires already say what is direct
		}
		i, ok := sel[fromPath]
		if !ok || i == j || (l.Packages[i].Version != fromVer && replaced[fromPath] == "") {
			continue
		}
		deps[i] = append(deps[i], l.Packages[j].ID())
	}
	for i := range l.Packages {
		l.Packages[i].Deps = sortedUnique(append(l.Packages[i].Deps, deps[i]...))
	}
}
