package depscan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/license"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/sbom"
)

// An npm workspace: a member (first-party), lodash 4.17.20 (vulnerable,
// MIT in the lock) and ms (no license anywhere).
const npmLock = `{
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "root", "workspaces": ["packages/*"], "dependencies": {"lodash": "4.17.20"}},
    "packages/a": {"name": "a", "version": "1.0.0", "dependencies": {"ms": "^2"}},
    "node_modules/a": {"resolved": "packages/a", "link": true},
    "node_modules/lodash": {"version": "4.17.20", "license": "MIT"},
    "node_modules/ms": {"version": "2.1.3"}
  }
}`

const lodashAdvisory = `{"id":"GHSA-35jh-r3h4-6jhm","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2021-23337"],"summary":"Command Injection in lodash","database_specific":{"severity":"HIGH"},"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testTargets returns components web (the npm lock), rs (a Cargo.lock the
// offline database has no records for) and broken (an unreadable lock).
func testTargets(t *testing.T) []Target {
	t.Helper()
	root := t.TempDir()
	write(t, root, map[string]string{
		"web/package-lock.json": npmLock,
		"rs/Cargo.lock":         "version = 3\n\n[[package]]\nname = \"memchr\"\nversion = \"2.5.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
		"broken/yarn.lock":      "",
	})
	var ts []Target
	for _, n := range []string{"web", "rs", "broken"} {
		tg, err := Load(context.Background(), Component{Name: n, Dir: filepath.Join(root, n)})
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tg)
	}
	return ts
}

func TestLoadKeepsUnreadableLockFiles(t *testing.T) {
	ts := testTargets(t)
	if len(ts[0].Locks) != 1 || len(ts[2].Locks) != 0 || len(ts[2].Failed) != 1 {
		t.Fatalf("locks %d/%d, failed %d", len(ts[0].Locks), len(ts[2].Locks), len(ts[2].Failed))
	}
	err := Unreadable(ts)
	var ue *UnreadableError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "a lock file could not be read: broken: yarn.lock") {
		t.Errorf("Unreadable = %v", err)
	}
	if err := Unreadable(ts[:2]); err != nil {
		t.Errorf("Unreadable of readable targets = %v", err)
	}
}

func TestAuditOffline(t *testing.T) {
	ts := testTargets(t)
	db := t.TempDir()
	write(t, db, map[string]string{"GHSA-35jh-r3h4-6jhm.json": lodashAdvisory})
	rep, err := Audit(context.Background(), AuditOptions{Targets: ts, OfflineDB: db, Loader: &audit.Loader{}})
	if err != nil {
		t.Fatal(err)
	}
	web, rs, broken := rep.Components[0], rep.Components[1], rep.Components[2]
	if len(web.Findings) != 1 || web.Findings[0].ID != "GHSA-35jh-r3h4-6jhm" || web.Findings[0].Severity != audit.SeverityHigh {
		t.Errorf("web findings: %+v", web.Findings)
	}
	if diff := cmp.Diff([]NotRead{{Path: "Cargo.lock", Reason: "the offline database has no crates.io records"}}, rs.NotAudited); diff != "" {
		t.Errorf("rs not audited (-want +got):\n%s", diff)
	}
	if len(broken.NotAudited) != 1 || broken.NotAudited[0].Path != "yarn.lock" {
		t.Errorf("broken not audited: %+v", broken.NotAudited)
	}
	s := rep.Summary
	if s.Findings != 1 || s.Packages != 2 || s.Local != 1 || s.Lockfiles != 2 || s.NotAudited != 2 {
		t.Errorf("summary: %+v", s)
	}
	if diff := cmp.Diff([]Count{{"high", 1}}, s.Severities()); diff != "" {
		t.Errorf("severities (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Count{{audit.ReasonLocal, 1}}, web.SkippedBy()); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if !rep.Fails(audit.SeverityHigh) || rep.Fails(audit.SeverityCritical) || rep.Fails(FailNone) || rep.NothingAudited() {
		t.Error("fails/nothing audited")
	}
	if got := rep.Findings()["web"]; len(got) != 1 {
		t.Errorf("Findings()[web] = %v", got)
	}
}

func TestAuditSourceErrors(t *testing.T) {
	ts := testTargets(t)[:1]
	_, err := Audit(context.Background(), AuditOptions{Targets: ts, OfflineDB: filepath.Join(t.TempDir(), "none")})
	var se *SourceError
	if !errors.As(err, &se) || !se.Offline {
		t.Errorf("missing offline database: %v", err)
	}
	_, err = Audit(context.Background(), AuditOptions{Targets: ts, OSVURL: "http://127.0.0.1:1", CacheDir: t.TempDir()})
	if !errors.As(err, &se) || se.Offline || !strings.HasPrefix(err.Error(), "OSV API: ") {
		t.Errorf("unreachable API: %v", err)
	}
}

func TestParseFailOn(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want audit.Severity
		err  bool
	}{{"high", audit.SeverityHigh, false}, {" None ", FailNone, false}, {"unknown", 0, true}, {"bogus", 0, true}} {
		got, err := ParseFailOn(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseFailOn(%q) = %v, %v", tc.in, got, err)
		}
	}
	if !Reaches(audit.SeverityUnknown, audit.SeverityCritical) || Reaches(audit.SeverityLow, audit.SeverityHigh) {
		t.Error("Reaches")
	}
}

func TestLicensesSkipFirstPartyAndStayAligned(t *testing.T) {
	ts := testTargets(t)
	pol, err := license.Policy{Deny: []string{"MIT"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Licenses(context.Background(), LicenseOptions{Targets: ts[:1], Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Components[0].Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.License+" "+p.Verdict)
	}
	// the member a is the project's own: not listed; every row is its own package's
	want := []string{"lodash@4.17.20 MIT denied", "ms@2.1.3  unknown"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if rep.Summary.Violations != 1 || rep.Summary.Unknown != 1 || rep.Summary.Packages != 2 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

func TestPackageGraph(t *testing.T) {
	g := PackageGraph(testTargets(t)[0])
	var edges []string
	for _, e := range g.Edges {
		edges = append(edges, e.From+" -> "+e.To)
	}
	want := []string{"a@1.0.0 -> ms@2.1.3", "web -> lodash@4.17.20", "web -> ms@2.1.3"}
	if diff := cmp.Diff(want, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	dot, err := g.Render(context.Background(), "dot")
	if err != nil || !strings.Contains(string(dot), `"web" [label="web", shape=doubleoctagon];`) {
		t.Errorf("dot: %v\n%s", err, dot)
	}
	if _, err := g.Render(context.Background(), "png"); err == nil {
		t.Error("png rendered")
	}
}

func TestComponentGraph(t *testing.T) {
	m := &manifest.Manifest{Order: []string{"api", "db"}, Components: map[string]*manifest.Component{
		"api": {Name: "api", Version: "^1", DependsOn: []manifest.Dep{{Name: "db", Constraint: "^2"}, {Name: "gone"}}},
		"db":  {Name: "db", Ref: "main"},
	}}
	m.Workspace.Name = "ws"
	g := ComponentGraph(m)
	if len(g.Nodes) != 2 || g.Nodes[0].Label != "api ^1" || g.Nodes[1].Label != "db @main" {
		t.Errorf("nodes: %+v", g.Nodes)
	}
	if diff := cmp.Diff([]Edge{{From: "api", To: "db", Label: "^2"}}, g.Edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(g.Mermaid()), `n0 -->|"^2"| n1`) {
		t.Errorf("mermaid:\n%s", g.Mermaid())
	}
}

func TestSelect(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"api/x": ""})
	m := &manifest.Manifest{Dir: dir, File: filepath.Join(dir, "manifests", "components.yaml"), Order: []string{"api", "web"},
		Components: map[string]*manifest.Component{"api": {Name: "api", Path: filepath.Join(dir, "api")}, "web": {Name: "web", Path: filepath.Join(dir, "web")}}}
	got, err := Select(m, []string{"api", "api"}, false)
	if err != nil || len(got) != 1 || got[0].Name != "api" {
		t.Errorf("Select(api, api) = %v, %v", got, err)
	}
	_, err = Select(m, []string{"apj"}, false)
	var ue *UnknownComponentError
	if !errors.As(err, &ue) || ue.Hint != `did you mean "api"?` || err.Error() != "apj: no such component in manifests/components.yaml" {
		t.Errorf("Select(apj) = %v", err)
	}
	_, err = Select(m, nil, true)
	var nc *NotCheckedOutError
	if !errors.As(err, &nc) || !cmp.Equal(nc.Names, []string{"web"}) {
		t.Errorf("Select(all) = %v", err)
	}
}

func TestLockReportsProgressAndResults(t *testing.T) {
	dir := t.TempDir()
	var c progress.Collector
	var planned []string
	sink := progress.Tee(&c, progress.Func(func(e progress.Event) {
		if e.Kind == progress.Planned {
			planned = e.Items
		}
	}))
	res := Lock(context.Background(), LockOptions{Components: []Component{{Name: "empty", Dir: dir}, {Name: "gone", Dir: filepath.Join(dir, "gone")}}, Jobs: 2, Progress: sink})
	if !cmp.Equal(planned, []string{"empty", "gone"}) {
		t.Errorf("planned %v", planned)
	}
	if len(res) != 2 || res[0].Status() != "nothing to lock (no package.json, requirements.in, pyproject.toml, Cargo.toml or go.mod)" {
		t.Fatalf("results %+v", res)
	}
	if !strings.HasPrefix(res[1].Status(), "failed: ") || c.Failed() != 1 || len(c.Results()) != 2 {
		t.Errorf("gone: %q; collector failed %d of %d", res[1].Status(), c.Failed(), len(c.Results()))
	}
	if n := Tally(res); n.Nothing != 1 || n.Failed != 1 || n.Locked != 0 {
		t.Errorf("tally %+v", n)
	}
}

func TestSBOMDest(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		output  string
		several bool
		format  string
		want    string
	}{
		{"", false, "cyclonedx", ""},
		{"-", false, "spdx", "-"},
		{"x.json", false, "cyclonedx", "x.json"},
		{"out/", false, "cyclonedx", "out/web.cdx.json"},
		{dir, false, "spdx", filepath.Join(dir, "web.spdx.json")},
		{"out", true, "spdx", "out/web.spdx.json"},
	} {
		if got := SBOMDest(tc.output, tc.several, "web", tc.format); got != filepath.FromSlash(tc.want) && got != tc.want {
			t.Errorf("SBOMDest(%q, %v) = %q, want %q", tc.output, tc.several, got, tc.want)
		}
	}
}

func TestSBOMListsFirstParty(t *testing.T) {
	doc, err := SBOM(context.Background(), testTargets(t)[0], nil, "cyclonedx", sbom.Options{ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"purl": "pkg:npm/lodash@4.17.20"`, `"name": "a"`, `"id": "MIT"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("missing %s in\n%s", want, doc)
		}
	}
}
