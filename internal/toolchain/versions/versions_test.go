package versions

import (
	"os"
	"strings"
	"testing"
)

func readDoc(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompare(t *testing.T) {
	ordered := []string{"1", "1.2", "1.2.1", "1.10", "1.20rc1", "1.20rc2", "1.20rc10", "1.20", "1.20.1", "1.21.0", "2.0.0-alpha", "2.0.0-alpha.2", "2.0.0-beta", "2.0.0"}
	for i := range ordered {
		for j := range ordered {
			a, b := MustParse(ordered[i]), MustParse(ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if ordered[i] == "1" && ordered[j] == "1.0" {
				want = 0
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if Compare(MustParse("go1.22"), MustParse("1.22.0")) != 0 {
		t.Error("go1.22 should equal 1.22.0")
	}
}

func TestParseVersionErrors(t *testing.T) {
	for _, s := range []string{"", "v", "x1", "1.", "1..2", "1.2;", "1.2 3", "99999999999"} {
		if _, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", s)
		}
	}
}

func TestSelectGo(t *testing.T) {
	rs, err := ParseGo(readDoc(t, "go-dl.modern.json"), "https://go.dev/dl/")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ req, want, err string }{
		{"1.22", "1.22.12", ""},
		{"1.22.5", "", `invalid version "1.22.5" for go` + "\n\n  Available versions: 1.22.0, 1.22.2, 1.22.10, 1.22.11, 1.22.12\n  Or omit the version to use the default (latest: 1.22.12)"},
		{"1.22.2", "1.22.2", ""},
		{"1.22.0", "1.22.0", ""},
		{"1", "1.22.12", ""},
		{"latest", "1.22.12", ""},
		{"", "1.22.12", ""},
		{"1.2", "1.2.2", ""},
		{"1.20", "1.20.14", ""},
		{"1.20.0", "1.20", ""},
		{"1.23", "", `invalid version "1.23" for go`},
		{"1.23rc1", "1.23rc1", ""},
		{"1.22rc2", "1.22rc2", ""},
		{"2", "", "Available versions: 1.22.12"},
		{"lts", "", "no LTS release"},
	}
	for _, c := range cases {
		r, err := Select("go", rs, c.req)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Select(%q) error = %v, want %q", c.req, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", c.req, err)
			continue
		}
		if r.Version.Text != c.want {
			t.Errorf("Select(%q) = %s, want %s", c.req, r.Version.Text, c.want)
		}
	}
	r, _ := Select("go", rs, "1.22")
	f, ok := r.FileFor("linux", "arm64")
	if !ok || f.URL != "https://go.dev/dl/go1.22.12.linux-arm64.tar.gz" || len(f.SHA256) != 64 {
		t.Errorf("FileFor = %+v, %v", f, ok)
	}
}

func TestParseGoRecorded(t *testing.T) {
	rs, err := ParseGo(readDoc(t, "go-dl.setup-go-trimmed.json"), "https://go.dev/dl/")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Select("go", rs, "1.13")
	if err != nil || r.Version.Text != "1.13.7" {
		t.Fatalf("1.13 -> %v, %v", r.Version, err)
	}
	if r, _ := Select("go", rs, "latest"); r.Version.Text != "1.13.7" {
		t.Errorf("latest = %s (rc must not win)", r.Version)
	}
	if r, err := Select("go", rs, "1.13.0"); err != nil || r.Version.Text != "1.13" {
		t.Errorf("1.13.0 -> %v %v", r.Version, err)
	}
}

// checkSelect checks that Select picks each case's want from rs for its
// req, and fails when want is empty.
func checkSelect(t *testing.T, tool string, rs []Release, cases []struct{ req, want string }) {
	t.Helper()
	for _, c := range cases {
		r, err := Select(tool, rs, c.req)
		if c.want == "" {
			if err == nil {
				t.Errorf("Select(%q) = %s, want error", c.req, r.Version)
			}
			continue
		}
		if err != nil || r.Version.Text != c.want {
			t.Errorf("Select(%q) = %s, %v; want %s", c.req, r.Version, err, c.want)
		}
	}
}

func TestSelectNode(t *testing.T) {
	rs, err := ParseNode(readDoc(t, "node-index.nvm-trimmed.json"), "https://nodejs.org/dist/")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ req, want string }{
		{"20", "20.18.0"}, {"lts", "22.11.0"}, {"lts/iron", "20.18.0"}, {"lts/Hydrogen", "18.20.4"},
		{"latest", "23.1.0"}, {"20.2", "20.2.0"}, {"18.20.3", "18.20.3"}, {"2", ""}, {"21", "21.7.3"}, {"lts/argon", ""},
	}
	checkSelect(t, "node", rs, cases)
	_, err = Select("node", rs, "lts/argon")
	if !strings.Contains(err.Error(), "lts/hydrogen, lts/iron, lts/jod") {
		t.Errorf("lts/argon error: %v", err)
	}
	r, _ := Select("node", rs, "20")
	f, ok := r.FileFor("linux", "amd64")
	if !ok || f.URL != "https://nodejs.org/dist/v20.18.0/node-v20.18.0-linux-x64.tar.gz" {
		t.Errorf("node file = %+v", f)
	}
	if u := NodeShasumsURL("https://nodejs.org/dist", r); u != "https://nodejs.org/dist/v20.18.0/SHASUMS256.txt" {
		t.Errorf("shasums url %s", u)
	}
}

