package versions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedFixture reads a file of ../shared/fixtures when it is there (the
// project's tests carry trimmed copies in ../testdata; these use the full
// recorded documents as an extra check).
func sharedFixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "fixtures", filepath.FromSlash(rel)))
	if err != nil {
		t.Skip("shared fixtures not present")
	}
	return b
}

func TestSharedGoDocument(t *testing.T) {
	rs, err := ParseGo(sharedFixture(t, "versions/go-dl-mode-json-include-all.setup-go-2020.json"), "https://go.dev/dl/")
	if err != nil {
		t.Fatal(err)
	}
	// Pre-2022 order (featured first) is sorted here; odd rows are kept or skipped, never fatal.
	for _, c := range [][2]string{{"latest", "1.13.7"}, {"1.12", "1.12.16"}, {"1.4", "1.4.3"}, {"1", "1.13.7"}, {"1.13.0", "1.13"}, {"1.14rc1", "1.14rc1"}} {
		r, err := Select("go", rs, c[0])
		if err != nil || r.Version.Text != c[1] {
			t.Errorf("%s -> %v %v, want %s", c[0], r.Version, err, c[1])
		}
	}
	// Old releases list empty digests: the file is there, its checksum is not.
	r, _ := Select("go", rs, "1.4.3")
	if f, ok := r.FileFor("linux", "amd64"); ok && f.SHA256 != "" {
		t.Errorf("go1.4.3 digest %q", f.SHA256)
	}
}

func TestSharedNodeIndex(t *testing.T) {
	rs, err := ParseNode(sharedFixture(t, "versions/node-dist-index.DERIVED-from-nvm-tab.json"), "https://nodejs.org/dist/")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"latest", "23.1.0"}, {"lts", "22.11.0"}, {"lts/hydrogen", "18.20.4"}, {"lts/argon", "4.9.1"}, {"0.12", "0.12.18"}, {"8", "8.17.0"}} {
		r, err := Select("node", rs, c[0])
		if err != nil || r.Version.Text != c[1] {
			t.Errorf("%s -> %v %v, want %s", c[0], r.Version, err, c[1])
		}
	}
}

func TestSharedPythonCatalogue(t *testing.T) {
	rs, err := ParsePython(sharedFixture(t, "versions/uv-python-download-metadata.linux-gnu-trimmed.json"), "x")
	if err != nil {
		t.Fatal(err)
	}
	// SOURCES.md: the catalogue has patch gaps (no 3.10.1, 3.11.0, 3.11.2, 3.9.8):
	// a version that does not install is an error, never accepted.
	for _, v := range []string{"3.10.1", "3.11.0", "3.11.2", "3.9.8"} {
		if _, err := Select("python", rs, v); err == nil || !strings.Contains(err.Error(), "Available versions:") {
			t.Errorf("%s: %v", v, err)
		}
	}
	if r, err := Select("python", rs, "3.11"); err != nil || r.Version.Pre != "" {
		t.Errorf("3.11 -> %v %v", r.Version, err)
	}
}

// TestMoatResolverFixtures replays the seed's own resolver test inputs.
func TestMoatResolverFixtures(t *testing.T) {
	rs, err := ParseGo(sharedFixture(t, "seed-formats/moat/test-fixtures/go-TestGoResolver_Resolve.json"), "https://go.dev/dl/")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"1.25", "1.25.6"}, {"1.22", "1.22.12"}, {"1.24", "1.24.12"}, {"1.22.0", "1.22"}, {"latest", "1.25.6"}, {"1.25rc1", "1.25rc1"}} {
		r, err := Select("go", rs, c[0])
		if err != nil || r.Version.Text != c[1] {
			t.Errorf("%s -> %v %v, want %s", c[0], r.Version, err, c[1])
		}
	}
	ls, err := ParseGo(sharedFixture(t, "seed-formats/moat/test-fixtures/go-TestGoResolver_LatestStable.json"), "https://go.dev/dl/")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := Select("go", ls, "latest"); r.Version.Text != "1.25.6" {
		t.Errorf("latest stable %s (rc must not win)", r.Version)
	}
	ns, err := ParseNode(sharedFixture(t, "seed-formats/moat/test-fixtures/node-TestNodeResolver_LatestStable.json"), "https://nodejs.org/dist/")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"latest", "23.5.0"}, {"lts", "22.13.0"}, {"lts/iron", "20.18.2"}} {
		if r, err := Select("node", ns, c[0]); err != nil || r.Version.Text != c[1] {
			t.Errorf("%s -> %v %v", c[0], r.Version, err)
		}
	}
}
