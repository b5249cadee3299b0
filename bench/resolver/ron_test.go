// Package resolver_test benchmarks meta's PubGrub solver on pubgrub-rs's
// large_case registry, pubgrub-rs's synthetic backtracking shapes and a
// generated registry of 10,000 packages; cargo_compare.sh times Cargo's
// resolver on the same generated registry.
package resolver_test

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
)

// ronCase is the registry of a pubgrub-rs "*_u16_NumberVersion.ron" file:
// package → version → dependency → union of half-open intervals.
type ronCase map[int]map[int]map[int][]ronInterval

type ronInterval struct {
	lo, hi int
	open   bool // (lo, None): no upper bound
}

// parseRON reads exactly the shape
// { pkg: { ver: { dep: [ (lo, Some(hi)) | (lo, None), ... ], ... }, ... }, ... }
// with trailing commas allowed.
func parseRON(data []byte) (ronCase, error) {
	p := &ronParser{s: data}
	out := ronCase{}
	err := p.mapOf(func(pkg int) error {
		vers := map[int]map[int][]ronInterval{}
		out[pkg] = vers
		return p.mapOf(func(ver int) error {
			deps := map[int][]ronInterval{}
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

type ronParser struct {
	s []byte
	i int
}

func (p *ronParser) errorf(want string) error {
	return fmt.Errorf("ron: byte %d: expected %s", p.i, want)
}

func (p *ronParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *ronParser) lit(tok string) bool {
	p.space()
	if len(p.s)-p.i >= len(tok) && string(p.s[p.i:p.i+len(tok)]) == tok {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *ronParser) expect(tok string) error {
	if !p.lit(tok) {
		return p.errorf("'" + tok + "'")
	}
	return nil
}

func (p *ronParser) int() (int, error) {
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
func (p *ronParser) mapOf(value func(k int) error) error {
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

func (p *ronParser) intervals() ([]ronInterval, error) {
	if err := p.expect("["); err != nil {
		return nil, err
	}
	var out []ronInterval
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
		iv := ronInterval{lo: lo}
		switch {
		case p.lit("None"):
			iv.open = true
		case p.lit("Some"):
			if err := p.expect("("); err != nil {
				return nil, err
			}
			if iv.hi, err = p.int(); err != nil {
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

func ver(n int) semver.Version { return semver.Version{Major: uint64(n)} }

// toMemory maps version n to n.0.0 and [lo, hi) to >=lo.0.0 <hi.0.0.
func (c ronCase) toMemory() *source.Memory {
	m := source.NewMemory()
	for pkg, vers := range c {
		for v, deps := range vers {
			var list []pubgrub.Dependency
			for _, dep := range sortedInts(deps) {
				var set semver.Set
				for _, iv := range deps[dep] {
					text := ">=" + ver(iv.lo).String()
					if !iv.open {
						text += " <" + ver(iv.hi).String()
					}
					set = set.Union(semver.MustParseConstraint(text))
				}
				list = append(list, pubgrub.Dependency{Name: strconv.Itoa(dep), Constraint: set})
			}
			m.Add(strconv.Itoa(pkg), ver(v), list...)
		}
	}
	return m
}

func sortedInts[V any](m map[int]V) []int { return slices.Sorted(maps.Keys(m)) }

func TestParseRON(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  string
	}{
		{in: "{}", want: "map[]"},
		{in: "{ 1: { 2: { 3: [ (0, Some(4)), (5, None), ], }, }, }", want: "map[1:map[2:map[3:[{0 4 false} {5 0 true}]]]]"},
		{in: "{1:{2:{}}}", want: "map[1:map[2:map[]]]"},
		{in: "{ 1: { 2: { 3: [ (0, Maybe(4)) ] } } }", err: "expected Some(hi) or None"},
		{in: "{ 1: ", err: "expected '{'"},
		{in: "{} x", err: "expected end of input"},
	}
	for _, tt := range tests {
		got, err := parseRON([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseRON(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("parseRON(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseRON(f *testing.F) {
	f.Add("{ 1: { 2: { 3: [ (0, Some(4)), (5, None), ], }, }, }")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseRON([]byte(s)) // must not panic or loop
	})
}

// largeCase loads the fixture, skipping when it is absent.
func largeCase(tb testing.TB) ronCase {
	tb.Helper()
	data, err := os.ReadFile("../../../shared/fixtures/resolver/large_case_u16_NumberVersion.ron")
	if os.IsNotExist(err) {
		tb.Skip("large_case fixture absent (../shared/fixtures/resolver)")
	}
	if err != nil {
		tb.Fatal(err)
	}
	c, err := parseRON(data)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
