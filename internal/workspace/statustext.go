package workspace

import (
	"fmt"
	"strings"
)

// Severity says how much a status cell should draw the eye.
type Severity int

// The severities of a status cell.
const (
	Fine   Severity = iota
	Notice          // worth a look: changes, a missing clone
	Worry           // work at risk or something broken
)

// Changes describes what the CHANGES column of 'meta status' shows for s:
// why it is not usable, or its local changes ("clean" when none).
func (s ComponentStatus) Changes() (string, Severity) {
	switch s.State {
	case StateMissing:
		return "missing: run 'meta bootstrap " + s.Name + "'", Notice
	case StateNotGit:
		return "not a git repository", Worry
	case StateError:
		l, _, _ := strings.Cut(strings.TrimSpace(s.Error), "\n")
		return "error: " + l, Worry
	case StateNotInManifest:
		return "not in manifest", Notice
	case StateOK, StateWrongRemote:
	default:
		return "-", Fine
	}
	var parts []string
	worry := false
	if s.State == StateWrongRemote {
		parts = append(parts, "wrong remote "+s.Remote)
		worry = true
	}
	if s.Modified > 0 {
		parts = append(parts, fmt.Sprintf("%d modified", s.Modified))
	}
	if s.Untracked > 0 {
		parts = append(parts, fmt.Sprintf("%d untracked", s.Untracked))
	}
	if s.Stash {
		parts = append(parts, "stash")
	}
	if s.LocalOnly > 0 {
		where := ""
		if len(s.LocalWhere) > 0 {
			where = " (" + strings.Join(s.LocalWhere, ", ") + ")"
		}
		parts = append(parts, Plural(s.LocalOnly, "commit")+" on no remote branch or tag"+where)
		worry = true
	}
	switch {
	case len(parts) == 0:
		return "clean", Fine
	case worry:
		return strings.Join(parts, ", "), Worry
	}
	return strings.Join(parts, ", "), Notice
}

// Head says what the HEAD column shows: the branch, "(detached)", the tag
// at a detached HEAD in parentheses, or a registry component's version;
// and the COMMIT column, a short commit ("-" for both when unknown).
func (s ComponentStatus) Head() (head, commit string) {
	head, commit = "-", "-"
	if s.Commit == "" && s.Tag != "" {
		head = s.Tag // a registry component: a version, no commit
	}
	if s.Commit != "" {
		commit = s.Commit[:min(len(s.Commit), 10)]
		head = s.Branch
		if s.Detached {
			head = "(detached)"
			if s.Tag != "" {
				head = "(" + s.Tag + ")"
			}
		}
	}
	return head, commit
}

// PathText is the PATH column: the path, and where it points when it is
// a symbolic link.
func (s ComponentStatus) PathText() string {
	if s.Symlink != "" {
		return s.Path + " -> " + s.Symlink
	}
	return s.Path
}
