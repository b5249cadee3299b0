// Package registry owns meta's component registry: the Cargo-style sparse
// index format, the publish wire format, tarball validation, the HTTP
// server with its token auth and rate limits, the client that talks to it
// (with an on-disk ETag cache), the user's registry configuration and
// credentials, and minisign signing of tarballs.
//
// It never prints: the server reports each request through Server.Log and
// the CLI decides where that goes.
package registry

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxNameLen bounds package names.
const MaxNameLen = 64

// ValidateName checks a package name against the component-name grammar:
// lowercase ASCII letters, digits, '-' and '_', starting with a letter. No
// path characters can appear, so a name is always safe in a path or URL.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("package name is empty")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("package name %q is longer than %d characters", name, MaxNameLen)
	}
	if c := name[0]; c < 'a' || c > 'z' {
		return fmt.Errorf("package name %q must start with a lowercase letter", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' {
			continue
		}
		return fmt.Errorf("package name %q has %q at offset %d: only lowercase letters, digits, '-' and '_' are allowed", name, c, i)
	}
	return nil
}

// MaxComponent bounds each numeric part of a version, as the semver
// package does (JavaScript's largest safe integer).
const MaxComponent = 1<<53 - 1

// Version is a parsed semantic version (SemVer 2.0.0, no "v" prefix).
type Version struct {
	Major, Minor, Patch uint64
	Pre                 []string // dot-separated pre-release identifiers
	Build               string
}

// ParseVersion parses a strict SemVer 2.0.0 version. A leading "v" is refused:
// registry versions are canonical; callers strip a tag's "v" first.
func ParseVersion(s string) (Version, error) {
	var v Version
	if s == "" {
		return v, fmt.Errorf("version is empty")
	}
	if len(s) > 128 {
		return v, fmt.Errorf("version %.20q… is too long", s)
	}
	rest := s
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		v.Build = rest[i+1:]
		rest = rest[:i]
		if err := checkIdents(v.Build, false); err != nil {
			return Version{}, fmt.Errorf("version %q: build metadata: %v", s, err)
		}
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		pre := rest[i+1:]
		rest = rest[:i]
		if err := checkIdents(pre, true); err != nil {
			return Version{}, fmt.Errorf("version %q: pre-release: %v", s, err)
		}
		v.Pre = strings.Split(pre, ".")
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", s)
	}
	nums := [3]*uint64{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		if !isNumeric(p) || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("version %q: %q is not a number without leading zeros", s, p)
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil || n > MaxComponent {
			return Version{}, fmt.Errorf("version %q: %q is out of range", s, p)
		}
		*nums[i] = n
	}
	return v, nil
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

func checkIdents(s string, pre bool) error {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return fmt.Errorf("empty identifier")
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-') {
				return fmt.Errorf("identifier %q has %q", id, c)
			}
		}
		if pre && isNumeric(id) && len(id) > 1 && id[0] == '0' {
			return fmt.Errorf("numeric identifier %q has a leading zero", id)
		}
	}
	return nil
}

// String formats v canonically.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// Compare orders versions by SemVer precedence (build metadata ignored).
func (v Version) Compare(w Version) int {
	for _, d := range [3][2]uint64{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		a, b := v.Pre[i], w.Pre[i]
		an, bn := isNumeric(a), isNumeric(b)
		switch {
		case an && bn:
			if len(a) != len(b) {
				if len(a) < len(b) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(a, b); c != 0 {
				return c
			}
		case an:
			return -1
		case bn:
			return 1
		default:
			if c := strings.Compare(a, b); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(v.Pre) < len(w.Pre):
		return -1
	case len(v.Pre) > len(w.Pre):
		return 1
	}
	return 0
}

// CompareVersions compares two version strings; unparsable ones sort first,
// by text, so that a listing never fails on one bad entry.
func CompareVersions(a, b string) int {
	va, ea := ParseVersion(a)
	vb, eb := ParseVersion(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	if c := va.Compare(vb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
