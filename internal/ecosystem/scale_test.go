package ecosystem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// yarnAliases is a yarn v1 lock whose two entries are aliases: the real
// packages are lodash 4.17.20 and minimist 1.2.5, which advisories name.
const yarnAliases = `# yarn lockfile v1


"ld@npm:lodash@4.17.20":
  version "4.17.20"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz#abc"

"@s/mm@npm:minimist@^1.2.0", minimist@^1.2.5:
  version "1.2.5"
  resolved "https://registry.yarnpkg.com/minimist/-/minimist-1.2.5.tgz#def"
  dependencies:
    "ld" "npm:lodash@4.17.20"
`

func TestYarnClassicAliasesUseTheRealName(t *testing.T) {
	l := mustParse(t, ManagerYarn, "yarn.lock", []byte(yarnAliases))
	want := "lodash@4.17.20 prod\nminimist@1.2.5 prod direct -> lodash@4.17.20\n"
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestYarnClassicRealAliasesInWebpack(t *testing.T) {
	l := mustParse(t, ManagerYarn, "yarn.lock", largeFixture(t, "yarn1-webpack/yarn.lock"))
	for _, p := range l.Packages {
		if strings.HasPrefix(p.Name, "react-is-") || strings.HasSuffix(p.Name, "-cjs") || p.Name == "prettier-2" {
			t.Errorf("alias name recorded as a package: %s", p.ID())
		}
	}
	if _, ok := l.Lookup("react-is@19.2.7"); !ok {
		t.Errorf("react-is@19.2.7 (aliased as react-is-19) is missing")
	}
}

// pnpmTwoDocs is a pnpm 10+ lock: pnpm's environment lock first, then the
// project's lock.
const pnpmTwoDocs = `---
lockfileVersion: '9.0'

importers:

  .:
    configDependencies: {}
    packageManagerDependencies:
      pnpm:
        specifier: 10.0.0
        version: 10.0.0

packages:

  pnpm@10.0.0:
    resolution: {integrity: sha512-x}

snapshots:

  pnpm@10.0.0: {}

---
lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      ms:
        specifier: ^2.1.0
        version: 2.1.2
  packages/a:
    devDependencies:
      debug:
        specifier: ^4
        version: 4.3.4

packages:

  debug@4.3.4:
    resolution: {integrity: sha512-y}

  ms@2.1.2:
    resolution: {integrity: sha512-z}

snapshots:

  debug@4.3.4:
    dependencies:
      ms: 2.1.2

  ms@2.1.2: {}
`

func TestPnpmReadsTheLockDocument(t *testing.T) {
	l := mustParse(t, ManagerPnpm, "pnpm-lock.yaml", []byte(pnpmTwoDocs))
	want := "a@ prod local -> debug@4.3.4\ndebug@4.3.4 dev direct -> ms@2.1.2\nms@2.1.2 prod direct\n"
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(l.Notes) != 1 || !strings.Contains(l.Notes[0], "read YAML document 2 of 2") {
		t.Errorf("notes: %q", l.Notes)
	}
	// two documents that both look like locks: which one is meant is unknown
	both := strings.Replace(pnpmTwoDocs, "configDependencies: {}", "dependencies: {}", 1)
	if _, err := ParseFile(ManagerPnpm, "pnpm-lock.yaml", []byte(both)); err == nil || !strings.Contains(err.Error(), "2 YAML documents that each look like a lock") {
		t.Errorf("two lock documents: %v", err)
	}
}

func TestPnpmLargeSecondDocument(t *testing.T) {
	l := mustParse(t, ManagerPnpm, "pnpm-lock.yaml", largeFixture(t, "pnpm-pnpm/pnpm-lock.yaml"))
	if len(l.Packages) < 1500 {
		t.Errorf("%d packages, want the second document's (about 1,678)", len(l.Packages))
	}
}

// TestLargeLockFiles parses each real large lock file and checks the
// invariants and the package counts SOURCES.md gives (approximately).
func TestLargeLockFiles(t *testing.T) {
	min := map[string]int{"yarnberry": 1576, "yarnv1": 1300, "pnpm": 1600, "npm": 1200, "cargo": 900, "poetry": 70, "uv": 170, "gomod": 200}
	for _, lk := range largeLocks {
		data := largeFixture(t, lk.path)
		l, err := ParseFile(lk.manager, lk.path, data)
		if err != nil {
			t.Errorf("%s: %v", lk.name, err)
			continue
		}
		checkInvariants(t, l)
		if len(l.Packages) < min[lk.name] {
			t.Errorf("%s: %d packages, want at least %d", lk.name, len(l.Packages), min[lk.name])
		}
	}
}

func TestLocalPackagesAreListed(t *testing.T) {
	l := mustParse(t, ManagerYarn, "yarn.lock", largeFixture(t, "yarnberry-babel/yarn.lock"))
	local := 0
	for _, p := range l.Packages {
		if p.Source == SourceLocal {
			local++
			if p.Direct {
				t.Errorf("local %s is a root", p.ID())
			}
		}
		if p.Version == yarnLocalVersion {
			t.Errorf("%s: the placeholder version is not a version", p.ID())
		}
	}
	if local < 160 {
		t.Errorf("%d local packages, want babel's workspaces (about 162)", local)
	}
	for _, w := range l.Warnings {
		if strings.Contains(w, "@link:") {
			t.Errorf("a link: dependency bound to its workspace (::locator=) is not found: %s", w)
		}
	}
}

func TestCutShortIsAnError(t *testing.T) {
	berry := "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  languageName: node\n  linkType: hard\n"
	classic := string(yarnAliases)
	for _, tc := range []struct{ name, manager, data, want string }{
		{"berry unclosed quote", ManagerYarn, berry[:len(berry)-40], `yarn.lock:6: unclosed quote`},
		{"berry half entry", ManagerYarn, berry[:strings.Index(berry, "  languageName")], `yarn.lock:4: "a@npm:^1": "linkType" is missing (is the file cut short?)`},
		{"berry half field", ManagerYarn, berry[:len(berry)-3], `yarn.lock:8: "a@npm:^1": linkType "ha" is neither hard nor soft`},
		{"classic unclosed quote", ManagerYarn, classic[:strings.Index(classic, "4.17.20.tgz")], `yarn.lock:6: unclosed quote`},
		{"classic unclosed key", ManagerYarn, classic[:strings.Index(classic, "minimist@^1.2.0")], `yarn.lock:8: unclosed quote`},
		{"classic half entry", ManagerYarn, classic[:strings.Index(classic, "  version \"1.2.5\"")], `yarn.lock:8: @s/mm@npm:minimist@^1.2.0, minimist@^1.2.5: "version" is missing`},
		{"classic empty section", ManagerYarn, classic[:strings.Index(classic, "    \"ld\"")], `yarn.lock:11: a section with no entries (is the file cut short?)`},
		{"classic dependency without range", ManagerYarn, classic[:strings.LastIndex(classic, " \"npm:")], `yarn.lock:12: "ld" has no version range`},
		{"requirements continuation", ManagerPip, "a==1.0 \\\n", `requirements.txt:1: the last line ends with \`},
		{"requirements half version", ManagerPip, "a==1.0\nb==", `requirements.txt:2: b == names no version`},
		{"requirements trailing comma", ManagerPip, "b>=1,", `requirements.txt:1: an empty version specifier`},
		{"requirements unclosed marker", ManagerPip, "b==1; python_version < \"3.1", `requirements.txt:1: unclosed quote in the environment marker`},
		{"requirements empty URL", ManagerPip, "b @ ", `requirements.txt:1: b @ names no URL`},
	} {
		path := "yarn.lock"
		if tc.manager == ManagerPip {
			path = "requirements.txt"
		}
		_, err := ParseFile(tc.manager, path, []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %q:\n got %v\nwant %s", tc.name, tc.data, err, tc.want)
		}
	}
}

func TestEmptyLockFilesAreErrors(t *testing.T) {
	for _, tc := range []struct{ manager, path, want string }{
		{ManagerCargo, "Cargo.lock", "Cargo.lock: the file is empty: regenerate it with cargo generate-lockfile"},
		{ManagerPoetry, "poetry.lock", "poetry.lock: the file is empty: regenerate it with poetry lock"},
		{ManagerPip, "requirements.txt", "requirements.txt: the file is empty"},
		{ManagerYarn, "yarn.lock", "yarn.lock: the file is empty: regenerate it with yarn install"},
		{ManagerNpm, "package-lock.json", "package-lock.json: the file is empty"},
		{ManagerPnpm, "pnpm-lock.yaml", "pnpm-lock.yaml: the file is empty"},
		{ManagerUV, "uv.lock", "uv.lock: the file is empty"},
	} {
		for _, data := range []string{"", " \n\n"} {
			_, err := ParseFile(tc.manager, tc.path, []byte(data))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s %q: got %v, want %s", tc.path, data, err, tc.want)
			}
		}
	}
}
