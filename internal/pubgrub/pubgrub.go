// Package pubgrub chooses one version of every package so that every
// dependency constraint holds, using the PubGrub algorithm as described in
// dart-lang/pub's doc/solver.md (unit propagation, decision making,
// conflict-driven clause learning), and explains failures from the
// derivation graph in pub's numbered style.
//
// The solver reads packages through a Provider. Solve calls the Provider
// from a single goroutine, in a deterministic order; a Provider may be
// shared by concurrent Solve calls and may fetch ahead on its own
// goroutines (a prefetching, caching wrapper is the source package's job).
// Given the same Provider answers and Request, Solve returns the same
// Solution or the same error text, byte for byte.
package pubgrub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/semver"
)

// Dependency is one requirement: package Name at a version in Constraint.
type Dependency struct {
	Name       string
	Constraint semver.Set
	// Source says where the requirement is declared ("file:line"), for
	// explanations. May be empty.
	Source string
}

// Provider answers the solver's two questions about packages.
//
// The slices a Provider returns must not change afterwards, neither by the
// Provider nor by anyone else: the solver keeps what it derives from them
// (a constraint as a set of version indices, a version list checked to be
// ascending) across solves, keyed by the identity of their arrays.
// Returning the same slices again for the same question is what lets a
// batch of solves reuse that work.
type Provider interface {
	// Versions returns every existing version of pkg, in any order. A
	// package that does not exist is an error wrapping ErrNotFound; an
	// existing package without versions is an empty list.
	Versions(ctx context.Context, pkg string) ([]semver.Version, error)
	// Dependencies returns what pkg needs at version v. Solve also asks
	// about neighbours of the versions it tries, to cover a run of
	// versions that declare the same dependency with one incompatibility;
	// a provider that fetches every version's metadata ahead serves it
	// best. When that version
	// cannot be used (say its component.yaml does not parse), return an
	// error wrapping *UnusableError: the version is excluded and the
	// explanation gives the reason. Any other error aborts Solve.
	Dependencies(ctx context.Context, pkg string, v semver.Version) ([]Dependency, error)
}

// ErrNotFound is wrapped by Provider.Versions errors for unknown packages.
var ErrNotFound = errors.New("package not found")

// UnusableError excludes one version of a package from resolution.
type UnusableError struct {
	Reason string
}

func (e *UnusableError) Error() string { return e.Reason }

// Strategy says which allowed version the solver tries first.
type Strategy int

const (
	// Latest tries the newest allowed version first ("latest", "highest").
	Latest Strategy = iota
	// Conservative tries the oldest allowed version first ("conservative",
	// "minimal").
	Conservative
	// Balanced tries the newest allowed patch of the locked major.minor
	// first, and otherwise behaves like Latest ("balanced").
	Balanced
	// First keeps the locked version while it is allowed, and otherwise
	// behaves like Latest ("first").
	First
)

// ParseStrategy maps a strategy name (and its alias) to a Strategy.
func ParseStrategy(s string) (Strategy, error) {
	switch s {
	case "", "latest", "highest":
		return Latest, nil
	case "conservative", "minimal":
		return Conservative, nil
	case "balanced":
		return Balanced, nil
	case "first":
		return First, nil
	}
	return 0, fmt.Errorf("unknown strategy %q (want latest, highest, conservative, minimal, balanced or first)", s)
}

// String returns the strategy's canonical name.
func (s Strategy) String() string {
	switch s {
	case Conservative:
		return "conservative"
	case Balanced:
		return "balanced"
	case First:
		return "first"
	}
	return "latest"
}

// Override forces the versions of a package everywhere: it replaces every
// constraint on that package, including the root's.
type Override struct {
	Version semver.Set
	Reason  string
	Source  string // "file:line" of the override, for explanations
}

