package ecosystem

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequirements(t *testing.T) {
	files := map[string]string{
		"requirements.txt": `# comment
Flask==0.12.2  # pinned
flask==0.12.2
requests[security] == 2.20.0 ; python_version >= "3"
Django===1.11.29
pytest >= 7
urllib3 @ https://example.com/urllib3-1.26.8-py3-none-any.whl
numpy==1.*
-r sub/more.txt
-c constraints.txt
-e .
--index-url https://pypi.org/simple
./dist/My_Pkg-2.0-py3-none-any.whl
hashed==1.0 \
    --hash=sha256:abc
`,
		"sub/more.txt":    "-r ../requirements.txt\nzope.interface==5.0\n",
		"constraints.txt": "pytest==7.4.0\nunused==1.0\n",
	}
	read := func(p string) ([]byte, error) {
		s, ok := files[p]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return []byte(s), nil
	}
	l, err := parseRequirements("requirements.txt", []byte(files["requirements.txt"]), read)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, l)
	want := `django@1.11.29 prod direct
flask@0.12.2 prod direct
hashed@1.0 prod direct
my-pkg@2.0 prod direct path
numpy@ prod direct
pytest@7.4.0 prod direct
requests@2.20.0 prod direct
urllib3@1.26.8 prod direct url
zope-interface@5.0 prod direct
`
	if diff := cmp.Diff(want, summary(l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "requirements.txt:8: numpy is not pinned to one version (==1.*)") {
		t.Errorf("warnings %q", l.Warnings)
	}

	// Without a reader the includes are warned about, not followed.
	l = mustParse(t, ManagerPip, "requirements-dev.txt", []byte(files["requirements.txt"]))
	if l.Packages[0].Scope != ScopeDev || len(l.Warnings) != 4 {
		t.Errorf("scope %s, warnings %q", l.Packages[0].Scope, l.Warnings)
	}

	_, err = parseRequirements("requirements.txt", []byte("a==1\n-r missing.txt\n"), read)
	if err == nil || err.Error() != "requirements.txt:2: -r missing.txt: missing.txt does not exist" {
		t.Errorf("missing include: %v", err)
	}
}

func TestRequirementsSharedFixtures(t *testing.T) {
	l := mustParse(t, ManagerPip, "requirements.txt", sharedFixture(t, "requirements-osv-scanner-vulnerable/requirements.txt"))
	if len(l.Packages) != 13 || len(l.Warnings) != 0 {
		t.Errorf("%d packages, warnings %q", len(l.Packages), l.Warnings)
	}
	l = mustParse(t, ManagerPip, "requirements.txt", sharedFixture(t, "requirements-scalibr-syntax/requirements.txt"))
	var pinned []string
	for _, p := range l.Packages {
		if p.Version != "" {
			pinned = append(pinned, p.ID())
		}
	}
	if !cmp.Equal(pinned, []string{"docopt@0.6.1", "numpy@1.9.2", "wxpython-phoenix@3.0.3.dev1820+49a8884"}) {
		t.Errorf("pinned %v", pinned)
	}
	if len(l.Packages) != 10 {
		t.Errorf("%d packages:\n%s", len(l.Packages), summary(l))
	}
}

func TestRequirementsErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"ok==1\n[bad]\n", `requirements.txt:2: expected a requirement`},
		{"a[extra==1\n", `requirements.txt:1: extras opened with [ are not closed with ]`},
		{"a 1.0\n", `requirements.txt:1: expected a version specifier (==, >=, ~=, ...) after a, got "1.0"`},
		{"-r\n", `requirements.txt:1: -r needs a file name`},
	} {
		_, err := ParseFile(ManagerPip, "requirements.txt", []byte(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.data, err, tc.want)
		}
	}
}

func TestNormalizePyPI(t *testing.T) {
	for in, want := range map[string]string{"Flask": "flask", "zope.interface": "zope-interface", "A__b-.c": "a-b-c", "Mopidy-Dirble": "mopidy-dirble"} {
		if got := normalizePyPI(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func FuzzRequirements(f *testing.F) {
	fuzzParser(f, ManagerPip, "a==1\nb[x]>=2;python_version<'3'\n-r x.txt\nc @ https://x/c-1.0-py3-none-any.whl\n",
		"a==1.0 \\\n", "b==", "b>=1,", "b==1; python_version < \"3.1", "b @ ")
}
