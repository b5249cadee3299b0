package pubgrub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/semver"
)

// memProvider is a minimal Provider over a map, returning the same slices
// every time (as the Provider contract lets the solver's caches expect).
type memProvider map[string]map[string][]Dependency

func (m memProvider) Versions(_ context.Context, pkg string) ([]semver.Version, error) {
	vs, ok := m[pkg]
	if !ok {
		return nil, fmt.Errorf("%s: %w", pkg, ErrNotFound)
	}
	var out []semver.Version
	for v := range vs {
		out = append(out, semver.MustParseVersion(v))
	}
	// Unsorted on purpose for half the packages: the solver sorts a copy.
	if len(pkg)%2 == 0 {
		slices.SortFunc(out, semver.Compare)
	}
	return out, nil
}

func (m memProvider) Dependencies(_ context.Context, pkg string, v semver.Version) ([]Dependency, error) {
	return m[pkg][v.String()], nil
}

// render is a solve's outcome as text: the solution, or the report.
func render(sol *Solution, err error) string {
	var nse *NoSolutionError
	switch {
	case errors.As(err, &nse):
		return "FAIL\n" + nse.Report()
	case err != nil:
		return "ERROR " + err.Error()
	}
	var b strings.Builder
	for _, n := range sol.Names {
		fmt.Fprintf(&b, "%s %s; ", n, sol.Versions[n])
	}
	return b.String()
}

// TestReusedSolverMatchesFresh solves random registries with pooled
// solvers, whose caches hold what earlier solves derived, and again with a
// solver made fresh: the answers and explanations must be byte-identical.
func TestReusedSolverMatchesFresh(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	names := []string{"a", "bb", "c", "dd", "e", "ff"}
	constraints := []string{"*", "^1.0.0", "^2.0.0", ">=1.1.0", "<2.0.0", "1.0.0", "~1.1.0 || ^3.0.0", ">=2.0.0 <3.0.0", "^9.0.0"}
	versions := []string{"1.0.0", "1.1.0", "2.0.0", "3.0.0", "3.1.0-rc.1"}
	parsed := map[string]semver.Set{}
	for _, c := range constraints {
		parsed[c] = semver.MustParseConstraint(c)
	}
	ctx := context.Background()
	for iter := range 400 {
		m := memProvider{}
		for _, n := range names {
			m[n] = map[string][]Dependency{}
			for _, ver := range versions {
				if r.IntN(4) == 0 {
					continue
				}
				var deps []Dependency
				for _, other := range names {
					if other != n && r.IntN(4) == 0 {
						deps = append(deps, Dependency{Name: other, Constraint: parsed[constraints[r.IntN(len(constraints))]]})
					}
				}
				m[n][ver] = deps
			}
		}
		req := Request{
			Root:                []Dependency{{Name: names[r.IntN(len(names))], Constraint: parsed[constraints[r.IntN(len(constraints))]]}},
			RootName:            "root",
			Strategy:            Strategy(r.IntN(4)),
			PrioritizeConflicts: r.IntN(3),
			SkipSuggestions:     true,
		}
		// Twice through the pool, so the second solve finds the caches
		// filled by the first, then on a fresh solver.
		pooled1 := render(Solve(ctx, m, req))
		pooled2 := render(Solve(ctx, m, req))
		fresh := &solver{ctx: ctx, p: m, req: req}
		sol, err := fresh.run()
		var nse *NoSolutionError
		if errors.As(err, &nse) {
			nse.Suggestions = []Suggestion{}
		}
		if got := render(sol, err); got != pooled1 || got != pooled2 {
			t.Fatalf("iteration %d: fresh solver and pooled ones differ:\nfresh:\n%s\npooled:\n%s\npooled again:\n%s", iter, got, pooled1, pooled2)
		}
	}
}

// TestRanks checks that ranks order name ids by name, and are not
// computed for a few names among many.
func TestRanks(t *testing.T) {
	var c solverCache
	for i := range 2000 {
		c.gid(fmt.Sprintf("p%d", (i*7919)%2000))
	}
	if c.ranks(10) != nil {
		t.Error("ranks computed over 2000 names to sort 10")
	}
	rank := c.ranks(200)
	if len(rank) != 2000 {
		t.Fatalf("%d ranks, want 2000", len(rank))
	}
	for a := range c.names {
		for _, b := range []int{0, 1, 999, 1999} {
			if (rank[a] < rank[b]) != (c.names[a] < c.names[b]) {
				t.Fatalf("%s has rank %d, %s has rank %d", c.names[a], rank[a], c.names[b], rank[b])
			}
		}
	}
}

// A package's compiled lists are found again by version index before and
// after they outgrow the short list.
func TestPkgCacheCompiledSlots(t *testing.T) {
	pc := pkgCache{sorted: make([]semver.Version, 30)}
	for vi := 0; vi < 30; vi += 3 {
		pc.slot(vi).deps = make([]compiledDep, vi+1)
		for j := range 30 {
			e := pc.compiled(j)
			has := j%3 == 0 && j <= vi
			if has != (e != nil && e.deps != nil) || has && len(e.deps) != j+1 {
				t.Fatalf("after slot(%d): compiled(%d) = %+v", vi, j, e)
			}
		}
	}
}
