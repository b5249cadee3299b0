package workspace

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/manifest"
)

// maxScanned bounds the directories MetaReposBelow looks into.
const maxScanned = 1000

// MetaReposBelow lists the meta repositories directly below dir: its
// subdirectories that hold manifests/components.yaml. Run from the folder
// that holds the checkouts, this finds the workspace's meta repository.
// Hidden directories are skipped; symbolic links are not followed.
func MetaReposBelow(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for i, e := range entries {
		if i == maxScanned {
			break
		}
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if st, err := os.Stat(filepath.Join(p, filepath.FromSlash(manifest.ManifestPath))); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
