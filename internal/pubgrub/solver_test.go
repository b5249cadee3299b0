package pubgrub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
)

var (
	v  = semver.MustParseVersion
	cs = semver.MustParseConstraint
)

func dep(name, c, src string) pubgrub.Dependency {
	return pubgrub.Dependency{Name: name, Constraint: cs(c), Source: src}
}

func TestParseStrategy(t *testing.T) {
	tests := []struct {
		in   string
		want pubgrub.Strategy
		err  bool
	}{
		{"", pubgrub.Latest, false},
		{"latest", pubgrub.Latest, false},
		{"highest", pubgrub.Latest, false},
		{"conservative", pubgrub.Conservative, false},
		{"minimal", pubgrub.Conservative, false},
		{"balanced", pubgrub.Balanced, false},
		{"first", pubgrub.First, false},
		{"newest", 0, true},
	}
	for _, tt := range tests {
		got, err := pubgrub.ParseStrategy(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseStrategy(%q) = %v, %v", tt.in, got, err)
		}
		if err == nil && tt.in != "" && tt.in != "highest" && tt.in != "minimal" && got.String() != tt.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestWhyAndOverrides(t *testing.T) {
	m := source.NewMemory()
	m.Add("api", v("1.0.0"), dep("auth", "^1.0.0", "api/component.yaml:3"))
	m.Add("web", v("1.0.0"), dep("auth", "^2.0.0", "web/component.yaml:5"))
	m.Add("auth", v("1.5.3"))
	m.Add("auth", v("2.0.0"))
	req := pubgrub.Request{
		RootName: "acme",
		Root:     []pubgrub.Dependency{dep("api", "^1", "components.yaml:4"), dep("web", "^1", "components.yaml:8")},
		Overrides: map[string]pubgrub.Override{
			"auth": {Version: cs("1.5.3"), Reason: "CVE-2026-1234", Source: "components.yaml:20"},
		},
	}
	sol, err := pubgrub.Solve(context.Background(), m, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := sol.Versions["auth"].String(); got != "1.5.3" {
		t.Fatalf("auth = %s", got)
	}
	why := sol.Why("auth")
	var lines []string
	for _, r := range why {
		lines = append(lines, fmt.Sprintf("%s %s %s %v %s", r.From, r.FromVersion, r.Constraint, r.Overridden, r.Original))
	}
	want := []string{"api 1.0.0 1.5.3 true ^1.0.0", "web 1.0.0 1.5.3 true ^2.0.0"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Why(auth) (-want +got):\n%s", diff)
	}
	if got := sol.Why("api"); len(got) != 1 || !got[0].IsRoot || got[0].From != "acme" || got[0].Source != "components.yaml:4" {
		t.Errorf("Why(api) = %+v", got)
	}
	if len(sol.Overrides) != 1 || sol.Overrides[0].Name != "auth" || len(sol.Overrides[0].Replaced) != 2 || sol.Overrides[0].Override.Reason != "CVE-2026-1234" {
		t.Errorf("Overrides = %+v", sol.Overrides)
	}
	var chain []string
	for _, r := range sol.Chain("auth") {
		chain = append(chain, r.From+" -> "+r.Constraint.String())
	}
	if diff := cmp.Diff([]string{"acme -> ^1.0.0", "api -> 1.5.3"}, chain); diff != "" {
		t.Errorf("Chain(auth) (-want +got):\n%s", diff)
	}
	if sol.Chain("nope") != nil {
		t.Error("Chain of a package not chosen must be nil")
	}
	if sol.Root != "acme" || len(sol.Deps["acme"]) != 2 {
		t.Errorf("root deps = %v", sol.Deps["acme"])
	}
}

type failingProvider struct{ *source.Memory }

func (f failingProvider) Dependencies(ctx context.Context, pkg string, ver semver.Version) ([]pubgrub.Dependency, error) {
	if pkg == "b" {
		return nil, errors.New("git show failed")
	}
	return f.Memory.Dependencies(ctx, pkg, ver)
}

func TestProviderErrorsAndCancel(t *testing.T) {
	m := source.NewMemory()
	m.Add("a", v("1.0.0"), dep("b", "*", ""))
	m.Add("b", v("1.0.0"))
	req := pubgrub.Request{Root: []pubgrub.Dependency{dep("a", "*", "")}}
	_, err := pubgrub.Solve(context.Background(), failingProvider{m}, req)
	if err == nil || !strings.Contains(err.Error(), "reading dependencies of b 1.0.0: git show failed") {
		t.Errorf("provider error = %v", err)
	}
	var nse *pubgrub.NoSolutionError
	if errors.As(err, &nse) {
		t.Error("a provider failure is not a resolution failure")
	}
	m.Add("c", v("1.0.0"), dep("root", "*", ""))
	if _, err := pubgrub.Solve(context.Background(), m, pubgrub.Request{Root: []pubgrub.Dependency{dep("c", "*", "")}}); err == nil || !strings.Contains(err.Error(), "root's name") {
		t.Errorf("a package named like the root: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := pubgrub.Solve(ctx, m, req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled solve = %v", err)
	}
}

func TestNoSolutionJSON(t *testing.T) {
	m := source.NewMemory()
	m.Add("api", v("1.0.0"), dep("auth-lib", "^1.0.0", "api/component.yaml:4"))
	m.Add("auth-lib", v("1.0.0"))
	m.Add("auth-lib", v("2.3.1"))
	req := pubgrub.Request{Root: []pubgrub.Dependency{dep("api", "^1", "components.yaml:5"), dep("auth-lib", "^2", "components.yaml:9")}}
	_, err := pubgrub.Solve(context.Background(), m, req)
	var nse *pubgrub.NoSolutionError
	if !errors.As(err, &nse) {
		t.Fatalf("want NoSolutionError, got %v", err)
	}
	data, err := json.Marshal(nse)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"headline", "clash", "derivation", "versions", "suggestions"} {
		if _, ok := back[key]; !ok {
			t.Errorf("JSON lacks %q: %s", key, data)
		}
	}
	if nse.Clash != "auth-lib" || !strings.Contains(nse.Headline, "api/component.yaml:4") || !strings.Contains(nse.Headline, "components.yaml:9") {
		t.Errorf("headline %q (clash %q)", nse.Headline, nse.Clash)
	}
	if len(nse.Suggestions) == 0 {
		t.Fatal("no suggestions")
	}
	// Every suggestion must really resolve.
	for _, sg := range nse.Suggestions {
		r := req
		switch sg.Kind {
		case "relax":
			r.Root = nil
			for _, d := range req.Root {
				if d.Name == sg.Package {
					d.Constraint = cs(sg.Constraint)
				}
				r.Root = append(r.Root, d)
			}
		case "override":
			r.Overrides = map[string]pubgrub.Override{sg.Package: {Version: cs(sg.Constraint)}}
		}
		if _, err := pubgrub.Solve(context.Background(), m, r); err != nil {
			t.Errorf("suggestion %q does not resolve: %v", sg.Text, err)
		}
	}
	if !strings.HasPrefix(nse.Error(), "version solving failed: conflicting requirements on auth-lib") {
		t.Errorf("Error() = %q", nse.Error())
	}
}

// TestRandomAgainstBruteForce solves small random registries and checks
// the answer against exhaustive search: a solution must satisfy every
// requirement, and a failure must mean that no assignment does.
func TestRandomAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	names := []string{"a", "b", "c", "d", "e"}
	constraints := []string{"*", "^1.0.0", "^2.0.0", ">=1.1.0", "<2.0.0", "1.0.0", "~1.1.0 || ^3.0.0", ">=2.0.0 <3.0.0"}
	versions := []string{"1.0.0", "1.1.0", "2.0.0", "3.0.0"}
	solved, failed := 0, 0
	for iter := 0; iter < 1500; iter++ {
		m := source.NewMemory()
		reg := map[string]map[string][]pubgrub.Dependency{}
		for _, n := range names {
			reg[n] = map[string][]pubgrub.Dependency{}
			for _, ver := range versions {
				if r.IntN(4) == 0 {
					continue
				}
				var deps []pubgrub.Dependency
				for _, other := range names {
					if other != n && r.IntN(4) == 0 {
						deps = append(deps, dep(other, constraints[r.IntN(len(constraints))], ""))
					}
				}
				reg[n][ver] = deps
				m.Add(n, v(ver), deps...)
			}
			m.AddPackage(n)
		}
		root := []pubgrub.Dependency{dep("a", constraints[r.IntN(len(constraints))], "")}
		if r.IntN(2) == 0 {
			root = append(root, dep("b", constraints[r.IntN(len(constraints))], ""))
		}
		strategy := pubgrub.Strategy(r.IntN(4))
		sol, err := pubgrub.Solve(context.Background(), m, pubgrub.Request{Root: root, Strategy: strategy, SkipSuggestions: true})
		exists := bruteForce(reg, root, names, versions)
		var nse *pubgrub.NoSolutionError
		switch {
		case err == nil:
			solved++
			if !valid(reg, root, sol) {
				t.Fatalf("iteration %d: invalid solution %v", iter, sol.Versions)
			}
		case errors.As(err, &nse):
			failed++
			if exists {
				t.Fatalf("iteration %d: solver failed but a solution exists:\n%s", iter, nse.Report())
			}
			if nse.Explain() == "" || nse.Headline == "" {
				t.Fatalf("iteration %d: empty explanation", iter)
			}
		default:
			t.Fatal(err)
		}
		// uv's ordering at its most eager changes the search, never the
		// answer's validity or whether there is one.
		sol, err = pubgrub.Solve(context.Background(), m, pubgrub.Request{Root: root, Strategy: strategy, SkipSuggestions: true, PrioritizeConflicts: 1})
		switch {
		case err == nil:
			if !valid(reg, root, sol) {
				t.Fatalf("iteration %d, PrioritizeConflicts: invalid solution %v", iter, sol.Versions)
			}
		case errors.As(err, &nse):
			if exists {
				t.Fatalf("iteration %d, PrioritizeConflicts: solver failed but a solution exists:\n%s", iter, nse.Report())
			}
		default:
			t.Fatal(err)
		}
	}
	if solved < 100 || failed < 100 {
		t.Fatalf("degenerate generator: %d solved, %d failed", solved, failed)
	}
}

func valid(reg map[string]map[string][]pubgrub.Dependency, root []pubgrub.Dependency, sol *pubgrub.Solution) bool {
	check := func(deps []pubgrub.Dependency) bool {
		for _, d := range deps {
			ver, ok := sol.Versions[d.Name]
			if !ok || !d.Constraint.Contains(ver) {
				return false
			}
		}
		return true
	}
	if !check(root) {
		return false
	}
	for _, n := range sol.Names {
		deps, ok := reg[n][sol.Versions[n].String()]
		if !ok || !check(deps) {
			return false
		}
	}
	return true
}

// bruteForce tries every assignment of a version or "absent" to every
// package.
func bruteForce(reg map[string]map[string][]pubgrub.Dependency, root []pubgrub.Dependency, names, versions []string) bool {
	choice := make(map[string]string, len(names))
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(names) {
			sel := func(d pubgrub.Dependency) bool {
				c, ok := choice[d.Name]
				return ok && c != "" && d.Constraint.Contains(v(c))
			}
			for _, d := range root {
				if !sel(d) {
					return false
				}
			}
			for n, c := range choice {
				if c == "" {
					continue
				}
				for _, d := range reg[n][c] {
					if !sel(d) {
						return false
					}
				}
			}
			return true
		}
		n := names[i]
		choice[n] = ""
		if try(i + 1) {
			return true
		}
		for _, ver := range versions {
			if _, ok := reg[n][ver]; ok {
				choice[n] = ver
				if try(i + 1) {
					return true
				}
			}
		}
		return false
	}
	return try(0)
}
