package semver

import (
	"strings"
)

// minVersion is the smallest version there is: no pre-release identifier
// orders before the numeric 0.
var minVersion = Version{Pre: "0"}

// span is the half-open interval [lo, hi), or [lo, ∞) when open.
type span struct {
	lo, hi Version
	open   bool
}

// Set is a set of versions in canonical form: two Sets holding the same
// versions are Equal and render the same String. The zero value is the
// empty set. Sets are immutable values; operations return new Sets.
//
// Internally the release versions and the pre-release versions are two
// independent sorted lists of disjoint, non-adjacent half-open intervals.
// Release bounds are releases; pre-release bounds are pre-releases, so
// that each representation is unique.
type Set struct {
	rel []span
	pre []span
	// written is the constraint as its author wrote it, when the Set
	// came straight from ParseConstraint (see Written).
	written string
}

// Written is the constraint as its author wrote it ("~0.3.0", ">=1.0 <2")
// when s came straight from ParseConstraint, else String. Explanations
// use it so that people recognise their own ranges; String stays the
// canonical form.
func (s Set) Written() string {
	if s.written != "" {
		return s.written
	}
	return s.String()
}

// Full returns the set of every version, pre-releases included.
func Full() Set {
	return Set{rel: []span{{lo: Version{}, open: true}}, pre: []span{{lo: minVersion, open: true}}}
}

// Releases returns the set of every release version (what "*" means).
func Releases() Set { return Set{rel: []span{{lo: Version{}, open: true}}} }

// Exact returns the set holding only v (build metadata ignored).
func Exact(v Version) Set {
	v.Build = ""
	if v.Pre != "" {
		return Set{pre: normPre([]span{{lo: v, hi: succ(v)}})}
	}
	// What normRel makes of [v, succ(v)), built directly: the solver's
	// callers make one per root requirement.
	return Set{rel: []span{{lo: v, hi: succ(v).release()}}}
}

// IsEmpty reports whether s holds no version.
func (s Set) IsEmpty() bool { return len(s.rel) == 0 && len(s.pre) == 0 }

// IsAny reports whether s holds every version, pre-releases included.
func (s Set) IsAny() bool {
	return len(s.rel) == 1 && s.rel[0].open && s.rel[0].lo == (Version{}) &&
		len(s.pre) == 1 && s.pre[0].open && s.pre[0].lo == minVersion
}

// Contains reports whether v is in s. Build metadata is ignored.
func (s Set) Contains(v Version) bool {
	list := s.rel
	if v.Pre != "" {
		list = s.pre
	}
	for _, sp := range list {
		if Compare(v, sp.lo) < 0 {
			return false
		}
		if sp.open || Compare(v, sp.hi) < 0 {
			return true
		}
	}
	return false
}

// Intersect returns the versions in both s and o.
func (s Set) Intersect(o Set) Set {
	return Set{rel: spansIntersect(s.rel, o.rel), pre: spansIntersect(s.pre, o.pre)}
}

// Union returns the versions in s or o.
func (s Set) Union(o Set) Set {
	return Set{rel: spansUnion(s.rel, o.rel), pre: spansUnion(s.pre, o.pre)}
}

// Complement returns every version not in s.
func (s Set) Complement() Set {
	return Set{rel: spansComplement(s.rel, Version{}), pre: spansComplement(s.pre, minVersion)}
}

// Difference returns the versions in s and not in o.
func (s Set) Difference(o Set) Set { return s.Intersect(o.Complement()) }

// IsSubset reports whether every version of s is in o.
func (s Set) IsSubset(o Set) bool {
	return spansSubset(s.rel, o.rel) && spansSubset(s.pre, o.pre)
}

// IsDisjoint reports whether s and o have no version in common.
func (s Set) IsDisjoint(o Set) bool {
	return spansDisjoint(s.rel, o.rel) && spansDisjoint(s.pre, o.pre)
}

// Equal reports whether s and o hold the same versions.
func (s Set) Equal(o Set) bool { return spansEqual(s.rel, o.rel) && spansEqual(s.pre, o.pre) }

func spansEqual(a, b []span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].open != b[i].open || Compare(a[i].lo, b[i].lo) != 0 || (!a[i].open && Compare(a[i].hi, b[i].hi) != 0) {
			return false
		}
	}
	return true
}

