package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLinkEscapes(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "ws")
	meta := filepath.Join(root, "meta")
	for _, d := range []string{meta, filepath.Join(base, "outside"), filepath.Join(base, "clone"), filepath.Join(root, "real")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		filepath.Join(meta, "evil"):  "../../outside",
		filepath.Join(root, "up"):    "../outside",
		filepath.Join(root, "lib"):   "../clone", // the user's link to a clone elsewhere
		filepath.Join(root, "inner"): "real",     // a link that stays inside
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{"evil/x", `path evil/x passes through a symbolic link to ` + filepath.Join(base, "outside")},
		{"../up/x", `path ../up/x passes through a symbolic link`},
		{"../up/a/b/c", `passes through a symbolic link`},
		{"../lib", ""},
		{"../inner/x", ""},
		{"../new/x", ""},
	} {
		data := "components:\n  c:\n    repo: /r\n    path: " + tc.path + "\n"
		_, err := Parse(meta, ManifestPath, []byte(data))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("path %s: %v", tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("path %s: err = %v, want %q", tc.path, err, tc.want)
		}
	}
}
