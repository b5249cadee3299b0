package ecosystem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const uvSmall = `version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "requests" }]

[package.optional-dependencies]
socks = [{ name = "PySocks" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "requests"
version = "2.20.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "urllib3", version = "1.24.3" }]

[[package]]
name = "urllib3"
version = "1.24.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "urllib3"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { git = "https://github.com/pytest-dev/pytest?rev=abc#abc" }
dependencies = [{ name = "urllib3", version = "2.0.0" }]
`

func TestUV(t *testing.T) {
	l := mustParse(t, ManagerUV, "uv.lock", []byte(uvSmall))
	want := `app@0.1.0 prod local -> pysocks@1.7.1 pytest@8.0.0 requests@2.20.0
pysocks@1.7.1 optional direct
pytest@8.0.0 dev direct git -> urllib3@2.0.0
requests@2.20.0 prod direct -> urllib3@1.24.3
urllib3@1.24.3 prod
urllib3@2.0.0 dev
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUVSharedFixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		roots []string
		local int // the project and its workspace members
	}{
		{"uv-osv-scanner/uv.lock", []string{"emoji@2.14.0", "protobuf@4.25.5"}, 1},
		{"uv-trivy-multiroot/uv.lock", []string{"asyncio@3.4.3"}, 2},
	} {
		l := mustParse(t, ManagerUV, "uv.lock", sharedFixture(t, tc.file))
		if !cmp.Equal(l.Roots, tc.roots) || len(l.Packages) != len(tc.roots)+tc.local {
			t.Errorf("%s: roots %v, %d packages", tc.file, l.Roots, len(l.Packages))
		}
	}
}

func TestUVErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"version = 2\n", "uv.lock:1: uv.lock version 2: meta reads version 1"},
		{"version = 1\n[[package]]\nversion = \"1\"\n", `uv.lock:2: [[package]] #1: "name" must be a non-empty string`},
		{"version = 1\nname = = 2\n", "uv.lock:2: invalid TOML"},
	} {
		_, err := ParseFile(ManagerUV, "uv.lock", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.data, err, tc.want)
		}
	}
}

func FuzzUV(f *testing.F) { fuzzParser(f, ManagerUV, uvSmall) }