// normRel maps spans over all versions to canonical release bounds: each
// bound becomes the smallest release at or above it.
func normRel(in []span) []span {
	var out []span
	for _, sp := range in {
		lo := sp.lo.release()
		hi := sp.hi.release()
		if !sp.open && Compare(lo, hi) >= 0 {
			continue
		}
		out = spansUnion(out, []span{{lo: lo, hi: hi, open: sp.open}})
	}
	return out
}

// normPre maps spans to canonical pre-release bounds: each bound becomes
// the smallest pre-release at or above it.
func normPre(in []span) []span {
	up := func(v Version) Version {
		if v.Pre == "" {
			return succ(v)
		}
		return v
	}
	var out []span
	for _, sp := range in {
		lo, hi := up(sp.lo), Version{}
		if !sp.open {
			hi = up(sp.hi)
			if Compare(lo, hi) >= 0 {
				continue
			}
		}
		out = spansUnion(out, []span{{lo: lo, hi: hi, open: sp.open}})
	}
	return out
}

// hiLess reports whether a's upper bound is below b's.
func hiLess(a, b span) bool {
	if a.open {
		return false
	}
	return b.open || Compare(a.hi, b.hi) < 0
}

func spansUnion(a, b []span) []span {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]span, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next span
		if j == len(b) || (i < len(a) && Compare(a[i].lo, b[j].lo) <= 0) {
			next = a[i]
			i++
		} else {
			next = b[j]
			j++
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.open || Compare(next.lo, last.hi) <= 0 {
				if hiLess(*last, next) {
					last.hi, last.open = next.hi, next.open
				}
				continue
			}
		}
		out = append(out, next)
	}
	return out
}

func spansIntersect(a, b []span) []span {
	var out []span
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if o, ok := overlap(a[i], b[j]); ok {
			out = append(out, o)
		}
		if hiLess(a[i], b[j]) {
			i++
		} else {
			j++
		}
	}
	return out
}

// overlap returns the versions spans a and b share, and whether there
// are any.
func overlap(a, b span) (span, bool) {
	lo := a.lo
	if Compare(b.lo, lo) > 0 {
		lo = b.lo
	}
	hi := a
	if hiLess(b, a) {
		hi = b
	}
	return span{lo: lo, hi: hi.hi, open: hi.open}, hi.open || Compare(lo, hi.hi) < 0
}

func spansComplement(a []span, min Version) []span {
	var out []span
	prev := min
	for _, sp := range a {
		if Compare(sp.lo, prev) > 0 {
			out = append(out, span{lo: prev, hi: sp.lo})
		}
		if sp.open {
			return out
		}
		prev = sp.hi
	}
	return append(out, span{lo: prev, open: true})
}

func spansDisjoint(a, b []span) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if _, ok := overlap(a[i], b[j]); ok {
			return false
		}
		if hiLess(a[i], b[j]) {
			i++
		} else {
			j++
		}
	}
	return true
}

// spansSubset reports a ⊆ b: every span of a lies inside one span of b
// (b's spans are non-adjacent, so a span cannot straddle two of them).
func spansSubset(a, b []span) bool {
	j := 0
	for _, sp := range a {
		for j < len(b) && !b[j].open && Compare(b[j].hi, sp.lo) <= 0 {
			j++
		}
		if j == len(b) || Compare(b[j].lo, sp.lo) > 0 || hiLess(b[j], sp) {
			return false
		}
	}
	return true
}

// String renders s canonically in the constraint dialect where it can:
// clauses joined by " || "; a clause is an exact version ("1.2.3"), a
// caret or tilde range when the interval is exactly one ("^1.2.0",
// "~1.2.0"), or comparators joined by ", " (">=1.2.0, <1.5.0"). The empty
// set is "<none>", every release "*", every version "any". Pre-release
// intervals the dialect cannot express alone are written "pre-releases
// >=A, <B".
func (s Set) String() string {
	switch {
	case s.IsEmpty():
		return "<none>"
	case s.IsAny():
		return "any"
	}
	pre := append([]span(nil), s.pre...)
	used := make([]bool, len(pre))
	var parts []string
	for _, r := range s.rel {
		lo, hi := r.lo, r.hi
		loPre, hiPre := false, false
		// Absorb a pre-release tail [p, window end of r.lo) as the lower bound.
		for k, p := range pre {
			if !used[k] && !p.open && p.lo.release() == r.lo && p.hi == succ(r.lo) {
				lo, loPre, used[k] = p.lo, true, true
				break
			}
		}
		// Absorb a pre-release head [hi-0, q) with q a pre-release of hi.
		if !r.open {
			for k, p := range pre {
				if !used[k] && !p.open && p.lo == (Version{Major: hi.Major, Minor: hi.Minor, Patch: hi.Patch, Pre: "0"}) && p.hi.release() == hi {
					hi, hiPre, used[k] = p.hi, true, true
					break
				}
			}
		}
		parts = append(parts, renderClause(lo, hi, r.open, loPre || hiPre))
	}
	for k, p := range pre {
		if used[k] {
			continue
		}
		t := p.lo.release()
		if !p.open && Compare(p.hi, succ(t)) <= 0 {
			// Within one major.minor.patch: the dialect can say it.
			hi := p.hi
			hiStr := "<" + hi.String()
			if hi == succ(t) {
				hiStr = "<" + t.String()
			}
			if p.hi == succ(p.lo) {
				parts = append(parts, p.lo.String())
			} else {
				parts = append(parts, ">="+p.lo.String()+", "+hiStr)
			}
			continue
		}
		if p.open && p.lo == minVersion {
			parts = append(parts, "any pre-release")
		} else if p.open {
			parts = append(parts, "pre-releases >="+p.lo.String())
		} else {
			parts = append(parts, "pre-releases >="+p.lo.String()+", <"+p.hi.String())
		}
	}
	return strings.Join(parts, " || ")
}

