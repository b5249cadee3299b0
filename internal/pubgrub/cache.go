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
	// ids numbers the package names met, names[id] is the name: the
	// solver indexes its per-solve package ids by these.
	ids   map[string]int32
	names []string
	// comp maps a Provider's dependency list to what the solver derives
	// from each entry.
	comp map[depsKey][]compiledDep
}

type depsKey struct {
	data *Dependency
	n    int
}

// compiledDep is one Dependency with its name's id and, once computed, the
// set its constraint excludes from the version list vers.
type compiledDep struct {
	gid  int32
	vers versKey
	excl vbits
	ok   bool // excl is computed for vers
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

// trim drops maps that grew past maxCacheEntries. It reports whether the
// name ids were dropped; they go with the compiled lists that hold them.
func (c *solverCache) trim() bool {
	if len(c.excl) > maxCacheEntries {
		c.excl = nil
	}
	if len(c.asc) > maxCacheEntries {
		c.asc = nil
	}
	if len(c.ids) > maxCacheEntries || len(c.comp) > maxCacheEntries {
		c.ids, c.names, c.comp = nil, nil, nil
		return true
	}
	return false
}

// gid returns name's id, numbering it on first use.
func (c *solverCache) gid(name string) int32 {
	if id, ok := c.ids[name]; ok {
		return id
	}
	if c.ids == nil {
		c.ids = make(map[string]int32)
	}
	id := int32(len(c.names))
	c.ids[name] = id
	c.names = append(c.names, name)
	return id
}

// compile returns the compiled form of a Provider's dependency list,
// parallel to it. Its entries belong to the cache: compiledExcluded fills
// them in.
func (c *solverCache) compile(deps []Dependency) []compiledDep {
	if len(deps) == 0 {
		return nil
	}
	k := depsKey{data: &deps[0], n: len(deps)}
	if out, ok := c.comp[k]; ok {
		return out
	}
	out := make([]compiledDep, len(deps))
	for i, d := range deps {
		out[i].gid = c.gid(d.Name)
	}
	if c.comp == nil {
		c.comp = make(map[depsKey][]compiledDep)
	}
	c.comp[k] = out
	return out
}

// compiledExcluded is excluded(vs, set) for the compiled dependency cd
// whose constraint is set, remembered in cd for the list vs.
func (c *solverCache) compiledExcluded(cd *compiledDep, vs []semver.Version, set semver.Set) vbits {
	if k := keyOf(vs); !cd.ok || cd.vers != k {
		cd.excl, cd.vers, cd.ok = c.excluded(vs, set), k, true
	}
	return cd.excl
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
	b := excludedBits(vs, set, nil)
	if c.excl == nil {
		c.excl = make(map[exclKey]vbits)
	}
	c.excl[k] = b
	return b
}

// excludedBits computes what excluded returns, in al.
func excludedBits(vs []semver.Version, set semver.Set, al *wordArena) vbits {
	n := len(vs) + 1
	allowed := emptyBits(n, al)
	set.Runs(vs, allowed.setRange)
	if allowed.isEmpty() {
		allowed = singleBit(n, n-1, al)
	}
	return allowed.not(n, al)
}
