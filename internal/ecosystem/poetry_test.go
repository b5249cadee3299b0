package ecosystem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const poetrySmall = `[[package]]
name = "Flask"
version = "1.0.3"
optional = false
groups = ["main"]

[package.dependencies]
click = ">=5.1"
Werkzeug = {version = ">=0.15", markers = "python_version >= \"3\""}

[[package]]
name = "click"
version = "8.1.8"
category = "main"

[[package]]
name = "werkzeug"
version = "3.1.4"
groups = ["main"]

[[package]]
name = "pytest"
version = "5.4.3"
groups = ["dev"]
source = {type = "git", url = "https://github.com/pytest-dev/pytest", reference = "5.4.3"}

[[package]]
name = "redis"
version = "5.0.0"
optional = true
groups = ["main"]
`

func TestPoetry(t *testing.T) {
	l := mustParse(t, ManagerPoetry, "poetry.lock", []byte(poetrySmall))
	want := `click@8.1.8 prod
flask@1.0.3 prod direct -> click@8.1.8 werkzeug@3.1.4
pytest@5.4.3 dev direct git
redis@5.0.0 optional direct
werkzeug@3.1.4 prod
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPoetrySharedFixture(t *testing.T) {
	l := mustParse(t, ManagerPoetry, "poetry.lock", sharedFixture(t, "poetry-v2-trivy/poetry.lock"))
	if len(l.Packages) != 15 || !cmp.Equal(l.Roots, []string{"flask@1.0.3", "pytest@5.4.3"}) {
		t.Errorf("%d packages, roots %v", len(l.Packages), l.Roots)
	}
	for _, p := range l.Packages {
		if p.Name == "colorama" && p.Scope != ScopeProd || p.Name == "atomicwrites" && p.Scope != ScopeDev {
			t.Errorf("%s: scope %s", p.ID(), p.Scope)
		}
	}
}

func TestPoetryErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"[[package]]\nname = \"a\"\n", `poetry.lock:1: [[package]] #1: "name" and "version" must be non-empty strings`},
		{"[[package]]\nname = 1\n", `poetry.lock: `},
	} {
		_, err := ParseFile(ManagerPoetry, "poetry.lock", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.data, err, tc.want)
		}
	}
}

func FuzzPoetry(f *testing.F) { fuzzParser(f, ManagerPoetry, poetrySmall) }

func TestPoetryWithPyproject(t *testing.T) {
	pp := []byte(`[tool.poetry.dependencies]
python = "^3.8"
Flask = "^1.0"
click = "*"

[tool.poetry.group.dev.dependencies]
pytest = "^5"

[project]
dependencies = ["redis[hiredis]>=5; python_version > '3'"]
`)
	l, err := parsePoetryProject("poetry.lock", []byte(poetrySmall), pyprojectDirect(pp))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, l)
	if want := []string{"click@8.1.8", "flask@1.0.3", "pytest@5.4.3", "redis@5.0.0"}; !cmp.Equal(l.Roots, want) {
		t.Errorf("roots %v, want %v", l.Roots, want)
	}
	if pyprojectDirect([]byte("not = [toml")) != nil || pyprojectDirect(nil) != nil {
		t.Error("bad pyproject.toml should give nil")
	}
}
