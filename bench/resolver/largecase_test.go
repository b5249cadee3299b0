// Package resolver_test benchmarks meta's PubGrub solver on pubgrub-rs's
// large_case registry, pubgrub-rs's synthetic backtracking shapes and a
// generated registry of 10,000 packages; cargo_compare.sh times Cargo's
// resolver on the same generated registry.
package resolver_test

import (
	"context"
	"os"
	"testing"

	"github.com/metawork/meta/bench/resolver/internal/largecase"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
)

// largeCasePath is pubgrub-rs's registry in the shared fixtures.
const largeCasePath = "../../../shared/fixtures/resolver/large_case_u16_NumberVersion.ron"

func ver(n int) semver.Version { return largecase.Ver(n) }

// largeCase loads the fixture, skipping when it is absent.
func largeCase(tb testing.TB) largecase.Case {
	tb.Helper()
	if _, err := os.Stat(largeCasePath); os.IsNotExist(err) {
		tb.Skip("large_case fixture absent (../shared/fixtures/resolver)")
	}
	c, err := largecase.Load(largeCasePath)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// solveAll resolves every (package, version) of the registry as the root
// requirement and counts the outcomes.
func solveAll(tb testing.TB, p pubgrub.Provider, roots []largecase.Root) (solvable, unsolvable int) {
	ok, bad, err := largecase.SolveAll(context.Background(), p, roots)
	if err != nil {
		tb.Fatal(err)
	}
	return ok, bad
}

// TestLargeCaseCounts checks the known outcome of the large_case loop:
// 593 solvable roots and 48 unsolvable (pubgrub-rs's answer).
func TestLargeCaseCounts(t *testing.T) {
	c := largeCase(t)
	roots := c.Roots()
	if len(roots) != 641 {
		t.Fatalf("%d roots, want 641", len(roots))
	}
	ok, bad := solveAll(t, c.Memory(), roots)
	if ok != 593 || bad != 48 {
		t.Fatalf("solvable %d, unsolvable %d; want 593 and 48", ok, bad)
	}
}

// BenchmarkLargeCase resolves all 641 roots of pubgrub-rs's large_case per
// iteration (published native Rust figure for the same loop: 3.57 ms).
func BenchmarkLargeCase(b *testing.B) {
	c := largeCase(b)
	mem := c.Memory()
	roots := c.Roots()
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
