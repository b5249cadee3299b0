package regsource

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/semver"
)

// lazyIndex serves fakeIndex's entries through IndexVersions, counting
// the entries read in full.
type lazyIndex struct {
	*fakeIndex
	full    map[string]int // "name@vers" → reads
	failing string         // "name@vers" whose full read fails
}

func (l *lazyIndex) IndexVersions(ctx context.Context, name string) (Heads, func(int) (*regindex.IndexEntry, error), error) {
	es, err := l.Index(ctx, name)
	if err != nil {
		return Heads{}, nil, err
	}
	heads, err := headsOf(es)
	return heads, func(i int) (*regindex.IndexEntry, error) {
		key := es[i].Name + "@" + es[i].Vers
		l.full[key]++
		if key == l.failing {
			return nil, fmt.Errorf("%s: line 1: unexpected end of JSON input", key)
		}
		e := es[i]
		return &e, nil
	}, err
}

// headsOfVersions lists versions, those ending in "!" yanked.
func headsOfVersions(vs ...string) *Heads {
	es := make([]regindex.IndexEntry, len(vs))
	for i, v := range vs {
		es[i].Vers, es[i].Yanked = strings.CutSuffix(v, "!")
	}
	h, err := headsOf(es)
	if err != nil {
		panic(err)
	}
	return &h
}

// With a lazy index the provider answers as with the full one, reading in
// full only the entries whose dependencies (or tarball) are asked for,
// each once.
func TestRegistryLazyIndexReadsOnlyWhatIsAsked(t *testing.T) {
	ctx := context.Background()
	l := &lazyIndex{fakeIndex: newFake(), full: map[string]int{}}
	p := NewRegistry(l, RegistryOptions{Name: "test"})
	vs, err := p.Versions(ctx, "lib")
	if err != nil || versions(vs) != "1.0.0 1.1.0" {
		t.Fatalf("Versions(lib) = %s, %v; want the yanked 1.2.0 left out", versions(vs), err)
	}
	if len(l.full) != 0 {
		t.Fatalf("listing versions read entries in full: %v", l.full)
	}
	root := pubgrub.Request{Root: []pubgrub.Dependency{{Name: "app", Constraint: semver.MustParseConstraint("^1")}}}
	for range 2 {
		sol, err := pubgrub.Solve(ctx, p, root)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := sol.Version("lib"); got.String() != "1.1.0" {
			t.Fatalf("solved lib@%s, want 1.1.0", got)
		}
	}
	data, err := p.Fetch(ctx, "lib", semver.MustParseVersion("1.1.0"), nil)
	if err != nil || string(data) != "lib@1.1.0" {
		t.Fatalf("Fetch(lib 1.1.0) = %q, %v", data, err)
	}
	want := map[string]int{"app@1.0.0": 1, "lib@1.1.0": 1}
	if fmt.Sprint(l.full) != fmt.Sprint(want) {
		t.Errorf("entries read in full: %v, want %v", l.full, want)
	}
	var ue *pubgrub.UnusableError
	if _, err := p.Dependencies(ctx, "bad", semver.MustParseVersion("1.0.0")); !errors.As(err, &ue) {
		t.Fatalf("a bad range: %v, want UnusableError", err)
	}

	// An entry that cannot be read fails the solve, naming the registry.
	l = &lazyIndex{fakeIndex: newFake(), full: map[string]int{}, failing: "lib@1.1.0"}
	p = NewRegistry(l, RegistryOptions{Name: "test"})
	_, err = pubgrub.Solve(ctx, p, root)
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "registry test: lib@1.1.0: line 1") {
		t.Fatalf("unreadable entry: %v", err)
	}
}

// sortVersions orders the versions that parse, a repeated version
// (build metadata aside) keeping its last entry.
func TestSortVersions(t *testing.T) {
	heads := headsOfVersions("2.0.0", "1.0.0", "bad", "1.0.0+b!", "1.0.0-rc.1", "0.9.0")
	var got []string
	vs, at := sortVersions(heads, make([]semver.Version, 0, heads.Len()))
	for k := range vs {
		got = append(got, fmt.Sprintf("%s@%d", vs[k], at[k]))
	}
	if want := "0.9.0@5 1.0.0-rc.1@4 1.0.0@3 2.0.0@0"; strings.Join(got, " ") != want {
		t.Errorf("sortVersions = %s, want %s", strings.Join(got, " "), want)
	}
	if vs, at := sortVersions(headsOfVersions("0.1.0", "0.2.0"), make([]semver.Version, 0, 2)); len(vs) != 2 || vs[1].String() != "0.2.0" || at != nil {
		t.Errorf("sortVersions of versions in order = %v %v", vs, at)
	}
	p := &regPkg{}
	p.sorted, p.at = sortVersions(heads, make([]semver.Version, 0, heads.Len()))
	for v, want := range map[string]int{"1.0.0": 3, "2.0.0": 0, "0.9.0": 5, "1.0.0-rc.1": 4, "1.5.0": -1, "3.0.0": -1, "0.1.0": -1} {
		i, ok := p.find(semver.MustParseVersion(v))
		if !ok {
			i = -1
		}
		if i != want {
			t.Errorf("find(%s) = %d, want %d", v, i, want)
		}
	}
}

