package sbom

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/license"
)

// CycloneDX writes in as a CycloneDX 1.6 JSON BOM: the component as
// metadata.component, one library component per package (bom-ref = purl,
// scope required/optional/excluded for dev), licenses, the dependency
// graph, and a vulnerability per advisory in in.Findings.
func CycloneDX(w io.Writer, in Input, opt Options) error {
	bom := BuildCycloneDX(in, opt)
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("writing CycloneDX: %w", err)
	}
	return nil
}

// BuildCycloneDX returns the BOM CycloneDX writes.
func BuildCycloneDX(in Input, opt Options) *cdx.BOM {
	m := buildModel(in)
	bom := cdx.NewBOM()
	rootRef := "component:" + in.Component
	meta := &cdx.Metadata{
		Component: &cdx.Component{BOMRef: rootRef, Type: cdx.ComponentTypeApplication, Name: in.Component, Version: in.Version},
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "meta", Version: opt.ToolVersion,
		}}},
	}
	if !opt.Time.IsZero() {
		meta.Timestamp = opt.Time.UTC().Format(time.RFC3339)
		bom.SerialNumber = "urn:uuid:" + uuidFromHash(m.contentHash(in.Component, meta.Timestamp))
	}
	bom.Metadata = meta
	comps := make([]cdx.Component, 0, len(m.pkgs))
	top := map[string]bool{}
	for r := range m.roots {
		top[r] = true
	}
	for _, p := range m.pkgs {
		if p.local {
			top[p.ref] = true // the component's own workspace members
		}
	}
	deps := []cdx.Dependency{{Ref: rootRef, Dependencies: ptrIfAny(sortedKeys(top))}}
	for _, p := range m.pkgs {
		c := cdx.Component{
			BOMRef:  p.ref,
			Type:    cdx.ComponentTypeLibrary,
			Name:    p.name,
			Version: p.version,
			Scope:   cdxScope(p.scope),
		}
		if strings.HasPrefix(p.ref, "pkg:") {
			c.PackageURL = p.ref
		}
		if p.eco == ecosystem.Npm || p.eco == ecosystem.Go {
			// Group is the npm scope or the Go module's path prefix, as in the purl.
			if i := strings.LastIndexByte(p.name, '/'); i > 0 {
				c.Group, c.Name = p.name[:i], p.name[i+1:]
			}
		}
		if lc := cdxLicenses(p.license); lc != nil {
			c.Licenses = lc
		}
		props := []cdx.Property{{Name: "meta:ecosystem", Value: p.eco}}
		if p.local {
			props = append(props, cdx.Property{Name: "meta:first-party", Value: "true"})
		}
		for _, lf := range uniq(p.lockfiles) {
			props = append(props, cdx.Property{Name: "meta:lockfile", Value: lf})
		}
		c.Properties = &props
		comps = append(comps, c)
		deps = append(deps, cdx.Dependency{Ref: p.ref, Dependencies: ptrIfAny(sortedKeys(p.deps))})
	}
	bom.Components = &comps
	bom.Dependencies = &deps
	if vulns := cdxVulns(in.Findings); len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	return bom
}

func ptrIfAny(s []string) *[]string {
	if len(s) == 0 {
		return nil
	}
	return &s
}

func uniq(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func cdxScope(s ecosystem.Scope) cdx.Scope {
	switch s {
	case ecosystem.ScopeDev:
		return cdx.ScopeExcluded
	case ecosystem.ScopeOptional:
		return cdx.ScopeOptional
	}
	return cdx.ScopeRequired
}

// cdxLicenses renders a license: one known SPDX id as a license id, a
// valid compound expression as an expression, anything else as a name.
func cdxLicenses(lic string) *cdx.Licenses {
	lic = strings.TrimSpace(lic)
	if lic == "" {
		return nil
	}
	e, err := license.Parse(lic)
	switch {
	case err != nil || len(license.UnknownLeaves(e)) > 0:
		return &cdx.Licenses{{License: &cdx.License{Name: lic}}}
	default:
		if leaf, ok := e.(*license.Leaf); ok && leaf.Exception == "" && !strings.HasSuffix(leaf.ID, "+") {
			return &cdx.Licenses{{License: &cdx.License{ID: leaf.ID}}}
		}
		return &cdx.Licenses{{Expression: e.String()}}
	}
}

// cdxVulns turns findings into vulnerabilities, one per advisory id, each
// listing every affected package.
func cdxVulns(fs []audit.Finding) []cdx.Vulnerability {
	byID := map[string]*cdx.Vulnerability{}
	affects := map[string]map[string]bool{}
	var ids []string
	for _, f := range fs {
		v := byID[f.ID]
		if v == nil {
			v = &cdx.Vulnerability{
				BOMRef:      "vuln:" + f.ID,
				ID:          f.ID,
				Source:      &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + f.ID},
				Description: f.Summary,
			}
			if len(f.Aliases) > 0 {
				refs := make([]cdx.VulnerabilityReference, 0, len(f.Aliases))
				for _, a := range f.Aliases {
					refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + a}})
				}
				v.References = &refs
			}
			rating := cdx.VulnerabilityRating{Severity: cdx.Severity(f.Severity.String())}
			if f.Score > 0 {
				score := f.Score
				rating.Score = &score
				if vec := cvssVector(f); vec != "" {
					rating.Vector = vec
					rating.Method = cdx.ScoringMethodCVSSv3
					if strings.HasPrefix(vec, "CVSS:3.1/") {
						rating.Method = cdx.ScoringMethodCVSSv31
					}
				}
			}
			v.Ratings = &[]cdx.VulnerabilityRating{rating}
			if len(f.Fixed) > 0 {
				v.Recommendation = "Upgrade to " + strings.Join(f.Fixed, " or ")
			}
			byID[f.ID] = v
			affects[f.ID] = map[string]bool{}
			ids = append(ids, f.ID)
		}
		affects[f.ID][refOf(f.Ecosystem, f.Package, f.Version)] = true
	}
	sort.Strings(ids)
	out := make([]cdx.Vulnerability, 0, len(ids))
	for _, id := range ids {
		v := byID[id]
		var af []cdx.Affects
		for _, r := range sortedKeys(affects[id]) {
			af = append(af, cdx.Affects{Ref: r})
		}
		v.Affects = &af
		out = append(out, *v)
	}
	return out
}

// cvssVector returns the CVSS v3 vector behind a finding's score.
func cvssVector(f audit.Finding) string {
	for _, r := range f.Records {
		for _, s := range r.Severity {
			if s.Type == "CVSS_V3" {
				if sc, err := audit.CVSS3BaseScore(s.Score); err == nil && sc == f.Score {
					return s.Score
				}
			}
		}
	}
	return ""
}

// uuidFromHash formats the first 16 bytes of a hex digest as a version 8
// (custom) UUID, so the same content and time give the same serial.
func uuidFromHash(hexDigest string) string {
	b := []byte(hexDigest[:32])
	b[12] = '8' // version 8
	v := strings.IndexByte("0123456789abcdef", b[16])
	b[16] = "89ab"[max(v, 0)&3] // variant 10xx
	s := string(b)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
