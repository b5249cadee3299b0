package resolver_test

import (
	"bufio"
	"context"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metawork/meta/bench/resolver/internal/largecase"
	"github.com/metawork/meta/internal/pubgrub"
)

// rsAnswer is one line of pubgrub-rs's dump: a root and, when solvable,
// the versions it chose (package number → version number).
type rsAnswer struct {
	pkg, ver int
	ok       bool
	chosen   map[int]int
}

func readRSDump(t *testing.T) []rsAnswer {
	t.Helper()
	f, err := os.Open("testdata/large_case_pubgrub_rs_dump.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rsAnswer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		head, rest, found := strings.Cut(sc.Text(), ": ")
		p, v, ok2 := strings.Cut(head, " ")
		a := rsAnswer{chosen: map[int]int{}}
		var e1, e2 error
		a.pkg, e1 = strconv.Atoi(p)
		a.ver, e2 = strconv.Atoi(v)
		if !found || !ok2 || e1 != nil || e2 != nil {
			t.Fatalf("dump line %d: %q", n, sc.Text())
		}
		fields := strings.Fields(rest)
		switch {
		case len(fields) == 1 && fields[0] == "FAIL":
		case len(fields) >= 1 && fields[0] == "OK":
			a.ok = true
			for _, f := range fields[1:] {
				name, ver, _ := strings.Cut(f, "=")
				pn, e1 := strconv.Atoi(name)
				vn, e2 := strconv.Atoi(ver)
				if e1 != nil || e2 != nil {
					t.Fatalf("dump line %d: bad choice %q", n, f)
				}
				a.chosen[pn] = vn
			}
		default:
			t.Fatalf("dump line %d: %q", n, sc.Text())
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkChoice reports why chosen (package → version) is not a solution of
// c for the root "pkg = ver": a chosen version that does not exist, a
// dependency of a chosen version not met, or a chosen package nothing
// requires. It returns "" for a valid solution.
func checkChoice(c largecase.Case, pkg, ver int, chosen map[int]int) string {
	if v, ok := chosen[pkg]; !ok || v != ver {
		return "the root's package is not chosen at the root's version"
	}
	required := map[int]bool{pkg: true}
	for _, p := range slices.Sorted(maps.Keys(chosen)) {
		v := chosen[p]
		deps, ok := c[p][v]
		if !ok {
			return "chose " + strconv.Itoa(p) + " " + strconv.Itoa(v) + ", which does not exist"
		}
		for _, d := range slices.Sorted(maps.Keys(deps)) {
			required[d] = true
			dv, ok := chosen[d]
			if !ok {
				return strconv.Itoa(p) + " " + strconv.Itoa(v) + " depends on " + strconv.Itoa(d) + ", which is not chosen"
			}
			in := false
			for _, iv := range deps[d] {
				if dv >= iv.Lo && (iv.Open || dv < iv.Hi) {
					in = true
				}
			}
			if !in {
				return strconv.Itoa(p) + " " + strconv.Itoa(v) + " depends on " + strconv.Itoa(d) + " outside " + strconv.Itoa(dv)
			}
		}
	}
	for p := range chosen {
		if !required[p] {
			return "chose " + strconv.Itoa(p) + ", which nothing requires"
		}
	}
	return ""
}

// TestLargeCaseAgreesWithPubgrubRS checks meta against pubgrub-rs's own
// answers for all 641 roots of large_case (testdata/SOURCES.md): the same
// roots are solvable, and every solution meta returns is valid. Where the
// two solutions differ, pubgrub-rs's answer is checked to be valid too,
// so a difference is a different choice, not a wrong one.
func TestLargeCaseAgreesWithPubgrubRS(t *testing.T) {
	c := largeCase(t)
	answers := readRSDump(t)
	roots := c.Roots()
	if len(answers) != 641 || len(roots) != 641 {
		t.Fatalf("%d answers and %d roots, want 641 of each", len(answers), len(roots))
	}
	p := c.Memory()
	same, differ, failing := 0, 0, 0
	for i, r := range roots {
		a := answers[i]
		if strconv.Itoa(a.pkg) != r.Pkg || uint64(a.ver) != r.V.Major {
			t.Fatalf("answer %d is for %d %d, root is %s %s", i, a.pkg, a.ver, r.Pkg, r.V)
		}
		sol, err := largecase.Solve(context.Background(), p, r)
		if err != nil {
			t.Fatal(err)
		}
		if (sol != nil) != a.ok {
			t.Errorf("root %d %d: meta solvable %v, pubgrub-rs %v", a.pkg, a.ver, sol != nil, a.ok)
			continue
		}
		if sol == nil {
			failing++
			continue
		}
		chosen := choiceOf(t, sol)
		if why := checkChoice(c, a.pkg, a.ver, chosen); why != "" {
			t.Errorf("root %d %d: meta's solution is invalid: %s", a.pkg, a.ver, why)
		}
		if maps.Equal(chosen, a.chosen) {
			same++
			continue
		}
		differ++
		if why := checkChoice(c, a.pkg, a.ver, a.chosen); why != "" {
			t.Errorf("root %d %d: pubgrub-rs's answer in the fixture is invalid: %s", a.pkg, a.ver, why)
		}
	}
	if failing != 48 || same+differ != 593 {
		t.Errorf("%d solvable, %d not; want 593 and 48", same+differ, failing)
	}
	t.Logf("%d solvable roots: %d solutions identical to pubgrub-rs's, %d different and valid; %d unsolvable in both", same+differ, same, differ, failing)
}

func choiceOf(t *testing.T, sol *pubgrub.Solution) map[int]int {
	t.Helper()
	out := map[int]int{}
	for _, n := range sol.Names {
		p, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("package name %q", n)
		}
		v, ok := sol.Version(n)
		if !ok {
			t.Fatalf("Version(%q) not found though %q is in Names", n, n)
		}
		out[p] = int(v.Major)
	}
	return out
}
