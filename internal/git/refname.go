package git

import (
	"fmt"
	"strings"
)

// MaxRefNameLen bounds the length of a ref name meta accepts.
const MaxRefNameLen = 1024

// CheckRefName reports why name is not a branch or tag name git would
// accept (the rules of git check-ref-format --branch, which also refuses a
// leading '-'), or nil. Every ref read from a manifest or a lock file
// passes through it before it reaches a git command line, so no such
// value can ever be taken for an option.
func CheckRefName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("it is empty")
	case len(name) > MaxRefNameLen:
		return fmt.Errorf("it is longer than %d bytes", MaxRefNameLen)
	case name[0] == '-':
		return fmt.Errorf("it starts with '-'")
	case name == "@":
		return fmt.Errorf("it is '@'")
	case strings.Contains(name, ".."):
		return fmt.Errorf("it contains '..'")
	case strings.Contains(name, "@{"):
		return fmt.Errorf("it contains '@{'")
	case strings.Contains(name, "//"):
		return fmt.Errorf("it contains '//'")
	case name[0] == '/' || name[len(name)-1] == '/':
		return fmt.Errorf("it starts or ends with '/'")
	case name[len(name)-1] == '.':
		return fmt.Errorf("it ends with '.'")
	}
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("it contains a control character")
		case r == ' ':
			return fmt.Errorf("it contains a space")
		case strings.ContainsRune(`~^:?*[\`, r):
			return fmt.Errorf("it contains %q", r)
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part[0] == '.' {
			return fmt.Errorf("a component starts with '.'")
		}
		if strings.HasSuffix(part, ".lock") {
			return fmt.Errorf("a component ends with '.lock'")
		}
	}
	return nil
}

// CheckCommit reports why s is not a full commit id (40 hex digits, or 64
// for SHA-256 repositories, lowercase), or nil.
func CheckCommit(s string) error {
	if len(s) != 40 && len(s) != 64 {
		return fmt.Errorf("it is not 40 (or 64) hex digits")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("it is not 40 (or 64) lowercase hex digits")
		}
	}
	return nil
}
