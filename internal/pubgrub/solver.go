package pubgrub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/semver"
)

// causeKind says where an incompatibility comes from.
type causeKind uint8

const (
	causeRoot       causeKind = iota // the root must be selected
	causeDependency                  // a package version depends on another package
	causeNoVersions                  // no existing version matches
	causeNotFound                    // the package does not exist
	causeUnusable                    // the provider excluded this version
	causeConflict                    // derived during conflict resolution
)

// incompat is a set of terms that must not all hold at once.
type incompat struct {
	terms []term
	// causeDependency (and causeNoVersions when hasDecl): the declared
	// constraint and where.
	decl   semver.Set
	source string
	// causeUnusable, causeNotFound: the provider's reason.
	reason string
	// causeConflict: the two incompatibilities it was derived from.
	c1, c2  int32
	kind    causeKind
	hasDecl bool
	// override applied to this dependency, if any.
	overridden bool
}

type assignment struct {
	t        term
	acc      term // intersection of this package's assignments up to here
	prev     int32
	level    int32
	cause    int32 // incompatibility index; -1 for a decision
	decision bool
}

type pkgInfo struct {
	name     string
	gid      int32            // the name's id in solver.cache
	versions []semver.Version // ascending
	notFound string           // provider's not-found message
	// mergedHead and mergedTail are 1 + the first and last index into
	// solver.merged of the dependency incompatibilities added for this
	// package (0: none), each covering the run of adjacent versions
	// [lo, hi] that declare the same dependency, in the order added.
	mergedHead, mergedTail int32
	// tried counts the versions whose dependencies were added.
	tried int
	// vers holds per-version state, made when a second version needs
	// state; until then first holds the state of version index firstVi
	// (when hasFirst). Most packages of a large solve have one version
	// looked at: the one chosen.
	vers     []verState
	first    verState
	firstVi  int32
	hasFirst bool
}

// verState is what the solver knows about one version of a package.
type verState struct {
	raw     rawDeps // the provider's answer, when fetched
	fetched bool
	entry   int32 // 1 + index into solver.depList once its incompatibilities are added
}

type mergedDep struct {
	dep    int32 // the package depended on
	lo, hi int
	id     int32
	next   int32 // 1 + index of the package's next entry, 0 at the end
}

type rawDeps struct {
	deps []Dependency
	ok   bool // false: the provider failed or the version is unusable
}

type depsEntry struct {
	deps     []Dependency // after overrides
	unusable string
	added    []int32 // incompatibilities added for it
}

type pkgState struct {
	last    int32 // last assignment index, -1 when none
	decided bool
	// boosted is set once the package was rejected in
	// Request.PrioritizeConflicts conflicts, counted in conflicts.
	boosted   bool
	conflicts int32
}

type solver struct {
	ctx context.Context
	p   Provider
	req Request

	// local[gid] is 1 + the package id of the name with cache id gid in
	// this solve, 0 when the solve has not met it.
	local []int32
	pkgs  []pkgInfo
	state []pkgState
	// queue holds decision candidates (packages with an undecided
	// positive derivation) by candidate count; entries go stale when the
	// package changes and are checked when popped.
	queue candidates
	// contra[id] is 1 + the decision level at which incompatibility id
	// became contradicted, 0 when not known to be; byLevel lists them per
	// level so backtracking can forget exactly those above the new level.
	contra  []int32
	byLevel [][]int32
	inc     []incompat
	byPkg   [][]int32
	assigns []assignment
	level   int32

	inChanged []bool
	stats     Stats
	chosen    []chosenPkg              // scratch for solution
	replaced  map[string][]Requirement // overrides applied: name → replaced requirements

	// depList holds the dependency entries of versions tried, indexed
	// from pkgInfo.vers.
	depList []depsEntry

	// terms backs the term lists of dependency incompatibilities (its
	// current chunk: see pushChunk).
	terms []term
	// words backs the bit sets of packages with more than 64 versions.
	words wordArena
	// merged holds every package's merged dependency entries, linked
	// from pkgInfo.mergedHead.
	merged []mergedDep
	// verArena backs pkgInfo.vers, and addedArena depsEntry.added.
	verArena   []verState
	addedArena []int32

	// cache outlives the solve: see solverCache.
	cache solverCache
}

