package pubgrub_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
)

var update = flag.Bool("update", false, "rewrite the expect-error blocks of scenario files with the current output")

// A scenario file describes one resolution, one statement per line
// ('#' starts a comment line):
//
//	root -> a ^1.0.0 @components.yaml:7, b >=2     root requirements ('@' gives the source)
//	a 1.0.0 -> c ^1, d 2.0.0                     a version and its dependencies
//	a 1.1.0                                      a version without dependencies
//	a 1.2.0 unusable: component.yaml does not parse
//	package e                                    a package that exists without versions
//	strategy: conservative
//	prioritize-conflicts: 3                      Request.PrioritizeConflicts
//	locked: a 1.0.0, c 1.1.0
//	override a 1.0.0: CVE-2026-1 fixed only in 1.0.0
//	expect: a 1.0.0, c 1.1.0                     the exact solution ("expect:" alone: nothing chosen)
//	expect-cycles: a -> b -> a; c -> c
//	expect-overrides: a
//	expect-stats: decisions 9, conflicts 2       Solution.Stats, exactly
//	expect-error:                                then the exact Report() text, to the end
//
// Constraints within a dependency list use spaces for AND (commas separate
// dependencies).
type scenario struct {
	mem       *source.Memory
	req       pubgrub.Request
	expect    *string
	cycles    *string
	overrides *string
	stats     *string
	errText   *string
	errLine   int
}

func parseDeps(t *testing.T, s string) []pubgrub.Dependency {
	t.Helper()
	var deps []pubgrub.Dependency
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var src string
		if i := strings.Index(part, "@"); i >= 0 {
			part, src = strings.TrimSpace(part[:i]), strings.TrimSpace(part[i+1:])
		}
		name, c, _ := strings.Cut(part, " ")
		set, err := semver.ParseConstraint(strings.TrimSpace(c))
		if err != nil {
			t.Fatalf("dependency %q: %v", part, err)
		}
		deps = append(deps, pubgrub.Dependency{Name: name, Constraint: set, Source: src})
	}
	return deps
}

func parseScenario(t *testing.T, text string) *scenario {
	t.Helper()
	sc := &scenario{mem: source.NewMemory()}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		str := func(s string) *string { s = strings.TrimSpace(s); return &s }
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "expect-error:"):
			rest := strings.Join(lines[i+1:], "\n")
			sc.errText, sc.errLine = &rest, i+1
			i = len(lines)
		case strings.HasPrefix(line, "expect-cycles:"):
			sc.cycles = str(strings.TrimPrefix(line, "expect-cycles:"))
		case strings.HasPrefix(line, "expect-stats:"):
			sc.stats = str(strings.TrimPrefix(line, "expect-stats:"))
		case strings.HasPrefix(line, "prioritize-conflicts:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "prioritize-conflicts:")))
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			sc.req.PrioritizeConflicts = n
		case strings.HasPrefix(line, "expect-overrides:"):
			sc.overrides = str(strings.TrimPrefix(line, "expect-overrides:"))
		case strings.HasPrefix(line, "expect:"):
			sc.expect = str(strings.TrimPrefix(line, "expect:"))
		case strings.HasPrefix(line, "strategy:"):
			st, err := pubgrub.ParseStrategy(strings.TrimSpace(strings.TrimPrefix(line, "strategy:")))
			if err != nil {
				t.Fatal(err)
			}
			sc.req.Strategy = st
		case strings.HasPrefix(line, "locked:"):
			sc.req.Locked = map[string]semver.Version{}
			for _, p := range strings.Split(strings.TrimPrefix(line, "locked:"), ",") {
				name, v, _ := strings.Cut(strings.TrimSpace(p), " ")
				sc.req.Locked[name] = semver.MustParseVersion(v)
			}
		case strings.HasPrefix(line, "override "):
			spec, reason, _ := strings.Cut(strings.TrimPrefix(line, "override "), ":")
			name, c, _ := strings.Cut(strings.TrimSpace(spec), " ")
			if sc.req.Overrides == nil {
				sc.req.Overrides = map[string]pubgrub.Override{}
			}
			sc.req.Overrides[name] = pubgrub.Override{Version: semver.MustParseConstraint(c), Reason: strings.TrimSpace(reason)}
		case strings.HasPrefix(line, "package "):
			sc.mem.AddPackage(strings.TrimSpace(strings.TrimPrefix(line, "package ")))
		case strings.HasPrefix(line, "root ->"):
			sc.req.Root = append(sc.req.Root, parseDeps(t, strings.TrimPrefix(line, "root ->"))...)
		default:
			head, deps, _ := strings.Cut(line, "->")
			head, reason, unusable := strings.Cut(head, "unusable:")
			name, v, ok := strings.Cut(strings.TrimSpace(head), " ")
			if !ok {
				t.Fatalf("line %d: cannot parse %q", i+1, line)
			}
			ver := semver.MustParseVersion(strings.TrimSpace(v))
			if unusable {
				sc.mem.AddUnusable(name, ver, strings.TrimSpace(reason))
			} else {
				sc.mem.Add(name, ver, parseDeps(t, deps)...)
			}
		}
	}
	return sc
}

