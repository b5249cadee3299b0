package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/manifest"
)

const westYML = `manifest:
  defaults:
    remote: upstream
    revision: main
  remotes:
    - name: upstream
      url-base: https://github.com/zephyrproject-rtos
  projects:
    - name: zephyr
      revision: v3.6.0
      path: zephyr
    - name: hal_nordic
      path: modules/hal/nordic
    - name: cmsis
      url: https://example.com/cmsis.git
      revision: 4b96cbb174678dcd3ca86e11e1f24bc5f8726da0
  self:
    path: app
`

const vcsRepos = `repositories:
  src/ros2/rclcpp:
    type: git
    url: https://github.com/ros2/rclcpp.git
    version: rolling
  src/ros2/rcl:
    type: git
    url: https://github.com/ros2/rcl.git
    version: 9.2.0
`

const repoXMLText = `<?xml version="1.0" encoding="UTF-8"?>
<manifest>
  <remote name="aosp" fetch="https://android.googlesource.com" />
  <default revision="refs/heads/main" remote="aosp" />
  <project path="build/make" name="platform/build" />
  <project path="art" name="platform/art" revision="android-14.0.0_r1" />
</manifest>
`

const gitmodules = `[submodule "libs/json"]
	path = third_party/json
	url = https://github.com/nlohmann/json.git
	branch = develop
[submodule "docs"]
	path = docs
	url = ../docs.git
`

const wrknvTOML = `[workspace]
name = "provide-workspace"

[[siblings]]
name = "provide-foundation"
path = "../provide-foundation"
repo = "https://github.com/provide-io/provide-foundation.git"

[[siblings]]
name = "pyvider"
path = "../pyvider"
repo = "https://github.com/provide-io/pyvider.git"
`

// brief is what a test compares of a project.
type brief struct{ Name, URL, Path, Ref string }

func briefs(ps []Project) []brief {
	out := make([]brief, len(ps))
	for i, p := range ps {
		out[i] = brief{p.Name, p.URL, p.Path, p.Ref}
	}
	return out
}