// solvers keeps released solvers so that their slices, maps and caches
// are reused: a batch of solves (a benchmark, suggestion checks) allocates
// little. Unlike a sync.Pool, it keeps them across garbage collections,
// which would otherwise drop the caches every few solves; it holds at most
// maxIdleSolvers.
var solvers struct {
	mu   sync.Mutex
	idle []*solver
}

const maxIdleSolvers = 8

func newSolver(ctx context.Context, p Provider, req Request) *solver {
	solvers.mu.Lock()
	var s *solver
	if n := len(solvers.idle); n > 0 {
		s = solvers.idle[n-1]
		solvers.idle[n-1] = nil
		solvers.idle = solvers.idle[:n-1]
	}
	solvers.mu.Unlock()
	if s == nil {
		s = &solver{}
	}
	s.ctx, s.p, s.req = ctx, p, req
	return s
}

// release empties s and returns it to the idle list. Nothing s holds may
// be referenced by a result: solutions and errors copy what they keep.
func (s *solver) release() {
	for _, info := range s.pkgs {
		s.local[info.gid] = 0
	}
	clear(s.pkgs)
	s.pkgs = s.pkgs[:0]
	s.state = s.state[:0]
	s.byPkg = s.byPkg[:0]
	clear(s.inc)
	s.inc = s.inc[:0]
	s.assigns = s.assigns[:0]
	s.level = 0
	s.stats = Stats{}
	s.inChanged = s.inChanged[:0]
	s.replaced = nil
	clear(s.depList)
	s.depList = s.depList[:0]
	s.queue.h = s.queue.h[:0]
	s.contra = s.contra[:0]
	s.byLevel = s.byLevel[:0]
	clear(s.terms)
	s.terms = s.terms[:0]
	s.words.reset()
	s.merged = s.merged[:0]
	clear(s.verArena) // drop the provider's slices
	s.verArena = s.verArena[:0]
	s.addedArena = s.addedArena[:0]
	if s.cache.trim() {
		s.local = nil // the name ids start again
	}
	s.ctx, s.p, s.req = nil, nil, Request{}
	solvers.mu.Lock()
	if len(solvers.idle) < maxIdleSolvers {
		solvers.idle = append(solvers.idle, s)
	}
	solvers.mu.Unlock()
}

// grow2 appends an empty inner slice to a slice of slices, reusing the
// inner slice's array left from an earlier solve when there is one.
func grow2(ss [][]int32) [][]int32 {
	if len(ss) < cap(ss) {
		ss = ss[:len(ss)+1]
		ss[len(ss)-1] = ss[len(ss)-1][:0]
		return ss
	}
	return append(ss, nil)
}

// push appends vs to s, doubling s's capacity when it is full. The
// solver's global slices (incompatibilities, assignments, terms) reach
// hundreds of thousands of elements in a large solve, where append's
// 1.25x steps copy each element about four times; doubling copies it
// about once.
func push[T any](s []T, vs ...T) []T {
	if len(s)+len(vs) > cap(s) {
		n := make([]T, len(s), 2*cap(s)+len(vs)+64)
		copy(n, s)
		s = n
	}
	return append(s, vs...)
}

// pushChunk appends vs to s like push, but when s is full it starts a new
// array instead of copying s into a bigger one: for slices only ever
// read through sub-slices taken when appended (the terms of dependency
// incompatibilities), the earlier arrays stay referenced by those
// sub-slices and need not move.
func pushChunk[T any](s []T, vs ...T) []T {
	if len(s)+len(vs) > cap(s) {
		s = make([]T, 0, max(2*cap(s), len(vs), 1024))
	}
	return append(s, vs...)
}

// rootVersions is the root's one version; never modified.
var rootVersions = []semver.Version{{}}

// pkg returns the id of name, loading its version list on first use.
func (s *solver) pkg(name string) (int32, error) { return s.pkgG(s.cache.gid(name)) }

// pkgG is pkg for the name with cache id gid.
func (s *solver) pkgG(gid int32) (int32, error) {
	if int(gid) < len(s.local) && s.local[gid] > 0 {
		return s.local[gid] - 1, nil
	}
	name := s.cache.names[gid]
	id := int32(len(s.pkgs))
	info := pkgInfo{name: name, gid: gid}
	if id == 0 {
		info.versions = rootVersions
	} else {
		vs, err := s.p.Versions(s.ctx, name)
		switch {
		case errors.Is(err, ErrNotFound):
			info.notFound = err.Error()
		case err != nil:
			return 0, fmt.Errorf("listing versions of %s: %w", name, err)
		default:
			info.versions = s.cache.ascending(gid, vs)
		}
	}
	for len(s.local) <= int(gid) {
		s.local = push(s.local, 0)
	}
	s.local[gid] = id + 1
	s.pkgs = push(s.pkgs, info)
	s.state = push(s.state, pkgState{last: -1})
	s.byPkg = grow2(s.byPkg)
	s.inChanged = push(s.inChanged, false)
	return id, nil
}