func renderSolution(sol *pubgrub.Solution) string {
	var parts []string
	for _, n := range sol.Names {
		parts = append(parts, n+" "+sol.Versions[n].String())
	}
	return strings.Join(parts, ", ")
}

func renderCycles(sol *pubgrub.Solution) string {
	var parts []string
	for _, c := range sol.Cycles() {
		parts = append(parts, strings.Join(c, " -> "))
	}
	return strings.Join(parts, "; ")
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sc := parseScenario(t, string(data))
			ctx := context.Background()
			sol, err := pubgrub.Solve(ctx, sc.mem, sc.req)
			// Determinism: a second run gives the same answer, byte for byte.
			sol2, err2 := pubgrub.Solve(ctx, sc.mem, sc.req)
			if fmt.Sprint(err) != fmt.Sprint(err2) || (sol != nil) != (sol2 != nil) ||
				(sol != nil && renderSolution(sol) != renderSolution(sol2)) {
				t.Fatalf("two runs differ")
			}
			if sc.errText != nil {
				var nse *pubgrub.NoSolutionError
				if !errors.As(err, &nse) {
					t.Fatalf("want a NoSolutionError, got solution %v, err %v", sol, err)
				}
				got := nse.Report()
				if *update {
					lines := strings.Split(string(data), "\n")
					out := strings.Join(lines[:sc.errLine], "\n") + "\n" + got
					if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if got != *sc.errText {
					t.Errorf("explanation differs.\n--- got:\n%s\n--- want:\n%s", got, *sc.errText)
				}
				return
			}
			if err != nil {
				var nse *pubgrub.NoSolutionError
				if errors.As(err, &nse) {
					t.Fatalf("unexpected failure:\n%s", nse.Report())
				}
				t.Fatal(err)
			}
			if sc.expect != nil {
				if got := renderSolution(sol); got != *sc.expect {
					t.Errorf("solution = %q, want %q", got, *sc.expect)
				}
			}
			if sc.stats != nil {
				if got := fmt.Sprintf("decisions %d, conflicts %d", sol.Stats.Decisions, sol.Stats.Conflicts); got != *sc.stats {
					t.Errorf("stats = %q, want %q", got, *sc.stats)
				}
			}
			if sc.cycles != nil {
				if got := renderCycles(sol); got != *sc.cycles {
					t.Errorf("cycles = %q, want %q", got, *sc.cycles)
				}
			}
			if sc.overrides != nil {
				var names []string
				for _, o := range sol.Overrides {
					names = append(names, o.Name)
				}
				if got := strings.Join(names, ", "); got != *sc.overrides {
					t.Errorf("overrides applied = %q, want %q", got, *sc.overrides)
				}
			}
			if sc.expect == nil && sc.cycles == nil && sc.overrides == nil {
				t.Fatal("scenario expects nothing")
			}
			checkSolution(t, sc, sol)
		})
	}
}

// checkSolution verifies independently of the solver that every
// requirement of every chosen package holds.
func checkSolution(t *testing.T, sc *scenario, sol *pubgrub.Solution) {
	t.Helper()
	ctx := context.Background()
	check := func(from string, deps []pubgrub.Dependency) {
		for _, d := range deps {
			c := d.Constraint
			if o, ok := sc.req.Overrides[d.Name]; ok {
				c = o.Version
			}
			v, ok := sol.Versions[d.Name]
			if !ok || !c.Contains(v) {
				t.Errorf("%s requires %s %s, solution has %v (chosen: %v)", from, d.Name, c, v, ok)
			}
		}
	}
	check("root", sc.req.Root)
	for _, n := range sol.Names {
		deps, err := sc.mem.Dependencies(ctx, n, sol.Versions[n])
		if err != nil {
			t.Errorf("chosen %s %s: %v", n, sol.Versions[n], err)
		}
		check(n+" "+sol.Versions[n].String(), deps)
		if !slices.ContainsFunc(sol.Why(n), func(r pubgrub.Requirement) bool { return true }) {
			t.Errorf("%s chosen but nobody requires it", n)
		}
	}
}
