package resolver_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
)

type root struct {
	pkg string
	v   semver.Version
}

func (c ronCase) roots() []root {
	var out []root
	for _, pkg := range sortedInts(c) {
		for _, v := range sortedInts(c[pkg]) {
			out = append(out, root{strconv.Itoa(pkg), ver(v)})
		}
	}
	return out
}

// solveAll resolves every (package, version) of the registry as the root
// requirement and counts the outcomes.
func solveAll(tb testing.TB, p pubgrub.Provider, roots []root) (solvable, unsolvable int) {
	ctx := context.Background()
	for _, r := range roots {
		_, err := pubgrub.Solve(ctx, p, pubgrub.Request{
			Root:            []pubgrub.Dependency{{Name: r.pkg, Constraint: semver.Exact(r.v)}},
			SkipSuggestions: true,
		})
		var nse *pubgrub.NoSolutionError
		switch {
		case err == nil:
			solvable++
		case errors.As(err, &nse):
			unsolvable++
		default:
			tb.Fatal(err)
		}
	}
	return solvable, unsolvable
}

// TestLargeCaseCounts checks the known outcome of the large_case loop:
// 593 solvable roots and 48 unsolvable (pubgrub-rs's answer).
func TestLargeCaseCounts(t *testing.T) {
	c := largeCase(t)
	roots := c.roots()
	if len(roots) != 641 {
		t.Fatalf("%d roots, want 641", len(roots))
	}
	ok, bad := solveAll(t, c.toMemory(), roots)
	if ok != 593 || bad != 48 {
		t.Fatalf("solvable %d, unsolvable %d; want 593 and 48", ok, bad)
	}
}

// BenchmarkLargeCase resolves all 641 roots of pubgrub-rs's large_case per
// iteration (published native Rust figure for the same loop: 3.57 ms).
func BenchmarkLargeCase(b *testing.B) {
	c := largeCase(b)
	mem := c.toMemory()
	roots := c.roots()
	var ok, bad int
	b.ResetTimer()
	for b.Loop() {
		ok, bad = solveAll(b, mem, roots)
	}
	if ok != 593 || bad != 48 {
		b.Fatalf("solvable %d, unsolvable %d; want 593 and 48", ok, bad)
	}
	b.ReportMetric(float64(ok), "solvable")
	b.ReportMetric(float64(bad), "unsolvable")
}
