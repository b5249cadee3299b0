package audit

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/ecosystem"
)

// sharedOSV is the directory of real OSV records beside the repository.
const sharedOSV = "../../../shared/fixtures/osv"

func readShared(t *testing.T) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(sharedOSV)
	if err != nil {
		t.Skipf("shared OSV fixtures not present: %v", err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			data, err := os.ReadFile(filepath.Join(sharedOSV, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = data
		}
	}
	return out
}

// writeZips writes records into <root>/<prefix>/<ecosystem>/all.zip.
func writeZips(t *testing.T, root, prefix string, records map[string][]byte) {
	t.Helper()
	byEco := map[string]map[string][]byte{}
	for name, data := range records {
		r, err := ParseRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range r.Affected {
			eco := a.Package.Ecosystem
			if byEco[eco] == nil {
				byEco[eco] = map[string][]byte{}
			}
			byEco[eco][name] = data
		}
	}
	for eco, recs := range byEco {
		dir := filepath.Join(root, prefix, eco)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, "all.zip"))
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		names := make([]string, 0, len(recs))
		for n := range recs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			w, err := zw.Create(n)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(recs[n])
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

func pkg(eco, name, version string, deps ...string) ecosystem.Package {
	return ecosystem.Package{Ecosystem: eco, Name: name, Version: version, Source: "registry", Deps: deps}
}

// fixtureInputs mirrors the lock files of ../shared/fixtures/lockfiles and
// the hand-written tokio Cargo.lock the fixtures' SOURCES.md asks for.
func fixtureInputs() []Input {
	return []Input{
		{Component: "web", Lockfile: &ecosystem.Lockfile{Path: "package-lock.json", Ecosystem: "npm", Roots: []string{"lodash@4.17.20", "mkdirp@0.5.5"},
			Packages: []ecosystem.Package{pkg("npm", "lodash", "4.17.20"), pkg("npm", "minimist", "1.2.5"), pkg("npm", "mkdirp", "0.5.5", "minimist@1.2.5")}}},
		{Component: "py", Lockfile: &ecosystem.Lockfile{Path: "requirements.txt", Ecosystem: "PyPI", Roots: []string{"requests@2.20.0", "urllib3@1.24.3"},
			Packages: []ecosystem.Package{pkg("PyPI", "requests", "2.20.0"), pkg("PyPI", "urllib3", "1.24.3"), pkg("PyPI", "Flask", "1.0")}}},
		{Component: "gosvc", Lockfile: &ecosystem.Lockfile{Path: "go.mod", Ecosystem: "Go", Roots: []string{"golang.org/x/net@v0.30.0"},
			Packages: []ecosystem.Package{pkg("Go", "golang.org/x/net", "v0.30.0"), pkg("Go", "stdlib", "1.22")}}},
		{Component: "rs", Lockfile: &ecosystem.Lockfile{Path: "Cargo.lock", Ecosystem: "crates.io",
			Packages: []ecosystem.Package{pkg("crates.io", "tokio", "1.13.0"), pkg("crates.io", "tokio", "1.13.1"), pkg("crates.io", "tokio", "1.9.0"), pkg("crates.io", "tokio", "1.8.4")}}},
	}
}

type hit struct{ Component, Pkg, ID string }

func hits(rep *Report) []hit {
	var out []hit
	for _, f := range rep.Findings {
		out = append(out, hit{f.Component, f.Package + "@" + f.Version, f.ID})
	}
	return out
}

// TestSharedFixtures checks the matches listed in the fixtures' SOURCES.md
// through every database layout.
func TestSharedFixtures(t *testing.T) {
	recs := readShared(t)
	want := []hit{
		{"gosvc", "golang.org/x/net@v0.30.0", "GO-2024-3333"},
		{"gosvc", "golang.org/x/net@v0.30.0", "GO-2025-3503"},
		{"py", "requests@2.20.0", "GHSA-j8r2-6x86-q33q"},
		{"py", "urllib3@1.24.3", "GHSA-v845-jxx5-vc9f"},
		{"rs", "tokio@1.13.0", "GHSA-fg7r-2g4j-5cgr"},
		{"rs", "tokio@1.9.0", "GHSA-fg7r-2g4j-5cgr"},
		{"web", "lodash@4.17.20", "GHSA-35jh-r3h4-6jhm"},
		{"web", "minimist@1.2.5", "GHSA-xvch-5gv4-984h"},
	}
	layouts := map[string]func(root string){
		"directory":   func(root string) {},
		"plain zips":  func(root string) { writeZips(t, root, "", recs) },
		"osv-scanner": func(root string) { writeZips(t, root, "osv-scanner", recs) },
		"both":        func(root string) { writeZips(t, root, "osv-scanner", recs); writeZips(t, root, "osv-scalibr", recs) },
	}
	for name, mk := range layouts {
		t.Run(name, func(t *testing.T) {
			root := sharedOSV
			if name != "directory" {
				root = t.TempDir()
				mk(root)
			}
			inputs := fixtureInputs()
			want2 := Wanted{}
			for _, in := range inputs {
				for _, p := range in.Lockfile.Packages {
					want2.Add(p.Ecosystem, p.Name)
				}
			}
			db, err := LoadDB(context.Background(), root, want2)
			if err != nil {
				t.Fatal(err)
			}
			if len(db.Stats.Problems) > 0 {
				t.Fatalf("problems: %v", db.Stats.Problems)
			}
			rep, err := Run(context.Background(), db, inputs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, hits(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, f := range rep.Findings {
				if f.Package == "minimist" && strings.Join(f.Path, " > ") != "mkdirp@0.5.5 > minimist@1.2.5" {
					t.Errorf("minimist path = %v", f.Path)
				}
				if f.ID == "GO-2024-3333" && (strings.Join(f.Aliases, ",") != "CVE-2024-45338,GHSA-w32m-9786-jp63" || strings.Join(f.Fixed, ",") != "0.33.0") {
					t.Errorf("GO-2024-3333: aliases %v fixed %v", f.Aliases, f.Fixed)
				}
				if f.ID == "GHSA-xvch-5gv4-984h" && (f.Severity != SeverityCritical || f.Score != 9.8) {
					t.Errorf("minimist severity %v %v", f.Severity, f.Score)
				}
			}
			var skipped []string
			for _, s := range rep.Skipped {
				skipped = append(skipped, s.Package)
			}
			if strings.Join(skipped, ",") != "stdlib" {
				t.Errorf("skipped = %v, want stdlib only", skipped)
			}
		})
	}
}

func TestAliasesMergeIntoOneFinding(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"GO-1.json":   `{"id":"GO-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1","GHSA-1"],"summary":"go record","affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}`,
		"GHSA-1.json": `{"id":"GHSA-1","aliases":["CVE-1"],"summary":"ghsa record","database_specific":{"severity":"HIGH"},"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.5"}]}]}]}`,
		"OTHER.json":  `{"id":"OTHER-1","affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"versions":["v1.1.0"]}]}`,
		"sub/x.json":  `{"id":"UNSUP-1","unknown":true,"affected":[{"package":{"ecosystem":"Hackage","name":"m"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
		"bad.json":    `{"id": truncated`,
	}
	for n, c := range files {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := LoadDB(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Stats.Problems) != 1 || !strings.Contains(db.Stats.Problems[0], "bad.json") {
		t.Errorf("problems = %v", db.Stats.Problems)
	}
	if db.Stats.Unsupported["Hackage"] != 1 || db.Stats.Records != 4 || !db.HasEcosystem("Go") || db.HasEcosystem("npm") {
		t.Errorf("stats = %+v", db.Stats)
	}
	lf := &ecosystem.Lockfile{Path: "go.mod", Ecosystem: "Go", Packages: []ecosystem.Package{pkg("Go", "example.com/m", "v1.1.0")}}
	rep, err := Run(context.Background(), db, []Input{{Component: "c", Lockfile: lf}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 2 {
		t.Fatalf("findings = %+v", rep.Findings)
	}
	f := rep.Findings[0]
	if f.ID != "GHSA-1" || strings.Join(f.Aliases, ",") != "CVE-1,GO-1" || strings.Join(f.Fixed, ",") != "1.1.5,1.2.0" || f.Severity != SeverityHigh || f.Summary != "ghsa record" {
		t.Errorf("merged finding = %+v", f)
	}
	if rep.Findings[1].ID != "OTHER-1" || rep.Findings[1].Severity != SeverityUnknown {
		t.Errorf("second finding = %+v", rep.Findings[1])
	}
}

func TestLoadDBErrors(t *testing.T) {
	if _, err := LoadDB(context.Background(), filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("missing path: no error")
	}
	if _, err := LoadDB(context.Background(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "no OSV records") {
		t.Errorf("empty dir: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "all.zip")
	os.WriteFile(bad, []byte("not a zip"), 0o644)
	if _, err := LoadDB(context.Background(), bad, nil); err == nil {
		t.Error("bad zip: no error")
	}
}

func TestSkipped(t *testing.T) {
	lf := &ecosystem.Lockfile{Path: "x", Ecosystem: "npm", Packages: []ecosystem.Package{
		{Ecosystem: "npm", Name: "local", Version: "1.0.0", Source: "path"},
		{Ecosystem: "npm", Name: "unpinned", Version: ""},
		{Ecosystem: "GIT", Name: "g", Version: "abc"},
		pkg("npm", "ok", "1.0.0"),
	}}
	rep, err := Run(context.Background(), &DB{}, []Input{{Lockfile: lf}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Packages != 2 || len(rep.Skipped) != 2 {
		t.Errorf("packages %d skipped %+v", rep.Packages, rep.Skipped)
	}
}

func TestWorkspacePackagesAreSkippedAsLocal(t *testing.T) {
	lf := &ecosystem.Lockfile{Path: "yarn.lock", Ecosystem: "npm", Packages: []ecosystem.Package{
		{Ecosystem: "npm", Name: "lodash", Version: "4.17.20", Source: ecosystem.SourceLocal},
		{Ecosystem: "npm", Name: "app", Version: "", Source: ecosystem.SourceLocal},
		pkg("npm", "ok", "1.0.0"),
	}}
	db := &DB{}
	rep, err := Run(context.Background(), db, []Input{{Lockfile: lf}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Packages != 1 || len(rep.Skipped) != 2 || rep.Skipped[0].Reason != ReasonLocal || rep.Skipped[1].Reason != ReasonLocal {
		t.Errorf("packages %d skipped %+v", rep.Packages, rep.Skipped)
	}
}
