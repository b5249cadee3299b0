package source

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	v := semver.MustParseVersion
	m := NewMemory()
	dep := pubgrub.Dependency{Name: "b", Constraint: semver.MustParseConstraint("^1"), Source: "a/component.yaml:2"}
	m.Add("a", v("2.0.0"), dep)
	m.Add("a", v("1.0.0"))
	m.Add("a", v("1.0.0+build.7")) // same version: replaces, not duplicates
	m.AddUnusable("a", v("1.5.0"), "component.yaml: bad indentation")
	m.AddPackage("empty")

	got, err := m.Versions(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range got {
		names = append(names, x.String())
	}
	if diff := cmp.Diff([]string{"1.0.0", "1.5.0", "2.0.0"}, names); diff != "" {
		t.Errorf("Versions(a) (-want +got):\n%s", diff)
	}
	deps, err := m.Dependencies(ctx, "a", v("2.0.0"))
	if err != nil || len(deps) != 1 || deps[0].Name != "b" || deps[0].Source != "a/component.yaml:2" {
		t.Errorf("Dependencies(a 2.0.0) = %v, %v", deps, err)
	}
	if deps, err := m.Dependencies(ctx, "a", v("1.0.0+other")); err != nil || len(deps) != 0 {
		t.Errorf("Dependencies(a 1.0.0) = %v, %v", deps, err)
	}
	var ue *pubgrub.UnusableError
	if _, err := m.Dependencies(ctx, "a", v("1.5.0")); !errors.As(err, &ue) || ue.Reason != "component.yaml: bad indentation" {
		t.Errorf("unusable version: %v", err)
	}
	if _, err := m.Versions(ctx, "ghost"); !errors.Is(err, pubgrub.ErrNotFound) {
		t.Errorf("unknown package: %v", err)
	}
	if _, err := m.Dependencies(ctx, "a", v("3.0.0")); err == nil {
		t.Error("a version that does not exist must be an error")
	}
	if vs, err := m.Versions(ctx, "empty"); err != nil || len(vs) != 0 {
		t.Errorf("Versions(empty) = %v, %v", vs, err)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			m.Add("p", semver.Version{Major: uint64(i)})
		}()
		go func() {
			defer wg.Done()
			_, _ = m.Versions(context.Background(), "p")
		}()
	}
	wg.Wait()
	vs, err := m.Versions(context.Background(), "p")
	if err != nil || len(vs) != 8 {
		t.Fatalf("Versions = %v, %v", vs, err)
	}
}

// TestSearchMatchesCompare checks the memory provider's version search
// against the generic binary search with semver.Compare.
func TestSearchMatchesCompare(t *testing.T) {
	var vs []semver.Version
	for _, s := range []string{"0.0.1", "0.1.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.1", "1.2.0-rc.1", "1.2.0", "2.0.0"} {
		vs = append(vs, semver.MustParseVersion(s))
	}
	probes := append(slices.Clone(vs), semver.MustParseVersion("0.0.0"), semver.MustParseVersion("1.0.0-alpha.0"),
		semver.MustParseVersion("1.0.0+build"), semver.MustParseVersion("1.1.0"), semver.MustParseVersion("3.0.0"))
	for _, v := range probes {
		wi, wf := slices.BinarySearchFunc(vs, v, semver.Compare)
		if gi, gf := search(vs, &v); gi != wi || gf != wf {
			t.Errorf("search(%s) = %d, %v; want %d, %v", v, gi, gf, wi, wf)
		}
	}
}
