package license

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/ecosystem"
)

const mitText = `MIT License

Copyright (c) 2020 Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindSources(t *testing.T) {
	root := t.TempDir()
	comp := filepath.Join(root, "comp")
	cargo := filepath.Join(root, "cargo")
	modcache := filepath.Join(root, "mod")
	write(t, filepath.Join(comp, "web/node_modules/@scope/pkg/package.json"), `{"name":"@scope/pkg","version":"1.0.0","license":"ISC"}`)
	write(t, filepath.Join(comp, "web/node_modules/old/package.json"), `{"version":"0.1.0","license":{"type":"MIT","url":"x"}}`)
	write(t, filepath.Join(comp, "web/node_modules/older/package.json"), `{"version":"0.1.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}`)
	write(t, filepath.Join(comp, "web/node_modules/moved/package.json"), `{"version":"9.9.9","license":"MIT"}`)
	write(t, filepath.Join(comp, ".venv/lib/python3.12/site-packages/Flask_Login-0.6.3.dist-info/METADATA"),
		"Metadata-Version: 2.1\nName: Flask-Login\nVersion: 0.6.3\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nbody License: GPL\n")
	write(t, filepath.Join(comp, ".venv/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA"),
		"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\nClassifier: License :: OSI Approved :: Apache Software License\n")
	write(t, filepath.Join(cargo, "registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.200/Cargo.toml"),
		"[package]\nedition = \"2018\"\nname = \"serde\"\nversion = \"1.0.200\"\nlicense = \"MIT OR Apache-2.0\"\n\n[dependencies.x]\nlicense = \"no\"\n")
	write(t, filepath.Join(modcache, "github.com/!burnt!sushi/toml@v1.3.2/LICENSE"), mitText)

	f := &Finder{Dir: comp, CargoHome: cargo, GoModCache: modcache}
	tests := []struct {
		lock string
		pkg  ecosystem.Package
		lic  string
		src  string
	}{
		{"web/package-lock.json", ecosystem.Package{Ecosystem: "npm", Name: "x", Version: "1", License: "BSD-2-Clause"}, "BSD-2-Clause", FromLockfile},
		{"web/package-lock.json", ecosystem.Package{Ecosystem: "npm", Name: "@scope/pkg", Version: "1.0.0"}, "ISC", FromNodeModules},
		{"web/package-lock.json", ecosystem.Package{Ecosystem: "npm", Name: "old", Version: "0.1.0"}, "MIT", FromNodeModules},
		{"web/package-lock.json", ecosystem.Package{Ecosystem: "npm", Name: "older", Version: "0.1.0"}, "MIT OR Apache-2.0", FromNodeModules},
		{"web/package-lock.json", ecosystem.Package{Ecosystem: "npm", Name: "moved", Version: "1.0.0"}, "", ""},
		{"requirements.txt", ecosystem.Package{Ecosystem: "PyPI", Name: "flask-login", Version: "0.6.3"}, "MIT", FromDistInfo},
		{"requirements.txt", ecosystem.Package{Ecosystem: "PyPI", Name: "Requests", Version: "2.31.0"}, "Apache-2.0", FromDistInfo},
		{"Cargo.lock", ecosystem.Package{Ecosystem: "crates.io", Name: "serde", Version: "1.0.200"}, "MIT OR Apache-2.0", FromCargo},
		{"go.mod", ecosystem.Package{Ecosystem: "Go", Name: "github.com/BurntSushi/toml", Version: "v1.3.2"}, "MIT", FromGoModCache},
		{"go.mod", ecosystem.Package{Ecosystem: "Go", Name: "example.com/none", Version: "v1.0.0"}, "", ""},
	}
	for _, tt := range tests {
		a := f.Find(context.Background(), tt.lock, tt.pkg)
		if a.License != tt.lic || a.Source != tt.src {
			t.Errorf("%s: %+v, want %q from %q", tt.pkg.Name, a, tt.lic, tt.src)
		}
	}
}

