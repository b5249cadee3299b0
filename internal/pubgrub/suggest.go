package pubgrub

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/metawork/meta/internal/semver"
)

// maxSuggestions bounds how many verified fixes a failure lists, and
// maxOverrideTries how many versions of the clashing package are tried as
// an override.
const (
	maxSuggestions   = 3
	maxOverrideTries = 8
)

// suggest finds up to three changes that each make req solvable, checking
// every one by solving again: first relaxing one root requirement on a
// package involved in the failure, then overriding the package the
// requirements clash on.
func suggest(ctx context.Context, p Provider, req Request, e *NoSolutionError) []Suggestion {
	involved := map[string]bool{}
	for _, pv := range e.Versions {
		involved[pv.Name] = true
	}
	var out []Suggestion
	try := func(r Request) *Solution {
		if ctx.Err() != nil {
			return nil
		}
		sol, nse, err := solve(ctx, p, r)
		if err != nil || nse != nil {
			return nil
		}
		return sol
	}
	for i, d := range req.Root {
		if len(out) == maxSuggestions {
			return out
		}
		if !involved[d.Name] || d.Constraint.Equal(semver.Releases()) || d.Constraint.IsAny() {
			continue
		}
		if _, over := req.Overrides[d.Name]; over {
			continue
		}
		relaxed := req
		relaxed.Root = slices.Clone(req.Root)
		relaxed.Root[i].Constraint = semver.Releases()
		sol := try(relaxed)
		if sol == nil {
			continue
		}
		v, ok := sol.Version(d.Name)
		if !ok {
			continue
		}
		// Prefer a caret range around the version that works, if that
		// resolves too; otherwise suggest dropping the constraint.
		newC := semver.Releases()
		if !v.IsPrerelease() {
			caret := semver.MustParseConstraint("^" + v.String())
			relaxed.Root[i].Constraint = caret
			if s2 := try(relaxed); s2 != nil {
				newC, sol = caret, s2
				v, _ = sol.Version(d.Name)
			}
		}
		at := where(d.Source)
		out = append(out, Suggestion{
			Kind: "relax", Package: d.Name, Constraint: newC.String(),
			Result: d.Name + " " + v.String(),
			Text: fmt.Sprintf("relax %s's requirement on %s%s from %s to %s (resolves with %s %s)",
				req.rootName(), d.Name, at, d.Constraint.Written(), newC, d.Name, v),
		})
	}
	clash := e.Clash
	if clash == "" || len(out) == maxSuggestions {
		return out
	}
	if _, over := req.Overrides[clash]; over {
		return out
	}
	var versions []string
	for _, pv := range e.Versions {
		if pv.Name == clash {
			versions = pv.Versions
		}
	}
	tries := 0
	for k := len(versions) - 1; k >= 0 && tries < maxOverrideTries; k-- {
		v, err := semver.ParseVersion(versions[k])
		if err != nil || v.IsPrerelease() {
			continue
		}
		tries++
		over := req
		over.Overrides = maps.Clone(req.Overrides)
		if over.Overrides == nil {
			over.Overrides = map[string]Override{}
		}
		over.Overrides[clash] = Override{Version: semver.Exact(v), Reason: "suggested"}
		if sol := try(over); sol != nil {
			out = append(out, Suggestion{
				Kind: "override", Package: clash, Constraint: v.String(),
				Result: clash + " " + v.String(),
				Text:   fmt.Sprintf("override %s to %s for everyone (resolves; overrides are reported by `meta why`)", clash, v),
			})
			break
		}
	}
	return out
}

func (r Request) rootName() string {
	if r.RootName == "" {
		return "root"
	}
	return r.RootName
}
