package audit

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/metawork/meta/internal/ecosystem"
)

// ErrUnsupportedEcosystem reports an ecosystem meta cannot compare versions of.
var ErrUnsupportedEcosystem = errors.New("unsupported ecosystem")

// Supported reports whether meta audits packages of the OSV ecosystem eco.
func Supported(eco string) bool {
	switch eco {
	case ecosystem.Npm, ecosystem.PyPI, ecosystem.Cargo, ecosystem.Go:
		return true
	}
	return false
}

var pypiSep = regexp.MustCompile(`[-_.]+`)

// NormalizeName returns the form of a package name used to index and match
// it: PEP 503 normalisation for PyPI, the name itself elsewhere.
func NormalizeName(eco, name string) string {
	if eco == ecosystem.PyPI {
		return pypiSep.ReplaceAllString(strings.ToLower(name), "-")
	}
	return name
}

// baseEcosystem strips a release suffix such as "Debian:11".
func baseEcosystem(eco string) string {
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		return eco[:i]
	}
	return eco
}

// canonVersion prepares a version string for comparison: Go versions are
// written with a "v" in go.mod and without it in OSV records.
func canonVersion(eco, v string) string {
	v = strings.TrimSpace(v)
	if eco == ecosystem.Go {
		v = strings.TrimPrefix(v, "v")
	}
	return v
}

// Version is a parsed version of one ecosystem.
type Version struct {
	eco string
	raw string
	v   semantic.Version
}

// ParseVersion parses v with eco's ordering rules.
func ParseVersion(eco, v string) (Version, error) {
	if !Supported(eco) {
		return Version{}, fmt.Errorf("%w %q", ErrUnsupportedEcosystem, eco)
	}
	raw := canonVersion(eco, v)
	if raw == "" {
		return Version{}, fmt.Errorf("empty %s version", eco)
	}
	sv, err := semantic.Parse(raw, eco)
	if err != nil {
		return Version{}, fmt.Errorf("%s version %q: %w", eco, v, err)
	}
	return Version{eco: eco, raw: raw, v: sv}, nil
}

// String returns the version as compared (Go without its "v").
func (v Version) String() string { return v.raw }

// cmp compares v with the version string s of the same ecosystem.
func (v Version) cmp(s string) (int, error) {
	return v.v.CompareStr(canonVersion(v.eco, s))
}

// Affects reports whether the affected entry a covers version v of the
// package (ecosystem and name already checked by the caller). Ranges of
// type SEMVER and ECOSYSTEM are evaluated; GIT ranges cannot be and are
// skipped. Versions listed explicitly always match.
func (a *Affected) Affects(v Version) bool {
	for _, lv := range a.Versions {
		if canonVersion(v.eco, lv) == v.raw {
			return true
		}
		if c, err := v.cmp(lv); err == nil && c == 0 {
			return true
		}
	}
	for i := range a.Ranges {
		r := &a.Ranges[i]
		if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
			continue
		}
		if rangeAffects(r.Events, v) {
			return true
		}
	}
	return false
}

type sortedEvent struct {
	kind string // introduced, fixed, last_affected, limit
	ver  string
	sv   semantic.Version // nil for "0"
}

// rangeAffects evaluates the events of one range for v, following the OSV
// schema's algorithm: events sorted by version, introduced sets affected,
// fixed (v >= fixed) and last_affected (v > last_affected) clear it, so a
// later introduced re-opens the range; limit events bound the whole range.
func rangeAffects(events []Event, v Version) bool {
	evs := make([]sortedEvent, 0, len(events))
	var limits []string
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, sortedEvent{kind: "introduced", ver: e.Introduced})
		case e.Fixed != "":
			evs = append(evs, sortedEvent{kind: "fixed", ver: e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, sortedEvent{kind: "last_affected", ver: e.LastAffected})
		case e.Limit != "":
			limits = append(limits, e.Limit)
		}
	}
	if len(limits) > 0 {
		below := false
		for _, l := range limits {
			if l == "*" {
				below = true
				break
			}
			if c, err := v.cmp(l); err == nil && c < 0 {
				below = true
				break
			}
		}
		if !below {
			return false
		}
	}
	for i := range evs {
		if evs[i].kind == "introduced" && evs[i].ver == "0" {
			continue
		}
		sv, err := semantic.Parse(canonVersion(v.eco, evs[i].ver), v.eco)
		if err != nil {
			// An event we cannot read: drop it rather than guess.
			evs[i].kind = ""
			continue
		}
		evs[i].sv = sv
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i].sv, evs[j].sv
		switch {
		case a == nil && b == nil:
			return false
		case a == nil:
			return true
		case b == nil:
			return false
		}
		c, err := a.Compare(b)
		return err == nil && c < 0
	})
	affected := false
	for _, e := range evs {
		var c int
		if e.sv != nil {
			var err error
			if c, err = v.v.Compare(e.sv); err != nil {
				continue
			}
		}
		switch e.kind {
		case "introduced":
			if e.sv == nil || c >= 0 {
				affected = true
			}
		case "fixed":
			if c >= 0 {
				affected = false
			}
		case "last_affected":
			if c > 0 {
				affected = false
			}
		}
	}
	return affected
}

// Matches reports whether r affects version v of package name in eco, and
// the fixed versions named by the matching entries.
func (r *Record) Matches(eco, name string, v Version) (bool, []string) {
	if r.Withdrawn != "" {
		return false, nil
	}
	norm := NormalizeName(eco, name)
	hit := false
	var fixed []string
	for i := range r.Affected {
		a := &r.Affected[i]
		if baseEcosystem(a.Package.Ecosystem) != eco || NormalizeName(eco, a.Package.Name) != norm {
			continue
		}
		if !a.Affects(v) {
			continue
		}
		hit = true
		fixed = append(fixed, a.fixedVersions(v)...)
	}
	return hit, fixed
}

// fixedVersions lists the fixed events of a's ranges above v: the versions
// that would resolve the finding.
func (a *Affected) fixedVersions(v Version) []string {
	var out []string
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" && r.Type != "ECOSYSTEM" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed == "" {
				continue
			}
			if c, err := v.cmp(e.Fixed); err == nil && c < 0 {
				out = append(out, e.Fixed)
			}
		}
	}
	return out
}
