package lockfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/semver"
)

// Digest returns "sha256:<hex>" over a canonical serialisation of every
// manifest input that affects resolution in environment env:
//
//   - the environment's name;
//   - the workspace tools (sorted);
//   - per component, by name: repo (as written) or registry, the effective
//     version range or ref after the environment's entry, the manifest's
//     depends_on (name and range, sorted) and the component's tools (sorted);
//   - the overrides (name and version; the reason is not an input).
//
// Deliberately not inputs: the strategy (a choice among valid solutions,
// not a constraint — a lock made with any strategy is fresh), paths, build
// and setup settings, descriptions, and what the remotes hold (tags and
// component.yaml files change outside the manifest; 'meta lock verify'
// checks the remotes). The serialisation quotes every string, so no two
// different inputs share a text.
func Digest(m *manifest.Manifest, env string) string {
	var b strings.Builder
	line := func(fields ...string) {
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Quote(f))
		}
		b.WriteByte('\n')
	}
	line("meta-lock-inputs", strconv.Itoa(FormatVersion))
	line("environment", env)
	for _, t := range sortedItems(m.Tools) {
		line("tool", t)
	}
	names := append([]string(nil), m.Order...)
	sort.Strings(names)
	for _, n := range names {
		c := m.Effective(m.Components[n], env)
		line("component", c.Name)
		line("  repo", c.Repo, c.Registry)
		line("  want", c.Version, c.Ref)
		deps := make([]string, 0, len(c.DependsOn))
		for _, d := range c.DependsOn {
			deps = append(deps, strconv.Quote(d.Name)+" "+strconv.Quote(d.Constraint))
		}
		sort.Strings(deps)
		for _, d := range deps {
			b.WriteString("  \"dep\" " + d + "\n")
		}
		for _, t := range sortedItems(c.Tools) {
			line("  tool", t)
		}
	}
	ov := make([]string, 0, len(m.Overrides))
	for n := range m.Overrides {
		ov = append(ov, n)
	}
	sort.Strings(ov)
	for _, n := range ov {
		line("override", n, m.Overrides[n].Version)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func sortedItems(items []manifest.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Value
	}
	sort.Strings(out)
	return out
}

// Stale compares a lock with the manifest for env. It returns nil when the
// lock's manifest_digest matches; otherwise it returns what changed, as far
// as the lock's contents can tell (components added or removed, repos,
// refs, ranges the locked version no longer satisfies, dependencies), or
// one generic reason when the change does not show in the locked set (a
// widened range, a new tool).
func Stale(f *File, m *manifest.Manifest, env string) []string {
	if f.ManifestDigest != "" && f.ManifestDigest == Digest(m, env) {
		return nil
	}
	var why []string
	if f.Legacy {
		why = append(why, "written by the earlier meta tool: it records no manifest digest")
	} else if f.ManifestDigest == "" {
		why = append(why, "it records no manifest_digest")
	}
	if f.Environment != env && !f.Legacy {
		why = append(why, fmt.Sprintf("it was written for environment %q, not %q", f.Environment, env))
	}
	names := append([]string(nil), m.Order...)
	sort.Strings(names)
	for _, n := range names {
		lc, ok := f.Components[n]
		if !ok {
			why = append(why, n+": added to the manifest, not in the lock")
			continue
		}
		c := m.Effective(m.Components[n], env)
		why = append(why, componentChanges(m, c, lc)...)
	}
	for _, n := range f.Names() {
		if _, ok := m.Components[n]; !ok {
			why = append(why, n+": locked, but no longer in the manifest")
		}
	}
	if len(why) == 0 || (len(why) == 1 && (f.Legacy || f.ManifestDigest == "")) {
		why = append(why, "the resolution inputs changed (a range, an override, a dependency range or a tool) although the locked versions still satisfy them")
	}
	return why
}

// componentChanges lists the differences between manifest component c (as
// effective in the environment) and its locked entry.
func componentChanges(m *manifest.Manifest, c *manifest.Component, lc *Component) []string {
	var why []string
	if c.Repo != "" && lc.Repo != "" && c.Repo != lc.Repo {
		why = append(why, fmt.Sprintf("%s: repo changed from %s to %s", c.Name, lc.Repo, c.Repo))
	}
	switch {
	case c.Ref != "":
		if lc.Ref != c.Ref && !strings.HasPrefix(lc.Commit, c.Ref) && !(len(c.Ref) > 0 && strings.HasPrefix(c.Ref, lc.Commit)) {
			why = append(why, fmt.Sprintf("%s: now tracks %q, locked from %s", c.Name, c.Ref, lc.Describe()))
		}
	default:
		want := c.Version
		if o, ok := m.Overrides[c.Name]; ok {
			want = o.Version
		}
		if lc.Version == "" {
			if want != "" {
				why = append(why, fmt.Sprintf("%s: now wants version %s, locked from ref %s", c.Name, want, lc.Describe()))
			}
			break
		}
		if want == "" {
			break
		}
		set, err := semver.ParseConstraint(want)
		if err != nil {
			why = append(why, fmt.Sprintf("%s: version range %q does not parse: %v", c.Name, want, err))
			break
		}
		if v, err := semver.ParseVersion(lc.Version); err == nil && !set.Contains(v) {
			why = append(why, fmt.Sprintf("%s: locked %s does not satisfy %s", c.Name, lc.Version, want))
		}
	}
	for _, d := range c.DependsOn {
		if !contains(lc.DependsOn, d.Name) {
			why = append(why, fmt.Sprintf("%s: now depends on %s", c.Name, d.Name))
		}
	}
	return why
}
