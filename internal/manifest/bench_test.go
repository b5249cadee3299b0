package manifest

import (
	"fmt"
	"strings"
	"testing"
)

// bigManifest is a manifest of n components, about 170 bytes each.
func bigManifest(n int) []byte {
	var b strings.Builder
	b.WriteString("components:\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "  comp-%05d:\n    repo: https://git.example.com/org/comp-%05d.git\n    version: \"^1.%d.0\"\n    description: component %d\n    depends_on: [\"comp-%05d\"]\n    groups: [backend]\n",
			i, i, i%50, i, i+1)
	}
	fmt.Fprintf(&b, "  comp-%05d:\n    repo: https://git.example.com/org/last.git\n", n-1)
	return []byte(b.String())
}

// BenchmarkParseLarge parses manifests of 6,000 and 30,000 components
// (about 1 and 5 MB; issue 15 item 12: parsing was quadratic, 34 s for
// 5 MB). Linear parsing keeps the time per byte the same for both.
//
// 2026-12-02, 30,000 components, on the shared 2-core machine at load
// average 33–46 (wall times of 12–20 s per parse mean nothing there), CPU
// from -cpuprofile over 4 parses: before 2.2–2.5 s per parse, 583 MB and
// 8.63 M allocations; after resolving each component's parent directory
// once (not 30,000 Lstat+EvalSymlinks of the same root) and parsing the
// mapping's runs in parallel, 1.8–2.4 s of CPU spread over both cores,
// 568 MB and 8.36 M allocations. goccy's lexer, about 0.6 s of CPU per
// parse, is what is left on one core.
//
// 2026-12-02, with yamlpos's fast path (a linear parser of its own for
// plain block YAML; anything else still goes to goccy), same machine.
// `go test -bench ParseLarge -benchmem -count 3`: before, at load average
// 4.0–6.6, 6,000 components 229–355 ms, 112.8 MB, 1.68 M allocations, and
// 30,000 components 2.92–3.67 s, 568.7 MB, 8.39 M allocations per parse;
// after, at load average 1.9–2.0, 6,000 components 38–44 ms, 19.7 MB,
// 102 k allocations, and 30,000 components 199–266 ms, 101 MB, 511 k
// allocations. Interleaved test binaries (before, after; 3 rounds) at load
// 2.0–2.4, 30,000 components: before 1.78–2.05 s, after 0.39–1.0 s (median
// 0.49 s); CPU of a whole 5-parse run at load 3.6–4.3, before 6.6–6.7 s,
// after 1.8 s. yamlpos's own part: BenchmarkFastPath there.
func BenchmarkParseLarge(b *testing.B) {
	for _, n := range []int{6000, 30000} {
		data := bigManifest(n)
		b.Run(fmt.Sprintf("components=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse("/w/meta", ManifestPath, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestParseLargeManifest: 30,000 components parse, each one kept.
func TestParseLargeManifest(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	m, err := Parse("/w/meta", ManifestPath, bigManifest(30000))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Components) != 30000 || m.Components["comp-12345"].DependsOn[0].Name != "comp-12346" {
		t.Fatalf("%d components", len(m.Components))
	}
}
