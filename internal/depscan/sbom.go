package depscan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/license"
	"github.com/metawork/meta/internal/sbom"
)

// SBOMInput is what an SBOM of t lists: its lock files, findings, and each
// package's license found without the network (lock file or installed
// metadata).
func SBOMInput(ctx context.Context, t Target, findings []audit.Finding) sbom.Input {
	f := &license.Finder{Dir: t.Dir}
	lic := map[string]string{}
	for _, l := range t.Locks {
		for _, p := range l.Packages {
			p.Ecosystem = PkgEcosystem(p, l)
			if a := f.Find(ctx, l.Path, p); a.License != "" {
				lic[sbom.PackageKey(p.Ecosystem, p.Name, p.Version)] = a.License
			}
		}
	}
	return sbom.Input{Component: t.Name, Lockfiles: t.Locks, Findings: findings, Licenses: lic}
}

// SBOM renders t's bill of materials in format ("cyclonedx" or "spdx").
func SBOM(ctx context.Context, t Target, findings []audit.Finding, format string, opt sbom.Options) ([]byte, error) {
	in := SBOMInput(ctx, t, findings)
	var buf bytes.Buffer
	var err error
	if format == "spdx" {
		err = sbom.SPDX(&buf, in, opt)
	} else {
		err = sbom.CycloneDX(&buf, in, opt)
	}
	return buf.Bytes(), err
}

// SBOMDest is where t's SBOM goes for --output output: output itself
// (""/"-" is standard output) for one component, else
// output/<name>.cdx.json or .spdx.json when several components are
// written or output is a directory.
func SBOMDest(output string, several bool, name, format string) string {
	if !several && !strings.HasSuffix(output, "/") {
		if st, err := os.Stat(output); err != nil || !st.IsDir() {
			return output
		}
	}
	ext := ".cdx.json"
	if format == "spdx" {
		ext = ".spdx.json"
	}
	return filepath.Join(output, name+ext)
}
