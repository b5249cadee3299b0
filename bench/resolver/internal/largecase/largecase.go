// Package largecase reads pubgrub-rs's "*_u16_NumberVersion.ron" benchmark
// registries and runs their benchmark loop (every package version as the
// root requirement, one solve each) on meta's solver, for the resolver
// benchmarks, the differential test against pubgrub-rs's answers and the
// whole-process harness in ../../cmd/largecase.
package largecase

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
)

// Case is the registry of a pubgrub-rs "*_u16_NumberVersion.ron" file:
// package → version → dependency → union of half-open intervals.
type Case map[int]map[int]map[int][]Interval

// Interval is [Lo, Hi), or [Lo, ∞) when Open.
type Interval struct {
	Lo, Hi int
	Open   bool // (lo, None): no upper bound
}

// Parse reads exactly the shape
// { pkg: { ver: { dep: [ (lo, Some(hi)) | (lo, None), ... ], ... }, ... }, ... }
// with trailing commas allowed.
func Parse(data []byte) (Case, error) {
	p := &parser{s: data}
	out := Case{}
	err := p.mapOf(func(pkg int) error {
		vers := map[int]map[int][]Interval{}
		out[pkg] = vers
		return p.mapOf(func(ver int) error {
			deps := map[int][]Interval{}
			vers[ver] = deps
			return p.mapOf(func(dep int) error {
				list, err := p.intervals()
				deps[dep] = list
				return err
			})
		})
	})
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.errorf("end of input")
	}
	return out, nil
}

type parser struct {
	s []byte
	i int
}

func (p *parser) errorf(want string) error {
	return fmt.Errorf("ron: byte %d: expected %s", p.i, want)
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) lit(tok string) bool {
	p.space()
	if len(p.s)-p.i >= len(tok) && string(p.s[p.i:p.i+len(tok)]) == tok {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *parser) expect(tok string) error {
	if !p.lit(tok) {
		return p.errorf("'" + tok + "'")
	}
	return nil
}

func (p *parser) int() (int, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if start == p.i {
		return 0, p.errorf("an integer")
	}
	return strconv.Atoi(string(p.s[start:p.i]))
}

// mapOf parses { k: <value>, ... } calling value for each key.
func (p *parser) mapOf(value func(k int) error) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	for !p.lit("}") {
		k, err := p.int()
		if err != nil {
			return err
		}
		if err := p.expect(":"); err != nil {
			return err
		}
		if err := value(k); err != nil {
			return err
		}
		if !p.lit(",") {
			return p.expect("}")
		}
	}
	return nil
}

func (p *parser) intervals() ([]Interval, error) {
	if err := p.expect("["); err != nil {
		return nil, err
	}
	var out []Interval
	for !p.lit("]") {
		if err := p.expect("("); err != nil {
			return nil, err
		}
		lo, err := p.int()
		if err != nil {
			return nil, err
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		iv := Interval{Lo: lo}
		switch {
		case p.lit("None"):
			iv.Open = true
		case p.lit("Some"):
			if err := p.expect("("); err != nil {
				return nil, err
			}
			if iv.Hi, err = p.int(); err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorf("Some(hi) or None")
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		out = append(out, iv)
		if !p.lit(",") {
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			break
		}
	}
	return out, nil
}

// Ver maps the integer version n to n.0.0.
func Ver(n int) semver.Version { return semver.Version{Major: uint64(n)} }

// Memory returns the registry as an in-memory provider: version n is
// n.0.0 and [lo, hi) is >=lo.0.0 <hi.0.0.
func (c Case) Memory() *source.Memory {
	m := source.NewMemory()
	for pkg, vers := range c {
		for v, deps := range vers {
			var list []pubgrub.Dependency
			for _, dep := range sortedInts(deps) {
				var set semver.Set
				for _, iv := range deps[dep] {
					text := ">=" + Ver(iv.Lo).String()
					if !iv.Open {
						text += " <" + Ver(iv.Hi).String()
					}
					set = set.Union(semver.MustParseConstraint(text))
				}
				list = append(list, pubgrub.Dependency{Name: strconv.Itoa(dep), Constraint: set})
			}
			m.Add(strconv.Itoa(pkg), Ver(v), list...)
		}
	}
	return m
}

func sortedInts[V any](m map[int]V) []int { return slices.Sorted(maps.Keys(m)) }

// Load reads and parses a .ron file.
func Load(path string) (Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Root is one (package, version) of the registry, solved as the root
// requirement "Pkg = V".
type Root struct {
	Pkg string
	V   semver.Version
	// root is the requirement, made once by Roots (the input of a solve,
	// as pgbench's (package, version) pair is).
	root []pubgrub.Dependency
}

// Roots lists every (package, version), by package then version number,
// as pubgrub-rs's dump does.
func (c Case) Roots() []Root {
	var out []Root
	for _, pkg := range sortedInts(c) {
		for _, v := range sortedInts(c[pkg]) {
			name := strconv.Itoa(pkg)
			out = append(out, Root{Pkg: name, V: Ver(v), root: []pubgrub.Dependency{{Name: name, Constraint: semver.Exact(Ver(v))}}})
		}
	}
	return out
}

// Solve resolves r with the default options, no suggestions and a compact
// Solution (no Versions or Deps maps: use Solution.Version), as the
// benchmark loop does. A nil Solution with a nil error means unsolvable.
func Solve(ctx context.Context, p pubgrub.Provider, r Root) (*pubgrub.Solution, error) {
	root := r.root
	if root == nil {
		root = []pubgrub.Dependency{{Name: r.Pkg, Constraint: semver.Exact(r.V)}}
	}
	sol, err := pubgrub.Solve(ctx, p, pubgrub.Request{
		Root:            root,
		SkipSuggestions: true,
		CompactSolution: true,
	})
	var nse *pubgrub.NoSolutionError
	if errors.As(err, &nse) {
		return nil, nil
	}
	return sol, err
}

// SolveAll is the benchmark loop: it resolves every root and counts the
// outcomes.
func SolveAll(ctx context.Context, p pubgrub.Provider, roots []Root) (solvable, unsolvable int, err error) {
	for _, r := range roots {
		sol, err := Solve(ctx, p, r)
		switch {
		case err != nil:
			return 0, 0, fmt.Errorf("root %s %s: %w", r.Pkg, r.V, err)
		case sol == nil:
			unsolvable++
		default:
			solvable++
		}
	}
	return solvable, unsolvable, nil
}

// DumpLine renders one root's outcome as pubgrub-rs's pgbench dump does:
// "P V: OK p=v p=v ..." with packages in numeric order, the root's package
// among them, or "P V: FAIL". Package names must be integers.
func DumpLine(r Root, sol *pubgrub.Solution) string {
	head := r.Pkg + " " + strconv.FormatUint(r.V.Major, 10) + ": "
	if sol == nil {
		return head + "FAIL"
	}
	names := slices.Clone(sol.Names)
	slices.SortFunc(names, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	var sb strings.Builder
	sb.WriteString(head + "OK")
	for _, n := range names {
		v, _ := sol.Version(n)
		sb.WriteString(" " + n + "=" + strconv.FormatUint(v.Major, 10))
	}
	return sb.String()
}
