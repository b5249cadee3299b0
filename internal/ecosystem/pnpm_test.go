package ecosystem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const pnpmSmall = `lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0(peer@2.0.0)
      member:
        specifier: workspace:*
        version: link:packages/member
    devDependencies:
      alias:
        specifier: npm:real@^3
        version: real@3.0.0
  packages/member:
    optionalDependencies:
      '@s/opt':
        specifier: ^1
        version: 1.1.0
      gitdep:
        specifier: github:o/gitdep
        version: https://codeload.github.com/o/gitdep/tar.gz/abc

packages:
  a@1.0.0:
    resolution: {integrity: sha512-x}
  peer@2.0.0:
    resolution: {integrity: sha512-x}
  real@3.0.0:
    resolution: {integrity: sha512-x}
  '@s/opt@1.1.0':
    resolution: {integrity: sha512-x}
  gitdep@https://codeload.github.com/o/gitdep/tar.gz/abc:
    resolution: {tarball: https://codeload.github.com/o/gitdep/tar.gz/abc}
    version: 0.5.0
  local@file:vendor/local:
    resolution: {directory: vendor/local, type: directory}

snapshots:
  a@1.0.0(peer@2.0.0):
    dependencies:
      peer: 2.0.0
    optionalDependencies:
      local: file:vendor/local
  peer@2.0.0: {}
  real@3.0.0: {}
  '@s/opt@1.1.0': {}
  gitdep@https://codeload.github.com/o/gitdep/tar.gz/abc: {}
  local@file:vendor/local: {}
`

func TestPnpm(t *testing.T) {
	l := mustParse(t, ManagerPnpm, "pnpm-lock.yaml", []byte(pnpmSmall))
	want := `@s/opt@1.1.0 optional direct
a@1.0.0 prod direct -> local@ peer@2.0.0
gitdep@0.5.0 optional direct url
local@ optional path
member@ prod local -> @s/opt@1.1.0 gitdep@0.5.0
peer@2.0.0 prod
real@3.0.0 dev direct
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPnpmSharedFixture(t *testing.T) {
	l := mustParse(t, ManagerPnpm, "pnpm-lock.yaml", sharedFixture(t, "pnpm-v9-trivy/pnpm-lock.yaml"))
	if len(l.Packages) != 23 || len(l.Roots) != 12 { // 22 and a workspace member
		t.Errorf("%d packages, %d roots", len(l.Packages), len(l.Roots))
	}
	lines := summary(l)
	for _, want := range []string{
		"debug@4.3.5 prod direct url -> ms@2.1.2\n",
		"ms@2.0.0 prod direct\n", // dev at the root, but prod through finalhandler → debug@4.3.4
		"asap@2.0.6 optional\n",
		"await-sleep@0.0.1 dev direct\n",
		"lodash@4.17.21 dev direct path\n",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in\n%s", want, lines)
		}
	}
}

func TestPnpmErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"lockfileVersion: '5.4'\n", `pnpm-lock.yaml:1: lockfileVersion "5.4": meta reads pnpm lock files version 6 to 9`},
		{"lockfileVersion: '9.0'\npackages:\n  nover: {}\n", `pnpm-lock.yaml:3: packages: key "nover" is not name@version`},
		{"lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: [1]\n", `pnpm-lock.yaml:4: `},
		{"lockfileVersion: '9.0'\nimporters: {\n", `pnpm-lock.yaml:2: `},
	} {
		_, err := ParseFile(ManagerPnpm, "pnpm-lock.yaml", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.data, err, tc.want)
		}
	}
}

func FuzzPnpm(f *testing.F) {
	fuzzParser(f, ManagerPnpm, pnpmSmall, pnpmTwoDocs, pnpmTwoDocs[:300], "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution:\n      type: variations\n      variants:\n        - targets:\n            - cpu: x64\n")
}

func TestPnpmV6SingleProject(t *testing.T) {
	data := `lockfileVersion: '6.0'

dependencies:
  a:
    specifier: ^1.0.0
    version: 1.0.0

devDependencies:
  '@s/b':
    specifier: ^2.0.0
    version: 2.0.0

packages:

  /a@1.0.0:
    resolution: {integrity: sha512-x}
    dependencies:
      '@s/b': 2.0.0
    dev: false

  /@s/b@2.0.0:
    resolution: {integrity: sha512-x}
    dev: false
`
	l := mustParse(t, ManagerPnpm, "pnpm-lock.yaml", []byte(data))
	want := "@s/b@2.0.0 prod direct\na@1.0.0 prod direct -> @s/b@2.0.0\n"
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
