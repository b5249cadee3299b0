package pubgrub

import (
	"slices"

	"github.com/metawork/meta/internal/semver"
)

// solverCache holds what the solver derives from Provider answers alone,
// kept across the solves of a pooled solver so that a batch of solves over
// one registry maps each constraint onto its package's versions once. It
// is keyed by the identity of the Provider's arrays (and of semver Sets,
// which are immutable), which the Provider contract says never change once
// returned; a key holds its arrays, so it cannot come to name another
// array. Results therefore do not depend on what was solved before.
type solverCache struct {
	// excl maps (version list, constraint) to the versions the
	// constraint excludes, phantom included: the set of the negative
	// term "not dep constraint".
	excl map[exclKey]vbits
	// asc maps a Provider's version list to it ascending, without
	// duplicates: the list itself when it already is.
	asc map[versKey][]semver.Version
}

type versKey struct {
	data *semver.Version
	n    int
}

type exclKey struct {
	vers versKey
	set  semver.Key
}

// maxCacheEntries bounds each cache map; a map past it is dropped when the
// solve ends.
const maxCacheEntries = 1 << 15

func keyOf(vs []semver.Version) versKey {
	if len(vs) == 0 {
		return versKey{}
	}
	return versKey{data: &vs[0], n: len(vs)}
}

// trim drops maps that grew past maxCacheEntries.
func (c *solverCache) trim() {
	if len(c.excl) > maxCacheEntries {
		c.excl = nil
	}
	if len(c.asc) > maxCacheEntries {
		c.asc = nil
	}
}

// ascending returns vs sorted and de-duplicated, without modifying vs.
func (c *solverCache) ascending(vs []semver.Version) []semver.Version {
	if len(vs) < 2 {
		return vs
	}
	k := keyOf(vs)
	if out, ok := c.asc[k]; ok {
		return out
	}
	out := vs
	for i := 1; i < len(vs); i++ {
		if semver.Compare(vs[i-1], vs[i]) >= 0 {
			out = slices.Clone(vs)
			slices.SortFunc(out, semver.Compare)
			out = slices.CompactFunc(out, func(a, b semver.Version) bool { return semver.Compare(a, b) == 0 })
			break
		}
	}
	if c.asc == nil {
		c.asc = make(map[versKey][]semver.Version)
	}
	c.asc[k] = out
	return out
}

// excluded returns the versions of vs (ascending) that set does not allow,
// as a bit set over len(vs)+1 elements: the last one is the phantom
// (see solver.n), excluded unless set allows no version of vs, so that a
// constraint nothing matches stays satisfiable until decision time. The
// result is shared: it must not be modified.
func (c *solverCache) excluded(vs []semver.Version, set semver.Set) vbits {
	k := exclKey{vers: keyOf(vs), set: set.Key()}
	if b, ok := c.excl[k]; ok {
		return b
	}
	n := len(vs) + 1
	allowed := emptyBits(n, nil)
	set.Runs(vs, allowed.setRange)
	if allowed.isEmpty() {
		allowed = singleBit(n, n-1, nil)
	}
	b := allowed.not(n, nil)
	if c.excl == nil {
		c.excl = make(map[exclKey]vbits)
	}
	c.excl[k] = b
	return b
}
