package ecosystem

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sharedFixture reads a lock file from ../shared/fixtures/lockfiles, or
// skips the test when the shared fixtures are not beside the repository.
func sharedFixture(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "lockfiles", filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		t.Skipf("shared fixture %s not present", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkInvariants verifies what every parser promises: packages sorted and
// unique, deps and roots naming packages of the lock file, Direct exactly
// for roots, a scope and the ecosystem on every package.
func checkInvariants(t testing.TB, l *Lockfile) {
	t.Helper()
	idx := map[string]bool{}
	for i, p := range l.Packages {
		if idx[p.ID()] {
			t.Fatalf("duplicate package %s", p.ID())
		}
		idx[p.ID()] = true
		if i > 0 {
			q := l.Packages[i-1]
			if q.Name > p.Name || (q.Name == p.Name && q.Version > p.Version) {
				t.Fatalf("packages not sorted: %s before %s", q.ID(), p.ID())
			}
		}
		if p.Ecosystem != l.Ecosystem || p.Scope == "" {
			t.Fatalf("%s: ecosystem %q scope %q", p.ID(), p.Ecosystem, p.Scope)
		}
		if !sort.StringsAreSorted(p.Deps) {
			t.Fatalf("%s: deps not sorted", p.ID())
		}
	}
	roots := map[string]bool{}
	for _, r := range l.Roots {
		if !idx[r] {
			t.Fatalf("root %s is not a package", r)
		}
		roots[r] = true
	}
	for _, p := range l.Packages {
		if p.Direct != roots[p.ID()] {
			t.Fatalf("%s: Direct=%v but root=%v", p.ID(), p.Direct, roots[p.ID()])
		}
		for _, d := range p.Deps {
			if !idx[d] {
				t.Fatalf("%s depends on %s, which is not a package", p.ID(), d)
			}
		}
	}
}

// summary renders packages as "id scope [direct] [source] -> deps" lines.
func summary(l *Lockfile) string {
	var b strings.Builder
	for _, p := range l.Packages {
		b.WriteString(p.ID() + " " + string(p.Scope))
		if p.Direct {
			b.WriteString(" direct")
		}
		if p.Source != "" && p.Source != "registry" {
			b.WriteString(" " + p.Source)
		}
		if p.License != "" {
			b.WriteString(" (" + p.License + ")")
		}
		if len(p.Deps) > 0 {
			b.WriteString(" -> " + strings.Join(p.Deps, " "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func mustParse(t *testing.T, manager, path string, data []byte) *Lockfile {
	t.Helper()
	l, err := ParseFile(manager, path, data)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, l)
	return l
}

// fuzzParser is the body of every parser's fuzz test: no panics, and any
// result keeps the invariants.
func fuzzParser(f *testing.F, manager string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseFile(manager, "lock", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "lock") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkInvariants(t, l)
		l.ShortestPaths()
	})
}
