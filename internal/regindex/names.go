package regindex

import (
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/semver"
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

// ParseVersion parses a registry version: SemVer 2.0.0 in canonical form,
// without the "v" a git tag may carry (callers strip it first).
func ParseVersion(s string) (semver.Version, error) {
	if s == "" {
		return semver.Version{}, fmt.Errorf("version is empty")
	}
	if len(s) > 128 {
		return semver.Version{}, fmt.Errorf("version %.20q… is too long", s)
	}
	if s[0] == 'v' || s[0] == 'V' {
		return semver.Version{}, fmt.Errorf("version %q: write it without the leading %q", s, s[0])
	}
	v, err := semver.ParseVersion(s)
	if err != nil {
		return semver.Version{}, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH[-PRE][+BUILD]: %v", s, err)
	}
	return v, nil
}

// CompareVersions compares two version strings by SemVer precedence;
// unparsable ones sort first, by text, so that a listing never fails on one
// bad entry. Versions equal in precedence are ordered by text.
func CompareVersions(a, b string) int {
	va, ea := semver.ParseVersion(a)
	vb, eb := semver.ParseVersion(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	if c := semver.Compare(va, vb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
