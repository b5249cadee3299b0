package manifest

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// CheckName validates a component, group or environment name: letters,
// digits, '.', '_' and '-', starting with a letter or digit, at most 100
// characters, and never "." or "..".
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > 100:
		return errors.New("longer than 100 characters")
	case strings.ContainsAny(name, `/\`):
		return errors.New("must not contain a slash")
	case !nameRE.MatchString(name):
		pos := 0
		for _, r := range name {
			pos++
			if !(r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("invalid character %q at position %d", r, pos)
			}
		}
		return fmt.Errorf("must start with a letter or digit, not %q", name[:1])
	case strings.Contains(name, ".."):
		return errors.New("must not contain \"..\"")
	}
	return nil
}

var scpLike = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$`)

// CheckRepoURL accepts what git accepts as a remote that meta can clone:
// URLs with a scheme git knows, scp-like user@host:path, and local paths.
func CheckRepoURL(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errors.New("contains a control character")
		}
	}
	if strings.HasPrefix(s, "-") {
		return errors.New("must not start with '-'")
	}
	if i := strings.Index(s, "://"); i > 0 {
		u, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("not a valid URL: %v", err)
		}
		switch u.Scheme {
		case "https", "http", "ssh", "git", "git+ssh", "ssh+git":
			if u.Host == "" {
				return fmt.Errorf("%s URL has no host", u.Scheme)
			}
		case "file":
			if u.Path == "" {
				return errors.New("file URL has no path")
			}
		default:
			return fmt.Errorf("unsupported scheme %q", u.Scheme)
		}
		if strings.ContainsAny(s, " \t") {
			return errors.New("contains whitespace")
		}
		return nil
	}
	if scpLike.MatchString(s) {
		return nil
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
		return nil
	}
	return errors.New("not a URL, user@host:path, or a path starting with /, ./ or ../")
}

// LooksLikeConstraint tells a semver range from a git ref in places where
// either may be written (environment overrides). Full validation of the
// range happens in the resolver, which reports the exact position.
func LooksLikeConstraint(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if s == "*" || s == "x" || s == "X" || s == "latest" {
		return true
	}
	switch s[0] {
	case '^', '~', '<', '>', '=', '*':
		return true
	}
	t := strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if t == "" || t[0] < '0' || t[0] > '9' {
		return false
	}
	// A leading digit: a version or range unless it looks like a commit
	// hash or a branch such as "2024-hotfix".
	for _, r := range t {
		if !(r >= '0' && r <= '9' || r == '.' || r == 'x' || r == 'X' || r == '*' || r == ' ' || r == ',' ||
			r == '|' || r == '-' || r == '+' || r == '<' || r == '>' || r == '=' || r == '^' || r == '~' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	if len(t) >= 7 && isHex(t) && strings.ContainsAny(t, "abcdef") {
		return false
	}
	// "1.2.3", "1.2", "1", "1.x", "1.2.3-rc.1", "1.0 - 2.0"
	head := t
	if i := strings.IndexAny(head, " ,|<>="); i >= 0 {
		head = head[:i]
	}
	core, pre, hasPre := strings.Cut(head, "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if hasPre && (len(parts) != 3 || pre == "") {
		return false // "2024-hotfix" is a branch, "1.2.3-rc.1" a version
	}
	for _, part := range parts {
		if part == "x" || part == "X" || part == "*" {
			continue
		}
		if _, err := strconv.ParseUint(part, 10, 64); err != nil {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// ParseAge parses a duration that may use days: "30d", "12h", "1d12h", "90m".
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil || days < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return total + d, nil
}

// ParseSize parses a byte size: "1073741824", "10GB", "500MiB", "2G".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{
		{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
		{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
	} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(n * float64(mult)), nil
}