// Request is what to solve.
type Request struct {
	// Root lists the root's requirements (the workspace's components).
	Root []Dependency
	// RootName names the root in explanations, Solution.Deps and Why;
	// default "root". No package may have this name.
	RootName string
	Strategy Strategy
	// Locked holds the versions of the current lock, for Balanced and First.
	Locked map[string]semver.Version
	// Overrides by package name.
	Overrides map[string]Override
	// SkipSuggestions leaves NoSolutionError.Suggestions empty, saving the
	// extra solves that verify them (for benchmarks and batch checks).
	SkipSuggestions bool
	// PrioritizeConflicts, when positive, changes which package is decided
	// next, as uv does with pubgrub-rs's conflict counts: once a package
	// has been involved that many times in conflicts (its assignment
	// rejected, or part of the cause: each step of a conflict's
	// derivation counts), it is decided before every package that has
	// not, so its constraints prune the others instead of the others
	// being decided and undone again. uv uses 5. Zero keeps pub's order
	// alone: the package with the fewest allowed versions first. It
	// applies with any Strategy.
	PrioritizeConflicts int
	// CompactSolution leaves Solution.Versions and Solution.Deps nil,
	// saving two maps per solve (for benchmarks and batch checks); the
	// Version and Dependencies methods answer the same questions.
	CompactSolution bool
}

// Requirement records that From (at FromVersion; the root has none)
// requires a package within Constraint.
type Requirement struct {
	From        string
	FromVersion semver.Version
	IsRoot      bool
	Constraint  semver.Set
	Source      string
	// Overridden is set when an override replaced this requirement; then
	// Constraint is the override's set and Original what was declared.
	Overridden bool
	Original   semver.Set
}

// AppliedOverride is an override that replaced at least one requirement.
type AppliedOverride struct {
	Name     string
	Override Override
	Replaced []Requirement // the requirements it replaced, Original set
}

// Solution is a consistent choice of versions.
type Solution struct {
	// Names of the chosen packages, sorted; the root is not included.
	Names []string
	// Versions maps each chosen package to its version (nil with
	// Request.CompactSolution; see Version).
	Versions map[string]semver.Version
	// Deps holds the requirements of each chosen package at its version,
	// and of the root under the request's RootName, after overrides (nil
	// with Request.CompactSolution; see Dependencies). The slices may be
	// shared with the Provider: do not modify them.
	Deps map[string][]Dependency
	// Overrides lists the overrides that replaced a requirement, by name.
	Overrides []AppliedOverride
	// Root is the root's name as used in Deps and Why.
	Root string
	// Stats counts the solver's work.
	Stats Stats

	// chosen[i] is Names[i]'s version and requirements; rootDeps are the
	// root's.
	chosen   []chosenVersion
	rootDeps []Dependency

	whyOnce sync.Once
	why     map[string][]Requirement
}

// Version returns the version chosen for name, and whether name is chosen
// (the root is not).
func (s *Solution) Version(name string) (semver.Version, bool) {
	i, ok := slices.BinarySearch(s.Names, name)
	if !ok {
		return semver.Version{}, false
	}
	return *s.chosen[i].v, true
}

// Dependencies returns the requirements of name at its chosen version,
// or of the root when name is Root, after overrides; nil when name is not
// chosen. As with Deps, the slice may be shared with the Provider: do not
// modify it.
func (s *Solution) Dependencies(name string) []Dependency {
	if name == s.Root {
		return s.rootDeps
	}
	if i, ok := slices.BinarySearch(s.Names, name); ok {
		return s.chosen[i].deps
	}
	return nil
}

// chosenVersion is one package's entry in a Solution. v points into the
// Provider's version list (or the solver's sorted copy of it), which never
// changes once returned.
type chosenVersion struct {
	v    *semver.Version
	deps []Dependency
}

// Stats counts what a solve did.
type Stats struct {
	// Decisions counts the versions chosen, including those undone by
	// backtracking (the root's included).
	Decisions int
	// Conflicts counts the conflicts met: a version whose dependencies
	// contradict what is decided, or an incompatibility satisfied during
	// propagation, which makes the solver backtrack.
	Conflicts int
}

