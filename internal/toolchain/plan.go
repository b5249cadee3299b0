package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Phases of an install plan, in the order they run.
const (
	PhaseRuntime        = "runtime"
	PhasePackageManager = "package-manager"
	PhaseApt            = "apt"
	PhaseBinary         = "binary"
	PhasePackage        = "package"
	PhaseCustom         = "custom"
)

var phaseOrder = []string{PhaseRuntime, PhasePackageManager, PhaseApt, PhaseBinary, PhasePackage, PhaseCustom}

// Step is one tool in an install plan.
type Step struct {
	Phase      string     `json:"phase"`
	Name       string     `json:"name"`
	Requested  string     `json:"requested,omitempty"`
	Version    string     `json:"version,omitempty"`
	Exact      bool       `json:"exact"`
	Type       string     `json:"type"`
	Package    string     `json:"package,omitempty"`
	Bin        string     `json:"bin,omitempty"`
	BinDirs    []string   `json:"bin_dirs,omitempty"`
	Setup      []string   `json:"setup,omitempty"`
	Downloads  []Download `json:"downloads,omitempty"`
	Docs       string     `json:"docs,omitempty"`
	Implied    bool       `json:"implied,omitempty"`
	RequiredBy []string   `json:"required_by,omitempty"`
	Bundle     string     `json:"bundle,omitempty"`
}

// Plan is an ordered install plan.
type Plan struct {
	Steps []Step `json:"steps"`
	Hash  string `json:"hash"` // sha256 of the canonical plan: resolved versions, URLs and checksums
}

// phaseOf places a resolved tool in a phase.
func phaseOf(x Resolved) string {
	switch x.Type {
	case TypeRuntime:
		return PhaseRuntime
	case TypeApt:
		return PhaseApt
	case TypeGitHubBinary:
		if x.Tool != nil && x.Tool.Role == "package-manager" {
			return PhasePackageManager
		}
		return PhaseBinary
	case TypeCustom:
		return PhaseCustom
	}
	return PhasePackage
}

// Plan resolves specs and orders them: runtimes, package managers, apt
// packages, binaries, language packages, custom installs; by name within a
// phase. Downloads are listed for every architecture in arches.
func (r *Resolver) Plan(ctx context.Context, specs []string, arches []string) (*Plan, error) {
	res, err := r.Resolve(ctx, specs)
	if err != nil {
		return nil, err
	}
	steps := make([]Step, len(res))
	g, gctx := errgroup.WithContext(ctx)
	for i := range res {
		x := &res[i]
		s := Step{Phase: phaseOf(*x), Name: x.Name, Requested: x.Requested, Version: x.Version, Exact: x.Exact,
			Type: x.Type, Package: x.Package, Implied: x.Implied, RequiredBy: x.RequiredBy, Bundle: x.Bundle}
		if x.Tool != nil {
			s.Bin, s.Docs, s.Setup = x.Tool.Bin, x.Tool.Docs, x.Tool.Setup
			if x.Tool.Versions != "" {
				s.BinDirs = x.Tool.BinDirs
			}
			if s.Bin == "" && x.Type == TypeGitHubBinary {
				s.Bin = x.Tool.Name
			}
		}
		steps[i] = s
		g.Go(func() error {
			d, err := r.Downloads(gctx, x, arches)
			steps[i].Downloads = d
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(steps, func(a, b Step) int {
		if pa, pb := slices.Index(phaseOrder, a.Phase), slices.Index(phaseOrder, b.Phase); pa != pb {
			return pa - pb
		}
		return strings.Compare(a.Name, b.Name)
	})
	p := &Plan{Steps: steps}
	p.Hash = p.hash("")
	return p, nil
}

// hash is the sha256 of the plan's canonical JSON (without notes of who
// required what) plus extra (a base image, a renderer's name).
func (p *Plan) hash(extra string) string {
	type canon struct {
		Name, Version, Type, Package string
		Exact                        bool
		Setup                        []string
		Downloads                    []Download
	}
	var c []canon
	for _, s := range p.Steps {
		c = append(c, canon{s.Name, s.Version, s.Type, s.Package, s.Exact, s.Setup, s.Downloads})
	}
	b, _ := json.Marshal(struct {
		V     int
		Steps []canon
		Extra string
	}{1, c, extra})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Manual returns the steps meta cannot install (custom tools).
func (p *Plan) Manual() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Phase == PhaseCustom {
			out = append(out, s)
		}
	}
	return out
}

// Floating returns the steps whose version a package manager decides at
// install time (no exact version was requested).
func (p *Plan) Floating() []Step {
	var out []Step
	for _, s := range p.Steps {
		if !s.Exact && s.Phase == PhasePackage {
			out = append(out, s)
		}
	}
	return out
}
