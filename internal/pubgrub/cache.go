package pubgrub

import (
	"slices"
	"strings"

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
	// ids numbers the package names met, names[id] is the name: the
	// solver indexes its per-solve package ids by these, and pkgs.
	ids   map[string]int32
	names []string
	pkgs  []pkgCache
	// rank[id] is names[id]'s position among names sorted, when
	// len(rank) == len(names).
	rank []int32
}

// pkgCache is what the cache knows of one package name, for the version
// list the Provider last returned for it.
type pkgCache struct {
	raw    versKey          // the Provider's list
	sorted []semver.Version // raw ascending without duplicates (raw itself when it is)
	// comp holds the compiled dependency lists of the versions of
	// sorted compiled so far: a short list (one or two versions of most
	// packages are tried), and one entry per version in dense once more
	// than compListMax are.
	comp  []compiledList
	dense []compiledList
}

// compiledList is the compiled form of the dependency list key of version
// index vi.
type compiledList struct {
	vi   int32
	key  depsKey
	deps []compiledDep
}

const compListMax = 8

// compiled returns the entry for version index vi, nil when there is none
// (and no room made for one).
func (pc *pkgCache) compiled(vi int) *compiledList {
	if pc.dense != nil {
		return &pc.dense[vi]
	}
	for i := range pc.comp {
		if int(pc.comp[i].vi) == vi {
			return &pc.comp[i]
		}
	}
	return nil
}

// slot returns the entry for version index vi, making one.
func (pc *pkgCache) slot(vi int) *compiledList {
	if e := pc.compiled(vi); e != nil {
		return e
	}
	if len(pc.comp) < compListMax {
		pc.comp = append(pc.comp, compiledList{vi: int32(vi)})
		return &pc.comp[len(pc.comp)-1]
	}
	pc.dense = make([]compiledList, len(pc.sorted))
	for _, e := range pc.comp {
		pc.dense[e.vi] = e
	}
	pc.comp = nil
	return &pc.dense[vi]
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
// name ids were dropped; the per-name caches go with them.
func (c *solverCache) trim() bool {
	if len(c.excl) > maxCacheEntries {
		c.excl = nil
	}
	if len(c.ids) > maxCacheEntries {
		c.ids, c.names, c.pkgs, c.rank = nil, nil, nil, nil
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
	c.pkgs = append(c.pkgs, pkgCache{})
	return id
}

// ranks returns each name id's position among the names sorted, so that
// sorting ids by rank sorts them by name; nil when the ranks are out of
// date and computing them would cost more than sorting k names.
func (c *solverCache) ranks(k int) []int32 {
	if len(c.rank) != len(c.names) {
		if len(c.names) > 16*max(k, 64) {
			return nil
		}
		order := make([]int32, len(c.names))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int { return strings.Compare(c.names[a], c.names[b]) })
		c.rank = make([]int32, len(c.names))
		for r, id := range order {
			c.rank[id] = int32(r)
		}
	}
	return c.rank
}

// compile returns the compiled form of deps, the Provider's dependency
// list of version vi of the package with id gid, parallel to it. Its
// entries belong to the cache: compiledExcluded fills them in.
func (c *solverCache) compile(gid int32, vi int, deps []Dependency) []compiledDep {
	if len(deps) == 0 {
		return nil
	}
	k := depsKey{data: &deps[0], n: len(deps)}
	if e := c.pkgs[gid].compiled(vi); e != nil && e.key == k {
		return e.deps
	}
	out := make([]compiledDep, len(deps))
	for i, d := range deps {
		out[i].gid = c.gid(d.Name)
	}
	e := c.pkgs[gid].slot(vi) // after gid, which may grow c.pkgs
	e.key, e.deps = k, out
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

// ascending returns vs, the Provider's version list for the name with id
// gid, sorted and de-duplicated, without modifying vs.
func (c *solverCache) ascending(gid int32, vs []semver.Version) []semver.Version {
	k := keyOf(vs)
	pc := &c.pkgs[gid]
	if pc.raw == k && (k.n == 0 || pc.sorted != nil) {
		return pc.sorted
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
	*pc = pkgCache{raw: k, sorted: out}
	return out
}

// excluded returns the versions of vs (ascending) that set does not allow,
// as a bit set over len(vs)+1 elements: the last one is the phantom
// (see solver.n), excluded unless set allows no version of vs, so that a
// constraint nothing matches stays satisfiable until decision time. The
// result is shared: it must not be modified. Sets of up to 64 elements
// are one word, computed in less time than a map lookup takes (and most
// Sets are asked about once: each version's dependency list parses its
// own), so only larger ones are remembered.
func (c *solverCache) excluded(vs []semver.Version, set semver.Set) vbits {
	if len(vs)+1 <= 64 {
		return excludedBits(vs, set, nil)
	}
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