// n is the size of pkg's version domain: its existing versions plus one
// phantom element (index len(versions)) standing for versions that do not
// exist. A constraint matching no existing version holds only the phantom,
// so "lib ^3.0.0" with no 3.x stays a satisfiable term during propagation
// and fails at decision time as "no versions of lib match ^3.0.0", as in
// pub. The phantom is never chosen.
func (s *solver) n(pkg int32) int { return len(s.pkgs[pkg].versions) + 1 }

// real returns b without the phantom element.
func (s *solver) real(pkg int32, b vbits) vbits {
	if b.big == nil {
		return vbits{small: b.small &^ (1 << uint(s.n(pkg)-1))}
	}
	return b.andNot(singleBit(s.n(pkg), s.n(pkg)-1, &s.words), &s.words)
}

// acc is the partial solution's running intersection for pkg.
func (s *solver) acc(pkg int32) (term, bool) {
	l := s.state[pkg].last
	if l < 0 {
		return term{}, false
	}
	return s.assigns[l].acc, true
}

func (s *solver) addIncompat(ic incompat) int32 {
	id := int32(len(s.inc))
	s.inc = push(s.inc, ic)
	s.learn(id)
	return id
}

// learn indexes incompatibility id by its packages, so propagation sees it.
func (s *solver) learn(id int32) {
	for _, t := range s.inc[id].terms {
		s.byPkg[t.pkg] = append(s.byPkg[t.pkg], id)
	}
}

func (s *solver) assign(t term, cause int32, decision bool) {
	st := &s.state[t.pkg]
	acc := t
	if st.last >= 0 {
		acc = s.assigns[st.last].acc.intersect(t, &s.words)
	}
	s.assigns = push(s.assigns, assignment{t: t, acc: acc, prev: st.last, level: s.level, cause: cause, decision: decision})
	st.last = int32(len(s.assigns) - 1)
	if decision {
		st.decided = true
		return
	}
	s.enqueue(t.pkg)
}

// enqueue offers pkg as a decision candidate if it is one.
func (s *solver) enqueue(pkg int32) {
	st := s.state[pkg]
	if st.last < 0 || st.decided {
		return
	}
	acc := s.assigns[st.last].acc
	if acc.positive() {
		s.queue.push(candidate{count: s.candidates(pkg, acc), pkg: pkg, boost: st.boosted})
	}
}

// involved counts pkg's part in a conflict, as pubgrub-rs's conflict
// statistics that uv prioritises by: whether its assignment was the one
// rejected or it was part of the cause. Past Request.PrioritizeConflicts
// counts, pkg goes ahead of the packages not so boosted.
func (s *solver) involved(pkg int32) {
	th := s.req.PrioritizeConflicts
	if th <= 0 || pkg == 0 {
		return
	}
	st := &s.state[pkg]
	st.conflicts++
	if !st.boosted && int(st.conflicts) >= th {
		st.boosted = true
		s.enqueue(pkg)
	}
}

// candidates counts the existing versions acc allows.
func (s *solver) candidates(pkg int32, acc term) int32 {
	c := acc.b.count()
	if acc.b.has(s.n(pkg) - 1) {
		c-- // the phantom is not a candidate
	}
	return int32(c)
}

func (s *solver) backtrack(level int32) {
	for len(s.assigns) > 0 {
		a := s.assigns[len(s.assigns)-1]
		if a.level <= level {
			break
		}
		s.assigns = s.assigns[:len(s.assigns)-1]
		st := &s.state[a.t.pkg]
		st.last = a.prev
		if a.decision {
			st.decided = false
		}
		s.enqueue(a.t.pkg)
	}
	for l := int(level) + 1; l < len(s.byLevel); l++ {
		for _, id := range s.byLevel[l] {
			s.contra[id] = 0
		}
		s.byLevel[l] = s.byLevel[l][:0]
	}
	s.level = level
}