func TestSelectPython(t *testing.T) {
	rs, err := ParsePython(readDoc(t, "python-download-metadata.uv-trimmed.json"), "test")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ req, want string }{
		{"3.12", "3.12.14"}, {"3.11", "3.11.16"}, {"3", "3.12.14"}, {"3.15.0rc1", "3.15.0rc1"}, {"3.15", ""}, {"3.10.1", ""}, {"3.1", ""},
	}
	checkSelect(t, "python", rs, cases)
	_, err = Select("python", rs, "3.10.1")
	if !strings.Contains(err.Error(), "Available versions: 3.10.0, 3.10.2") {
		t.Errorf("3.10.1: %v", err)
	}
	r, _ := Select("python", rs, "3.12")
	for _, a := range []string{"amd64", "arm64"} {
		f, ok := r.FileFor("linux", a)
		if !ok || len(f.SHA256) != 64 || !strings.HasPrefix(f.URL, "https://github.com/astral-sh/python-build-standalone/") {
			t.Errorf("python %s file %+v", a, f)
		}
	}
}

func TestParseGitHub(t *testing.T) {
	doc := `[
 {"tag_name":"v1.3.0-rc.1","prerelease":true,"draft":false,"assets":[]},
 {"tag_name":"v1.2.0","prerelease":false,"draft":false,"assets":[{"name":"t_linux_amd64.tar.gz","browser_download_url":"https://h/t_linux_amd64.tar.gz","digest":"sha256:` + strings.Repeat("ab", 32) + `"}]},
 {"tag_name":"v1.10.0","prerelease":false,"draft":true,"assets":[]},
 {"tag_name":"nightly","prerelease":false,"draft":false,"assets":[]},
 {"tag_name":"v1.1.0","prerelease":false,"draft":false,"assets":[]}
]`
	rs, err := ParseGitHub([]byte(doc), "x", "v{version}")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("got %d releases", len(rs))
	}
	r, err := Select("t", rs, "latest")
	if err != nil || r.Version.Text != "1.2.0" {
		t.Fatalf("latest = %v %v", r.Version, err)
	}
	if a, ok := r.Asset("t_linux_amd64.tar.gz"); !ok || a.SHA256 != strings.Repeat("ab", 32) {
		t.Errorf("asset %+v", a)
	}
	if r, err := Select("t", rs, "1.3.0-rc.1"); err != nil || !r.Version.Prerelease() {
		t.Errorf("pre-release by name: %v %v", r.Version, err)
	}
}

