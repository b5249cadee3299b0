package resolver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
)

// The backtracking shapes below rebuild the registries of pubgrub-rs's
// benches/backtracking.rs (patterns seen in the solana-* crates) from their
// description: integer version v is semver v.0.0 and package n is "p<n>".
// In every shape the root depends on p1 at any version, and p1 0.0.0 has
// no dependencies, so a solution exists, but the newest versions of the
// chain all fail and the solver must learn its way back down.

func pname(n int) string { return fmt.Sprintf("p%d", n) }

func exactly(v int) semver.Set { return semver.Exact(ver(v)) }

// singletons: p_n at v (1 ≤ v < versions) depends on p_{n+1} = v, for
// n < packages; p_packages does not exist.
func singletons(packages, versions int) *source.Memory {
	m := source.NewMemory()
	m.Add(pname(1), ver(0))
	for n := 1; n < packages; n++ {
		for v := 1; v < versions; v++ {
			m.Add(pname(n), ver(v), pubgrub.Dependency{Name: pname(n + 1), Constraint: exactly(v)})
		}
	}
	return m
}

// disjoint: like singletons, but p_packages at v depends on "last" = v
// while the root requires last = 0.
func disjoint(packages, versions int) (*source.Memory, []pubgrub.Dependency) {
	m := singletons(packages, versions)
	for v := 1; v < versions; v++ {
		m.Add(pname(packages), ver(v), pubgrub.Dependency{Name: "last", Constraint: exactly(v)})
	}
	for v := 0; v < versions; v++ {
		m.Add("last", ver(v))
	}
	return m, []pubgrub.Dependency{{Name: "last", Constraint: exactly(0)}}
}

// ranges: p_n at v depends on p_{n+1} >= (versions - v).
func ranges(packages, versions int) *source.Memory {
	m := source.NewMemory()
	m.Add(pname(1), ver(0))
	for n := 1; n < packages; n++ {
		for v := 1; v < versions; v++ {
			m.Add(pname(n), ver(v), pubgrub.Dependency{Name: pname(n + 1), Constraint: semver.MustParseConstraint(">=" + ver(versions-v).String())})
		}
	}
	return m
}

func rootOnP1(extra ...pubgrub.Dependency) pubgrub.Request {
	return pubgrub.Request{Root: append([]pubgrub.Dependency{{Name: pname(1), Constraint: semver.Releases()}}, extra...), SkipSuggestions: true}
}

func solveOK(tb testing.TB, p pubgrub.Provider, req pubgrub.Request) *pubgrub.Solution {
	tb.Helper()
	sol, err := pubgrub.Solve(context.Background(), p, req)
	if err != nil {
		tb.Fatal(err)
	}
	return sol
}

func TestBacktrackingShapes(t *testing.T) {
	// Small sizes of the same shapes: the answer is p1 0.0.0.
	m, extra := disjoint(20, 15)
	for name, c := range map[string]struct {
		p   pubgrub.Provider
		req pubgrub.Request
	}{
		"singletons": {singletons(20, 15), rootOnP1()},
		"disjoint":   {m, rootOnP1(extra...)},
		"ranges":     {ranges(5, 20), rootOnP1()},
	} {
		sol := solveOK(t, c.p, c.req)
		if got := sol.Versions[pname(1)].String(); got != "0.0.0" {
			t.Errorf("%s: p1 = %s, want 0.0.0", name, got)
		}
	}
}

func BenchmarkBacktrackingSingletons(b *testing.B) {
	m := singletons(100, 500)
	for b.Loop() {
		solveOK(b, m, rootOnP1())
	}
}

func BenchmarkBacktrackingDisjoint(b *testing.B) {
	m, extra := disjoint(300, 200)
	for b.Loop() {
		solveOK(b, m, rootOnP1(extra...))
	}
}

func BenchmarkBacktrackingRanges(b *testing.B) {
	m := ranges(5, 200)
	for b.Loop() {
		solveOK(b, m, rootOnP1())
	}
}

