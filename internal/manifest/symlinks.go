package manifest

import (
	"os"
	"path/filepath"

	"github.com/metawork/meta/internal/yamlpos"
)

// checkLinkEscapes refuses a component path that leaves the workspace
// root through a symbolic link: the root check in validate is lexical,
// and a link committed in the meta repository (evil → /elsewhere, path:
// evil/x) would make bootstrap clone outside the root. The component's
// own last element may be a link (a user's link to a clone kept
// elsewhere is deliberate); every directory above it must resolve inside
// the root.
func (p *parser) checkLinkEscapes(m *Manifest, comps *yamlpos.Node) error {
	root := resolveExisting(m.Workspace.Root)
	// Components mostly share their parent directory (the root): resolve
	// each directory once.
	resolved := map[string]string{}
	for _, name := range m.Order {
		c := m.Components[name]
		dir := filepath.Dir(c.Path)
		parent, ok := resolved[dir]
		if !ok {
			parent = resolveExisting(dir)
			resolved[dir] = parent
		}
		if parent == root || within(root, parent) {
			continue
		}
		node := comps.Get(name).Get("path")
		if node == nil {
			node = comps.KeyNode(name)
		}
		return p.errf(node, "component %q: path %s passes through a symbolic link to %s, outside the workspace root %s",
			name, c.RelPath, parent, m.Workspace.Root).
			WithHint("component checkouts must stay inside the workspace root; remove the link or choose another 'path'")
	}
	return nil
}

// resolveExisting resolves the symbolic links of the longest existing
// prefix of path and appends the rest unchanged.
func resolveExisting(path string) string {
	cur, rest := filepath.Clean(path), ""
	for {
		if _, err := os.Lstat(cur); err == nil {
			break
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return filepath.Clean(path)
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
	resolved, err := filepath.EvalSymlinks(cur)
	if err != nil {
		return filepath.Clean(path)
	}
	return filepath.Join(resolved, rest)
}