// Why returns who requires name in the solution, sorted by requirer name
// (the root first); overrides applied are marked.
func (s *Solution) Why(name string) []Requirement {
	s.whyOnce.Do(func() { buildWhy(s) })
	return s.why[name]
}

// Chain returns the shortest chain of requirements that brings name into
// the solution, starting at the root: root requires a, a requires b, …,
// something requires name. Ties go to the requirer whose name sorts first.
// It returns nil when name is not chosen.
func (s *Solution) Chain(name string) []Requirement {
	if _, ok := s.Version(name); !ok {
		return nil
	}
	// Breadth-first from the root over sorted requirement lists.
	via := map[string]Requirement{}
	seen := map[string]bool{s.Root: true}
	queue := []string{s.Root}
	for len(queue) > 0 && !seen[name] {
		from := queue[0]
		queue = queue[1:]
		deps := slices.Clone(s.Dependencies(from))
		slices.SortStableFunc(deps, func(a, b Dependency) int { return strings.Compare(a.Name, b.Name) })
		for _, d := range deps {
			if seen[d.Name] {
				continue
			}
			if _, chosen := s.Version(d.Name); !chosen {
				continue
			}
			seen[d.Name] = true
			for _, r := range s.Why(d.Name) {
				if r.From == from {
					via[d.Name] = r
					break
				}
			}
			queue = append(queue, d.Name)
		}
	}
	var chain []Requirement
	for n := name; n != s.Root; {
		r, ok := via[n]
		if !ok {
			return nil
		}
		chain = append(chain, r)
		n = r.From
	}
	slices.Reverse(chain)
	return chain
}

// Cycles returns every dependency cycle among the chosen packages as a
// path that starts and ends with the same package ("a", "b", "c", "a"),
// starting at the smallest name of the cycle. One cycle is reported per
// strongly connected component (plus self-dependencies), sorted.
func (s *Solution) Cycles() [][]string { return cycles(s) }

// Solve resolves req against p. On failure it returns a *NoSolutionError
// (use errors.As) or, when the Provider fails or ctx ends, that error.
func Solve(ctx context.Context, p Provider, req Request) (*Solution, error) {
	sol, nse, err := solve(ctx, p, req)
	if err != nil {
		return nil, err
	}
	if nse != nil {
		if !req.SkipSuggestions {
			nse.Suggestions = suggest(ctx, p, req, nse)
		}
		if nse.Suggestions == nil {
			nse.Suggestions = []Suggestion{} // [] rather than null in JSON
		}
		return nil, nse
	}
	return sol, nil
}

// solve runs the solver once, without computing suggestions.
func solve(ctx context.Context, p Provider, req Request) (*Solution, *NoSolutionError, error) {
	if req.RootName == "" {
		req.RootName = "root"
	}
	s := newSolver(ctx, p, req)
	sol, err := s.run()
	s.release()
	if err != nil {
		var nse *NoSolutionError
		if errors.As(err, &nse) {
			return nil, nse, nil
		}
		return nil, nil, err
	}
	return sol, nil, nil
}

func buildWhy(sol *Solution) {
	sol.why = map[string][]Requirement{}
	froms := append([]string{sol.Root}, sol.Names...)
	for _, from := range froms {
		for _, d := range sol.Dependencies(from) {
			r := Requirement{From: from, IsRoot: from == sol.Root, Constraint: d.Constraint, Source: d.Source}
			if !r.IsRoot {
				r.FromVersion, _ = sol.Version(from)
			}
			sol.why[d.Name] = append(sol.why[d.Name], r)
		}
	}
	for _, ao := range sol.Overrides {
		reqs := sol.why[ao.Name]
		for i := range reqs {
			for _, rep := range ao.Replaced {
				if rep.From == reqs[i].From && rep.Source == reqs[i].Source {
					reqs[i].Overridden = true
					reqs[i].Original = rep.Original
				}
			}
		}
	}
}

// sortedKeys returns a map's keys in order, so that map iteration order
// never reaches results.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
