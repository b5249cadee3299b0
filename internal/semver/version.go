// Package semver owns meta's version model: semantic versions (semver 2.0
// ordering), the constraint dialect of DESIGN §3 (npm's ranges plus `,` as
// AND), and canonical interval sets over versions with the set algebra the
// resolver needs (intersection, union, complement, subset, disjointness).
//
// Pre-release versions follow npm's rule: a pre-release satisfies a range
// only if a comparator in the same AND-clause names a pre-release of the
// same major.minor.patch. A Set keeps its release part and its pre-release
// part apart, so the rule stays plain set algebra: every operation is done
// on both parts independently.
package semver

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxComponent is the largest accepted numeric component (node-semver's
// Number.MAX_SAFE_INTEGER), so that successor computations cannot overflow.
const MaxComponent = 1<<53 - 1

// Version is a semantic version. The zero value is 0.0.0.
type Version struct {
	Major, Minor, Patch uint64
	// Pre is the dot-separated pre-release without the leading '-';
	// empty for a release.
	Pre string
	// Build is the build metadata without the leading '+'. Compare ignores it.
	Build string
}

// ParseVersion parses a semantic version such as "1.2.3", "v1.2.3-rc.1" or
// "1.2.3+build.5". A leading 'v' is accepted; all three numeric components
// are required and must not have leading zeros.
func ParseVersion(s string) (Version, error) {
	p := parser{s: s}
	if p.peek() == 'v' || p.peek() == 'V' {
		p.i++
	}
	v, err := p.version()
	if err != nil {
		return Version{}, err
	}
	if p.i != len(s) {
		return Version{}, p.errorf("end of version")
	}
	return v, nil
}

// MustParseVersion is ParseVersion for constants in tests and tables; it
// panics on error.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String renders v as "1.2.3[-pre][+build]".
func (v Version) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(v.Major, 10))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(v.Minor, 10))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(v.Patch, 10))
	if v.Pre != "" {
		b.WriteByte('-')
		b.WriteString(v.Pre)
	}
	if v.Build != "" {
		b.WriteByte('+')
		b.WriteString(v.Build)
	}
	return b.String()
}

// IsPrerelease reports whether v has a pre-release part.
func (v Version) IsPrerelease() bool { return v.Pre != "" }

// Less reports whether v orders before w.
func (v Version) Less(w Version) bool { return Compare(v, w) < 0 }

// Compare orders versions by semver 2.0 precedence: -1, 0 or +1. Build
// metadata is ignored, so 1.0.0+a and 1.0.0+b compare equal.
func Compare(a, b Version) int {
	if c := cmpUint(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmpUint(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmpUint(a.Patch, b.Patch); c != 0 {
		return c
	}
	return comparePre(a.Pre, b.Pre)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// comparePre orders pre-release strings; "" (a release) is highest.
func comparePre(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" {
		return 1
	}
	if b == "" {
		return -1
	}
	for {
		x, restA, moreA := strings.Cut(a, ".")
		y, restB, moreB := strings.Cut(b, ".")
		if c := compareIdent(x, y); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = restA, restB
	}
}

func compareIdent(x, y string) int {
	nx, ny := isNumeric(x), isNumeric(y)
	switch {
	case nx && ny:
		// No leading zeros: a longer numeral is larger.
		if len(x) != len(y) {
			return cmpUint(uint64(len(x)), uint64(len(y)))
		}
		return strings.Compare(x, y)
	case nx:
		return -1
	case ny:
		return 1
	}
	return strings.Compare(x, y)
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// release returns v without pre-release and build.
func (v Version) release() Version { return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch} }

// succ returns the smallest version greater than v (ignoring build): the
// next patch's first pre-release for a release, or v's pre-release with a
// ".0" identifier appended.
func succ(v Version) Version {
	if v.Pre == "" {
		return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch + 1, Pre: "0"}
	}
	return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch, Pre: v.Pre + ".0"}
}

// SyntaxError reports a version or constraint that does not parse: the
// input, the byte offset where parsing stopped and what was expected there.
type SyntaxError struct {
	Input    string
	Pos      int
	Expected string
}

func (e *SyntaxError) Error() string {
	found := "end of input"
	if e.Pos < len(e.Input) {
		r := e.Input[e.Pos:]
		if len(r) > 12 {
			r = r[:12] + "…"
		}
		found = fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("invalid version constraint %q at byte %d: expected %s, found %s", e.Input, e.Pos, e.Expected, found)
}

// MarshalText renders v as its String, so versions read naturally in JSON
// and YAML.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a version written by MarshalText (or by a person).
func (v *Version) UnmarshalText(b []byte) error {
	parsed, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}
