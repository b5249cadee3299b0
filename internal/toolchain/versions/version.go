// Package versions owns upstream tool releases: parsing the documents that
// list them (go.dev's JSON, nodejs.org's index.json and SHASUMS256.txt,
// python-build-standalone download metadata, GitHub's releases API), ordering
// versions by numeric components, and choosing the release a request such as
// "1.22", "lts" or "latest" means.
package versions

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a tool version compared by numeric components: "1.22" is
// 1.22.0, "1.2" never matches "1.20", and "1.25rc1" is a pre-release of 1.25.
type Version struct {
	Nums []int  // numeric components, at least one
	Pre  string // pre-release suffix without separator ("rc1", "beta.2"); "" for a release
	Text string // as the upstream writes it, without a leading "v" or "go"
}

// ParseVersion parses a version such as "1.22.12", "v20.11.0", "go1.20",
// "1.25rc1", "3.15.0a7" or "1.0.0-beta.1". A leading "v" or "go" is dropped.
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(s, "go")
	t = strings.TrimPrefix(t, "v")
	if t == "" {
		return Version{}, fmt.Errorf("invalid version %q: empty", s)
	}
	v := Version{Text: t}
	i := 0
	for {
		j := i
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		if j == i {
			return Version{}, fmt.Errorf("invalid version %q: expected a number at position %d", s, len(s)-len(t)+i+1)
		}
		if j-i > 9 {
			return Version{}, fmt.Errorf("invalid version %q: component too large", s)
		}
		n, _ := strconv.Atoi(t[i:j])
		v.Nums = append(v.Nums, n)
		i = j
		if i < len(t) && t[i] == '.' && i+1 < len(t) && t[i+1] >= '0' && t[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	rest := t[i:]
	if rest != "" && (rest[0] == '-' || rest[0] == '.') {
		rest = rest[1:]
	}
	if i < len(t) && (rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z' || rest[0] >= 'A' && rest[0] <= 'Z')) {
		return Version{}, fmt.Errorf("invalid version %q: unexpected %q after the numbers", s, t[i:])
	}
	for k, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return Version{}, fmt.Errorf("invalid version %q: invalid character %q at position %d", s, r, len(s)-len(rest)+k+1)
		}
	}
	v.Pre = rest
	return v, nil
}

// MustParse is ParseVersion for constants in tests and tables; it panics on error.
func MustParse(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v Version) String() string { return v.Text }

// Prerelease reports whether v has a pre-release suffix.
func (v Version) Prerelease() bool { return v.Pre != "" }

func (v Version) num(i int) int {
	if i < len(v.Nums) {
		return v.Nums[i]
	}
	return 0
}

// Compare orders a and b: numeric components first (missing ones are 0),
// then a release after its pre-releases, then pre-releases by their parts.
func Compare(a, b Version) int {
	n := max(len(a.Nums), len(b.Nums))
	for i := 0; i < n; i++ {
		if x, y := a.num(i), b.num(i); x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.Pre == b.Pre:
		return 0
	case a.Pre == "":
		return 1
	case b.Pre == "":
		return -1
	}
	return comparePre(a.Pre, b.Pre)
}

// comparePre compares pre-release suffixes run by run: digits numerically,
// letters bytewise ("a" < "b" < "rc", "rc2" < "rc10").
func comparePre(a, b string) int {
	for a != "" && b != "" {
		ra, rb := run(a), run(b)
		a, b = a[len(ra):], b[len(rb):]
		da, db := isDigit(ra[0]), isDigit(rb[0])
		switch {
		case da && db:
			x, _ := strconv.Atoi(trimZeros(ra))
			y, _ := strconv.Atoi(trimZeros(rb))
			if len(trimZeros(ra)) > 9 || len(trimZeros(rb)) > 9 {
				if c := strings.Compare(fmt.Sprintf("%020s", trimZeros(ra)), fmt.Sprintf("%020s", trimZeros(rb))); c != 0 {
					return c
				}
				continue
			}
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		case da:
			return -1
		case db:
			return 1
		default:
			if c := strings.Compare(ra, rb); c != 0 {
				return c
			}
		}
	}
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	}
	return 1
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// run returns the leading run of s: all digits, all letters, or one separator.
func run(s string) string {
	d := isDigit(s[0])
	if !d && (s[0] == '.' || s[0] == '-') {
		return s[:1]
	}
	i := 1
	for i < len(s) && isDigit(s[i]) == d && s[i] != '.' && s[i] != '-' {
		i++
	}
	return s[:i]
}

// HasPrefix reports whether v's numeric components start with p's: "1.22.5"
// has prefix "1.22" and "1", never "1.2". A release missing components counts
// them as zero, so go's "1.22" has prefix "1.22.0".
func HasPrefix(v, p Version) bool {
	for i := range p.Nums {
		if v.num(i) != p.Nums[i] {
			return false
		}
	}
	return true
}