func TestBadDocuments(t *testing.T) {
	good := readDoc(t, "go-dl.modern.json")
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "truncated"},
		{"html", []byte("<html>502 Bad Gateway</html>"), "not JSON"},
		{"empty", nil, "empty"},
		{"wrong shape", []byte(`{"a":1}`), "invalid JSON"},
		{"no releases", []byte(`[]`), "no releases"},
	}
	for _, c := range cases {
		_, err := ParseGo(c.data, "https://go.dev/dl/")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := ParseNode([]byte(`[{"version":"v1`), "u"); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("node truncated: %v", err)
	}
}

func TestParseSHASums(t *testing.T) {
	h := strings.Repeat("0a", 32)
	m, err := ParseSHASums([]byte(h + "  node-v20.0.0-linux-x64.tar.gz\n" + strings.ToUpper(h) + " *dir/b.zip\nSHA256 (c.tgz) = " + h + "\nSHA512 (c.tgz) = ff\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m["node-v20.0.0-linux-x64.tar.gz"] != h || m["b.zip"] != h || m["c.tgz"] != h {
		t.Errorf("got %v", m)
	}
	if m, err := ParseSHASums([]byte(h + "\n")); err != nil || m[""] != h {
		t.Errorf("lone hash: %v %v", m, err)
	}
	if _, err := ParseSHASums([]byte("not a checksum\n")); err == nil {
		t.Error("garbage accepted")
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.22.12", "go1.20", "v20.11.0", "1.25rc1", "3.15.0a7", "1.0.0-beta.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		if Compare(v, v) != 0 {
			t.Fatalf("%q not equal to itself", s)
		}
		w, err := ParseVersion(v.Text)
		if err != nil || Compare(v, w) != 0 {
			t.Fatalf("reparse of %q: %v", v.Text, err)
		}
	})
}

func FuzzParseGo(f *testing.F) {
	f.Add(readDoc(f, "go-dl.modern.json"))
	f.Add([]byte(`[{"version":"go1.2","stable":true,"files":[{"filename":"../x"}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseGo(data, "https://go.dev/dl/")
		if err != nil {
			return
		}
		for _, r := range rs {
			for _, fl := range r.Files {
				if strings.Contains(fl.Name, "/") {
					t.Fatalf("file name with slash: %q", fl.Name)
				}
			}
		}
		_, _ = Select("go", rs, "1")
	})
}

func FuzzParseNode(f *testing.F) {
	f.Add(readDoc(f, "node-index.nvm-trimmed.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseNode(data, "https://nodejs.org/dist/")
		if err == nil {
			_, _ = Select("node", rs, "lts")
		}
	})
}

func FuzzParsePython(f *testing.F) {
	f.Add(readDoc(f, "python-download-metadata.uv-trimmed.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParsePython(data, "x")
		if err == nil {
			_, _ = Select("python", rs, "3.12")
		}
	})
}

func FuzzParseGitHub(f *testing.F) {
	f.Add([]byte(`[{"tag_name":"v1.2.0","assets":[{"name":"a","browser_download_url":"https://x/a","digest":"sha256:00"}]}]`), "v{version}")
	f.Fuzz(func(t *testing.T, data []byte, tmpl string) {
		rs, err := ParseGitHub(data, "x", tmpl)
		if err == nil {
			_, _ = Select("t", rs, "latest")
		}
	})
}

func FuzzParseSHASums(f *testing.F) {
	f.Add([]byte(strings.Repeat("a", 64) + "  x.tar.gz\n"))
	f.Add([]byte("SHA256 (x) = " + strings.Repeat("a", 64)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseSHASums(data)
		if err != nil {
			return
		}
		for k, v := range m {
			if strings.Contains(k, "/") || len(v) != 64 {
				t.Fatalf("bad entry %q=%q", k, v)
			}
		}
	})
}
