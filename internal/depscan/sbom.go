package depscan

import (
	"context"

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
