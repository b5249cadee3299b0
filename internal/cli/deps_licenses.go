package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/license"
)

// depsDevURL is the deps.dev API base: META_DEPSDEV_URL, else the public API.
func depsDevURL() string {
	if u := strings.TrimSpace(os.Getenv("META_DEPSDEV_URL")); u != "" {
		return u
	}
	return license.DefaultDepsDevURL
}

func newDepsLicensesCmd(a *app) *cobra.Command {
	var (
		targets      depsTargetOpts
		allowed      []string
		denied       []string
		sitePackages []string
		offline      bool
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "licenses (--component C | --all) [--allowed LIST] [--denied LIST] [--json]",
		Short: "List the license of every locked dependency and check it against a policy",
		Long: `Finds the license of every package in the selected components' lock files,
from the first source that has it:

  1. the lock file itself (npm 11 writes a license per package)
  2. installed metadata beside the lock file: node_modules/<name>/package.json,
     Python .venv (or --site-packages DIR) *.dist-info/METADATA
     (License-Expression, License, license classifiers), Cargo registry
     sources ($CARGO_HOME/registry/src/*/<name>-<version>/Cargo.toml), the Go
     module cache ($GOMODCACHE/<module>@<version>/LICENSE*, classified by text)
  3. deps.dev (https://api.deps.dev, or META_DEPSDEV_URL), unless --offline

Licenses are SPDX expressions, evaluated as cargo-deny does: OR needs one
allowed side, AND needs every side; "X WITH exception" is one unit (allowed
when the unit or X is allowed); GPL-2.0+ is GPL-2.0-or-later. With no
--allowed list every license not --denied is allowed. Licenses that are not
SPDX, or not found, are listed separately as unknown (with the nearest SPDX
id when one is close); they do not fail the check.

Exit status: 3 when a package's license is not allowed, else 0.`,
		Example: `  meta deps licenses --all
  meta deps licenses --all --allowed MIT,Apache-2.0,BSD-3-Clause,ISC
  meta deps licenses --component api --denied GPL-3.0-only,AGPL-3.0-only --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pol, err := license.Policy{Allow: allowed, Deny: denied}.Compile()
			if err != nil {
				return usageError(err, "use SPDX license ids, e.g. --allowed MIT,Apache-2.0")
			}
			ts, err := a.depsTargets(cmd, targets)
			if err != nil {
				return err
			}
			var dd *license.DepsDev
			if !offline {
				dd = &license.DepsDev{BaseURL: depsDevURL()}
			}
			rep, err := checkLicenses(cmd, ts, pol, dd, sitePackages)
			if err != nil {
				return err
			}
			if asJSON {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				a.printLicenses(rep)
			}
			if rep.Summary.Violations > 0 {
				return errCheckFailed
			}
			return nil
		},
	}
	addDepsTargetFlags(cmd, &targets)
	cmd.Flags().StringSliceVar(&allowed, "allowed", nil, "allow only these SPDX `LIST` (comma-separated ids)")
	cmd.Flags().StringSliceVar(&denied, "denied", nil, "deny these SPDX `LIST` (comma-separated ids)")
	cmd.Flags().StringArrayVar(&sitePackages, "site-packages", nil, "also read Python metadata from `DIR` (repeatable)")
	cmd.Flags().BoolVar(&offline, "offline", false, "do not ask deps.dev")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type licenseReport struct {
	Components []licenseComponent `json:"components"`
	Summary    struct {
		Packages   int `json:"packages"`
		Violations int `json:"violations"`
		Unknown    int `json:"unknown"`
		NotChecked int `json:"lockfiles_not_checked"`
	} `json:"summary"`
}

type licenseComponent struct {
	Name       string            `json:"name"`
	Packages   []licensePackage  `json:"packages"`
	NotChecked []auditNotAudited `json:"not_checked,omitempty"`
}

type licensePackage struct {
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

// checkLicenses finds and checks the license of every package, looking up
// several packages at a time.
func checkLicenses(cmd *cobra.Command, ts []depsTarget, pol *license.CompiledPolicy, dd *license.DepsDev, sitePackages []string) (*licenseReport, error) {
	rep := &licenseReport{}
	rep.Components = make([]licenseComponent, len(ts))
	g, ctx := errgroup.WithContext(cmd.Context())
	g.SetLimit(8)
	for i, t := range ts {
		c := &rep.Components[i]
		c.Name = t.Name
		c.Packages = []licensePackage{}
		for _, f := range t.Failed {
			c.NotChecked = append(c.NotChecked, auditNotAudited{Path: f.Path, Reason: f.Err.Error()})
		}
		finder := &license.Finder{Dir: t.Dir, SitePackages: sitePackages, DepsDev: dd}
		start := len(c.Packages)
		for _, l := range t.Locks {
			for _, p := range l.Packages {
				if p.Source == ecosystem.SourceLocal {
					continue // the workspace's own code: its license is the project's
				}
				c.Packages = append(c.Packages, licensePackage{Lockfile: l.Path, Ecosystem: pkgEcosystem(p, l), Name: p.Name, Version: p.Version})
			}
		}
		k := start
		for _, l := range t.Locks {
			for _, p := range l.Packages {
				row := &c.Packages[k]
				k++
				p.Ecosystem = row.Ecosystem
				lockPath := l.Path
				g.Go(func() error {
					if err := ctx.Err(); err != nil {
						return err
					}
					r := pol.Check(finder.Find(ctx, lockPath, p))
					row.License, row.Source, row.Detail = r.License, r.Source, r.Detail
					row.Verdict, row.Problem = r.Verdict.String(), r.Problem
					if r.Expr != nil {
						row.License = r.Expr.String() // canonical: GPL-3.0 → GPL-3.0-only
					}
					return nil
				})
			}
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

func (a *app) printLicenses(rep *licenseReport) {
	for _, c := range rep.Components {
		a.printf("%s: %d packages\n", c.Name, len(c.Packages))
		if len(c.Packages) > 0 {
			tw := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  PACKAGE\tVERSION\tLICENSE\tSOURCE")
			for _, p := range c.Packages {
				lic, src := p.License, p.Source
				if lic == "" {
					lic, src = "?", "-"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Version, lic, src)
			}
			tw.Flush()
		}
		for _, n := range c.NotChecked {
			a.printf("  NOT CHECKED %s: %s\n", n.Path, n.Reason)
		}
		if len(c.Packages) == 0 && len(c.NotChecked) == 0 {
			a.printf("  no lock files found\n")
		}
	}
	if rep.Summary.Violations > 0 {
		a.printf("\nviolations:\n")
		for _, c := range rep.Components {
			for _, p := range c.Packages {
				if p.Verdict == "denied" {
					a.printf("  %s: %s@%s (%s, %s): %s: %s\n", c.Name, p.Name, p.Version, p.Ecosystem, p.Lockfile, p.License, p.Problem)
				}
			}
		}
	}
	if rep.Summary.Unknown > 0 {
		a.printf("\nunknown licenses:\n")
		for _, c := range rep.Components {
			for _, p := range c.Packages {
				if p.Verdict == "unknown" {
					lic := p.License
					if lic == "" {
						lic = "(none)"
					}
					a.printf("  %s: %s@%s (%s, %s): %s: %s\n", c.Name, p.Name, p.Version, p.Ecosystem, p.Lockfile, lic, p.Problem)
				}
			}
		}
	}
	s := rep.Summary
	line := fmt.Sprintf("%s: %s, %d unknown", plural(s.Packages, "package"), plural(s.Violations, "violation"), s.Unknown)
	if s.NotChecked > 0 {
		line += fmt.Sprintf("; %s NOT CHECKED", plural(s.NotChecked, "lock file"))
	}
	a.printf("%s\n", line)
}
