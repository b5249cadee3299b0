package depscan

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/license"
)

// LicenseReport is every package's license and verdict.
type LicenseReport struct {
	Components []LicenseComponent `json:"components"`
	Summary    struct {
		Packages   int `json:"packages"`
		Violations int `json:"violations"`
		Unknown    int `json:"unknown"`
		NotChecked int `json:"lockfiles_not_checked"`
	} `json:"summary"`
}

// LicenseComponent is one component's packages.
type LicenseComponent struct {
	Name       string           `json:"name"`
	Packages   []LicensePackage `json:"packages"`
	NotChecked []NotRead        `json:"not_checked,omitempty"`
}

// LicensePackage is one package's license and the policy's verdict.
type LicensePackage struct {
	Lockfile  string `json:"lockfile"`
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	License   string `json:"license"` // canonical SPDX form when it parses, else as declared
	Source    string `json:"source"`
	Detail    string `json:"detail,omitempty"`
	Verdict   string `json:"verdict"` // allowed, denied, unknown
	Problem   string `json:"problem,omitempty"`
}

// LicenseOptions say what to check and where to look.
type LicenseOptions struct {
	Targets      []Target
	Policy       *license.CompiledPolicy
	DepsDev      *license.DepsDev // nil: do not ask deps.dev
	SitePackages []string         // extra Python metadata directories
}

// Licenses finds and checks the license of every package that is not the
// workspace's own, looking up several packages at a time.
func Licenses(ctx context.Context, opts LicenseOptions) (*LicenseReport, error) {
	rep := &LicenseReport{}
	rep.Components = make([]LicenseComponent, len(opts.Targets))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, t := range opts.Targets {
		c := &rep.Components[i]
		c.Name = t.Name
		c.NotChecked = notRead(t)
		finder := &license.Finder{Dir: t.Dir, SitePackages: opts.SitePackages, DepsDev: opts.DepsDev}
		type job struct {
			lock string
			pkg  ecosystem.Package
		}
		var jobs []job
		for _, l := range t.Locks {
			for _, p := range l.Packages {
				if p.Source == ecosystem.SourceLocal {
					continue // the workspace's own code: its license is the project's
				}
				p.Ecosystem = PkgEcosystem(p, l)
				c.Packages = append(c.Packages, LicensePackage{Lockfile: l.Path, Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version})
				jobs = append(jobs, job{l.Path, p})
			}
		}
		if c.Packages == nil {
			c.Packages = []LicensePackage{}
		}
		for k, j := range jobs {
			row := &c.Packages[k]
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				r := opts.Policy.Check(finder.Find(ctx, j.lock, j.pkg))
				row.License, row.Source, row.Detail = r.License, r.Source, r.Detail
				row.Verdict, row.Problem = r.Verdict.String(), r.Problem
				if r.Expr != nil {
					row.License = r.Expr.String() // canonical: GPL-3.0 → GPL-3.0-only
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, c := range rep.Components {
		rep.Summary.Packages += len(c.Packages)
		rep.Summary.NotChecked += len(c.NotChecked)
		for _, p := range c.Packages {
			switch p.Verdict {
			case "denied":
				rep.Summary.Violations++
			case "unknown":
				rep.Summary.Unknown++
			}
		}
	}
	return rep, nil
}