// contradicted remembers that incompatibility id is contradicted through
// term t, from the decision level of the earliest assignment that makes
// the partial solution disjoint from t; propagation skips it until
// backtracking goes below that level.
func (s *solver) contradicted(id int32, t term) {
	idx := s.state[t.pkg].last
	for {
		prev := s.assigns[idx].prev
		if prev < 0 || !s.assigns[prev].acc.disjoint(t) {
			break
		}
		idx = prev
	}
	l := s.assigns[idx].level
	for len(s.contra) <= int(id) {
		s.contra = append(s.contra, 0)
	}
	for len(s.byLevel) <= int(l) {
		s.byLevel = grow2(s.byLevel)
	}
	s.contra[id] = l + 1
	s.byLevel[l] = append(s.byLevel[l], id)
}

type relation uint8

const (
	relSatisfied relation = iota
	relContradicted
	relInconclusive
	relAlmost
)

func (s *solver) relTerm(t term) relation {
	acc, ok := s.acc(t.pkg)
	if !ok {
		// Nothing known yet. Even a term no version contradicts ("not d
		// ^9" when d has no 9.x) stays inconclusive, so that propagation
		// derives "d ^9", which then fails with "no versions match".
		return relInconclusive
	}
	if acc.subsetOf(t) {
		return relSatisfied
	}
	if acc.disjoint(t) {
		return relContradicted
	}
	return relInconclusive
}

// relation of incompatibility id to the partial solution; for relAlmost,
// the index of the one term not satisfied.
func (s *solver) relation(id int32) (relation, int) {
	if int(id) < len(s.contra) && s.contra[id] != 0 {
		return relContradicted, -1
	}
	unsat := -1
	for i, t := range s.inc[id].terms {
		switch s.relTerm(t) {
		case relContradicted:
			s.contradicted(id, t)
			return relContradicted, -1
		case relInconclusive:
			if unsat >= 0 {
				return relInconclusive, -1
			}
			unsat = i
		}
	}
	if unsat < 0 {
		return relSatisfied, -1
	}
	return relAlmost, unsat
}

func (s *solver) run() (*Solution, error) {
	root, err := s.pkg(s.req.RootName)
	if err != nil {
		return nil, err
	}
	s.terms = append(s.terms, term{pkg: root, b: emptyBits(1, nil), none: true})
	s.addIncompat(incompat{kind: causeRoot, terms: s.terms[len(s.terms)-1 : len(s.terms) : len(s.terms)]})
	next := root
	for {
		if err := s.propagate(next); err != nil {
			return nil, err
		}
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		p, done, err := s.choose()
		if err != nil {
			return nil, err
		}
		if done {
			return s.solution(), nil
		}
		next = p
	}
}

func (s *solver) propagate(start int32) error {
	changed := []int32{start}
	s.inChanged[start] = true
	for len(changed) > 0 {
		pkg := changed[0]
		changed = changed[1:]
		s.inChanged[pkg] = false
		list := s.byPkg[pkg]
	scan:
		for k := len(list) - 1; k >= 0; k-- {
			id := list[k]
			rel, unsat := s.relation(id)
			switch rel {
			case relSatisfied:
				rootCause, err := s.resolveConflict(id)
				if err != nil {
					return err
				}
				rel, unsat = s.relation(rootCause)
				if rel != relAlmost {
					return fmt.Errorf("pubgrub: internal error: learned incompatibility is not almost satisfied after backjump")
				}
				t := s.inc[rootCause].terms[unsat]
				s.assign(t.negate(s.n(t.pkg), &s.words), rootCause, false)
				for _, c := range changed {
					s.inChanged[c] = false
				}
				changed = append(changed[:0], t.pkg)
				s.inChanged[t.pkg] = true
				break scan
			case relAlmost:
				t := s.inc[id].terms[unsat]
				s.assign(t.negate(s.n(t.pkg), &s.words), id, false)
				if !s.inChanged[t.pkg] {
					s.inChanged[t.pkg] = true
					changed = append(changed, t.pkg)
				}
			}
		}
	}
	return nil
}

// satisfier returns the earliest assignment of t's package after which
// the partial solution satisfies t.
func (s *solver) satisfier(t term) int32 {
	idx := s.state[t.pkg].last
	for {
		a := s.assigns[idx]
		if a.prev < 0 || !s.assigns[a.prev].acc.subsetOf(t) {
			return idx
		}
		idx = a.prev
	}
}

