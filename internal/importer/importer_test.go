package importer

import (
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

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		kind, src string
		want      []Project
	}{
		{"west", westYML, []Project{
			{"zephyr", "https://github.com/zephyrproject-rtos/zephyr", "zephyr", "v3.6.0"},
			{"hal_nordic", "https://github.com/zephyrproject-rtos/hal_nordic", "modules/hal/nordic", "main"},
			{"cmsis", "https://example.com/cmsis.git", "cmsis", "4b96cbb174678dcd3ca86e11e1f24bc5f8726da0"},
		}},
		{"vcstool", vcsRepos, []Project{
			{"rclcpp", "https://github.com/ros2/rclcpp.git", "src/ros2/rclcpp", "rolling"},
			{"rcl", "https://github.com/ros2/rcl.git", "src/ros2/rcl", "9.2.0"},
		}},
		{"repo", repoXMLText, []Project{
			{"build", "https://android.googlesource.com/platform/build", "build/make", "main"},
			{"art", "https://android.googlesource.com/platform/art", "art", "android-14.0.0_r1"},
		}},
		{"gitmodules", gitmodules, []Project{
			{"json", "https://github.com/nlohmann/json.git", "third_party/json", "develop"},
			{"docs", "../docs.git", "docs", ""},
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			got, err := Parse(tc.kind, "in", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v", got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("project %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			out := Render(tc.kind, "in", got)
			m, err := manifest.Parse("/w/meta", "components.yaml", out)
			if err != nil {
				t.Fatalf("rendered manifest does not load: %v\n%s", err, out)
			}
			if len(m.Components) != len(got) {
				t.Errorf("rendered %d components", len(m.Components))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ kind, src, want string }{
		{"west", "projects: []\n", "expected a top-level 'manifest:'"},
		{"west", "manifest:\n  projects:\n    - name: x\n      remote: nope\n", "in:3:7: project \"x\" uses remote \"nope\""},
		{"vcstool", "repositories:\n  a:\n    type: svn\n    url: x\n", "in: no repositories found"},
		{"repo", "<manifest><project name=\"a\" remote=\"r\"/></manifest>", "uses remote \"r\""},
		{"repo", "<manifest><project", "in:1: invalid repo manifest XML"},
		{"gitmodules", "path = x\n", "in:1: \"path = x\" outside a [submodule] section"},
		{"gitmodules", "[submodule \"a\"]\n\tpath = a\n", "needs both path and url"},
		{"svn", "", "unknown manifest kind"},
	} {
		_, err := Parse(tc.kind, "in", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err = %v, want %q", tc.kind, tc.src, err, tc.want)
		}
	}
}

func TestNotes(t *testing.T) {
	for _, tc := range []struct{ kind, src, want string }{
		{"vcstool", "repositories:\n  a:\n    type: hg\n    url: x\n  b:\n    type: git\n    url: https://h/b.git\n", "in:3: a skipped: it is a hg repository"},
		{"west", "manifest:\n  projects:\n    - name: x\n      url: https://h/x\n      groups: [opt]\n", "in:5: project x: west groups are not imported"},
		{"repo", `<manifest><remote name="r" fetch="https://h"/><default remote="r" revision="main"/><include name="extra.xml"/><project name="p" groups="g1"><copyfile src="a" dest="b"/></project></manifest>`, "<include name=\"extra.xml\"> is not followed"},
		{"repo", `<manifest><remote name="r" fetch="https://h"/><default remote="r" revision="main"/><project name="p" groups="g1"><copyfile src="a" dest="b"/></project></manifest>`, "copyfile/linkfile are not imported"},
	} {
		ps, notes, err := ParseWithNotes(tc.kind, "in", []byte(tc.src))
		if err != nil || len(ps) == 0 {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		if !strings.Contains(strings.Join(notes, "\n"), tc.want) {
			t.Errorf("%s notes %q lack %q", tc.kind, notes, tc.want)
		}
	}
}

func TestUniqueNames(t *testing.T) {
	got := uniqueNames([]Project{{Name: "core", Path: "a/core"}, {Name: "core", Path: "b/core"}, {Name: ".hidden", Path: "h"}})
	if got[0].Name != "core" || got[1].Name != "b-core" || got[2].Name != "x-hidden" {
		t.Errorf("got %+v", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("west", westYML)
	f.Add("vcstool", vcsRepos)
	f.Add("repo", repoXMLText)
	f.Add("gitmodules", gitmodules)
	f.Fuzz(func(t *testing.T, kind, src string) {
		ps, err := Parse(kind, "in", []byte(src))
		if err != nil {
			return
		}
		for _, p := range ps {
			if manifest.CheckName(p.Name) != nil {
				t.Fatalf("invalid name %q", p.Name)
			}
		}
	})
}
