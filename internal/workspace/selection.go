package workspace

import (
	"os"

	"github.com/metawork/meta/internal/manifest"
)

// DefaultSelection returns the components a command works on when it names
// no component and no group: those in the manifest's default selection
// (workspace.default_groups), plus any other component already checked
// out (added earlier with --group), so status and exec see everything on
// disk while bootstrap clones only what the source tool would by default.
func DefaultSelection(m *manifest.Manifest) []*manifest.Component {
	all := m.List()
	if len(m.Workspace.DefaultGroups) == 0 {
		return all
	}
	out := make([]*manifest.Component, 0, len(all))
	for _, c := range all {
		if m.InDefaultSelection(c) {
			out = append(out, c)
		} else if _, err := os.Lstat(c.Path); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// ClonedOnly returns the components of comps whose checkout exists, and
// how many were left out.
func ClonedOnly(comps []*manifest.Component) ([]*manifest.Component, int) {
	out := make([]*manifest.Component, 0, len(comps))
	for _, c := range comps {
		if _, err := os.Lstat(c.Path); err == nil {
			out = append(out, c)
		}
	}
	return out, len(comps) - len(out)
}