func (s *solver) isFailure(ic *incompat) bool {
	return len(ic.terms) == 0 || (len(ic.terms) == 1 && ic.terms[0].pkg == 0 && ic.terms[0].positive())
}

func (s *solver) resolveConflict(id int32) (int32, error) {
	isNew := false
	for {
		ic := &s.inc[id]
		if s.isFailure(ic) {
			return 0, s.noSolution(id)
		}
		recent := -1
		var recentSat int32 = -1
		var prevLevel int32 = 1
		for i, t := range ic.terms {
			sat := s.satisfier(t)
			if recentSat < 0 || sat > recentSat {
				if recentSat >= 0 {
					prevLevel = max(prevLevel, s.assigns[recentSat].level)
				}
				recent, recentSat = i, sat
			} else {
				prevLevel = max(prevLevel, s.assigns[sat].level)
			}
		}
		rt := ic.terms[recent]
		sat := s.assigns[recentSat]
		if !isNew {
			s.stats.Conflicts++
		}
		// Every step of the derivation counts against the package whose
		// assignment it rejects and the others it involves.
		s.involved(sat.t.pkg)
		for _, t := range ic.terms {
			if t.pkg != sat.t.pkg {
				s.involved(t.pkg)
			}
		}
		n := s.n(rt.pkg)
		diff := sat.t.intersect(rt.negate(n, &s.words), &s.words)
		hasDiff := !diff.isEmpty()
		if hasDiff {
			prevLevel = max(prevLevel, s.assigns[s.satisfier(diff.negate(n, &s.words))].level)
		}
		if sat.decision || prevLevel != sat.level {
			if isNew {
				s.learn(id)
			}
			s.backtrack(prevLevel)
			return id, nil
		}
		var terms []term
		for i, t := range ic.terms {
			if i != recent {
				terms = append(terms, t)
			}
		}
		for _, t := range s.inc[sat.cause].terms {
			if t.pkg != sat.t.pkg {
				terms = append(terms, t)
			}
		}
		if hasDiff {
			terms = append(terms, diff.negate(n, &s.words))
		}
		terms = mergeTerms(terms, &s.words)
		if len(terms) > 1 {
			terms = slices.DeleteFunc(terms, func(t term) bool { return t.pkg == 0 && t.positive() })
		}
		// The derived incompatibility is kept aside (not indexed) until it
		// is learned; its causes are id and the satisfier's cause.
		s.inc = push(s.inc, incompat{terms: terms, kind: causeConflict, c1: id, c2: sat.cause})
		id = int32(len(s.inc) - 1)
		isNew = true
	}
}

// mergeTerms intersects terms about the same package, keeping the order of
// first appearance.
func mergeTerms(terms []term, al *wordArena) []term {
	out := terms[:0:0]
	for _, t := range terms {
		merged := false
		for i := range out {
			if out[i].pkg == t.pkg {
				out[i] = out[i].intersect(t, al)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, t)
		}
	}
	return out
}

// choose makes the next decision. It returns done when every package with
// a positive derivation is decided.
func (s *solver) choose() (int32, bool, error) {
	best := int32(-1)
	for s.queue.len() > 0 {
		c := s.queue.pop()
		st := s.state[c.pkg]
		if st.last < 0 || st.decided {
			continue
		}
		acc := s.assigns[st.last].acc
		if !acc.positive() || s.candidates(c.pkg, acc) != c.count || c.boost != st.boosted {
			continue // stale
		}
		best = c.pkg
		break
	}
	if best < 0 {
		return 0, true, nil
	}
	acc, _ := s.acc(best)
	vi := s.pick(best, s.real(best, acc.b))
	if vi < 0 {
		kind := causeNoVersions
		if s.pkgs[best].notFound != "" {
			kind = causeNotFound
		}
		ic := incompat{kind: kind, terms: []term{acc}, reason: s.pkgs[best].notFound}
		// Remember what was asked for, for the explanation: the declared
		// constraints that led here, intersected.
		for a := s.state[best].last; a >= 0; a = s.assigns[a].prev {
			if c := s.assigns[a].cause; c >= 0 && s.inc[c].kind == causeDependency {
				if ic.hasDecl {
					ic.decl = ic.decl.Intersect(s.inc[c].decl)
				} else {
					ic.decl, ic.hasDecl = s.inc[c].decl, true
				}
			}
		}
		s.addIncompat(ic)
		s.enqueue(best)
		return best, false, nil
	}
	added, err := s.dependencies(best, vi)
	if err != nil {
		return 0, false, err
	}
	conflict := false
	for _, id := range added {
		all := true
		for _, t := range s.inc[id].terms {
			if t.pkg != best && s.relTerm(t) != relSatisfied {
				all = false
				break
			}
		}
		if all {
			// This dependency rejects the version: best is affected, the
			// package depended on is the cause.
			conflict = true
			for _, t := range s.inc[id].terms {
				if t.pkg != best {
					s.involved(t.pkg)
				}
			}
		}
	}
	if conflict {
		s.stats.Conflicts++
		s.involved(best)
		s.enqueue(best) // still a candidate unless propagation says otherwise
	} else {
		s.level++
		s.stats.Decisions++
		s.assign(term{pkg: best, b: singleBit(s.n(best), vi, &s.words)}, -1, true)
	}
	return best, false, nil
}

