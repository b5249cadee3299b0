package audit

import (
	"context"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/metawork/meta/internal/ecosystem"
)

// Input is one parsed lock file to audit, labelled with its component.
type Input struct {
	Component string
	Lockfile  *ecosystem.Lockfile
}

// Finding is one vulnerability of one package version in one lock file.
// Records that alias each other are merged into one finding.
type Finding struct {
	Component string          `json:"component"`
	Lockfile  string          `json:"lockfile"`
	Ecosystem string          `json:"ecosystem"`
	Package   string          `json:"package"`
	Version   string          `json:"version"`
	Scope     ecosystem.Scope `json:"scope,omitempty"`
	ID        string          `json:"id"`                // the advisory id shown first
	Aliases   []string        `json:"aliases,omitempty"` // every other id, sorted
	Summary   string          `json:"summary,omitempty"`
	Severity  Severity        `json:"severity"`
	Score     float64         `json:"score,omitempty"` // CVSS base score when computed
	Fixed     []string        `json:"fixed,omitempty"` // versions that fix it, ascending
	RecordIDs []string        `json:"records"`         // ids of the matched records, sorted
	Path      []string        `json:"path"`            // package IDs from a root to it (Lockfile.PathTo), or itself alone
	Records   []*Record       `json:"-"`               // the matched records
}

// Skipped is a package that was not checked, and why.
type Skipped struct {
	Component string `json:"component"`
	Lockfile  string `json:"lockfile"`
	Ecosystem string `json:"ecosystem"`
	Package   string `json:"package"`
	Version   string `json:"version"`
	Reason    string `json:"reason"`
}

// ReasonLocal is the Skipped reason of the workspace's own packages.
const ReasonLocal = "first-party code of the workspace, not a registry package"

// Report is the result of an audit.
type Report struct {
	Findings []Finding `json:"findings"`
	Skipped  []Skipped `json:"skipped,omitempty"`
	Packages int       `json:"packages"` // package versions checked
}

