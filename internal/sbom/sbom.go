// Package sbom owns software bills of materials: it turns a component's
// parsed lock files (with licenses and, optionally, audit findings) into
// CycloneDX 1.6 JSON or SPDX 2.3 JSON documents, deterministically: sorted
// contents, and no timestamp or serial number unless the caller gives a
// time.
package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/ecosystem"
)

// Input is what goes into one component's SBOM.
type Input struct {
	Component string                // the component's name
	Version   string                // the component's version or commit, "" when unknown
	Lockfiles []*ecosystem.Lockfile // its parsed lock files
	// Licenses maps PackageKey(ecosystem, name, version) to the package's
	// license expression, as found by the license package.
	Licenses map[string]string
	Findings []audit.Finding // vulnerabilities to include (CycloneDX only)
}

// Options control the parts of a document that are not derived from Input.
type Options struct {
	// Time stamps the document (CycloneDX metadata.timestamp and a serial
	// number derived from the content and time; SPDX created). Zero omits
	// them from CycloneDX; SPDX, which requires one, then uses the Unix epoch.
	Time        time.Time
	ToolVersion string // meta's version, recorded as the creating tool
	// Namespace is the SPDX document namespace prefix; default
	// "https://spdx.org/spdxdocs/meta". The document gets
	// <Namespace>/<component>-<content hash>.
	Namespace string
}

// PackageKey is the key of Input.Licenses.
func PackageKey(eco, name, version string) string { return eco + "\x00" + name + "\x00" + version }

// PURL returns the package URL of a package, or "" for an ecosystem
// without a purl type here.
func PURL(eco, name, version string) string {
	var typ, ns string
	switch eco {
	case ecosystem.Npm:
		typ = packageurl.TypeNPM
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				ns, name = name[:i], name[i+1:]
			}
		}
	case ecosystem.PyPI:
		typ = packageurl.TypePyPi
		name = audit.NormalizeName(ecosystem.PyPI, name)
	case ecosystem.Cargo:
		typ = packageurl.TypeCargo
	case ecosystem.Go:
		typ = packageurl.TypeGolang
		if i := strings.LastIndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	default:
		return ""
	}
	return packageurl.NewPackageURL(typ, ns, name, version, nil, "").ToString()
}

// pkg is one distinct package of a component (the same package in two
// lock files is one entry).
type pkg struct {
	ref       string // purl, or a meta-specific ref when no purl
	eco       string
	name      string
	version   string
	scope     ecosystem.Scope
	local     bool // first-party: the workspace's own code
	license   string
	deps      map[string]bool // refs
	lockfiles []string
}

// model is the ecosystem-neutral content of an SBOM.
type model struct {
	pkgs  []*pkg          // sorted by ref
	roots map[string]bool // refs the component depends on directly
	byRef map[string]*pkg
}

func refOf(eco, name, version string) string {
	if p := PURL(eco, name, version); p != "" {
		return p
	}
	return "meta:" + eco + "/" + name + "@" + version
}

func buildModel(in Input) *model {
	m := &model{roots: map[string]bool{}, byRef: map[string]*pkg{}}
	for _, lf := range in.Lockfiles {
		refs := map[string]string{} // package ID → ref
		for _, p := range lf.Packages {
			eco := p.Ecosystem
			if eco == "" {
				eco = lf.Ecosystem
			}
			if p.Source == ecosystem.SourceLocal {
				// No purl: one would name the registry's package.
				refs[p.ID()] = "local:" + eco + "/" + p.Name + "@" + p.Version
			} else {
				refs[p.ID()] = refOf(eco, p.Name, p.Version)
			}
		}
		for _, p := range lf.Packages {
			eco := p.Ecosystem
			if eco == "" {
				eco = lf.Ecosystem
			}
			ref := refs[p.ID()]
			e := m.byRef[ref]
			if e == nil {
				e = &pkg{ref: ref, eco: eco, name: p.Name, version: p.Version, scope: p.Scope, local: p.Source == ecosystem.SourceLocal, deps: map[string]bool{}}
				m.byRef[ref] = e
				m.pkgs = append(m.pkgs, e)
			} else if scopeRank(p.Scope) < scopeRank(e.scope) {
				e.scope = p.Scope
			}
			e.lockfiles = append(e.lockfiles, lf.Path)
			if lic := in.Licenses[PackageKey(eco, p.Name, p.Version)]; lic != "" {
				e.license = lic
			} else if e.license == "" {
				e.license = p.License
			}
			for _, d := range p.Deps {
				if r, ok := refs[d]; ok && r != ref {
					e.deps[r] = true
				}
			}
		}
		for _, r := range lf.Roots {
			if ref, ok := refs[r]; ok {
				m.roots[ref] = true
			}
		}
	}
	sort.Slice(m.pkgs, func(i, j int) bool { return m.pkgs[i].ref < m.pkgs[j].ref })
	return m
}

// scopeRank orders scopes from most to least needed.
func scopeRank(s ecosystem.Scope) int {
	switch s {
	case ecosystem.ScopeProd, "":
		return 0
	case ecosystem.ScopeOptional:
		return 1
	}
	return 2
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// contentHash digests the model so that namespaces and serial numbers are
// stable for the same content.
func (m *model) contentHash(component string, extra string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", component, extra)
	for _, p := range m.pkgs {
		fmt.Fprintf(h, "%s %s %s %v\n", p.ref, p.scope, p.license, sortedKeys(p.deps))
	}
	fmt.Fprintf(h, "%v\n", sortedKeys(m.roots))
	return hex.EncodeToString(h.Sum(nil))
}

var nonIDChars = regexp.MustCompile(`[^A-Za-z0-9.]+`)

// spdxSafe makes s usable in an SPDX identifier.
func spdxSafe(s string) string {
	return strings.Trim(nonIDChars.ReplaceAllString(s, "-"), "-")
}

// StampTime is the time to stamp a document with: SOURCE_DATE_EPOCH's
// (sourceDateEpoch, seconds since 1970) when set, else now when stamp is
// set, else the zero time (no stamp). A sourceDateEpoch that is not a
// number is an error.
func StampTime(sourceDateEpoch string, stamp bool, now func() time.Time) (time.Time, error) {
	if sourceDateEpoch != "" {
		sec, err := strconv.ParseInt(sourceDateEpoch, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%s: not a number", sourceDateEpoch)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	if stamp {
		return now().UTC(), nil
	}
	return time.Time{}, nil
}