func renderClause(lo, hi Version, open, withPre bool) string {
	if open {
		if lo == (Version{}) {
			return "*"
		}
		return ">=" + lo.String()
	}
	if !withPre {
		if hi == (Version{Major: lo.Major, Minor: lo.Minor, Patch: lo.Patch + 1}) {
			return lo.String()
		}
		if lo == (Version{}) {
			return "<" + hi.String()
		}
	}
	if hi.Pre == "" {
		caret := Version{Major: lo.Major + 1}
		switch {
		case lo.Major == 0 && lo.Minor > 0:
			caret = Version{Minor: lo.Minor + 1}
		case lo.Major == 0:
			caret = Version{Patch: lo.Patch + 1}
		}
		if hi == caret {
			return "^" + lo.String()
		}
		if hi == (Version{Major: lo.Major, Minor: lo.Minor + 1}) {
			return "~" + lo.String()
		}
	}
	if lo == (Version{}) {
		return "<" + hi.String()
	}
	return ">=" + lo.String() + ", <" + hi.String()
}

// Runs reports which of the versions vs (sorted ascending, without
// duplicates) s contains, as runs in increasing order: yield(lo, hi) means
// vs[lo:hi] are all in s (two runs may be adjacent). It costs O(intervals · log len(vs)) when vs holds no
// pre-release, so resolvers can map a constraint onto a long version list
// cheaply.
func (s Set) Runs(vs []Version, yield func(lo, hi int)) {
	for _, v := range vs {
		if v.Pre != "" {
			s.runsSlow(vs, yield)
			return
		}
	}
	search := func(b Version) int {
		lo, hi := 0, len(vs)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if Compare(vs[m], b) < 0 {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo
	}
	for _, sp := range s.rel {
		lo, hi := search(sp.lo), len(vs)
		if !sp.open {
			hi = search(sp.hi)
		}
		if lo < hi {
			yield(lo, hi)
		}
	}
}

func (s Set) runsSlow(vs []Version, yield func(lo, hi int)) {
	start := -1
	for i, v := range vs {
		in := s.Contains(v)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			yield(start, i)
			start = -1
		}
	}
	if start >= 0 {
		yield(start, len(vs))
	}
}

// MarshalText renders s as its String, for JSON output. Sets from
// ParseConstraint read back with UnmarshalText; a few sets built by the
// algebra (pre-release ranges spanning releases) render in words and do
// not.
func (s Set) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a constraint.
func (s *Set) UnmarshalText(b []byte) error {
	parsed, err := ParseConstraint(string(b))
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

// Key identifies a Set by the arrays it holds, for caches of values derived
// from a Set (the solver maps a constraint onto a version list once per
// pair, not once per solve). Sets are immutable, so two Sets with the same
// Key hold the same versions; equal Sets may still have different Keys. A
// Key keeps the Set's arrays alive, so a key is never reused for another
// Set while it is held.
type Key struct {
	rel, pre   *span
	nrel, npre int
}

// Key returns s's identity; see Key.
func (s Set) Key() Key {
	k := Key{nrel: len(s.rel), npre: len(s.pre)}
	if len(s.rel) > 0 {
		k.rel = &s.rel[0]
	}
	if len(s.pre) > 0 {
		k.pre = &s.pre[0]
	}
	return k
}
