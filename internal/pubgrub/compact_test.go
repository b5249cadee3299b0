package pubgrub_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
)

// A compact solution leaves the maps out but answers every question the
// same way through its methods: versions, requirements (the root's
// included), overrides, Why, Chain and Cycles.
func TestCompactSolutionAnswersAsTheMaps(t *testing.T) {
	m := source.NewMemory()
	m.Add("api", v("1.0.0"), dep("auth", "^1.0.0", "api/component.yaml:3"), dep("web", "^1", "api/component.yaml:4"))
	m.Add("web", v("1.0.0"), dep("auth", "^2.0.0", "web/component.yaml:5"), dep("api", "^1", "web/component.yaml:6"))
	m.Add("auth", v("1.5.3"))
	m.Add("auth", v("2.0.0"))
	m.Add("zeta", v("0.1.0"), dep("zeta", "0.1.0", "zeta/component.yaml:1"))
	req := pubgrub.Request{
		RootName: "acme",
		Root:     []pubgrub.Dependency{dep("api", "^1", "components.yaml:4"), dep("zeta", "*", "components.yaml:5")},
		Overrides: map[string]pubgrub.Override{
			"auth": {Version: cs("1.5.3"), Reason: "CVE-2026-1234", Source: "components.yaml:20"},
		},
	}
	full, err := pubgrub.Solve(context.Background(), m, req)
	if err != nil {
		t.Fatal(err)
	}
	req.CompactSolution = true
	compact, err := pubgrub.Solve(context.Background(), m, req)
	if err != nil {
		t.Fatal(err)
	}
	if compact.Versions != nil || compact.Deps != nil {
		t.Fatalf("compact solution has maps: %v %v", compact.Versions, compact.Deps)
	}
	if diff := cmp.Diff(full.Names, compact.Names); diff != "" {
		t.Fatalf("Names (-full +compact):\n%s", diff)
	}
	if want := []string{"api", "auth", "web", "zeta"}; !cmp.Equal(full.Names, want) {
		t.Fatalf("Names = %v, want %v", full.Names, want)
	}
	str := func(ds []pubgrub.Dependency) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Name+" "+d.Constraint.String()+" "+d.Source)
		}
		return out
	}
	for _, sol := range []*pubgrub.Solution{full, compact} {
		for _, n := range full.Names {
			got, ok := sol.Version(n)
			if !ok || got != full.Versions[n] {
				t.Errorf("Version(%s) = %v, %v; want %v", n, got, ok, full.Versions[n])
			}
			if diff := cmp.Diff(str(full.Deps[n]), str(sol.Dependencies(n))); diff != "" {
				t.Errorf("Dependencies(%s) (-map +method):\n%s", n, diff)
			}
			if diff := cmp.Diff(full.Why(n), sol.Why(n), cmp.Comparer(semver.Set.Equal)); diff != "" {
				t.Errorf("Why(%s) (-full +this):\n%s", n, diff)
			}
			if diff := cmp.Diff(full.Chain(n), sol.Chain(n), cmp.Comparer(semver.Set.Equal)); diff != "" {
				t.Errorf("Chain(%s) (-full +this):\n%s", n, diff)
			}
		}
		if diff := cmp.Diff(str(full.Deps["acme"]), str(sol.Dependencies("acme"))); diff != "" || len(sol.Dependencies("acme")) != 2 {
			t.Errorf("Dependencies(acme) (-map +method):\n%s", diff)
		}
		if _, ok := sol.Version("acme"); ok {
			t.Error("the root has a Version")
		}
		if _, ok := sol.Version("nope"); ok || sol.Dependencies("nope") != nil {
			t.Error("a package not chosen has a Version or Dependencies")
		}
		if diff := cmp.Diff([][]string{{"api", "web", "api"}, {"zeta", "zeta"}}, sol.Cycles()); diff != "" {
			t.Errorf("Cycles (-want +got):\n%s", diff)
		}
		if len(sol.Overrides) != 1 || len(sol.Overrides[0].Replaced) != 2 {
			t.Errorf("Overrides = %+v", sol.Overrides)
		}
	}
}
