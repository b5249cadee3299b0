package sbom

import (
	"bytes"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/ecosystem"
)

func testInput() Input {
	npm := &ecosystem.Lockfile{Path: "web/package-lock.json", Ecosystem: "npm", Roots: []string{"@babel/core@7.0.0", "lodash@4.17.20"},
		Packages: []ecosystem.Package{
			{Ecosystem: "npm", Name: "@babel/core", Version: "7.0.0", License: "MIT", Deps: []string{"lodash@4.17.20"}},
			{Ecosystem: "npm", Name: "lodash", Version: "4.17.20", License: "MIT"},
			{Ecosystem: "npm", Name: "mkdirp", Version: "0.5.5", Scope: ecosystem.ScopeDev, License: "Apache 2.0"},
		}}
	py := &ecosystem.Lockfile{Path: "requirements.txt", Ecosystem: "PyPI", Roots: []string{"Flask_Login@0.6.3"},
		Packages: []ecosystem.Package{{Ecosystem: "PyPI", Name: "Flask_Login", Version: "0.6.3"}}}
	cargo := &ecosystem.Lockfile{Path: "Cargo.lock", Ecosystem: "crates.io",
		Packages: []ecosystem.Package{{Ecosystem: "crates.io", Name: "tokio", Version: "1.13.0"}}}
	gomod := &ecosystem.Lockfile{Path: "go.mod", Ecosystem: "Go", Roots: []string{"golang.org/x/net@v0.30.0"},
		Packages: []ecosystem.Package{{Ecosystem: "Go", Name: "golang.org/x/net", Version: "v0.30.0"}}}
	rec := &audit.Record{ID: "GHSA-fg7r-2g4j-5cgr", Severity: []audit.SeverityEntry{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}
	return Input{
		Component: "api",
		Lockfiles: []*ecosystem.Lockfile{npm, py, cargo, gomod},
		Licenses: map[string]string{
			PackageKey("crates.io", "tokio", "1.13.0"):      "MIT",
			PackageKey("PyPI", "Flask_Login", "0.6.3"):      "MIT OR Apache-2.0",
			PackageKey("Go", "golang.org/x/net", "v0.30.0"): "BSD-3-Clause",
		},
		Findings: []audit.Finding{
			{Ecosystem: "crates.io", Package: "tokio", Version: "1.13.0", ID: "GHSA-fg7r-2g4j-5cgr", Aliases: []string{"CVE-2021-45710"}, Summary: "Race Condition in tokio",
				Severity: audit.SeverityHigh, Score: 8.1, Fixed: []string{"1.13.1"}, Records: []*audit.Record{rec}},
		},
	}
}

func TestPURL(t *testing.T) {
	tests := []struct{ eco, name, version, want string }{
		{"npm", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"},
		{"npm", "@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0"},
		{"PyPI", "Flask_Login", "0.6.3", "pkg:pypi/flask-login@0.6.3"},
		{"crates.io", "tokio", "1.13.0", "pkg:cargo/tokio@1.13.0"},
		{"Go", "golang.org/x/net", "v0.30.0", "pkg:golang/golang.org/x/net@v0.30.0"},
		{"Hackage", "x", "1", ""},
	}
	for _, tt := range tests {
		if got := PURL(tt.eco, tt.name, tt.version); got != tt.want {
			t.Errorf("PURL(%s, %s, %s) = %q, want %q", tt.eco, tt.name, tt.version, got, tt.want)
		}
	}
}

func TestCycloneDX(t *testing.T) {
	var buf bytes.Buffer
	if err := CycloneDX(&buf, testInput(), Options{ToolVersion: "test"}); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	CycloneDX(&again, testInput(), Options{ToolVersion: "test"})
	if buf.String() != again.String() {
		t.Error("two runs differ")
	}
	if strings.Contains(buf.String(), "timestamp") || strings.Contains(buf.String(), "serialNumber") {
		t.Error("timestamp or serial without a time")
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(buf.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.BOMFormat != "CycloneDX" || bom.Metadata.Component.Name != "api" {
		t.Errorf("header: %v %v %+v", bom.SpecVersion, bom.BOMFormat, bom.Metadata.Component)
	}
	got := map[string]string{}
	for _, c := range *bom.Components {
		lic := ""
		if c.Licenses != nil {
			l := (*c.Licenses)[0]
			switch {
			case l.Expression != "":
				lic = "expr:" + l.Expression
			case l.License.ID != "":
				lic = "id:" + l.License.ID
			default:
				lic = "name:" + l.License.Name
			}
		}
		got[c.PackageURL] = string(c.Scope) + " " + lic
	}
	want := map[string]string{
		"pkg:npm/%40babel/core@7.0.0":         "required id:MIT",
		"pkg:npm/lodash@4.17.20":              "required id:MIT",
		"pkg:npm/mkdirp@0.5.5":                "excluded name:Apache 2.0",
		"pkg:pypi/flask-login@0.6.3":          "required expr:MIT OR Apache-2.0",
		"pkg:cargo/tokio@1.13.0":              "required id:MIT",
		"pkg:golang/golang.org/x/net@v0.30.0": "required id:BSD-3-Clause",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	deps := map[string][]string{}
	for _, d := range *bom.Dependencies {
		if d.Dependencies != nil {
			deps[d.Ref] = *d.Dependencies
		}
	}
	if diff := cmp.Diff(map[string][]string{
		"component:api":               {"pkg:golang/golang.org/x/net@v0.30.0", "pkg:npm/%40babel/core@7.0.0", "pkg:npm/lodash@4.17.20", "pkg:pypi/flask-login@0.6.3"},
		"pkg:npm/%40babel/core@7.0.0": {"pkg:npm/lodash@4.17.20"},
	}, deps); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	if bom.Vulnerabilities == nil || len(*bom.Vulnerabilities) != 1 {
		t.Fatalf("vulnerabilities: %+v", bom.Vulnerabilities)
	}
	v := (*bom.Vulnerabilities)[0]
	r := (*v.Ratings)[0]
	if v.ID != "GHSA-fg7r-2g4j-5cgr" || (*v.Affects)[0].Ref != "pkg:cargo/tokio@1.13.0" || r.Severity != cdx.SeverityHigh || *r.Score != 8.1 ||
		r.Method != cdx.ScoringMethodCVSSv31 || (*v.References)[0].ID != "CVE-2021-45710" || v.Recommendation != "Upgrade to 1.13.1" {
		t.Errorf("vulnerability: %+v rating %+v", v, r)
	}
}

func TestCycloneDXTimestamp(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	bom := BuildCycloneDX(testInput(), Options{Time: at})
	if bom.Metadata.Timestamp != "2026-01-02T03:04:05Z" || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Errorf("timestamp %q serial %q", bom.Metadata.Timestamp, bom.SerialNumber)
	}
	if again := BuildCycloneDX(testInput(), Options{Time: at}); again.SerialNumber != bom.SerialNumber {
		t.Error("serial not stable for the same content and time")
	}
	u := strings.TrimPrefix(bom.SerialNumber, "urn:uuid:")
	if len(u) != 36 || u[14] != '8' || !strings.ContainsRune("89ab", rune(u[19])) {
		t.Errorf("not a version 8 UUID: %s", u)
	}
}

func TestSPDX(t *testing.T) {
	var buf bytes.Buffer
	if err := SPDX(&buf, testInput(), Options{}); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	SPDX(&again, testInput(), Options{})
	if buf.String() != again.String() {
		t.Error("two runs differ")
	}
	doc, err := spdxjson.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Errorf("not a valid SPDX document: %v", err)
	}
	if ids, err := spdxlib.GetDescribedPackageIDs(doc); err != nil || len(ids) != 1 || ids[0] != "Component-api" {
		t.Errorf("described packages %v, %v", ids, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.CreationInfo.Created != "1970-01-01T00:00:00Z" || !strings.HasPrefix(doc.DocumentNamespace, "https://spdx.org/spdxdocs/meta/api-") {
		t.Errorf("header: %s %s %s %s", doc.SPDXVersion, doc.DataLicense, doc.CreationInfo.Created, doc.DocumentNamespace)
	}
	got := map[string]string{}
	for _, p := range doc.Packages {
		purl := ""
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" {
				purl = r.Locator
			}
		}
		got[string(p.PackageSPDXIdentifier)] = purl + " " + p.PackageLicenseDeclared
	}
	want := map[string]string{
		"Component-api":                       " NOASSERTION",
		"Package-npm-babel-core-7.0.0":        "pkg:npm/%40babel/core@7.0.0 MIT",
		"Package-npm-lodash-4.17.20":          "pkg:npm/lodash@4.17.20 MIT",
		"Package-npm-mkdirp-0.5.5":            "pkg:npm/mkdirp@0.5.5 LicenseRef-Apache-2.0",
		"Package-PyPI-Flask-Login-0.6.3":      "pkg:pypi/flask-login@0.6.3 MIT OR Apache-2.0",
		"Package-crates.io-tokio-1.13.0":      "pkg:cargo/tokio@1.13.0 MIT",
		"Package-Go-golang.org-x-net-v0.30.0": "pkg:golang/golang.org/x/net@v0.30.0 BSD-3-Clause",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(doc.OtherLicenses) != 1 || doc.OtherLicenses[0].LicenseIdentifier != "LicenseRef-Apache-2.0" || doc.OtherLicenses[0].ExtractedText != "Apache 2.0" {
		t.Errorf("other licenses: %+v", doc.OtherLicenses)
	}
	var rels []string
	for _, r := range doc.Relationships {
		rels = append(rels, string(r.RefA.ElementRefID)+" "+r.Relationship+" "+string(r.RefB.ElementRefID))
	}
	wantRels := []string{
		"DOCUMENT DESCRIBES Component-api",
		"Component-api DEPENDS_ON Package-Go-golang.org-x-net-v0.30.0",
		"Component-api DEPENDS_ON Package-npm-babel-core-7.0.0",
		"Component-api DEPENDS_ON Package-npm-lodash-4.17.20",
		"Component-api DEPENDS_ON Package-PyPI-Flask-Login-0.6.3",
		"Package-npm-babel-core-7.0.0 DEPENDS_ON Package-npm-lodash-4.17.20",
	}
	if diff := cmp.Diff(wantRels, rels); diff != "" {
		t.Errorf("relationships (-want +got):\n%s", diff)
	}
}

func TestSameContentTwoLockfiles(t *testing.T) {
	lf1 := &ecosystem.Lockfile{Path: "a/package-lock.json", Ecosystem: "npm", Packages: []ecosystem.Package{{Ecosystem: "npm", Name: "x", Version: "1.0.0", Scope: ecosystem.ScopeDev}}}
	lf2 := &ecosystem.Lockfile{Path: "b/package-lock.json", Ecosystem: "npm", Packages: []ecosystem.Package{{Ecosystem: "npm", Name: "x", Version: "1.0.0"}}}
	bom := BuildCycloneDX(Input{Component: "c", Lockfiles: []*ecosystem.Lockfile{lf1, lf2}}, Options{})
	if n := len(*bom.Components); n != 1 || (*bom.Components)[0].Scope != cdx.ScopeRequired {
		t.Errorf("components: %+v", *bom.Components)
	}
}

func TestLocalPackagesAreFirstParty(t *testing.T) {
	yarn := &ecosystem.Lockfile{Path: "yarn.lock", Ecosystem: "npm", Roots: []string{"lodash@4.17.21"},
		Packages: []ecosystem.Package{
			{Ecosystem: "npm", Name: "@babel/core", Source: ecosystem.SourceLocal, Deps: []string{"lodash@4.17.21"}},
			{Ecosystem: "npm", Name: "lodash", Version: "4.17.21"},
		}}
	in := Input{Component: "babel", Lockfiles: []*ecosystem.Lockfile{yarn}}
	bom := BuildCycloneDX(in, Options{})
	var local *cdx.Component
	for i, c := range *bom.Components {
		if c.Name == "core" {
			local = &(*bom.Components)[i]
		}
	}
	if local == nil {
		t.Fatal("the workspace package is not a component")
	}
	if local.PackageURL != "" || !strings.HasPrefix(local.BOMRef, "local:") {
		t.Errorf("a workspace package has purl %q, ref %q: a purl would name the registry's package", local.PackageURL, local.BOMRef)
	}
	first := false
	for _, p := range *local.Properties {
		first = first || p.Name == "meta:first-party" && p.Value == "true"
	}
	if !first {
		t.Errorf("not marked first-party: %+v", *local.Properties)
	}
	rootDeps := *(*bom.Dependencies)[0].Dependencies
	if !cmp.Equal(rootDeps, []string{local.BOMRef, "pkg:npm/lodash@4.17.21"}) {
		t.Errorf("the component depends on %v", rootDeps)
	}
	var buf bytes.Buffer
	if err := SPDX(&buf, in, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "first-party: the component's own code, listed in yarn.lock") || !strings.Contains(buf.String(), `"relationshipType": "CONTAINS"`) {
		t.Errorf("SPDX does not mark the workspace package first-party:\n%s", buf.String())
	}
}
