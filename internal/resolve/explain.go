package resolve

import (
	"fmt"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
)

// Requirer names who declared requirement q, and the component whose own
// requirements explain it ("" for the workspace manifest).
func (r *Result) Requirer(q pubgrub.Requirement) (label, chain string) {
	if !q.IsRoot {
		return q.From + " " + q.FromVersion.String(), q.From
	}
	// Root requirements also carry what tracked components' component.yaml
	// declares ("app@main:component.yaml:3").
	if at := strings.Index(q.Source, "@"); at > 0 {
		n := q.Source[:at]
		if info, ok := r.Tracked[n]; ok {
			return n + " (tracking " + info.Ref + ")", ""
		}
	}
	return RootName, ""
}

// CycleError is a dependency cycle among the chosen versions.
type CycleError struct{ Cycles [][]string }

func (e *CycleError) Error() string {
	var parts []string
	for _, c := range e.Cycles {
		parts = append(parts, strings.Join(c, " → "))
	}
	return fmt.Sprintf("dependency cycle: %s", strings.Join(parts, "; "))
}

// Cycles returns the dependency cycles among the chosen versions as an
// error, nil when there are none.
func (r *Result) Cycles() error {
	if c := r.Solution.Cycles(); len(c) > 0 {
		return &CycleError{Cycles: c}
	}
	return nil
}

// WhyLine is one requirement in the chain that explains a component's
// version, Depth levels below it.
type WhyLine struct {
	Depth      int
	From       string // who requires it
	Constraint string
	Original   string // the constraint an override replaced ("" when none)
	Source     string
}

// Why lists who requires name, and recursively who requires those, up to
// the workspace: the workspace's requirements first.
func (r *Result) Why(name string) []WhyLine {
	var out []WhyLine
	seen := map[string]bool{name: true}
	var walk func(n string, depth int)
	walk = func(n string, depth int) {
		if depth > 30 || r.Solution == nil {
			return
		}
		reqs := r.Solution.Why(n)
		sort.SliceStable(reqs, func(i, j int) bool {
			if reqs[i].IsRoot != reqs[j].IsRoot {
				return reqs[i].IsRoot
			}
			return reqs[i].From < reqs[j].From
		})
		for _, q := range reqs {
			from, chain := r.Requirer(q)
			l := WhyLine{Depth: depth, From: from, Constraint: q.Constraint.String(), Source: q.Source}
			if q.Overridden {
				l.Original = q.Original.String()
			}
			out = append(out, l)
			if chain != "" && !seen[chain] {
				seen[chain] = true
				walk(chain, depth+1)
				delete(seen, chain)
			}
		}
	}
	walk(name, 0)
	return out
}

// Recommendation is what 'conflicts recommend' says about one component.
type Recommendation struct {
	Name       string       `json:"name"`
	Locked     string       `json:"locked,omitempty"`
	Allowed    string       `json:"allowed,omitempty"`
	Newest     string       `json:"newest,omitempty"`
	Tracks     string       `json:"tracks,omitempty"`
	HeldBackBy []HeldBackBy `json:"held_back_by,omitempty"`
}

// HeldBackBy is one requirement that keeps a component below its newest
// version.
type HeldBackBy struct {
	By         string `json:"by"`
	Constraint string `json:"constraint"`
	Source     string `json:"source,omitempty"`
}

// Recommend says, per component in manifest order, what old locks, what
// the constraints allow together, the newest version that exists, and
// which requirements hold it back.
func (r *Result) Recommend(old *lockfile.File) []Recommendation {
	m := r.Manifest
	rows := []Recommendation{}
	for _, n := range m.Order {
		rec := Recommendation{Name: n}
		if old != nil {
			if lc := old.Components[n]; lc != nil {
				rec.Locked = lc.Describe()
			}
		}
		if info, ok := r.Tracked[n]; ok {
			rec.Tracks = info.Ref
			rows = append(rows, rec)
			continue
		}
		allowed, ok := r.Solution.Versions[n]
		if !ok {
			rows = append(rows, rec)
			continue
		}
		rec.Allowed = allowed.String()
		newest, ok := newestVersion(r.Versions[n], allowed)
		if ok {
			rec.Newest = newest.String()
		}
		if ok && semver.Compare(newest, allowed) > 0 {
			for _, q := range r.Solution.Why(n) {
				if q.Constraint.Contains(newest) {
					continue
				}
				by, _ := r.Requirer(q)
				h := HeldBackBy{By: by, Constraint: q.Constraint.String(), Source: q.Source}
				if q.Overridden {
					h.By += " (overridden)"
				}
				rec.HeldBackBy = append(rec.HeldBackBy, h)
			}
			if o, ok := m.Overrides[n]; ok {
				rec.HeldBackBy = append(rec.HeldBackBy, HeldBackBy{By: "override", Constraint: o.Version, Source: o.Pos.String()})
			}
			if len(rec.HeldBackBy) == 0 {
				// No single range excludes it: the combination does.
				rec.HeldBackBy = append(rec.HeldBackBy, HeldBackBy{By: "the other components' requirements together", Constraint: "-"})
			}
		}
		rows = append(rows, rec)
	}
	return rows
}

// newestVersion is the newest release in vs, or the newest pre-release
// when the chosen version is one and no release is newer.
func newestVersion(vs []semver.Version, chosen semver.Version) (semver.Version, bool) {
	var best semver.Version
	found := false
	for _, v := range vs {
		if v.IsPrerelease() && !chosen.IsPrerelease() {
			continue
		}
		if !found || semver.Compare(v, best) > 0 {
			best, found = v, true
		}
	}
	return best, found
}

// String is "who constraint (where)".
func (h HeldBackBy) String() string {
	s := h.By + " " + h.Constraint
	if h.Source != "" {
		s += " (" + h.Source + ")"
	}
	return s
}
