// Command cargoresolve is meta's side of bench/resolver/cargo_compare.sh:
// it resolves a Cargo project's [dependencies] against a Cargo index
// directory through meta's registry provider (regsource.Registry over
// bench/resolver/internal/cargoindex) and writes the chosen versions, one
// "name version" line each, sorted, the way `cargo generate-lockfile
// --offline` resolves the same files and writes Cargo.lock.
//
//	cargoresolve INDEX_DIR Cargo.toml OUT
//
// Only `name = "req"` lines of [dependencies] are read.
// META_CPUPROFILE=FILE writes a CPU profile of the run, META_MEMPROFILE=FILE
// a profile of its allocations.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/metawork/meta/bench/resolver/internal/cargoindex"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/regsource"
	"github.com/metawork/meta/internal/semver"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: cargoresolve INDEX_DIR Cargo.toml OUT")
		os.Exit(2)
	}
	if f := os.Getenv("META_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err == nil {
			err = pprof.StartCPUProfile(out)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cargoresolve: META_CPUPROFILE:", err)
			os.Exit(1)
		}
	}
	if os.Getenv("META_MEMPROFILE") != "" {
		runtime.MemProfileRate = 4096
	}
	err := run(os.Args[1], os.Args[2], os.Args[3])
	pprof.StopCPUProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cargoresolve:", err)
		os.Exit(1)
	}
}

func writeMemProfile(path string) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("META_MEMPROFILE: %w", err)
	}
	runtime.GC() // the profile is as of the last collection: make that now
	if err := pprof.Lookup("allocs").WriteTo(out, 0); err != nil {
		out.Close()
		return fmt.Errorf("META_MEMPROFILE: %w", err)
	}
	return out.Close()
}

func run(index, manifest, out string) error {
	root, err := readDeps(manifest)
	if err != nil {
		return err
	}
	// The index is on local disk: a file is read in less time than it
	// takes to hand the read to another goroutine, so the solver reads
	// each one itself when it needs it, as Cargo does.
	p := regsource.NewRegistry(cargoindex.Dir(index), regsource.RegistryOptions{Name: "cargo-index", NoPrefetch: true})
	sol, err := pubgrub.Solve(context.Background(), p, pubgrub.Request{Root: root, RootName: "bench-root", SkipSuggestions: true})
	if err != nil {
		return err
	}
	if f := os.Getenv("META_MEMPROFILE"); f != "" {
		// While the provider and the solution are still live.
		if err := writeMemProfile(f); err != nil {
			return err
		}
		runtime.KeepAlive(p)
	}
	var b strings.Builder
	for _, n := range sol.Names {
		b.WriteString(n + " " + sol.Versions[n].String() + "\n")
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// readDeps reads the name = "req" lines of a Cargo.toml's [dependencies].
func readDeps(path string) ([]pubgrub.Dependency, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var deps []pubgrub.Dependency
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == "[dependencies]"
			continue
		}
		if !in || line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		req, err := strconv.Unquote(strings.TrimSpace(val))
		if !ok || err != nil {
			return nil, fmt.Errorf("%s:%d: want name = \"requirement\"", path, n)
		}
		set, err := semver.ParseConstraint(cargoindex.Req(req))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		deps = append(deps, pubgrub.Dependency{Name: strings.TrimSpace(name), Constraint: set, Source: fmt.Sprintf("%s:%d", path, n)})
	}
	return deps, sc.Err()
}