// Run audits every package of the inputs against src. Packages of
// unsupported ecosystems or without a version that can be parsed, and the
// workspace's own (Source "local"), are reported as Skipped. Packages from git or a local path are audited by
// name and version like registry ones: a vendored copy of a published
// version carries its vulnerabilities. The Go
// "stdlib" and "toolchain" pseudo-packages are never audited: a go.mod go
// directive is a minimum language version, not the toolchain that builds.
func Run(ctx context.Context, src Source, inputs []Input) (*Report, error) {
	type pkgRef struct {
		in  int
		pkg *ecosystem.Package
		qi  int // its query
	}
	rep := &Report{}
	total := 0
	for _, in := range inputs {
		total += len(in.Lockfile.Packages)
	}
	refs := make([]pkgRef, 0, total)
	queryIndex := map[Query]int{}
	var queries []Query
	var versions []Version // of each query
	for i, in := range inputs {
		lf := in.Lockfile
		for j := range lf.Packages {
			p := &lf.Packages[j]
			eco := p.Ecosystem
			if eco == "" {
				eco = lf.Ecosystem
			}
			skip := func(reason string) {
				rep.Skipped = append(rep.Skipped, Skipped{Component: in.Component, Lockfile: lf.Path, Ecosystem: eco, Package: p.Name, Version: p.Version, Reason: reason})
			}
			switch {
			case p.Source == ecosystem.SourceLocal:
				skip(ReasonLocal)
				continue
			case !Supported(eco):
				skip("unsupported ecosystem " + eco)
				continue
			case eco == ecosystem.Go && (p.Name == "stdlib" || p.Name == "toolchain"):
				skip("the go directive is not an audited toolchain version")
				continue
			}
			v, err := ParseVersion(eco, p.Version)
			if err != nil {
				skip(err.Error())
				continue
			}
			q := Query{Ecosystem: eco, Name: p.Name, Version: v.String()}
			qi, ok := queryIndex[q]
			if !ok {
				qi = len(queries)
				queryIndex[q] = qi
				queries = append(queries, q)
				versions = append(versions, v)
			}
			refs = append(refs, pkgRef{in: i, pkg: p, qi: qi})
		}
	}
	rep.Packages = len(refs)
	recs, err := src.Records(ctx, queries)
	if err != nil {
		return nil, err
	}
	// Match each distinct query once.
	type match struct {
		groups []Finding // package fields unset
	}
	matches := make([]match, len(queries))
	parallel(len(queries), func(qi int) {
		q, v := queries[qi], versions[qi]
		var hits []*Record
		var fixed map[string][]string
		for _, r := range recs[qi] {
			ok, fx := r.Matches(q.Ecosystem, q.Name, v)
			if ok {
				if fixed == nil {
					fixed = map[string][]string{}
				}
				hits = append(hits, r)
				fixed[r.ID] = fx
			}
		}
		matches[qi].groups = mergeAliases(hits, fixed, v)
	})
	paths := make([]func(string) []string, len(inputs))
	for i, in := range inputs {
		paths[i] = in.Lockfile.Paths()
	}
	for _, ref := range refs {
		in := inputs[ref.in]
		eco := ref.pkg.Ecosystem
		if eco == "" {
			eco = in.Lockfile.Ecosystem
		}
		qi := ref.qi
		if len(matches[qi].groups) == 0 {
			continue
		}
		path := paths[ref.in](ref.pkg.ID())
		if path == nil {
			path = []string{ref.pkg.ID()}
		}
		for _, g := range matches[qi].groups {
			f := g
			f.Component = in.Component
			f.Lockfile = in.Lockfile.Path
			f.Ecosystem = eco
			f.Package = ref.pkg.Name
			f.Version = ref.pkg.Version
			f.Scope = ref.pkg.Scope
			f.Path = path
			rep.Findings = append(rep.Findings, f)
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Component != b.Component {
			return a.Component < b.Component
		}
		if a.Lockfile != b.Lockfile {
			return a.Lockfile < b.Lockfile
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.ID < b.ID
	})
	return rep, nil
}

// mergeAliases groups records whose ids or aliases overlap into findings.
func mergeAliases(hits []*Record, fixed map[string][]string, v Version) []Finding {
	if len(hits) == 0 {
		return nil
	}
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, r := range hits {
		for _, id := range r.IDs() {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	groups := map[int][]*Record{}
	for i, r := range hits {
		groups[find(i)] = append(groups[find(i)], r)
	}
	var out []Finding
	for _, rs := range groups {
		sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
		f := Finding{ID: rs[0].ID, Records: rs}
		for _, r := range rs {
			f.RecordIDs = append(f.RecordIDs, r.ID)
		}
		ids := map[string]bool{}
		fx := map[string]bool{}
		for _, r := range rs {
			for _, id := range r.IDs() {
				ids[id] = true
			}
			if f.Summary == "" {
				f.Summary = strings.TrimSpace(r.Summary)
			}
			rt := r.Rate()
			if rt.Severity > f.Severity || (rt.Severity == f.Severity && rt.Score > f.Score) {
				f.Severity, f.Score = rt.Severity, rt.Score
			}
			for _, x := range fixed[r.ID] {
				fx[x] = true
			}
		}
		delete(ids, f.ID)
		for id := range ids {
			f.Aliases = append(f.Aliases, id)
		}
		sort.Strings(f.Aliases)
		for x := range fx {
			f.Fixed = append(f.Fixed, x)
		}
		sortVersions(v, f.Fixed)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// sortVersions sorts vs ascending in v's ecosystem, by text on a tie or
// when a version cannot be parsed.
func sortVersions(v Version, vs []string) {
	sort.Slice(vs, func(i, j int) bool {
		a, err1 := ParseVersion(v.eco, vs[i])
		if err1 == nil {
			if c, err := a.cmp(vs[j]); err == nil && c != 0 {
				return c < 0
			}
		}
		return vs[i] < vs[j]
	})
}

// parallel calls f(0), …, f(n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}
