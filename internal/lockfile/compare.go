package lockfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/semver"
)

// ChangeKind says how a component differs between two locks.
type ChangeKind string

const (
	Added   ChangeKind = "added"   // only in the second lock
	Removed ChangeKind = "removed" // only in the first lock
	Changed ChangeKind = "changed" // in both, with a different repo, version, ref or commit
)

// Change is one component that differs between two locks.
type Change struct {
	Name string     `json:"name"`
	Kind ChangeKind `json:"kind"`
	Old  *Component `json:"old,omitempty"`
	New  *Component `json:"new,omitempty"`
}

// Compare lists the components that differ from a to b, sorted by name.
// Components locked identically in both are left out. Abbreviated commits
// (legacy files) match full ones they prefix.
func Compare(a, b *File) []Change {
	var out []Change
	for _, n := range a.Names() {
		oc := a.Components[n]
		nc, ok := b.Components[n]
		switch {
		case !ok:
			out = append(out, Change{Name: n, Kind: Removed, Old: oc})
		case !sameLock(oc, nc):
			out = append(out, Change{Name: n, Kind: Changed, Old: oc, New: nc})
		}
	}
	for _, n := range b.Names() {
		if _, ok := a.Components[n]; !ok {
			out = append(out, Change{Name: n, Kind: Added, New: b.Components[n]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sameLock(a, b *Component) bool {
	return a.Repo == b.Repo && a.Version == b.Version && a.Ref == b.Ref &&
		a.Registry == b.Registry && a.Checksum == b.Checksum &&
		(a.Commit == b.Commit || SameCommit(a.Commit, b.Commit))
}

// SameCommit reports whether two commit ids name the same commit, allowing
// one to be an abbreviation (at least 7 digits) of the other.
func SameCommit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a != "" && len(a) >= 7 && strings.HasPrefix(b, a)
}

// Refusal is a component whose promoted entry the destination environment
// does not admit.
type Refusal struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Promote copies src's resolved set into a lock for environment dst of
// manifest m: same repos, versions, refs and commits, with dst's name and
// digest and promoted_from set. It returns the refusals: components whose
// locked version dst's range (or override) does not admit, components dst
// tracks by a different ref, and components the manifest and the source
// lock do not agree on. The caller decides whether to write anyway
// (--force).
func Promote(src *File, m *manifest.Manifest, srcEnv, dst string) (*File, []Refusal) {
	out := &File{
		Environment:    dst,
		ManifestDigest: Digest(m, dst),
		PromotedFrom:   srcEnv,
		Tools:          map[string]Tool{},
		Components:     map[string]*Component{},
	}
	for k, v := range src.Tools {
		out.Tools[k] = v
	}
	var ref []Refusal
	for _, n := range src.Names() {
		c := *src.Components[n]
		c.Line = 0
		c.DependsOn = append([]string(nil), c.DependsOn...)
		mc, ok := m.Components[n]
		if !ok {
			ref = append(ref, Refusal{n, "locked in " + envName(srcEnv) + " but no longer in the manifest"})
			continue
		}
		out.Components[n] = &c
		if r := Admits(m, m.Effective(mc, dst), &c); r != "" {
			ref = append(ref, Refusal{n, r})
		}
	}
	for _, n := range m.Order {
		if _, ok := src.Components[n]; !ok {
			ref = append(ref, Refusal{n, "in the manifest but not locked in " + envName(srcEnv) + " (run 'meta lock" + envFlag(srcEnv) + "' first)"})
		}
	}
	sort.Slice(ref, func(i, j int) bool { return ref[i].Name < ref[j].Name })
	return out, ref
}

// RefKind says what a manifest ref names, judged from its spelling alone
// (no network): a full or abbreviated commit id, a version tag ("v1.2.0",
// anything that parses as a version), or else a branch.
type RefKind int

const (
	RefBranch RefKind = iota
	RefTag
	RefCommit
)

// RefKindOf classifies ref; see RefKind.
func RefKindOf(ref string) RefKind {
	if len(ref) >= 7 && isHex(ref) {
		return RefCommit
	}
	if _, err := semver.ParseVersion(ref); err == nil {
		return RefTag
	}
	return RefBranch
}

// BranchPins lists the components of f whose environment env tracks a
// branch while f locks another ref's commit: what a promotion did ("pinned
// to the commit dev tested"), for the caller to say.
func BranchPins(f *File, m *manifest.Manifest, env string) []Refusal {
	var out []Refusal
	for _, n := range f.Names() {
		lc, mc := f.Components[n], m.Components[n]
		if mc == nil {
			continue
		}
		c := m.Effective(mc, env)
		if c.Ref == "" || c.Ref == lc.Ref || RefKindOf(c.Ref) != RefBranch || SameCommit(lc.Commit, c.Ref) {
			continue
		}
		if _, over := m.Overrides[n]; over {
			continue
		}
		from := envName(f.PromotedFrom)
		out = append(out, Refusal{n, fmt.Sprintf("%s tracks branch %s; pinned to %s's commit %s (%s), not the branch's tip", envName(env), c.Ref, from, short(lc.Commit), lc.Describe())})
	}
	return out
}

// Violations lists the components of f (the lock of env) that env's
// ranges, refs or overrides in m do not admit — what 'promote --force' can
// leave behind. Components no longer in the manifest are left to Stale.
func Violations(f *File, m *manifest.Manifest, env string) []Refusal {
	var out []Refusal
	for _, n := range f.Names() {
		mc, ok := m.Components[n]
		if !ok {
			continue
		}
		if r := Admits(m, m.Effective(mc, env), f.Components[n]); r != "" {
			out = append(out, Refusal{n, r})
		}
	}
	return out
}

// Admits returns "" when locked entry lc satisfies what component c (as
// effective in some environment) asks for, and the reason otherwise: an
// override or a version range the locked version is outside of, a range
// that a ref-tracked entry cannot show it satisfies, or a different tag or
// commit than the one c pins. A c that tracks a branch admits any commit:
// promoting into it pins it to what the source environment tested.
func Admits(m *manifest.Manifest, c *manifest.Component, lc *Component) string {
	switch {
	case c.Registry != lc.Registry && c.Registry != "" && lc.Registry != "":
		return fmt.Sprintf("comes from registry %q there, but the promoted entry is from registry %q", c.Registry, lc.Registry)
	case c.Registry != "" && lc.Registry == "":
		return fmt.Sprintf("comes from registry %q there, but the promoted entry is a git commit", c.Registry)
	case c.Registry == "" && lc.Registry != "":
		return fmt.Sprintf("comes from a git repository there, but the promoted entry is from registry %q", lc.Registry)
	}
	want, what := c.Version, "range"
	if o, ok := m.Overrides[c.Name]; ok {
		want, what = o.Version, "override"
	}
	if c.Ref != "" && want == c.Version {
		if lc.Ref == c.Ref || SameCommit(lc.Commit, c.Ref) {
			return ""
		}
		switch RefKindOf(c.Ref) {
		case RefCommit:
			return fmt.Sprintf("pins commit %s there, but the promoted entry is %s at %s: a lock cannot move a pinned commit", short(c.Ref), lc.Describe(), short(lc.Commit))
		case RefTag:
			return fmt.Sprintf("pins tag %s there, but the promoted entry is %s at %s: a lock cannot move a pinned tag (track a branch or a range there to promote into it)", c.Ref, lc.Describe(), short(lc.Commit))
		}
		// A branch: it moves anyway; the lock pins it to the commit the
		// source environment tested.
		return ""
	}
	if want == "" || want == "latest" {
		return ""
	}
	set, err := semver.ParseConstraint(want)
	if err != nil {
		return fmt.Sprintf("its %s %q does not parse: %v", what, want, err)
	}
	if lc.Version == "" {
		return fmt.Sprintf("needs %s (%s) there, but the promoted entry tracks %s at %s, which has no version", want, what, lc.Describe(), short(lc.Commit))
	}
	v, err := semver.ParseVersion(lc.Version)
	if err != nil {
		return fmt.Sprintf("locked version %q is not a semantic version", lc.Version)
	}
	if !set.Contains(v) {
		return fmt.Sprintf("%s %s there does not admit %s", what, want, lc.Version)
	}
	return ""
}

func envName(env string) string {
	if env == "" {
		return "the default lock"
	}
	return env
}

func envFlag(env string) string {
	if env == "" {
		return ""
	}
	return " --env " + env
}

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
