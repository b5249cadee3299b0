package ecosystem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const cargoSmall = `version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["memchr 1.0.2", "regex", "member"]

[[package]]
name = "member"
version = "0.1.0"
dependencies = ["memchr 2.5.0"]

[[package]]
name = "memchr"
version = "1.0.2"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "memchr"
version = "2.5.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "regex"
version = "1.7.3"
source = "git+https://github.com/rust-lang/regex#abc"
dependencies = ["memchr 2.5.0 (registry+https://github.com/rust-lang/crates.io-index)"]
`

func TestCargo(t *testing.T) {
	l := mustParse(t, ManagerCargo, "Cargo.lock", []byte(cargoSmall))
	want := `app@0.1.0 prod local -> member@0.1.0 memchr@1.0.2 regex@1.7.3
member@0.1.0 prod local -> memchr@2.5.0
memchr@1.0.2 prod direct
memchr@2.5.0 prod direct
regex@1.7.3 prod direct git -> memchr@2.5.0
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if l.Ecosystem != Cargo {
		t.Errorf("ecosystem %q", l.Ecosystem)
	}
}

func TestCargoSharedFixtures(t *testing.T) {
	for _, tc := range []struct {
		file     string
		packages int
		roots    []string
	}{
		{"cargo-v3-trivy/Cargo.lock", 8 + 1, []string{"memchr@1.0.2", "regex-syntax@0.5.6", "regex@1.7.3"}},
		{"cargo-v4-osv-scanner/Cargo.lock", 6 + 1, []string{"net2@0.2.33"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			l := mustParse(t, ManagerCargo, "Cargo.lock", sharedFixture(t, tc.file))
			if len(l.Packages) != tc.packages || !cmp.Equal(l.Roots, tc.roots) {
				t.Errorf("%d packages, roots %v; want %d, %v", len(l.Packages), l.Roots, tc.packages, tc.roots)
			}
		})
	}
}

func TestCargoErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"version = 3\n[[package]]\nname = \"a\"\n", `Cargo.lock:2: [[package]] #1: "name" and "version" must be non-empty strings`},
		{"version = 3\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b\"]\n", `Cargo.lock:2: package a 1: dependency "b" is not a package of the lock file`},
		{"version = \n", `Cargo.lock:1: invalid TOML`},
		{"version = 9\n", `Cargo.lock:1: Cargo.lock version 9 is newer`},
	} {
		_, err := ParseFile(ManagerCargo, "Cargo.lock", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.data, err, tc.want)
		}
	}
}

func FuzzCargo(f *testing.F) { fuzzParser(f, ManagerCargo, cargoSmall) }

func TestCargoDevDependencies(t *testing.T) {
	ct := []byte(`[package]
name = "app"

[dependencies]
regex = "1"

[dev-dependencies]
mc = { package = "memchr", version = "1" }
regex = "1"

[target.'cfg(unix)'.dev-dependencies]
member = { path = "member" }
`)
	dev := cargoDevOnly(ct)
	if !cmp.Equal(dev, map[string]bool{"memchr": true, "member": true}) {
		t.Errorf("dev-only %v", dev)
	}
	l, err := parseCargoManifest("Cargo.lock", []byte(cargoSmall), dev)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, l)
	want := `app@0.1.0 prod local -> member@0.1.0 memchr@1.0.2 regex@1.7.3
member@0.1.0 prod local -> memchr@2.5.0
memchr@1.0.2 dev direct
memchr@2.5.0 prod direct
regex@1.7.3 prod direct git -> memchr@2.5.0
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if cargoDevOnly([]byte("[x")) != nil {
		t.Error("bad Cargo.toml should give nil")
	}
}
