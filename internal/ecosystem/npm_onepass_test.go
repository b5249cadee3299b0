package ecosystem

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNpmOnePassMatchesTwoPass checks that the one-pass reading of a
// package-lock.json gives the lock file of the entry-by-entry reading,
// on real lock files and on small edge cases (null entries, duplicate
// keys), and that a bad entry still gets the entry-by-entry error.
func TestNpmOnePassMatchesTwoPass(t *testing.T) {
	inputs := map[string][]byte{
		"null entry": []byte(`{"lockfileVersion":3,"packages":{"":{"name":"app","dependencies":{"a":"1"}},"node_modules/a":{"version":"1.0.0"},"node_modules/b":null}}`),
		"null local": []byte(`{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/a":{"version":"1.0.0"},"tools/x":null}}`),
		"duplicate":  []byte(`{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/a":{"version":"1.0.0","dev":true},"node_modules/a":{"version":"2.0.0"}}}`),
	}
	for _, rel := range []string{"lockfiles/npm-v3-generated-vulnerable/package-lock.json", "lockfiles/npm-v3-trivy/package-lock.json", "lockfiles-large/npm-big/package-lock.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", filepath.FromSlash(rel)))
		if err != nil {
			continue
		}
		inputs[rel] = data
	}
	for name, data := range inputs {
		got, gotErr := parseNpm("package-lock.json", data, nil)
		var lock npmLock
		if err := json.Unmarshal(data, &lock); err != nil {
			t.Fatal(err)
		}
		want, wantErr := parseNpmPackages("package-lock.json", data, lock.Packages)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Errorf("%s: error %v, want %v", name, gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: one pass differs (-two passes +one pass):\n%s", name, diff)
		}
	}
	bad := []byte("{\"lockfileVersion\":3,\"packages\":{\n\"\":{\"name\":\"app\"},\n\"node_modules/a\":{\"version\":1}}}")
	_, err := parseNpm("package-lock.json", bad, nil)
	if err == nil || err.Error() != `package-lock.json:3: packages["node_modules/a"]: "version" must be a string, not number` {
		t.Errorf("bad entry: %v", err)
	}
}
