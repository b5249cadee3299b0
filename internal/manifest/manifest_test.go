package manifest

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/yamlpos"
)

const good = `workspace:
  name: acme
  root: ..
  jobs: 4
tools: [go@1.22, node@20]
cache:
  remote: s3://meta-cache/acme?endpoint=http://127.0.0.1:7070&region=us-east-1
  max_age: 30d
  max_size: 10GB
registries:
  default: https://registry.acme.dev
components:
  agent-core:
    repo: git@github.com:acme/agent-core.git
    version: "^2.1.0"
    path: ../agent-core
    type: bazel
    build_target: //agent_core:all
    build:
      command: bazel build //agent_core:all
      outputs: [bazel-bin/agent_core]
      inputs: ["**/*", "!**/node_modules/**"]
    setup: ["make setup"]
    depends_on: ["detector-core:^1.5.0"]
    tools: ["python@3.11", "uv:ruff"]
    description: Agent intelligence
  detector-core:
    repo: https://github.com/acme/detector-core.git
    ref: main
    groups: [backend]
environments:
  dev:  { agent-core: main }
  prod: { agent-core: "~2.1.0" }
overrides:
  detector-core: { version: "1.5.3", reason: "CVE-2026-1234 fixed only in 1.5.3" }
`

func TestParseGood(t *testing.T) {
	m, err := Parse("/w/meta", ManifestPath, []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if m.Workspace.Root != "/w" || m.Workspace.Jobs != 4 || m.Workspace.Name != "acme" {
		t.Errorf("workspace = %+v", m.Workspace)
	}
	a := m.Components["agent-core"]
	if a.Path != "/w/agent-core" || a.Version != "^2.1.0" || a.Build.Command != "bazel build //agent_core:all" {
		t.Errorf("agent-core = %+v", a)
	}
	if len(a.DependsOn) != 1 || a.DependsOn[0].Name != "detector-core" || a.DependsOn[0].Constraint != "^1.5.0" || a.DependsOn[0].Pos.Line != 24 {
		t.Errorf("depends_on = %+v", a.DependsOn)
	}
	if d := m.Components["detector-core"]; d.Path != "/w/detector-core" || d.Ref != "main" || d.Groups[0] != "backend" {
		t.Errorf("detector-core = %+v", d)
	}
	if e := m.Environments["dev"]["agent-core"]; e.Ref != "main" || e.Version != "" {
		t.Errorf("dev = %+v", e)
	}
	if e := m.Environments["prod"]["agent-core"]; e.Version != "~2.1.0" {
		t.Errorf("prod = %+v", e)
	}
	if o := m.Overrides["detector-core"]; o.Version != "1.5.3" || !strings.Contains(o.Reason, "CVE") {
		t.Errorf("override = %+v", o)
	}
	if m.Cache.MaxSize != 10e9 || m.Cache.MaxAge.Hours() != 720 {
		t.Errorf("cache = %+v", m.Cache)
	}
	if got := strings.Join(m.Order, ","); got != "agent-core,detector-core" {
		t.Errorf("order = %s", got)
	}
	if eff := m.Effective(a, "dev"); eff.Ref != "main" || eff.Version != "" {
		t.Errorf("effective dev = %+v", eff)
	}
}

func TestParseErrors(t *testing.T) {
	const f = ManifestPath + ":"
	for _, tc := range []struct {
		name, src, want, hint string
	}{
		{"malformed", "components:\n  a: [\n", f, ""},
		{"empty", "", f + "1:1: the manifest is empty", "meta init"},
		{"unknown top key", "componets:\n  a: {repo: /x}\n", f + "1:1: unknown key \"componets\" (did you mean \"components\"?)", "rename"},
		{"unknown comp key", "components:\n  a:\n    repo: /x\n    verison: ^1\n", f + "4:5: unknown key \"verison\" (did you mean \"version\"?)", ""},
		{"escaping path", "components:\n  a:\n    repo: /x\n    path: ../../etc\n", f + "4:11: component \"a\": path ../../etc is outside the workspace root", "inside the workspace root"},
		{"slash in name", "components:\n  a/b:\n    repo: /x\n", f + "2:3: component name \"a/b\": must not contain a slash", ""},
		{"bad repo", "components:\n  a:\n    repo: not a url\n", f + "3:11: component \"a\": repo \"not a url\"", "git URL"},
		{"bad scheme", "components:\n  a:\n    repo: ftp://h/x\n", f + "3:11: component \"a\": repo \"ftp://h/x\": unsupported scheme", ""},
		{"same path", "components:\n  a:\n    repo: /x\n    path: ../c\n  b:\n    repo: /y\n    path: ../c\n", "share the path ../c", "different"},
		{"nested in registry", "registries:\n  r: https://r.example\ncomponents:\n  a:\n    registry: r\n    version: ^1\n  b:\n    repo: /y\n    path: ../a/sub\n", f + "9:11: component \"b\": path ../a/sub is inside component \"a\" (../a), and registry components cannot be nested", "both be git"},
		{"default group name", "workspace: {default_groups: [-a/b]}\ncomponents: {}\n", "default_groups: group name \"-a/b\"", "-GROUP"},
		{"same path other repo", "components:\n  a:\n    repo: /x\n    path: ../c\n    subdir: p/a\n  b:\n    repo: /y\n    path: ../c\n    subdir: p/b\n", "share the path ../c", "different 'subdir'"},
		{"same path nested subdirs", "components:\n  a:\n    repo: /x\n    path: ../c\n    subdir: p\n  b:\n    repo: /x\n    path: ../c\n    subdir: p/b\n", "share the path ../c", ""},
		{"subdir escapes", "components:\n  a:\n    repo: /x\n    subdir: ../up\n", f + "4:13: component \"a\": subdir \"../up\" must be a relative path inside the repository", "packages/api"},
		{"bad cache key list", "cache:\n  trusted_keys: 3\n", f + "2:17: expected a list of public keys", ""},
		{"unknown dep", "components:\n  a:\n    repo: /x\n    depends_on: [bee]\n  b:\n    repo: /y\n", f + "4:18: component \"a\" depends on \"bee\", which is not in 'components'", ""},
		{"self dep", "components:\n  a:\n    repo: /x\n    depends_on: [a]\n", "depends on itself", ""},
		{"bad range", "components:\n  a:\n    repo: /x\n    version: main\n", f + "4:14: component \"a\": version \"main\" is not a semver range", "ref: main"},
		{"version and ref", "components:\n  a:\n    repo: /x\n    version: ^1\n    ref: main\n", "both 'version' and 'ref'", ""},
		{"no repo", "components:\n  a:\n    type: go\n", "needs 'repo'", ""},
		{"jobs", "workspace: {jobs: many}\ncomponents: {}\n", "workspace.jobs must be a whole number", ""},
		{"env unknown comp", "components:\n  a: {repo: /x}\nenvironments:\n  dev: {b: main}\n", "environment dev names component \"b\"", ""},
		{"meta repo itself", "workspace: {root: .}\ncomponents:\n  a: {repo: /x, path: .}\n", "outside the workspace root", ""},
		{"list not map", "components:\n  - a\n", "expected a mapping of component names", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/w/meta", ManifestPath, []byte(tc.src))
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tc.want == f && !strings.HasPrefix(err.Error(), f) {
				t.Errorf("error %q has no position", err)
			}
			if tc.hint != "" {
				var hint string
				if e, ok := err.(*yamlpos.Error); ok {
					hint = e.Hint
				}
				if !strings.Contains(hint+err.Error(), tc.hint) {
					t.Errorf("hint %q does not contain %q", hint, tc.hint)
				}
			}
		})
	}
}

