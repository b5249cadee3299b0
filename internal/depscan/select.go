package depscan

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/yamlpos"
)

// UnknownComponentError says a selected name is no component of the
// manifest.
type UnknownComponentError struct {
	Name string
	File string // the manifest, as the user names it
	Hint string // the nearest name, or every name
}

func (e *UnknownComponentError) Error() string {
	return fmt.Sprintf("%s: no such component in %s", e.Name, e.File)
}

// NotCheckedOutError names selected components whose directory does not
// exist.
type NotCheckedOutError struct{ Names []string }

func (e *NotCheckedOutError) Error() string { return fmt.Sprintf("not checked out: %v", e.Names) }

// Select returns the components of m named in names (each once, in the
// order given), or every component in manifest order when all is set.
func Select(m *manifest.Manifest, names []string, all bool) ([]Component, error) {
	if all {
		names = m.Order
	}
	var out []Component
	var missing []string
	for _, n := range names {
		c, ok := m.Components[n]
		if !ok {
			hint := "components: " + strings.Join(slices.Sorted(slices.Values(m.Order)), ", ")
			if s := yamlpos.Suggest(n, m.Order); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			return nil, &UnknownComponentError{Name: n, File: m.Rel(m.File), Hint: hint}
		}
		if slices.ContainsFunc(out, func(c Component) bool { return c.Name == n }) {
			continue
		}
		out = append(out, Component{Name: n, Dir: c.Path})
	}
	for _, c := range out {
		if st, err := os.Stat(c.Dir); err != nil || !st.IsDir() {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return nil, &NotCheckedOutError{Names: missing}
	}
	return out, nil
}

// UnreadableError says lock files could not be read or parsed, naming
// each file and why.
type UnreadableError struct{ Msgs []string }

func (e *UnreadableError) Error() string {
	what := "a lock file could not be read"
	if len(e.Msgs) > 1 {
		what = fmt.Sprintf("%d lock files could not be read", len(e.Msgs))
	}
	return what + ": " + strings.Join(e.Msgs, "; ")
}

// Unreadable returns an *UnreadableError for the lock files of ts that
// could not be read or parsed ("component: why" each), or nil.
func Unreadable(ts []Target) error {
	var msgs []string
	for _, t := range ts {
		for _, f := range t.Failed {
			msgs = append(msgs, t.Name+": "+f.Err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return &UnreadableError{Msgs: msgs}
}
