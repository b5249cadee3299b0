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

// BenchmarkParseLarge parses a 5 MB manifest of 30,000 components (issue
// 15 item 12: parsing was quadratic).
func BenchmarkParseLarge(b *testing.B) {
	data := bigManifest(30000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("/w/meta", ManifestPath, data); err != nil {
			b.Fatal(err)
		}
	}
}