// pick returns the version index to try for pkg among allowed, or -1.
func (s *solver) pick(pkg int32, allowed vbits) int {
	vs := s.pkgs[pkg].versions
	if pkg == 0 {
		return allowed.highest()
	}
	switch s.req.Strategy {
	case Conservative:
		return allowed.lowest()
	case First, Balanced:
		l, ok := s.req.Locked[s.pkgs[pkg].name]
		if !ok {
			break
		}
		i, found := slices.BinarySearchFunc(vs, l, semver.Compare)
		if s.req.Strategy == First {
			if found && allowed.has(i) {
				return i
			}
			break
		}
		for j := allowed.highest(); j >= 0; j-- {
			if allowed.has(j) && vs[j].Major == l.Major && vs[j].Minor == l.Minor && semver.Compare(vs[j], l) >= 0 {
				return j
			}
		}
	}
	return allowed.highest()
}

// dependencies adds the incompatibilities of pkg at version index vi and
// returns their ids.
func (s *solver) dependencies(pkg int32, vi int) ([]int32, error) {
	info := &s.pkgs[pkg]
	if e := s.ver(pkg, vi).entry; e > 0 {
		return s.depList[e-1].added, nil
	}
	var entry depsEntry
	var deps []Dependency
	if pkg == 0 {
		deps = s.req.Root
	} else {
		var err error
		deps, err = s.p.Dependencies(s.ctx, info.name, info.versions[vi])
		if err != nil {
			var ue *UnusableError
			if !errors.As(err, &ue) {
				return nil, fmt.Errorf("reading dependencies of %s %s: %w", info.name, info.versions[vi], err)
			}
			entry.unusable = ue.Reason
		}
		v := s.ver(pkg, vi)
		v.raw, v.fetched = rawDeps{deps: deps, ok: err == nil}, true
	}
	self := term{pkg: pkg, b: singleBit(s.n(pkg), vi, &s.words)}
	if entry.unusable != "" {
		entry.added = []int32{s.addIncompat(incompat{kind: causeUnusable, terms: []term{self}, reason: entry.unusable})}
		s.setDeps(pkg, vi, entry)
		return entry.added, nil
	}
	entry.deps = deps // shared with the provider until an override changes it
	shared := true
	var comp []compiledDep
	if pkg != 0 {
		comp = s.cache.compile(s.pkgs[pkg].gid, vi, deps)
	}
	entry.added = s.allocAdded(len(deps))
	for i, d := range deps {
		if d.Name == s.req.RootName {
			return nil, fmt.Errorf("%s depends on %q, which is the root's name: choose another Request.RootName", info.name, d.Name)
		}
		o, over := s.req.Overrides[d.Name]
		if over {
			if s.replaced == nil {
				s.replaced = map[string][]Requirement{}
			}
			r := Requirement{From: s.pkgs[pkg].name, IsRoot: pkg == 0, Constraint: o.Version, Source: d.Source, Overridden: true, Original: d.Constraint}
			if pkg != 0 {
				r.FromVersion = info.versions[vi]
			}
			s.replaced[d.Name] = append(s.replaced[d.Name], r)
			d.Constraint = o.Version
			if shared {
				entry.deps, shared = slices.Clone(deps), false
			}
			entry.deps[i] = d
		}
		// A package already depended on from a run holding vi is known,
		// so looking it up first makes no extra Provider call.
		var dep int32
		var err error
		if comp != nil {
			dep, err = s.pkgG(comp[i].gid)
		} else {
			dep, err = s.pkg(d.Name)
		}
		if err != nil {
			return nil, err
		}
		info = &s.pkgs[pkg] // s.pkgs may have grown
		if id, ok := s.mergedFor(pkg, vi, dep); ok {
			entry.added = append(entry.added, id)
			continue
		}
		lo, hi, from := vi, vi, self
		// Merging runs of versions pays off once a package is being
		// backtracked over; the first version tried stays on its own,
		// which keeps the common, conflict-free solve cheap.
		if dep != pkg && s.pkgs[pkg].tried > 0 {
			lo, hi = s.sameDependency(pkg, vi, deps[i])
			if lo != hi {
				from = term{pkg: pkg, b: emptyBits(s.n(pkg), &s.words)}
				from.b.setRange(lo, hi+1)
			}
		}
		var excl vbits
		switch {
		case comp != nil && !over:
			excl = s.cache.compiledExcluded(&comp[i], s.pkgs[dep].versions, d.Constraint)
		case pkg == 0 || over:
			// The request's own sets: not worth keeping past the solve.
			excl = excludedBits(s.pkgs[dep].versions, d.Constraint, &s.words)
		default:
			excl = s.cache.excluded(s.pkgs[dep].versions, d.Constraint)
		}
		s.terms = pushChunk(s.terms, from, term{pkg: dep, b: excl, none: true})
		terms := s.terms[len(s.terms)-2 : len(s.terms) : len(s.terms)]
		if dep == pkg {
			terms = mergeTerms(terms, &s.words)
			if terms[0].isEmpty() {
				continue // a package requiring itself at a version it has
			}
		}
		id := s.addIncompat(incompat{kind: causeDependency, terms: terms, decl: d.Constraint, hasDecl: true, source: d.Source, overridden: over})
		s.addMerged(pkg, mergedDep{dep: dep, lo: lo, hi: hi, id: id})
		entry.added = append(entry.added, id)
	}
	s.pkgs[pkg].tried++
	s.setDeps(pkg, vi, entry)
	return entry.added, nil
}