// The earlier Python tool's files load unchanged.
func TestSeedFormats(t *testing.T) {
	dir := "../../../shared/fixtures/seed-formats/meta"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared fixtures not present")
	}
	meta := t.TempDir()
	os.MkdirAll(filepath.Join(meta, "manifests"), 0o755)
	for _, f := range []string{"components.yaml", "environments.yaml", "features.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(meta, "manifests", f), data, 0o644)
	}
	m, err := Load(meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Components) != 4 || m.Components["agent-core"].Version != "v2.1.0" {
		t.Errorf("components = %v", m.Order)
	}
	if e := m.Environments["prod"]["detector-core"]; e.Ref != "prod" {
		t.Errorf("prod detector-core = %+v", e)
	}
	if f := m.Features["competitive-intelligence"]; f == nil || len(f.Components) != 3 || f.DependsOn[0] != "sports-betting-ingestion" {
		t.Errorf("features = %+v", m.Features)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "meta", "manifests"), 0o755)
	os.WriteFile(filepath.Join(dir, "meta", ManifestPath), []byte("components: {}\n"), 0o644)
	deep := filepath.Join(dir, "meta", "a", "b")
	os.MkdirAll(deep, 0o755)
	got, err := Find(deep)
	if err != nil || got != filepath.Join(dir, "meta") {
		t.Errorf("Find = %q, %v", got, err)
	}
	if _, err := Find(dir); err != ErrNotFound {
		t.Errorf("Find outside = %v", err)
	}
	// From inside a sibling checkout the manifest names.
	os.WriteFile(filepath.Join(dir, "meta", ManifestPath), []byte("components:\n  api: {repo: /x}\n"), 0o644)
	sub := filepath.Join(dir, "api", "pkg")
	os.MkdirAll(sub, 0o755)
	if got, err := Find(sub); err != nil || got != filepath.Join(dir, "meta") {
		t.Errorf("Find from a checkout = %q, %v", got, err)
	}
	other := filepath.Join(dir, "unrelated")
	os.MkdirAll(other, 0o755)
	if _, err := Find(other); err != ErrNotFound {
		t.Errorf("Find from an unrelated sibling = %v", err)
	}
}

