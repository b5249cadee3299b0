package ecosystem

import (
	"slices"
	"testing"
)

// TestPathsMatchesShortestPaths checks that Paths answers like
// ShortestPaths (and PathTo) for every package of real lock files, and
// nil for a package that is not there.
func TestPathsMatchesShortestPaths(t *testing.T) {
	for _, lk := range largeLocks {
		t.Run(lk.name, func(t *testing.T) {
			l, err := ParseFile(lk.manager, lk.path, largeFixture(t, lk.path))
			if err != nil {
				t.Fatal(err)
			}
			all, paths := l.ShortestPaths(), l.Paths()
			for _, p := range l.Packages {
				if got, want := paths(p.ID()), all[p.ID()]; !slices.Equal(got, want) {
					t.Fatalf("%s: Paths %v, ShortestPaths %v", p.ID(), got, want)
				}
			}
			if got := paths("no-such@0"); got != nil {
				t.Errorf("unknown package: %v, want nil", got)
			}
		})
	}
}
