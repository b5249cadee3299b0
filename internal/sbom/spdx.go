package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/metawork/meta/internal/license"
)

// SPDX writes in as an SPDX 2.3 JSON document: a package for the component
// (DESCRIBES), a package per dependency with its purl and declared
// license, and DEPENDS_ON relationships. Licenses that are not valid SPDX
// expressions are declared as LicenseRef-… with the text as found.
func SPDX(w io.Writer, in Input, opt Options) error {
	if err := spdxjson.Write(BuildSPDX(in, opt), w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("writing SPDX: %w", err)
	}
	return nil
}

// BuildSPDX returns the document SPDX writes.
func BuildSPDX(in Input, opt Options) *spdx.Document {
	m := buildModel(in)
	created := time.Unix(0, 0).UTC()
	if !opt.Time.IsZero() {
		created = opt.Time.UTC()
	}
	ns := strings.TrimRight(opt.Namespace, "/")
	if ns == "" {
		ns = "https://spdx.org/spdxdocs/meta"
	}
	tool := "meta"
	if opt.ToolVersion != "" {
		tool += "-" + opt.ToolVersion
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      in.Component,
		DocumentNamespace: fmt.Sprintf("%s/%s-%s", ns, spdxSafe(in.Component), m.contentHash(in.Component, created.Format(time.RFC3339))[:16]),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: tool}},
			Created:  created.Format(time.RFC3339),
		},
	}
	rootID := common.ElementID("Component-" + spdxSafe(in.Component))
	root := &spdx.Package{
		PackageName:               in.Component,
		PackageSPDXIdentifier:     rootID,
		PackageVersion:            in.Version,
		PackageDownloadLocation:   "NOASSERTION",
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded:   "NOASSERTION",
		PackageLicenseDeclared:    "NOASSERTION",
		PackageCopyrightText:      "NOASSERTION",
		PrimaryPackagePurpose:     "APPLICATION",
	}
	doc.Packages = append(doc.Packages, root)
	ids := map[string]common.ElementID{}
	used := map[common.ElementID]bool{rootID: true}
	for _, p := range m.pkgs {
		id := common.ElementID("Package-" + spdxSafe(p.eco+"-"+p.name+"-"+p.version))
		for n := 2; used[id]; n++ {
			id = common.ElementID(fmt.Sprintf("Package-%s-%d", spdxSafe(p.eco+"-"+p.name+"-"+p.version), n))
		}
		used[id] = true
		ids[p.ref] = id
	}
	others := map[string]string{} // LicenseRef id → text
	for _, p := range m.pkgs {
		sp := &spdx.Package{
			PackageName:               p.name,
			PackageSPDXIdentifier:     ids[p.ref],
			PackageVersion:            p.version,
			PackageDownloadLocation:   "NOASSERTION",
			FilesAnalyzed:             false,
			IsFilesAnalyzedTagPresent: true,
			PackageLicenseConcluded:   "NOASSERTION",
			PackageLicenseDeclared:    spdxLicense(p.license, others),
			PackageCopyrightText:      "NOASSERTION",
			PrimaryPackagePurpose:     "LIBRARY",
		}
		if p.local {
			sp.PackageComment = "first-party: the component's own code, listed in " + strings.Join(uniq(p.lockfiles), ", ")
		}
		if strings.HasPrefix(p.ref, "pkg:") {
			sp.PackageExternalReferences = []*spdx.PackageExternalReference{{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: p.ref}}
		}
		doc.Packages = append(doc.Packages, sp)
	}
	rel := func(a, b common.ElementID, typ string) *spdx.Relationship {
		return &spdx.Relationship{RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)), Relationship: typ}
	}
	doc.Relationships = append(doc.Relationships, rel("DOCUMENT", rootID, common.TypeRelationshipDescribe))
	for _, r := range sortedKeys(m.roots) {
		doc.Relationships = append(doc.Relationships, rel(rootID, ids[r], common.TypeRelationshipDependsOn))
	}
	for _, p := range m.pkgs {
		if p.local {
			doc.Relationships = append(doc.Relationships, rel(rootID, ids[p.ref], common.TypeRelationshipContains))
		}
	}
	for _, p := range m.pkgs {
		for _, d := range sortedKeys(p.deps) {
			doc.Relationships = append(doc.Relationships, rel(ids[p.ref], ids[d], common.TypeRelationshipDependsOn))
		}
	}
	refs := make([]string, 0, len(others))
	for id := range others {
		refs = append(refs, id)
	}
	sort.Strings(refs)
	for _, id := range refs {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{LicenseIdentifier: id, ExtractedText: others[id], LicenseName: others[id]})
	}
	return doc
}

// spdxLicense returns a license for licenseDeclared: the canonical
// expression when every id in it is known, NOASSERTION when there is none,
// else a LicenseRef recorded in others with the text as found.
func spdxLicense(lic string, others map[string]string) string {
	lic = strings.TrimSpace(lic)
	if lic == "" {
		return "NOASSERTION"
	}
	if e, err := license.Parse(lic); err == nil && len(license.UnknownLeaves(e)) == 0 {
		for _, l := range license.Leaves(e) {
			if strings.HasPrefix(l.ID, "LicenseRef-") {
				others[l.ID] = l.ID // declared by reference only; the text is not known
			}
		}
		return e.String()
	}
	safe := spdxSafe(lic)
	if safe == "" {
		sum := sha256.Sum256([]byte(lic))
		safe = "unknown-" + hex.EncodeToString(sum[:4])
	}
	id := "LicenseRef-" + safe
	others[id] = lic
	return id
}