// mergedFor returns the dependency incompatibility on dep already added
// for a run of pkg's versions that includes vi, the first one added.
func (s *solver) mergedFor(pkg int32, vi int, dep int32) (int32, bool) {
	for e := s.pkgs[pkg].mergedHead; e != 0; e = s.merged[e-1].next {
		m := &s.merged[e-1]
		if m.dep == dep && m.lo <= vi && vi <= m.hi {
			return m.id, true
		}
	}
	return 0, false
}

// addMerged appends m to pkg's merged entries.
func (s *solver) addMerged(pkg int32, m mergedDep) {
	s.merged = push(s.merged, m)
	e := int32(len(s.merged))
	info := &s.pkgs[pkg]
	if info.mergedTail == 0 {
		info.mergedHead = e
	} else {
		s.merged[info.mergedTail-1].next = e
	}
	info.mergedTail = e
}

// allocAdded returns an empty slice with room for n incompatibility ids,
// from the solve's arena: appending past n would write into another
// version's list, and never happens (one id per dependency at most).
func (s *solver) allocAdded(n int) []int32 {
	if cap(s.addedArena)-len(s.addedArena) < n {
		// The old array stays referenced by the lists made from it.
		s.addedArena = make([]int32, 0, max(1024, 2*cap(s.addedArena), n))
	}
	l := len(s.addedArena)
	s.addedArena = s.addedArena[:l+n]
	return s.addedArena[l : l : l+n]
}

// sameDependency returns the run [lo, hi] of pkg's versions around vi that
// declare the same dependency as d (same package, same constraint, or any
// constraint when an override replaces them all). As in pub, one
// incompatibility then covers the run: "foo <1.1.0 depends on bar ^1.0.0".
func (s *solver) sameDependency(pkg int32, vi int, d Dependency) (int, int) {
	_, over := s.req.Overrides[d.Name]
	same := func(j int) bool {
		r := s.rawAt(pkg, j)
		if !r.ok {
			return false
		}
		for _, e := range r.deps {
			if e.Name == d.Name {
				return over || e.Constraint.Equal(d.Constraint)
			}
		}
		return false
	}
	lo, hi := vi, vi
	for lo > 0 && same(lo-1) {
		lo--
	}
	for hi+1 < len(s.pkgs[pkg].versions) && same(hi+1) {
		hi++
	}
	return lo, hi
}

