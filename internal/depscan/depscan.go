// Package depscan runs the third-party dependency checks of a workspace's
// components: it reads each selected component's lock files (Load), audits
// them against OSV advisories (Audit), finds and checks their licenses
// (Licenses), draws component and package graphs (ComponentGraph,
// PackageGraph), builds SBOM inputs (SBOMInput) and runs the package
// managers that write the lock files (Lock). It returns values the CLI
// prints or encodes as JSON; it never prints.
package depscan

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/metawork/meta/internal/ecosystem"
)

// Component is a selected component before its lock files are read.
type Component struct {
	Name string
	Dir  string // absolute checkout directory
}

// Target is one selected component and its parsed lock files.
type Target struct {
	Name   string
	Dir    string                   // absolute checkout directory
	Locks  []*ecosystem.Lockfile    // parsed lock files, sorted by path
	Failed []ecosystem.ParseFailure // lock files found but not readable: reported as not audited
}

// Load detects and parses the lock files of one component. A lock file
// that cannot be read or parsed goes to Failed with its error; it is never
// dropped. A component whose directory cannot be listed is an error.
func Load(ctx context.Context, c Component) (Target, error) {
	ts, err := LoadAll(ctx, []Component{c})
	if err != nil {
		return Target{Name: c.Name, Dir: c.Dir}, err
	}
	return ts[0], nil
}

// LoadAll is Load for several components, parsing their lock files in
// parallel (GOMAXPROCS at a time). The targets are in the order of comps
// and the same as Load's; the error is that of the first component (in
// order) whose directory cannot be listed.
func LoadAll(ctx context.Context, comps []Component) ([]Target, error) {
	type file struct {
		t int // index in out
		f ecosystem.Found
	}
	out := make([]Target, len(comps))
	var files []file
	for i, c := range comps {
		out[i] = Target{Name: c.Name, Dir: c.Dir}
		found, err := ecosystem.Detect(c.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		for _, f := range found {
			files = append(files, file{i, f})
		}
	}
	locks := make([]*ecosystem.Lockfile, len(files))
	errs := make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(files) || ctx.Err() != nil {
					return
				}
				locks[k], errs[k] = ecosystem.Parse(ctx, comps[files[k].t].Dir, files[k].f)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for k, f := range files {
		t := &out[f.t]
		if errs[k] != nil {
			t.Failed = append(t.Failed, ecosystem.ParseFailure{Path: f.f.Path, Manager: f.f.Manager, Err: errs[k]})
			continue
		}
		t.Locks = append(t.Locks, locks[k])
	}
	return out, nil
}

// NotRead is a lock file left out of a check, and why.
type NotRead struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func notRead(t Target) []NotRead {
	var out []NotRead
	for _, f := range t.Failed {
		out = append(out, NotRead{Path: f.Path, Reason: f.Err.Error()})
	}
	return out
}

// PkgEcosystem is p's OSV ecosystem, defaulting to its lock file's.
func PkgEcosystem(p ecosystem.Package, l *ecosystem.Lockfile) string {
	if p.Ecosystem != "" {
		return p.Ecosystem
	}
	return l.Ecosystem
}

// auditable counts the packages of l that are not the workspace's own.
func auditable(l *ecosystem.Lockfile) int {
	n := 0
	for _, p := range l.Packages {
		if p.Source != ecosystem.SourceLocal {
			n++
		}
	}
	return n
}
