package workspace

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/toolchain/declared"
	"github.com/metawork/meta/internal/wire"
	"github.com/metawork/meta/internal/yamlpos"
)

// Report is what 'meta validate' found in a workspace that loads.
type Report struct {
	Problems  []Problem
	Checked   int // checkouts checked
	NotCloned int // components skipped because they are not cloned (with noRemote)
}

// CheckAll validates the default selection of m (only what is cloned,
// with noRemote), its development wiring and the tools lock records.
func CheckAll(ctx context.Context, m *manifest.Manifest, lock *lockfile.File, noRemote bool) Report {
	var r Report
	comps := DefaultSelection(m)
	if noRemote {
		comps, r.NotCloned = ClonedOnly(comps)
	}
	r.Checked = len(comps)
	r.Problems = append(Validate(ctx, m, comps, m.Jobs(0)*2), CheckWiring(ctx, m)...)
	if tp, err := declared.CheckLocked(lock); err != nil {
		r.Problems = append(r.Problems, Problem{Message: "tools: " + err.Error()})
	} else {
		for _, p := range tp {
			r.Problems = append(r.Problems, Problem{Message: "tools: " + p, Hint: "run 'meta tools install'"})
		}
	}
	return r
}

// CheckWiring validates development wiring when the workspace uses it.
func CheckWiring(ctx context.Context, m *manifest.Manifest) []Problem {
	rec, err := wire.LoadRecord(m.Dir)
	if err != nil {
		return []Problem{{Message: err.Error()}}
	}
	if rec.Root == "" && !m.Workspace.Wire {
		return nil
	}
	var comps []wire.Component
	for _, c := range m.List() {
		if _, err := os.Stat(c.Path); err == nil {
			comps = append(comps, wire.Component{Name: c.Name, Dir: c.Path})
		}
	}
	python := ""
	for _, t := range m.Tools {
		if v, ok := strings.CutPrefix(t.Value, "python@"); ok {
			python = v
		}
	}
	var probs []Problem
	for _, p := range wire.Check(ctx, m.Workspace.Root, comps, python) {
		probs = append(probs, Problem{Message: "wiring: " + p, Hint: "run 'meta setup --wire'"})
	}
	return probs
}

// ManifestProblem is one reason a manifest does not load, for --json.
type ManifestProblem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// ManifestProblems lists errs (from manifest.LoadAll) with their positions.
func ManifestProblems(errs []error) []ManifestProblem {
	var out []ManifestProblem
	for _, err := range errs {
		var ye *yamlpos.Error
		if errors.As(err, &ye) {
			out = append(out, ManifestProblem{ye.File, ye.Line, ye.Col, ye.Msg, ye.Hint})
		} else {
			out = append(out, ManifestProblem{Message: err.Error()})
		}
	}
	return out
}