// ver returns the state of pkg's version index vi. The pointer is good
// until the next call of ver or pkgG (which may move s.pkgs).
func (s *solver) ver(pkg int32, vi int) *verState {
	info := &s.pkgs[pkg]
	if info.vers == nil {
		switch {
		case !info.hasFirst:
			info.hasFirst, info.firstVi = true, int32(vi)
			return &info.first
		case int(info.firstVi) == vi:
			return &info.first
		}
		n := len(info.versions)
		if cap(s.verArena)-len(s.verArena) < n {
			// Lists already made keep the old array; it is zero beyond them.
			s.verArena = make([]verState, 0, max(1024, 2*cap(s.verArena), n))
		}
		l := len(s.verArena)
		s.verArena = s.verArena[:l+n]
		info.vers = s.verArena[l : l+n : l+n]
		info.vers[info.firstVi], info.first = info.first, verState{}
	}
	return &info.vers[vi]
}

// rawAt returns the provider's dependencies of pkg's version j, cached.
func (s *solver) rawAt(pkg int32, j int) rawDeps {
	v := s.ver(pkg, j)
	if !v.fetched {
		deps, err := s.p.Dependencies(s.ctx, s.pkgs[pkg].name, s.pkgs[pkg].versions[j])
		v.raw, v.fetched = rawDeps{deps: deps, ok: err == nil}, true
	}
	return v.raw
}

func (s *solver) setDeps(pkg int32, vi int, e depsEntry) {
	s.depList = push(s.depList, e)
	s.ver(pkg, vi).entry = int32(len(s.depList))
}

func (s *solver) solution() *Solution {
	chosen := s.chosen[:0]
	var rootDeps []Dependency
	for p := range s.pkgs {
		st := &s.state[p]
		if !st.decided {
			continue
		}
		a := &s.assigns[st.last]
		for !a.decision {
			a = &s.assigns[a.prev]
		}
		vi := a.t.b.lowest()
		if p == 0 {
			rootDeps = s.depList[s.ver(0, vi).entry-1].deps
			continue
		}
		chosen = append(chosen, chosenPkg{gid: s.pkgs[p].gid, pkg: int32(p), vi: int32(vi)})
	}
	// Sorted by name, comparing the names' ranks in the cache when known.
	if rank := s.cache.ranks(len(chosen)); rank != nil {
		slices.SortFunc(chosen, func(a, b chosenPkg) int { return int(rank[a.gid] - rank[b.gid]) })
	} else {
		names := s.cache.names
		slices.SortFunc(chosen, func(a, b chosenPkg) int { return strings.Compare(names[a.gid], names[b.gid]) })
	}
	s.chosen = chosen
	n := len(chosen)
	sol := &Solution{
		Names:    make([]string, n),
		Root:     s.req.RootName,
		Stats:    s.stats,
		chosen:   make([]chosenVersion, n),
		rootDeps: rootDeps,
	}
	for i, c := range chosen {
		info := &s.pkgs[c.pkg]
		sol.Names[i] = info.name
		sol.chosen[i] = chosenVersion{v: &info.versions[c.vi], deps: s.depList[s.ver(c.pkg, int(c.vi)).entry-1].deps}
	}
	if !s.req.CompactSolution {
		sol.Versions = make(map[string]semver.Version, n)
		sol.Deps = make(map[string][]Dependency, n+1)
		sol.Deps[sol.Root] = rootDeps
		for i, name := range sol.Names {
			sol.Versions[name] = *sol.chosen[i].v
			sol.Deps[name] = sol.chosen[i].deps
		}
	}
	for _, name := range sortedKeys(s.replaced) {
		if _, chosen := sol.Version(name); !chosen {
			continue
		}
		var used []Requirement
		for _, r := range s.replaced[name] {
			if r.IsRoot {
				used = append(used, r)
			} else if v, ok := sol.Version(r.From); ok && v == r.FromVersion {
				used = append(used, r)
			}
		}
		if len(used) > 0 {
			sol.Overrides = append(sol.Overrides, AppliedOverride{Name: name, Override: s.req.Overrides[name], Replaced: used})
		}
	}
	return sol
}

// chosenPkg is a decided package, for solution.
type chosenPkg struct {
	gid, pkg, vi int32
}