func TestComponentFile(t *testing.T) {
	cf, err := ParseComponentFile("c.yaml", []byte("name: api\ndepends_on: [\"auth:^1.2\", db]\ntools: [go@1.22]\nsetup: make setup\nbuild: make\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cf.Name != "api" || len(cf.DependsOn) != 2 || cf.DependsOn[0].Constraint != "^1.2" || cf.Setup[0] != "make setup" || cf.Build.Command != "make" {
		t.Errorf("got %+v", cf)
	}
	if _, err := ParseComponentFile("c.yaml", []byte("nmae: x\n")); err == nil || !strings.Contains(err.Error(), `did you mean "name"`) {
		t.Errorf("typo: %v", err)
	}
}

func TestLooksLikeConstraint(t *testing.T) {
	for s, want := range map[string]bool{
		"^1.2.0": true, "~2.1.0": true, "v2.1.0": true, "1.5.3": true, ">=1 <2": true, "1.x": true, "*": true,
		"1.0 - 2.0": true, "1.2.3-rc.1": true, "main": false, "dev": false, "prod": false,
		"feature/x": false, "deadbeefcafe": false, "1a2b3c4d5e": false, "2024-hotfix": false,
	} {
		if got := LooksLikeConstraint(s); got != want {
			t.Errorf("LooksLikeConstraint(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckRepoURL(t *testing.T) {
	for s, ok := range map[string]bool{
		"git@github.com:acme/x.git": true, "https://github.com/acme/x.git": true, "ssh://git@h/x": true,
		"file:///srv/git/x": true, "/srv/git/x": true, "../x": true, "x": false, "not a url": false,
		"ftp://h/x": false, "-oProxyCommand=x": false, "https:///x": false, "": false,
	} {
		if err := CheckRepoURL(s); (err == nil) != ok {
			t.Errorf("CheckRepoURL(%q) = %v", s, err)
		}
	}
}

func TestSubdirComponents(t *testing.T) {
	src := "cache:\n  trusted_keys: [RWQx, RWQy]\ncomponents:\n  api: {repo: /m, path: ../mono, subdir: packages/api/}\n  web: {repo: /m, path: ../mono, subdir: packages/web}\n"
	m, err := Parse("/w/meta", ManifestPath, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if a, w := m.Components["api"], m.Components["web"]; a.Path != w.Path || a.Subdir != "packages/api" || w.Subdir != "packages/web" {
		t.Errorf("api %s %q, web %s %q", a.Path, a.Subdir, w.Path, w.Subdir)
	}
	if len(m.Cache.TrustedKeys) != 2 || m.Cache.TrustedKeys[1] != "RWQy" {
		t.Errorf("trusted keys %v", m.Cache.TrustedKeys)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("components:\n  a: {repo: /x, depends_on: [b]}\n  b: {repo: /y}\n"))
	f.Add([]byte("cache:\n  trusted_keys: [RWQx]\ncomponents:\n  a: {repo: /m, path: ../m, subdir: p/a}\n  b: {repo: /m, path: ../m, subdir: p/b}\n"))
	f.Add([]byte("components:\n  a: {repo: /x, ref: '--upload-pack=touch PWNED #'}\n"))
	f.Add([]byte("components:\n  a: {repo: /x}\nenvironments:\n  dev: {a: '-x'}\n"))
	f.Add([]byte("registries:\n  r: https://u:p@h\ncomponents:\n  a: {registry: r, version: ^1.0.0}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("/w/meta", ManifestPath, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), ManifestPath) {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		for _, r := range m.Registries {
			if strings.Contains(r.URL, "@") && strings.Contains(r.URL, "://") {
				if u, err := url.Parse(r.URL); err == nil && u.User != nil {
					t.Fatalf("registry %s: accepted credentials in %q", r.Name, r.URL)
				}
			}
		}
		for _, c := range m.Components {
			if c.Ref != "" && git.CheckRefName(c.Ref) != nil {
				t.Fatalf("%s: accepted ref %q", c.Name, c.Ref)
			}
		}
		for _, c := range m.Components {
			if !within(m.Workspace.Root, c.Path) {
				t.Fatalf("path %s escapes %s", c.Path, m.Workspace.Root)
			}
		}
	})
}

func FuzzComponentFile(f *testing.F) {
	f.Add([]byte("name: api\ndepends_on: [\"auth:^1.2\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseComponentFile("c.yaml", data)
	})
}