// A version that does not parse shifts the entry indexes of those after
// it; in-order versions that all parse map to their own entries.
func TestSortVersionsSkipsInOrder(t *testing.T) {
	p := &regPkg{}
	p.sorted, p.at = sortVersions(headsOfVersions("0.1.0", "bad", "0.2.0"), make([]semver.Version, 0, 3))
	if i, ok := p.find(semver.MustParseVersion("0.2.0")); !ok || i != 2 || len(p.sorted) != 2 {
		t.Errorf("find(0.2.0) = %d, %v in %v; want entry 2", i, ok, p.sorted)
	}
	p.sorted, p.at = sortVersions(headsOfVersions("0.1.0", "0.2.0"), make([]semver.Version, 0, 2))
	if i, ok := p.find(semver.MustParseVersion("0.2.0")); !ok || i != 1 {
		t.Errorf("find(0.2.0) = %d, %v; want entry 1", i, ok)
	}
}

// byPos answers the same before and after it outgrows its short list.
func TestByPos(t *testing.T) {
	var b byPos[int]
	const n = 40
	for i := 0; i < n; i += 2 {
		b.set(i, n, i+100)
		b.set(i, n, i+1000) // replaced
		for j := range n {
			want := 0
			if j%2 == 0 && j <= i {
				want = j + 1000
			}
			if got := b.get(j); got != want {
				t.Fatalf("after setting %d: get(%d) = %d, want %d", i, j, got, want)
			}
		}
	}
}

// Version lists cut from the shared slab do not overlap: each package's
// list keeps its versions however many packages are read after it.
func TestRegistryVersionSlab(t *testing.T) {
	r := NewRegistry(newFake(), RegistryOptions{})
	var lists [][]semver.Version
	for i := range 3 * versionSlab / 7 {
		n := i%7 + 1
		vs := r.versionBuf(n)
		if len(vs) != 0 || cap(vs) != n {
			t.Fatalf("versionBuf(%d): len %d cap %d", n, len(vs), cap(vs))
		}
		for k := range n {
			vs = append(vs, semver.Version{Major: uint64(i), Minor: uint64(k)})
		}
		lists = append(lists, vs)
	}
	for i, vs := range lists {
		for k, v := range vs {
			if v.Major != uint64(i) || v.Minor != uint64(k) {
				t.Fatalf("list %d element %d = %s", i, k, v)
			}
		}
	}
	if big := r.versionBuf(versionSlab); cap(big) != versionSlab {
		t.Errorf("a long list: cap %d", cap(big))
	}
}

// Heads keeps each entry's version text and yanked flag, across the
// words of its bitset, and check refuses listings that break its
// invariants.
func TestHeads(t *testing.T) {
	es := make([]regindex.IndexEntry, 130)
	for i := range es {
		es[i] = regindex.IndexEntry{Vers: fmt.Sprintf("1.%d.0", i), Yanked: i == 0 || i == 63 || i == 64 || i == 129}
	}
	h, err := headsOf(es)
	if err != nil || h.check() != nil || h.Len() != len(es) {
		t.Fatal(err, h.check())
	}
	for i, e := range es {
		if h.Vers(i) != e.Vers || h.IsYanked(i) != e.Yanked {
			t.Errorf("entry %d: %q yanked %v, want %q yanked %v", i, h.Vers(i), h.IsYanked(i), e.Vers, e.Yanked)
		}
	}
	if h, err := headsOf(es[1:63]); err != nil || h.Yanked != nil {
		t.Errorf("no entry yanked: bitset %v, %v; want none kept", h.Yanked, err)
	}
	for _, bad := range []Heads{
		{Text: "1.0.0", Ends: []uint32{6}},
		{Text: "1.0.01.1.0", Ends: []uint32{5, 4}},
		{Text: "1.0.0", Ends: make([]uint32, 65), Yanked: []uint64{1}},
	} {
		if bad.check() == nil {
			t.Errorf("check(%+v) = nil, want an error", bad)
		}
	}
}

// nilIndex is a lazy index whose full reads return no entry and no error.
type nilIndex struct{ *lazyIndex }

func (n nilIndex) IndexVersions(ctx context.Context, name string) (Heads, func(int) (*regindex.IndexEntry, error), error) {
	h, _, err := n.lazyIndex.IndexVersions(ctx, name)
	return h, func(int) (*regindex.IndexEntry, error) { return nil, nil }, err
}

// A lazy index that reads no entry is an error, not a crash.
func TestRegistryLazyIndexWithoutEntry(t *testing.T) {
	p := NewRegistry(nilIndex{&lazyIndex{fakeIndex: newFake(), full: map[string]int{}}}, RegistryOptions{Name: "test"})
	if _, err := p.Dependencies(context.Background(), "lib", semver.MustParseVersion("1.1.0")); err == nil || !strings.Contains(err.Error(), "read no entry") {
		t.Errorf("Dependencies with no entry read: %v", err)
	}
}