func TestImport(t *testing.T) {
	for _, tc := range []struct {
		kind, src string
		o         Options
		want      []brief
	}{
		{"west", westYML, Options{}, []brief{
			{"zephyr", "https://github.com/zephyrproject-rtos/zephyr", "zephyr", "v3.6.0"},
			{"hal_nordic", "https://github.com/zephyrproject-rtos/hal_nordic", "modules/hal/nordic", "main"},
			{"cmsis", "https://example.com/cmsis.git", "cmsis", "4b96cbb174678dcd3ca86e11e1f24bc5f8726da0"},
		}},
		{"vcstool", vcsRepos, Options{}, []brief{
			{"rclcpp", "https://github.com/ros2/rclcpp.git", "src/ros2/rclcpp", "rolling"},
			{"rcl", "https://github.com/ros2/rcl.git", "src/ros2/rcl", "9.2.0"},
		}},
		{"repo", repoXMLText, Options{}, []brief{
			{"make", "https://android.googlesource.com/platform/build", "build/make", "main"},
			{"art", "https://android.googlesource.com/platform/art", "art", "android-14.0.0_r1"},
		}},
		{"gitmodules", gitmodules, Options{ManifestURL: "https://github.com/org/super.git"}, []brief{
			{"json", "https://github.com/nlohmann/json.git", "third_party/json", "develop"},
			{"docs", "https://github.com/org/docs.git", "docs", ""},
		}},
		{"wrknv", wrknvTOML, Options{}, []brief{
			{"provide-foundation", "https://github.com/provide-io/provide-foundation.git", "provide-foundation", ""},
			{"pyvider", "https://github.com/provide-io/pyvider.git", "pyvider", ""},
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			r, err := Import(context.Background(), tc.kind, "in", []byte(tc.src), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := briefs(r.Projects); !slices.Equal(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			out := Render(r)
			m, err := manifest.Parse("/w/meta", "components.yaml", out)
			if err != nil {
				t.Fatalf("rendered manifest does not load: %v\n%s", err, out)
			}
			if len(m.Components) != len(r.Projects) {
				t.Errorf("rendered %d components", len(m.Components))
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	for _, tc := range []struct{ kind, src, want string }{
		{"west", "projects: []\n", "expected a top-level 'manifest:'"},
		{"west", "manifest:\n  projects:\n    - name: x\n      remote: nope\n", "in:3:7: project \"x\" uses remote \"nope\""},
		{"west", "manifest:\n  remotes:\n    - name: r\n      url-base: ..\n  projects:\n    - name: x\n      remote: r\n", "in:4: remote \"r\" url-base \"..\" is relative to the manifest's own URL"},
		{"west", "manifest:\n  projects:\n    - name: x\n      url: https://h/x\n      path: ../../etc\n", "must be relative and stay inside the workspace"},
		{"vcstool", "repositories:\n  a:\n    type: svn\n    url: x\n", "in: no repositories found"},
		{"repo", "<manifest><project name=\"a\" remote=\"r\"/></manifest>", "uses remote \"r\""},
		{"repo", "<manifest><project", "in:1: invalid repo manifest XML"},
		{"repo", "<manifest>\n  <remote name=\"aosp\" fetch=\"..\"/>\n</manifest>", "in:2: remote \"aosp\" fetch \"..\" is relative to the manifest's own URL"},
		{"repo", "<manifest><remote name=\"r\" fetch=\"https://h\"/><default remote=\"r\"/><remove-project name=\"zz\"/></manifest>", "<remove-project> names \"zz\""},
		{"gitmodules", "path = x\n", "in:1: \"path = x\" outside a [submodule] section"},
		{"gitmodules", "[submodule \"a\"]\n\tpath = a\n", "needs both path and url"},
		{"gitmodules", "[submodule \"a\"]\n\tpath = a\n\turl = ../a.git\n", "in:3: submodule \"a\" url \"../a.git\" is relative"},
		{"wrknv", "[tasks]\nbuild = \"uv build\"\n", "no [[siblings]] tables"},
		{"wrknv", "[[siblings]]\nname = \"x\"\npath = \"/abs/x\"\nrepo = \"https://h/x\"\n", "not beside the workspace repository"},
		{"svn", "", "unknown manifest kind"},
	} {
		_, err := Import(context.Background(), tc.kind, "in", []byte(tc.src), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err = %v, want %q", tc.kind, tc.src, err, tc.want)
		}
	}
}

func warningFor(r *Result, kindPart string) []Warning {
	var out []Warning
	for _, w := range r.Warnings {
		if strings.Contains(w.Kind, kindPart) {
			out = append(out, w)
		}
	}
	return out
}

func TestWarnings(t *testing.T) {
	for _, tc := range []struct{ kind, src, kindPart, subject string }{
		{"vcstool", "repositories:\n  a:\n    type: hg\n    url: x\n  b:\n    type: git\n    url: https://h/b.git\n", "non-git repositories are skipped", "a"},
		{"west", "manifest:\n  projects:\n    - name: x\n      url: https://h/x\n      clone-depth: 1\n", "clone-depth is not carried over", "x"},
		{"west", "manifest:\n  projects:\n    - name: x\n      url: https://h/x\n      west-commands: w.yml\n", "west-commands are not carried over", "x"},
		{"repo", `<manifest><remote name="r" fetch="https://h"/><default remote="r" revision="main"/><include name="extra.xml"/><project name="p"/></manifest>`, "<include> files not followed", "extra.xml"},
		{"repo", `<manifest><remote name="r" fetch="https://h"/><default remote="r" revision="main" sync-j="4"/><project name="p" clone-depth="2"><copyfile src="a" dest="b"/></project></manifest>`, "copyfile/linkfile", "p"},
		{"repo", `<manifest><remote name="r" fetch="https://h"/><default remote="r" revision="main" sync-j="4"/><project name="p" clone-depth="2"/></manifest>`, "clone-depth", "p"},
		{"repo", `<manifest><remote name="r" fetch="https://h"/><default remote="r" revision="main" sync-j="4"/><project name="p"/></manifest>`, "<default> settings", "sync-j"},
		{"gitmodules", "[submodule \"a\"]\n\tpath = a\n\turl = https://h/a\n\tshallow = true\n", "submodule settings", "a"},
	} {
		r, err := Import(context.Background(), tc.kind, "in", []byte(tc.src), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		ws := warningFor(r, tc.kindPart)
		if len(ws) == 0 || ws[0].Subject != tc.subject {
			t.Errorf("%s: warnings %+v lack %q about %q", tc.kind, r.Warnings, tc.kindPart, tc.subject)
		}
	}
}

func TestRelativeURLs(t *testing.T) {
	for _, tc := range []struct {
		base, rel string
		asDir     bool
		want      string
	}{
		{"https://android.googlesource.com/platform/manifest", "..", false, "https://android.googlesource.com"},
		{"https://android.googlesource.com/platform/manifest/", "..", false, "https://android.googlesource.com"},
		{"https://github.com/org/super.git", "../docs.git", true, "https://github.com/org/docs.git"},
		{"https://github.com/org/super.git", "./sub", true, "https://github.com/org/super.git/sub"},
		{"git@github.com:org/super.git", "../docs.git", true, "git@github.com:org/docs.git"},
		{"ssh://git@h:2222/org/super", "../x", true, "ssh://git@h:2222/org/x"},
		{"/srv/git/manifest", "..", false, "/srv"},
		{"/srv/git/super.git", "../x.git", true, "/srv/git/x.git"},
		{"file:///srv/git/zephyr", "..", true, "file:///srv/git"},
	} {
		got, err := resolveURL(tc.base, tc.rel, tc.asDir)
		if err != nil || got != tc.want {
			t.Errorf("resolveURL(%q, %q) = %q, %v; want %q", tc.base, tc.rel, got, err, tc.want)
		}
	}
	if _, err := resolveURL("relative/dir", "..", true); err == nil {
		t.Error("a relative base is refused")
	}
}

func TestUniqueNames(t *testing.T) {
	ps := []Project{
		{Original: "device/google/bluejay-kernels/5.10", Path: "device/google/bluejay-kernels/5.10"},
		{Original: "device/google/gs-kernels/5.10", Path: "device/google/gs-kernels/5.10"},
		{Original: "platform/a/common", Path: "a/common"},
		{Original: "platform/b/common", Path: "b/common"},
		{Original: "platform/art", Path: "art"},
		{Original: ".hidden", Path: ".hidden"},
	}
	got := uniqueNames("repo", ps)
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	want := []string{"device-google-bluejay-kernels-5.10", "device-google-gs-kernels-5.10", "platform-a-common", "platform-b-common", "art", "x-hidden"}
	if !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
	dup := uniqueNames("west", []Project{{Original: "a/b"}, {Original: "a-b"}, {Original: "a-b-2"}})
	if dup[0].Name != "a-b" || dup[1].Name != "a-b-3" || dup[2].Name != "a-b-2" {
		t.Errorf("collisions: %+v", dup)
	}
}

func TestVcstoolVersions(t *testing.T) {
	src := `repositories:
  eProsima/Fast-CDR: {type: git, url: https://h/cdr.git, version: 2.3.x}
  ros2/rcl: {type: git, url: https://h/rcl.git, version: 9.2.0}
  ros2/rclcpp: {type: git, url: https://h/rclcpp.git, version: rolling}
  odd/release: {type: git, url: https://h/odd.git, version: 1.0.0}
  down/x: {type: git, url: https://down/x.git, version: 2.14.x}
`
	refs := func(_ context.Context, url string) (map[string]bool, map[string]bool, error) {
		switch url {
		case "https://h/cdr.git":
			return map[string]bool{"2.3.x": true}, map[string]bool{"v2.3.0": true}, nil
		case "https://h/rcl.git":
			return map[string]bool{"rolling": true}, map[string]bool{"9.2.0": true}, nil
		case "https://h/rclcpp.git":
			return map[string]bool{"rolling": true}, nil, nil
		case "https://h/odd.git":
			return map[string]bool{"1.0.0": true}, nil, nil
		}
		return nil, nil, errors.New("unreachable")
	}
	r, err := Import(context.Background(), "vcstool", "ros2.repos", []byte(src), Options{RemoteRefs: refs})
	if err != nil {
		t.Fatal(err)
	}
	out := string(Render(r))
	for _, want := range []string{
		"Fast-CDR:\n    repo: \"https://h/cdr.git\"\n    ref: \"2.3.x\"",
		"rcl:\n    repo: \"https://h/rcl.git\"\n    version: \"9.2.0\"",
		"rclcpp:\n    repo: \"https://h/rclcpp.git\"\n    ref: \"rolling\"",
		"release:\n    repo: \"https://h/odd.git\"\n    ref: \"1.0.0\"", // a branch named like a version
		"x:\n    repo: \"https://down/x.git\"\n    ref: \"2.14.x\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	ws := warningFor(r, "assumed to be branches")
	if len(ws) != 1 || ws[0].Subject != "down/x" || ws[0].Detail != "2.14.x" {
		t.Errorf("assumptions: %+v", r.Warnings)
	}
}

func TestRepoGroupsAndDefault(t *testing.T) {
	src := `<manifest>
  <remote name="aosp" fetch=".." />
  <default revision="main" remote="aosp" />
  <project path="art" name="platform/art" groups="pdk" />
  <project path="prebuilts/go/darwin-x86" name="platform/prebuilts/go/darwin-x86" groups="notdefault,platform-darwin,darwin,pdk" clone-depth="1" />
  <project path="device/google/bluejay-kernels/5.10" name="device/google/bluejay-kernels/5.10" groups="device,bluejay" />
  <project path="device/google/lynx-kernels/5.10" name="device/google/lynx-kernels/5.10" groups="device,lynx" />
</manifest>`
	r, err := Import(context.Background(), "repo", "default.xml", []byte(src), Options{ManifestURL: "https://android.googlesource.com/platform/manifest"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.DefaultGroups, []string{"-notdefault"}) {
		t.Errorf("default groups = %v", r.DefaultGroups)
	}
	m, err := manifest.Parse("/w/meta", manifest.ManifestPath, Render(r))
	if err != nil {
		t.Fatal(err)
	}
	k := m.Components["device-google-bluejay-kernels-5.10"]
	if k == nil || k.Repo != "https://android.googlesource.com/device/google/bluejay-kernels/5.10" || !slices.Equal(k.Groups, []string{"device", "bluejay"}) {
		t.Fatalf("kernel component: %+v", k)
	}
	if k.Description != "repo project device/google/bluejay-kernels/5.10" {
		t.Errorf("original name not kept: %q", k.Description)
	}
	if m.InDefaultSelection(m.Components["darwin-x86"]) || !m.InDefaultSelection(m.Components["art"]) {
		t.Error("notdefault projects are left out of the default selection, the others kept")
	}
}

func TestWestImportsAndGroups(t *testing.T) {
	top := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(top, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("zephyr/west.yml", `manifest:
  remotes:
    - name: up
      url-base: https://github.com/zephyrproject-rtos
  defaults: {remote: up}
  group-filter: [-babblesim, -testing]
  projects:
    - name: hal
      revision: main
      groups: [hal]
    - name: psa
      revision: main
      groups: [testing, tee]
    - name: bsim_base
      path: tools/bsim/components
      groups: [babblesim]
    - name: vendor
      revision: v1.0.0
      import:
        file: vendor.yml
        name-allowlist: [keep]
        path-prefix: vnd
    - name: faraway
      import: true
  self:
    path: zephyr
    import: submanifests
`)
	write("zephyr/submanifests/a.yml", "manifest:\n  projects:\n    - name: hal\n      url: https://other/hal\n    - name: extra\n      url: https://h/extra\n")
	write("vendor/vendor.yml", "manifest:\n  projects:\n    - name: keep\n      url: https://v/keep\n    - name: drop\n      url: https://v/drop\n")
	data, _ := os.ReadFile(filepath.Join(top, "zephyr/west.yml"))
	o := Options{
		Dir: filepath.Join(top, "zephyr"), ReadFile: os.ReadFile,
		IsDir: func(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() },
		ReadDir: func(p string) []string {
			es, _ := os.ReadDir(p)
			var n []string
			for _, e := range es {
				n = append(n, e.Name())
			}
			return n
		},
		ManifestURL: "https://github.com/zephyrproject-rtos/zephyr", ManifestRev: "main",
	}
	r, err := Import(context.Background(), "west", "zephyr/west.yml", data, o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]brief{}
	for _, b := range briefs(r.Projects) {
		got[b.Name] = b
	}
	for _, want := range []brief{
		{"zephyr", "https://github.com/zephyrproject-rtos/zephyr", "zephyr", "main"},
		{"hal", "https://github.com/zephyrproject-rtos/hal", "hal", "main"}, // the importing file wins
		{"extra", "https://h/extra", "extra", "master"},
		{"keep", "https://v/keep", "vnd/keep", "master"},
	} {
		if got[want.Name] != want {
			t.Errorf("%s = %+v, want %+v", want.Name, got[want.Name], want)
		}
	}
	if _, ok := got["drop"]; ok {
		t.Error("name-allowlist is applied")
	}
	if ws := warningFor(r, "west imports not followed"); len(ws) != 1 || ws[0].Subject != "faraway" || !strings.Contains(ws[0].Detail, "west.yml from https://github.com/zephyrproject-rtos/faraway at master into faraway") {
		t.Errorf("remote import: %+v", r.Warnings)
	}
	if !slices.Equal(r.DefaultGroups, []string{"-babblesim", "-testing", "tee"}) {
		t.Errorf("default groups = %v", r.DefaultGroups)
	}
}

func FuzzImport(f *testing.F) {
	f.Add("west", westYML)
	f.Add("vcstool", vcsRepos)
	f.Add("repo", repoXMLText)
	f.Add("gitmodules", gitmodules)
	f.Add("wrknv", wrknvTOML)
	f.Add("repo", `<manifest><remote name="r" fetch=".."/><default remote="r"/><project name="a/b" groups="x,y"><linkfile src="a" dest="b"/></project><remove-project name="a/b"/></manifest>`)
	f.Add("west", "manifest:\n  group-filter: [-a]\n  projects:\n    - {name: p, url: ../p, groups: [a, b], import: {file: x.yml, path-prefix: q}}\n")
	f.Fuzz(func(t *testing.T, kind, src string) {
		r, err := Import(context.Background(), kind, "in", []byte(src), Options{ManifestURL: "https://h/org/m"})
		if err != nil {
			return
		}
		for _, p := range r.Projects {
			if manifest.CheckName(p.Name) != nil {
				t.Fatalf("invalid name %q", p.Name)
			}
			for _, g := range p.Groups {
				if manifest.CheckName(g) != nil {
					t.Fatalf("invalid group %q", g)
				}
			}
		}
	})
}
