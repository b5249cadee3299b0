package regsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/semver"
)

// fakeIndex serves index entries and tarballs from memory.
type fakeIndex struct {
	entries  map[string][]regindex.IndexEntry
	tarballs map[string][]byte // cksum → bytes
	fetches  map[string]int
}

func (f *fakeIndex) Index(ctx context.Context, name string) ([]regindex.IndexEntry, error) {
	f.fetches[name]++
	es, ok := f.entries[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, regindex.ErrPackageNotFound)
	}
	return es, nil
}

func (f *fakeIndex) Download(ctx context.Context, e regindex.IndexEntry) ([]byte, error) {
	return f.tarballs[e.Cksum], nil
}

func cksum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newFake() *fakeIndex {
	f := &fakeIndex{entries: map[string][]regindex.IndexEntry{}, tarballs: map[string][]byte{}, fetches: map[string]int{}}
	add := func(name, vers string, yanked bool, deps ...regindex.Dep) {
		tb := []byte(name + "@" + vers)
		f.tarballs[cksum(tb)] = tb
		f.entries[name] = append(f.entries[name], regindex.IndexEntry{Name: name, Vers: vers, Deps: deps, Cksum: cksum(tb), Yanked: yanked})
	}
	add("app", "1.0.0", false, regindex.Dep{Name: "lib", Req: "^1.0.0"})
	add("lib", "1.0.0", false)
	add("lib", "1.1.0", false)
	add("lib", "1.2.0", true)
	add("bad", "1.0.0", false, regindex.Dep{Name: "lib", Req: "not a range"})
	return f
}

func versions(vs []semver.Version) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.String())
	}
	return strings.Join(s, " ")
}

