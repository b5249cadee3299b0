package ecosystem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const npmNested = `{
  "name": "app", "lockfileVersion": 3,
  "packages": {
    "": {"name": "app", "workspaces": ["packages/*"], "dependencies": {"a": "^1", "w": "*", "loc": "file:vendor/loc"}, "devDependencies": {"d": "^1"}, "optionalDependencies": {"o": "^1"}},
    "node_modules/a": {"version": "1.0.0", "license": "MIT", "dependencies": {"b": "^2", "c": "^1"}},
    "node_modules/a/node_modules/b": {"version": "2.0.0", "dependencies": {"c": "^1"}},
    "node_modules/b": {"version": "1.0.0", "dev": true},
    "node_modules/c": {"version": "1.0.0", "license": {"type": "ISC"}},
    "node_modules/d": {"version": "1.0.0", "dev": true, "dependencies": {"b": "^1"}},
    "node_modules/o": {"version": "1.0.0", "optional": true, "dependencies": {"gone": "^1"}},
    "node_modules/w": {"resolved": "packages/w", "link": true},
    "packages/w": {"name": "w", "version": "0.1.0", "dependencies": {"c": "^1"}, "devDependencies": {"x": "^1"}},
    "node_modules/x": {"version": "3.0.0", "dev": true},
    "node_modules/loc": {"resolved": "vendor/loc", "link": true},
    "vendor/loc": {"version": "0.2.0", "dependencies": {"c": "^1"}}
  }
}`

func TestNpmPackages(t *testing.T) {
	l := mustParse(t, ManagerNpm, "package-lock.json", []byte(npmNested))
	want := `a@1.0.0 prod direct (MIT) -> b@2.0.0 c@1.0.0
b@1.0.0 dev
b@2.0.0 prod -> c@1.0.0
c@1.0.0 prod direct (ISC)
d@1.0.0 dev direct -> b@1.0.0
loc@0.2.0 prod direct path -> c@1.0.0
o@1.0.0 optional direct
w@0.1.0 prod local -> c@1.0.0 x@3.0.0
x@3.0.0 dev direct
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if got := l.PathTo("c@1.0.0"); !cmp.Equal(got, []string{"c@1.0.0"}) {
		t.Errorf("PathTo(c) = %v", got)
	}
	if got := l.PathTo("b@2.0.0"); !cmp.Equal(got, []string{"a@1.0.0", "b@2.0.0"}) {
		t.Errorf("PathTo(b@2) = %v", got)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "gone") {
		t.Errorf("warnings = %q", l.Warnings)
	}
}

func TestNpmV1(t *testing.T) {
	data := `{"lockfileVersion": 1, "dependencies": {
  "a": {"version": "1.0.0", "requires": {"b": "^1"}, "dependencies": {"b": {"version": "1.5.0"}}},
  "b": {"version": "2.0.0", "dev": true},
  "c": {"version": "git+https://example.com/c.git#abc"}
}}`
	l := mustParse(t, ManagerNpm, "package-lock.json", []byte(data))
	want := `a@1.0.0 prod direct -> b@1.5.0
b@1.5.0 prod
b@2.0.0 dev direct
c@git+https://example.com/c.git#abc prod direct git
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	pj := readPackageJSON([]byte(`{"dependencies": {"a": "^1"}, "devDependencies": {"b": "^2"}}`))
	l, err := parseNpm("package-lock.json", []byte(data), pj)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(l.Roots, []string{"a@1.0.0", "b@2.0.0"}) {
		t.Errorf("roots from package.json = %v", l.Roots)
	}
}

func TestNpmSharedFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		packages int
		check    map[string]string // id → summary line prefix
	}{
		{"npm-v3-trivy", 31, map[string]string{
			"debug@2.5.2":   "debug@2.5.2 dev direct -> ms@0.7.2",
			"asap@2.0.6":    "asap@2.0.6 optional",
			"debug@2.6.9":   "debug@2.6.9 prod -> ms@2.0.0",
			"promise@8.3.0": "promise@8.3.0 optional direct -> asap@2.0.6",
			"ms@1.0.0":      "ms@1.0.0 prod direct",
		}},
		{"npm-v3-generated-vulnerable", 3, map[string]string{
			"lodash@4.17.20": "lodash@4.17.20 prod direct (MIT)",
			"mkdirp@0.5.5":   "mkdirp@0.5.5 dev direct (MIT) -> minimist@1.2.5",
		}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			l := mustParse(t, ManagerNpm, "package-lock.json", sharedFixture(t, tc.dir+"/package-lock.json"))
			if len(l.Packages) != tc.packages {
				t.Errorf("%d packages, want %d", len(l.Packages), tc.packages)
			}
			lines := map[string]string{}
			for _, line := range strings.Split(summary(l), "\n") {
				lines[strings.Fields(line + " x")[0]] = line
			}
			for id, want := range tc.check {
				if lines[id] != want {
					t.Errorf("%s: got %q, want %q", id, lines[id], want)
				}
			}
		})
	}
}

func TestNpmErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`{"packages": {"": {}, "node_modules/a": {"version": 3}}}`, `package-lock.json:1: packages["node_modules/a"]: "version" must be a string, not number`},
		{"{\n  \"packages\": {\n    \"node_modules/a\": {}\n  }\n}", `package-lock.json:3: packages["node_modules/a"]: "version" must be a non-empty string`},
		{"{\n  \"packages\": \n", `package-lock.json:3: invalid JSON: unexpected end of JSON input`},
		{`{"name": "x"}`, `package-lock.json: neither "packages"`},
		{`[]`, `package-lock.json:1: "value" must be an object, not array`},
	} {
		_, err := ParseFile(ManagerNpm, "package-lock.json", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.data, err, tc.want)
		}
	}
}

func FuzzNpm(f *testing.F) {
	fuzzParser(f, ManagerNpm, npmNested, `{"lockfileVersion":1,"dependencies":{"a":{"version":"1","requires":{"a":"1"}}}}`)
}