// generated describes a registry of packages × versions, the same one
// cargo_compare.sh writes as a Cargo local registry (see genreg_test.go).
type generated struct {
	names    []string
	versions []semver.Version
	deps     [][][]genDep // [package][version] → dependencies
	root     []genDep
}

type genDep struct {
	pkg int
	req string // Cargo requirement syntax, also valid in meta's dialect
}

// generate builds a deterministic registry: package i has versions
// 1.0.0 … 1.<versions-1>.0; each version depends on up to three packages
// with a larger index, with a caret requirement on a random minor (one in
// twenty a tilde requirement, which can conflict). All versions share a
// major, so Cargo, which allows one version per semver-compatible range,
// must choose one version per package, as meta does. The root depends on
// the first 50 packages.
func generate(packages, versions int) *generated {
	r := rand.New(rand.NewPCG(2026, 11))
	g := &generated{}
	for i := range packages {
		g.names = append(g.names, fmt.Sprintf("gen-%05d", i))
	}
	for j := range versions {
		g.versions = append(g.versions, semver.Version{Major: 1, Minor: uint64(j)})
	}
	g.deps = make([][][]genDep, packages)
	for i := range packages {
		g.deps[i] = make([][]genDep, versions)
		for j := range versions {
			if i+1 >= packages {
				continue
			}
			seen := map[int]bool{}
			for range r.IntN(4) {
				// Mostly near neighbours, so the graph is deep, not flat.
				k := i + 1 + r.IntN(min(50, packages-i-1))
				if seen[k] {
					continue
				}
				seen[k] = true
				minor := r.IntN(max(1, j+1))
				req := fmt.Sprintf("^1.%d.0", minor)
				if r.IntN(20) == 0 {
					req = fmt.Sprintf("~1.%d.0", r.IntN(versions))
				}
				g.deps[i][j] = append(g.deps[i][j], genDep{pkg: k, req: req})
			}
		}
	}
	for i := range min(50, packages) {
		g.root = append(g.root, genDep{pkg: i, req: "^1.0.0"})
	}
	return g
}

func (g *generated) memory() (*source.Memory, pubgrub.Request) {
	m := source.NewMemory()
	for i, name := range g.names {
		for j, v := range g.versions {
			var deps []pubgrub.Dependency
			for _, d := range g.deps[i][j] {
				deps = append(deps, pubgrub.Dependency{Name: g.names[d.pkg], Constraint: semver.MustParseConstraint(d.req)})
			}
			m.Add(name, v, deps...)
		}
	}
	req := pubgrub.Request{SkipSuggestions: true}
	for _, d := range g.root {
		req.Root = append(req.Root, pubgrub.Dependency{Name: g.names[d.pkg], Constraint: semver.MustParseConstraint(d.req)})
	}
	return m, req
}

func TestGeneratedRegistrySolves(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-package registry")
	}
	g := generate(10_000, 20)
	m, req := g.memory()
	sol := solveOK(t, m, req)
	if len(sol.Names) < 1000 {
		t.Errorf("only %d packages chosen; the generated graph is too shallow", len(sol.Names))
	}
	for _, n := range sol.Names {
		deps, err := m.Dependencies(context.Background(), n, sol.Versions[n])
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deps {
			if !d.Constraint.Contains(sol.Versions[d.Name]) {
				t.Fatalf("%s %s needs %s %s, got %s", n, sol.Versions[n], d.Name, d.Constraint, sol.Versions[d.Name])
			}
		}
	}
}

// BenchmarkGenerated10k resolves the root of the generated 10,000 × 20
// registry (the one cargo_compare.sh gives Cargo).
func BenchmarkGenerated10k(b *testing.B) {
	g := generate(10_000, 20)
	m, req := g.memory()
	var chosen int
	for b.Loop() {
		chosen = len(solveOK(b, m, req).Names)
	}
	b.ReportMetric(float64(chosen), "packages")
}