func TestRegistryProvider(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	p := NewRegistry(f, RegistryOptions{Name: "test"})
	vs, err := p.Versions(ctx, "lib")
	if err != nil || versions(vs) != "1.0.0 1.1.0" {
		t.Fatalf("Versions(lib) = %s, %v; want the yanked 1.2.0 left out", versions(vs), err)
	}
	if len(p.Warnings()) != 0 {
		t.Fatalf("warnings without a lock: %v", p.Warnings())
	}
	deps, err := p.Dependencies(ctx, "app", semver.MustParseVersion("1.0.0"))
	if err != nil || len(deps) != 1 || deps[0].Name != "lib" || !deps[0].Constraint.Contains(semver.MustParseVersion("1.1.0")) || deps[0].Constraint.Contains(semver.MustParseVersion("2.0.0")) {
		t.Fatalf("Dependencies(app) = %+v, %v", deps, err)
	}
	if !strings.Contains(deps[0].Source, "app@1.0.0") {
		t.Errorf("source %q does not name the requirer", deps[0].Source)
	}
	var ue *pubgrub.UnusableError
	if _, err := p.Dependencies(ctx, "bad", semver.MustParseVersion("1.0.0")); !errors.As(err, &ue) {
		t.Fatalf("a bad range: %v, want UnusableError", err)
	}
	if _, err := p.Versions(ctx, "nope"); !errors.Is(err, pubgrub.ErrNotFound) {
		t.Fatalf("missing package: %v, want pubgrub.ErrNotFound", err)
	}
	p.Versions(ctx, "lib")
	if f.fetches["lib"] != 1 {
		t.Fatalf("lib's index fetched %d times", f.fetches["lib"])
	}

	// A lock that already names the yanked version keeps it, with a warning.
	locked := NewRegistry(f, RegistryOptions{Name: "test", Locked: map[string]semver.Version{"lib": semver.MustParseVersion("1.2.0")}})
	vs, _ = locked.Versions(ctx, "lib")
	if versions(vs) != "1.0.0 1.1.0 1.2.0" {
		t.Fatalf("locked Versions(lib) = %s", versions(vs))
	}
	if w := locked.Warnings(); len(w) != 1 || !strings.Contains(w[0], "lib@1.2.0 is yanked") {
		t.Fatalf("warnings = %v", w)
	}

	// The manifest's depends_on for a component is added.
	extra := NewRegistry(f, RegistryOptions{ManifestDeps: map[string][]pubgrub.Dependency{
		"lib": {{Name: "app", Constraint: semver.MustParseConstraint("^1"), Source: "manifests/components.yaml:7"}},
	}})
	if deps, err := extra.Dependencies(ctx, "lib", semver.MustParseVersion("1.0.0")); err != nil || len(deps) != 1 || deps[0].Source != "manifests/components.yaml:7" {
		t.Fatalf("with manifest deps: %+v %v", deps, err)
	}

	// Solving over the provider.
	sol, err := pubgrub.Solve(ctx, p, pubgrub.Request{Root: []pubgrub.Dependency{{Name: "app", Constraint: semver.MustParseConstraint("^1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := sol.Versions["lib"].String(); got != "1.1.0" {
		t.Fatalf("solved lib@%s, want 1.1.0 (1.2.0 is yanked)", got)
	}
}

func TestRegistryFetchVerifiesSignature(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	priv, _, line, err := regindex.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := regindex.ParsePublicKey(line)
	tb := f.tarballs[f.entries["lib"][0].Cksum]
	sig, err := regindex.Sign(priv, tb, "lib@1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	f.entries["lib"][0].Sig = sig
	p := NewRegistry(f, RegistryOptions{})
	if _, err := p.Fetch(ctx, "lib", semver.MustParseVersion("1.0.0"), []minisign.PublicKey{key}); err != nil {
		t.Fatalf("signed version: %v", err)
	}
	if _, err := p.Fetch(ctx, "lib", semver.MustParseVersion("1.1.0"), []minisign.PublicKey{key}); !errors.Is(err, regindex.ErrUnsigned) {
		t.Fatalf("unsigned version with trusted keys: %v", err)
	}
	if _, err := p.Fetch(ctx, "lib", semver.MustParseVersion("1.1.0"), nil); err != nil {
		t.Fatalf("unsigned version without trusted keys: %v", err)
	}
}

// TestRegistrySameAnswerSameSlice checks that asking again returns the
// slices of the first answer (the solver caches by their identity) and
// that an unusable version stays unusable.
func TestRegistrySameAnswerSameSlice(t *testing.T) {
	ctx := context.Background()
	r := NewRegistry(newFake(), RegistryOptions{})
	vs1, err1 := r.Versions(ctx, "lib")
	vs2, err2 := r.Versions(ctx, "lib")
	if err1 != nil || err2 != nil || len(vs1) != 2 || &vs1[0] != &vs2[0] {
		t.Fatalf("Versions: %v %v, %v %v: want the same two-element slice twice", vs1, err1, vs2, err2)
	}
	d1, err1 := r.Dependencies(ctx, "app", semver.MustParseVersion("1.0.0"))
	d2, err2 := r.Dependencies(ctx, "app", semver.MustParseVersion("1.0.0+build"))
	if err1 != nil || err2 != nil || len(d1) != 1 || &d1[0] != &d2[0] {
		t.Fatalf("Dependencies: %v %v, %v %v: want the same one-element slice twice", d1, err1, d2, err2)
	}
	for range 2 {
		_, err := r.Dependencies(ctx, "bad", semver.MustParseVersion("1.0.0"))
		var ue *pubgrub.UnusableError
		if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "not a range") {
			t.Fatalf("bad 1.0.0: %v, want an UnusableError naming the range", err)
		}
	}
}

// gatedIndex serves one version of every package, holding each fetch
// until gate is closed, and counts fetches and how many run at once.
type gatedIndex struct {
	gate    chan struct{}
	started chan string
	mu      sync.Mutex
	now     int
	most    int
	fetches map[string]int
}

func (g *gatedIndex) Index(ctx context.Context, name string) ([]regindex.IndexEntry, error) {
	g.mu.Lock()
	g.fetches[name]++
	g.now++
	g.most = max(g.most, g.now)
	g.mu.Unlock()
	g.started <- name
	<-g.gate
	g.mu.Lock()
	g.now--
	g.mu.Unlock()
	return []regindex.IndexEntry{{Name: name, Vers: "1.0.0"}}, nil
}

func (g *gatedIndex) Download(ctx context.Context, e regindex.IndexEntry) ([]byte, error) {
	return nil, errors.New("not served")
}

func TestRegistryPrefetchBoundedOnce(t *testing.T) {
	ctx := context.Background()
	const n, jobs = 12, 2
	g := &gatedIndex{gate: make(chan struct{}), started: make(chan string, 2*n), fetches: map[string]int{}}
	p := NewRegistry(g, RegistryOptions{Jobs: jobs})
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("p%d", i))
	}
	p.Prefetch(ctx, names)
	p.Prefetch(ctx, names) // queued already: not queued again
	for range jobs {
		<-g.started // both workers are fetching, held by the gate
	}
	close(g.gate)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, name := range names {
		wg.Go(func() {
			vs, err := p.Versions(ctx, name)
			if err == nil && versions(vs) != "1.0.0" {
				err = fmt.Errorf("versions %s", versions(vs))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Versions(%s): %v", names[i], err)
		}
	}
	for _, name := range names {
		if g.fetches[name] != 1 {
			t.Errorf("%s fetched %d times, want once", name, g.fetches[name])
		}
	}
	if g.most > jobs {
		t.Errorf("%d fetches ran at once, want at most Jobs = %d", g.most, jobs)
	}
}

// With NoPrefetch, asking for a version's dependencies reads no other
// package's index: each is read when the solver lists its versions, once,
// and the answer is the same.
func TestRegistryNoPrefetch(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	p := NewRegistry(f, RegistryOptions{Name: "test", NoPrefetch: true})
	deps, err := p.Dependencies(ctx, "app", semver.MustParseVersion("1.0.0"))
	if err != nil || len(deps) != 1 || deps[0].Name != "lib" {
		t.Fatalf("Dependencies(app 1.0.0) = %v, %v", deps, err)
	}
	if f.fetches["lib"] != 0 {
		t.Fatalf("lib fetched %d times before it was asked for, want 0", f.fetches["lib"])
	}
	sol, err := pubgrub.Solve(ctx, p, pubgrub.Request{Root: []pubgrub.Dependency{{Name: "app", Constraint: semver.MustParseConstraint("^1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := sol.Version("lib"); got.String() != "1.1.0" {
		t.Fatalf("solved lib@%s, want 1.1.0", got)
	}
	if f.fetches["app"] != 1 || f.fetches["lib"] != 1 {
		t.Errorf("fetches %v, want app and lib once each", f.fetches)
	}
}

// A requirement text is parsed once: dependencies written the same share
// one Set, and a text that does not parse is not kept.
func TestRegistryConstraintOnce(t *testing.T) {
	r := NewRegistry(newFake(), RegistryOptions{})
	a, err1 := r.constraint("^1.2.0")
	b, err2 := r.constraint("^1.2.0")
	if err1 != nil || err2 != nil || a.Key() != b.Key() || a.String() != semver.MustParseConstraint("^1.2.0").String() {
		t.Fatalf("constraint(^1.2.0) twice: %v (%v), %v (%v); want one Set", a, err1, b, err2)
	}
	for range 2 {
		if _, err := r.constraint("not a range"); err == nil {
			t.Fatal("a bad range parsed")
		}
	}
	if len(r.reqs) != 1 {
		t.Errorf("%d texts kept, want 1", len(r.reqs))
	}
}
