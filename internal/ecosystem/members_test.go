package ecosystem

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// locals lists l's first-party packages by ID, with whether any is a root.
func locals(t *testing.T, l *Lockfile) []string {
	t.Helper()
	var out []string
	for _, p := range l.Packages {
		if p.Source == SourceLocal {
			if p.Direct {
				t.Errorf("local %s is a root", p.ID())
			}
			out = append(out, p.ID())
		}
	}
	return out
}

const npmWorkspaceLock = `{
  "name": "root",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "root", "workspaces": ["packages/*"], "dependencies": {"lodash": "^4"}},
    "packages/a": {"name": "@scope/a", "version": "1.2.0", "dependencies": {"b": "*", "ms": "^2"}},
    "packages/b": {"version": "0.1.0"},
    "node_modules/@scope/a": {"resolved": "packages/a", "link": true},
    "node_modules/b": {"resolved": "packages/b", "link": true},
    "node_modules/lodash": {"version": "4.17.21", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", "dependencies": {"b": "*"}},
    "node_modules/ms": {"version": "2.1.3", "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz"}
  }
}`

func TestNpmWorkspaceMembersAreLocal(t *testing.T) {
	l := mustParse(t, ManagerNpm, "package-lock.json", []byte(npmWorkspaceLock))
	if diff := cmp.Diff([]string{"@scope/a@1.2.0", "b@0.1.0"}, locals(t, l)); diff != "" {
		t.Errorf("local packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"lodash@4.17.21", "ms@2.1.3"}, l.Roots); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
	lodash, _ := l.Lookup("lodash@4.17.21")
	if diff := cmp.Diff([]string{"b@0.1.0"}, lodash.Deps); diff != "" {
		t.Errorf("a registry package's edge to a member (-want +got):\n%s", diff)
	}
}

const pnpmWorkspaceLock = `lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      member:
        specifier: workspace:*
        version: link:packages/member
  packages/member:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0
  tools/cli:
    dependencies:
      '@s/member':
        specifier: workspace:^
        version: link:../../packages/member

packages:
  a@1.0.0:
    resolution: {integrity: sha512-x}

snapshots:
  a@1.0.0: {}
`

func TestPnpmWorkspaceMembersAreLocal(t *testing.T) {
	l := mustParse(t, ManagerPnpm, "pnpm-lock.yaml", []byte(pnpmWorkspaceLock))
	// packages/member is linked as "member" first (the root's name for
	// it); tools/cli, which nothing links, is named by its directory.
	if diff := cmp.Diff([]string{"cli@", "member@"}, locals(t, l)); diff != "" {
		t.Errorf("local packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a@1.0.0"}, l.Roots); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
}

func TestPnpmLargeFixtureMembersAreLocal(t *testing.T) {
	l := mustParse(t, ManagerPnpm, "pnpm-lock.yaml", largeFixture(t, "pnpm-pnpm/pnpm-lock.yaml"))
	if n := len(locals(t, l)); n < 200 {
		t.Errorf("%d local packages, want pnpm's workspace members (214 importers besides the root)", n)
	}
}
