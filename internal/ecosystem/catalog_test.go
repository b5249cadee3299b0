package ecosystem

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A yarn berry project whose dependencies name catalog ranges: "catalog:"
// (the default catalog) and "catalog:dev" (a named one), defined in
// .yarnrc.yml. Two versions of each package are locked, so only the
// catalog says which one is meant.
const yarnCatalogLock = `__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    ms: "catalog:"
    typescript: "catalog:dev"
    other: "npm:^1.0.0"
  languageName: unknown
  linkType: soft

"ms@npm:2.0.0":
  version: 2.0.0
  resolution: "ms@npm:2.0.0"
  languageName: node
  linkType: hard

"ms@npm:^2.1.3":
  version: 2.1.3
  resolution: "ms@npm:2.1.3"
  languageName: node
  linkType: hard

"other@npm:^1.0.0":
  version: 1.0.0
  resolution: "other@npm:1.0.0"
  dependencies:
    ms: "npm:2.0.0"
    typescript: "npm:4.9.5"
  languageName: node
  linkType: hard

"typescript@npm:4.9.5":
  version: 4.9.5
  resolution: "typescript@npm:4.9.5"
  languageName: node
  linkType: hard

"typescript@npm:5.6.2":
  version: 5.6.2
  resolution: "typescript@npm:5.6.2"
  languageName: node
  linkType: hard
`

const yarnCatalogRC = `# catalogs (yarn 4.10+)
nodeLinker: node-modules
catalog:
  ms: ^2.1.3
catalogs:
  dev:
    "typescript": 5.6.2
plugins:
  - path: .yarn/plugins/x.cjs
    spec: "https://example.com/x.js"
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestYarnCatalogRangesResolveThroughYarnrc(t *testing.T) {
	dir := writeFiles(t, map[string]string{"yarn.lock": yarnCatalogLock, ".yarnrc.yml": yarnCatalogRC})
	l, err := Parse(context.Background(), dir, Found{Path: "yarn.lock", Manager: ManagerYarn})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, l)
	if diff := cmp.Diff([]string{"ms@2.1.3", "other@1.0.0", "typescript@5.6.2"}, l.Roots); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
	if len(l.Warnings) > 0 {
		t.Errorf("warnings: %q", l.Warnings)
	}
}

func TestYarnCatalogWithoutYarnrcSaysSo(t *testing.T) {
	dir := writeFiles(t, map[string]string{"yarn.lock": yarnCatalogLock})
	l, err := Parse(context.Background(), dir, Found{Path: "yarn.lock", Manager: ManagerYarn})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"yarn.lock:5: app requires ms@catalog:, which no catalog defines (catalogs are read from .yarnrc.yml beside the lock file)",
		"yarn.lock:5: app requires typescript@catalog:dev, which no catalog defines (catalogs are read from .yarnrc.yml beside the lock file)",
	}
	if diff := cmp.Diff(want, l.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// babel's lock names catalog ranges 29 times; with its .yarnrc.yml's
// catalogs (at the fixture's commit) every one resolves.
func TestYarnBabelCatalogs(t *testing.T) {
	lock := largeFixture(t, "yarnberry-babel/yarn.lock")
	rc := `catalog:
  "@jridgewell/gen-mapping": 0.4.0-beta.0
  "@jridgewell/trace-mapping": ^0.3.31
  babel-plugin-polyfill-corejs3: ^1.0.0
  core-js: ^3.48.0
  core-js-compat: ^3.48.0
  verkit: ^0.3.2

catalogs:
  dev:
    "@jridgewell/sourcemap-codec": 1.6.0-beta.0
    terser: ^5.46.2
    typescript: 6.0.2
`
	dir := writeFiles(t, map[string]string{"yarn.lock": string(lock), ".yarnrc.yml": rc})
	l, err := Parse(context.Background(), dir, Found{Path: "yarn.lock", Manager: ManagerYarn})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range l.Warnings {
		if strings.Contains(w, "catalog") {
			t.Errorf("unresolved: %s", w)
		}
	}
	gen, ok := l.Lookup("@jridgewell/gen-mapping@0.4.0-beta.0")
	if !ok {
		t.Fatal("@jridgewell/gen-mapping@0.4.0-beta.0 is not locked")
	}
	if gen.Scope != ScopeProd {
		t.Errorf("gen-mapping 0.4.0-beta.0, which @babel/generator needs through the catalog, has scope %s", gen.Scope)
	}
}

func TestYarnrcThatCannotBeReadIsAWarning(t *testing.T) {
	dir := writeFiles(t, map[string]string{"yarn.lock": yarnCatalogLock, ".yarnrc.yml": "catalog:\n  ms: \"^2.1.3\n"})
	l, err := Parse(context.Background(), dir, Found{Path: "yarn.lock", Manager: ManagerYarn})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) == 0 || !strings.HasPrefix(l.Warnings[len(l.Warnings)-1], ".yarnrc.yml:2: ") ||
		!strings.HasSuffix(l.Warnings[len(l.Warnings)-1], "; its catalogs are not read") {
		t.Errorf("warnings: %q", l.Warnings)
	}
}

func FuzzYarnCatalogs(f *testing.F) {
	f.Add([]byte(yarnCatalogRC))
	f.Add([]byte("catalogs:\n  dev: {a: ^1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, err := yarnCatalogs(".yarnrc.yml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), ".yarnrc.yml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, m := range cat {
			if m == nil {
				t.Fatal("nil catalog")
			}
		}
	})
}
