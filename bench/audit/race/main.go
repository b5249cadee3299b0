// Command race runs meta deps audit and osv-scanner as whole processes on
// the workspace and database bench/audit/gen wrote, checks each tool's
// findings against the generator's expected answers (not against each
// other), then times interleaved rounds and prints the medians of wall
// and CPU time (user+system of the process and the children it waited
// for), meta cold (its archive index removed first) and warm separately.
//
//	go run ./bench/audit/race -data DIR -meta PATH [-osv-scanner PATH] [-rounds 7]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

func main() {
	data := flag.String("data", "", "the directory bench/audit/gen wrote")
	meta := flag.String("meta", "", "the meta binary")
	osv := flag.String("osv-scanner", "osv-scanner", "the osv-scanner binary")
	rounds := flag.Int("rounds", 7, "timed rounds")
	flag.Parse()
	if *data == "" || *meta == "" {
		fmt.Fprintln(os.Stderr, "race: -data and -meta are required")
		os.Exit(2)
	}
	if err := run(*data, *meta, *osv, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "race:", err)
		os.Exit(1)
	}
}

type tool struct {
	name  string
	args  []string
	env   []string
	prep  func() error
	codes []int // exit codes that mean "ran fine"
}

type sample struct{ wall, cpu time.Duration }

func (t tool) run(stdout *bytes.Buffer) (sample, error) {
	if t.prep != nil {
		if err := t.prep(); err != nil {
			return sample{}, err
		}
	}
	cmd := exec.Command(t.args[0], t.args[1:]...)
	cmd.Env = append(os.Environ(), t.env...)
	var errb bytes.Buffer
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return sample{}, fmt.Errorf("%s: %w", t.name, err)
	}
	code := cmd.ProcessState.ExitCode()
	ok := false
	for _, c := range t.codes {
		ok = ok || c == code
	}
	if !ok {
		return sample{}, fmt.Errorf("%s exited %d: %s", t.name, code, lastLines(errb.String(), 5))
	}
	return sample{wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

var pep503Sep = regexp.MustCompile(`[-_.]+`)

func key(eco, name, version, id string) string {
	if eco == "Go" {
		version = strings.TrimPrefix(version, "v")
	}
	if eco == "PyPI" {
		name = pep503Sep.ReplaceAllString(strings.ToLower(name), "-")
	}
	return eco + "\t" + name + "\t" + version + "\t" + id
}

func run(data, meta, osv string, rounds int) error {
	ws, db := filepath.Join(data, "ws"), filepath.Join(data, "db")
	cache := filepath.Join(data, "cache")
	expData, err := os.ReadFile(filepath.Join(data, "expected.tsv"))
	if err != nil {
		return err
	}
	expected := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(expData)), "\n") {
		expected[l] = true
	}
	env := []string{"XDG_CACHE_HOME=" + cache, "GOPROXY=off", "GOFLAGS=-mod=mod"}
	metaArgs := []string{meta, "-C", filepath.Join(ws, "meta"), "deps", "audit", "--all", "--offline-db", db, "--fail-on", "none", "--json"}
	metaCold := tool{name: "meta (cold)", args: metaArgs, env: env, codes: []int{0},
		prep: func() error { return os.RemoveAll(filepath.Join(cache, "meta")) }} // every cache of meta's
	metaWarm := tool{name: "meta (warm)", args: metaArgs, env: env, codes: []int{0}}
	osvTool := tool{name: "osv-scanner", args: []string{osv, "scan", "source", "--offline", "--local-db-path", db, "--all-vulns",
		"--no-call-analysis=go", "--no-call-analysis=rust", "--format", "json", "-r", ws}, env: env, codes: []int{0, 1}}

	// Findings.
	var mb, ob bytes.Buffer
	if _, err := metaCold.run(&mb); err != nil {
		return err
	}
	if _, err := osvTool.run(&ob); err != nil {
		return err
	}
	var mr struct {
		Components []struct {
			Findings []struct {
				Ecosystem, Package, Version string
				Records                     []string `json:"records"`
			} `json:"findings"`
		} `json:"components"`
		Summary map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(mb.Bytes(), &mr); err != nil {
		return fmt.Errorf("meta's JSON: %w", err)
	}
	metaSet := map[string]bool{}
	for _, c := range mr.Components {
		for _, f := range c.Findings {
			for _, id := range f.Records {
				metaSet[key(f.Ecosystem, f.Package, f.Version, id)] = true
			}
		}
	}
	var or struct {
		Results []struct {
			Packages []struct {
				Package struct {
					Ecosystem, Name, Version string
				} `json:"package"`
				Vulnerabilities []struct {
					ID string `json:"id"`
				} `json:"vulnerabilities"`
			} `json:"packages"`
		} `json:"results"`
	}
	if err := json.Unmarshal(ob.Bytes(), &or); err != nil {
		return fmt.Errorf("osv-scanner's JSON: %w", err)
	}
	osvSet := map[string]bool{}
	for _, r := range or.Results {
		for _, p := range r.Packages {
			if p.Package.Ecosystem == "Go" && p.Package.Name == "stdlib" {
				continue // from the go.mod go line, which meta deliberately does not audit
			}
			for _, v := range p.Vulnerabilities {
				osvSet[key(p.Package.Ecosystem, p.Package.Name, p.Package.Version, v.ID)] = true
			}
		}
	}
	shapeOf := map[string]string{} // record id → range shape
	if sh, err := os.ReadFile(filepath.Join(data, "shapes.tsv")); err == nil {
		for _, l := range strings.Split(string(sh), "\n") {
			if f := strings.Split(l, "\t"); len(f) >= 4 {
				shapeOf[f[0]] = f[3]
			}
		}
	}
	byShape := func(keys []string) string {
		n := map[string]int{}
		for _, k := range keys {
			f := strings.Split(k, "\t")
			s := shapeOf[f[3]]
			if strings.HasPrefix(s, "PyPI name spelled") {
				s = "PyPI name spelled differently"
			}
			n[f[0]+" "+s]++
		}
		var parts []string
		for k, c := range n {
			parts = append(parts, fmt.Sprintf("%d %s", c, k))
		}
		sort.Strings(parts)
		return strings.Join(parts, "; ")
	}
	fmt.Printf("expected findings: %d (ecosystem, package, version, record id)\n", len(expected))
	fmt.Printf("meta summary: %v\n", mr.Summary)
	for _, t := range []struct {
		name string
		set  map[string]bool
	}{{"meta", metaSet}, {"osv-scanner", osvSet}} {
		missing, extra := diff(expected, t.set), diff(t.set, expected)
		verdict := "exactly as expected"
		if len(missing)+len(extra) > 0 {
			verdict = "DIFFERS from the expectation"
		}
		fmt.Printf("%-12s %5d findings, %d missing, %d unexpected: %s\n", t.name, len(t.set), len(missing), len(extra), verdict)
		if len(missing) > 0 {
			fmt.Printf("    missing by ecosystem and shape: %s\n", byShape(missing))
		}
		if len(extra) > 0 {
			fmt.Printf("    unexpected by ecosystem and shape: %s\n", byShape(extra))
		}
		for _, m := range first(missing, 15) {
			fmt.Printf("    missing     %s\n", m)
		}
		for _, m := range first(extra, 15) {
			fmt.Printf("    unexpected  %s\n", m)
		}
	}

	// Time: interleaved rounds, the order rotated each round.
	tools := []tool{metaCold, osvTool, metaWarm}
	samples := map[string][]sample{}
	for r := 0; r < rounds; r++ {
		for k := range tools {
			t := tools[(k+r)%len(tools)]
			if t.name == "meta (warm)" {
				// warm means the index exists: make sure a run built it
				if _, err := os.Stat(filepath.Join(cache, "meta", "osv-index")); err != nil {
					if _, err := metaWarm.run(nil); err != nil {
						return err
					}
				}
			}
			s, err := t.run(nil)
			if err != nil {
				return err
			}
			samples[t.name] = append(samples[t.name], s)
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\n%d interleaved rounds; load average after: %s", rounds, load)
	fmt.Printf("%-14s %12s %12s\n", "", "median wall", "median CPU")
	med := map[string]sample{}
	for _, t := range tools {
		m := median(samples[t.name])
		med[t.name] = m
		fmt.Printf("%-14s %10.0fms %10.0fms\n", t.name, ms(m.wall), ms(m.cpu))
	}
	o := med["osv-scanner"]
	for _, n := range []string{"meta (cold)", "meta (warm)"} {
		m := med[n]
		fmt.Printf("osv-scanner / %s: %.1fx wall, %.1fx CPU\n", n, float64(o.wall)/float64(m.wall), float64(o.cpu)/float64(m.cpu))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(s []sample) sample {
	w := make([]time.Duration, len(s))
	c := make([]time.Duration, len(s))
	for i, x := range s {
		w[i], c[i] = x.wall, x.cpu
	}
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return sample{w[len(w)/2], c[len(c)/2]}
}

func diff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
