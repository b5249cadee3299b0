package depscan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/run"
)

// LockOptions say which components to lock, and how.
type LockOptions struct {
	Components []Component
	Jobs       int // components locked at once (at least 1)
	Lock       ecosystem.LockOptions
	// Progress receives Planned (every component), Updated ("running
	// ARGS") and Finished (a LockResult; Err set when a step failed).
	Progress progress.Sink
}

// LockResult is what happened to one component.
type LockResult struct {
	Name   string
	Steps  []ecosystem.LockStep
	Failed []error // one per failed step, in step order
}

// Lock runs each component's package managers to write its lock files. A
// component's failure does not stop the others. Results are in component
// order.
func Lock(ctx context.Context, opts LockOptions) []LockResult {
	names := make([]string, len(opts.Components))
	for i, c := range opts.Components {
		names[i] = c.Name
	}
	progress.Plan(opts.Progress, names)
	results := make([]LockResult, len(opts.Components))
	var g errgroup.Group
	g.SetLimit(max(opts.Jobs, 1))
	for i, c := range opts.Components {
		g.Go(func() error {
			r := LockResult{Name: c.Name}
			steps, err := ecosystem.PlanLock(c.Dir, opts.Lock)
			if err != nil {
				r.Failed = append(r.Failed, err)
			}
			r.Steps = steps
			for _, s := range steps {
				progress.Update(opts.Progress, c.Name, "running "+strings.Join(s.Args, " "))
				if err := ecosystem.RunLock(ctx, c.Dir, s); err != nil {
					r.Failed = append(r.Failed, err)
				}
			}
			results[i] = r
			progress.Finish(opts.Progress, c.Name, r, errors.Join(r.Failed...))
			return nil
		})
	}
	_ = g.Wait()
	return results
}

// Status is the component's one-line outcome.
func (r LockResult) Status() string {
	switch {
	case len(r.Failed) > 0:
		var why []string
		for _, err := range r.Failed {
			var mt *ecosystem.MissingToolError
			var re *run.Error
			switch {
			case errors.As(err, &mt):
				why = append(why, mt.Error())
			case errors.As(err, &re):
				why = append(why, re.Args[0]+" failed")
			default:
				why = append(why, err.Error())
			}
		}
		return "failed: " + strings.Join(why, "; ")
	case len(r.Steps) == 0:
		return "nothing to lock (no package.json, requirements.in, pyproject.toml, Cargo.toml or go.mod)"
	}
	var writes []string
	for _, s := range r.Steps {
		writes = append(writes, s.Writes)
	}
	return "ok: " + strings.Join(writes, ", ")
}

// Install returns what to install for each step that failed because its
// package manager is missing.
func (r LockResult) Install() []string {
	var out []string
	for _, err := range r.Failed {
		var mt *ecosystem.MissingToolError
		if errors.As(err, &mt) {
			out = append(out, mt.Install)
		}
	}
	return out
}

// ErrText shows a failed step: a tool's own output, indented under the
// command that failed.
func ErrText(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		out := strings.TrimSpace(re.Stderr)
		head := strings.Join(re.Args, " ")
		if re.ExitCode >= 0 {
			head += fmt.Sprintf(" (exit status %d)", re.ExitCode)
		}
		if out == "" {
			return head + ": " + re.Err.Error()
		}
		return head + ":\n    " + strings.ReplaceAll(out, "\n", "\n    ")
	}
	return err.Error()
}

// LockTally counts lock results.
type LockTally struct {
	Locked, Nothing, Failed int
	Install                 []string // what to install for missing package managers, each once
}

// Tally counts results: locked, with nothing to lock, failed.
func Tally(results []LockResult) LockTally {
	var t LockTally
	for _, r := range results {
		switch {
		case len(r.Failed) > 0:
			t.Failed++
			for _, in := range r.Install() {
				if !slices.Contains(t.Install, in) {
					t.Install = append(t.Install, in)
				}
			}
		case len(r.Steps) == 0:
			t.Nothing++
		default:
			t.Locked++
		}
	}
	return t
}