func TestLicenseFromMetadata(t *testing.T) {
	tests := []struct{ in, want string }{
		{"License-Expression: MIT OR Apache-2.0\nLicense: whatever\n", "MIT OR Apache-2.0"},
		{"License: BSD\nClassifier: License :: OSI Approved :: BSD License\n", "BSD"},
		{"Classifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: Apache Software License\n", "Apache-2.0 AND MIT"},
		{"Name: x\n", ""},
	}
	for _, tt := range tests {
		if got := LicenseFromMetadata([]byte(tt.in)); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDepsDev(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		switch {
		case strings.Contains(r.URL.Path, "/packages/@scope/pkg/"):
			w.Write([]byte(`{"versionKey":{"system":"NPM"},"licenses":["MIT"],"advisoryKeys":[]}`))
		case strings.Contains(r.URL.Path, "/GO/"):
			w.Write([]byte(`{"licenses":["MIT OR Apache-2.0","BSD-3-Clause"]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &Finder{Dir: t.TempDir(), GoModCache: t.TempDir(), DepsDev: &DepsDev{BaseURL: srv.URL}}
	a := f.Find(context.Background(), "package-lock.json", ecosystem.Package{Ecosystem: "npm", Name: "@scope/pkg", Version: "1.0.0"})
	if a.License != "MIT" || a.Source != FromDepsDev {
		t.Errorf("npm: %+v", a)
	}
	if paths[0] != "/v3/systems/NPM/packages/@scope%2Fpkg/versions/1.0.0" {
		t.Errorf("path = %s", paths[0])
	}
	a = f.Find(context.Background(), "go.mod", ecosystem.Package{Ecosystem: "Go", Name: "example.com/m", Version: "v1.0.0"})
	if a.License != "(MIT OR Apache-2.0) AND BSD-3-Clause" {
		t.Errorf("go: %+v", a)
	}
	a = f.Find(context.Background(), "Cargo.lock", ecosystem.Package{Ecosystem: "crates.io", Name: "nope", Version: "1.0.0"})
	if a.License != "" || !strings.Contains(a.Detail, "HTTP 404") {
		t.Errorf("404: %+v", a)
	}
}

// FuzzMetadataReaders checks the Python METADATA and Cargo.toml readers
// never panic and return a single line.
func FuzzMetadataReaders(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.4\nLicense-Expression: MIT\n\nbody"))
	f.Add([]byte("License: Apache 2.0\nClassifier: License :: OSI Approved :: MIT License\n"))
	f.Add([]byte("[package]\nname = \"x\"\nlicense = \"MIT OR Apache-2.0\"\n[dependencies]\n"))
	f.Add([]byte("[package]\nlicense = '\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, got := range []string{LicenseFromMetadata(data), LicenseFromCargoToml(data)} {
			if strings.ContainsAny(got, "\n") {
				t.Fatalf("multi-line license %q", got)
			}
		}
	})
}

func TestSafeName(t *testing.T) {
	for s, want := range map[string]bool{
		"lodash": true, "@scope/pkg": true, "github.com/a/b": true, "1.2.3": true, "v0.0.0-2024+incompatible": true,
		"": false, "../x": false, "a/../../b": false, "/etc/passwd": false, `a\b`: false, "a*": false, "./a": false,
	} {
		if got := safeName(s); got != want {
			t.Errorf("safeName(%q) = %v, want %v", s, got, want)
		}
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "secret", "package.json"), `{"version":"1.0.0","license":"MIT"}`)
	f := &Finder{Dir: filepath.Join(dir, "comp")}
	if a := f.Find(context.Background(), "package-lock.json", ecosystem.Package{Ecosystem: "npm", Name: "../../secret", Version: "1.0.0"}); a.License != "" {
		t.Errorf("read outside the component: %+v", a)
	}
}
