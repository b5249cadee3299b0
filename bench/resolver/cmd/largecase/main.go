// Command largecase is meta's side of bench/resolver/compare_pubgrub_rs.sh:
// the same program shape as pubgrub-rs's pgbench harness
// (../shared/peers/pubgrub-rs-bench.tar.gz), so that both are measured
// as whole processes the same way. It loads a *_u16_NumberVersion.ron
// registry, resolves every (package, version) as the root once per
// iteration, and prints the same columns as pgbench:
//
//	largecase bench FILE.ron ITERS [WARMUP]
//	go iters=N mean_ms=… median_ms=… min_ms=… cpu_ms=… solvable=… unsolvable=…
//
// mean_ms is the wall time of the timed loop divided by ITERS, median_ms
// and min_ms are over the per-iteration wall times, and cpu_ms is the
// process's user+system CPU time (getrusage, all threads, the garbage
// collector's included) over the timed loop divided by ITERS. WARMUP
// (default 3) untimed iterations come first.
//
//	largecase dump FILE.ron
//
// prints one line per root in pgbench's dump format: "P V: OK p=v …" or
// "P V: FAIL".
package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/metawork/meta/bench/resolver/internal/largecase"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "largecase:", err)
		os.Exit(1)
	}
}

const usage = "usage: largecase bench FILE.ron ITERS [WARMUP] | largecase dump FILE.ron"

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%s", usage)
	}
	c, err := largecase.Load(args[1])
	if err != nil {
		return err
	}
	ctx := context.Background()
	p := c.Memory()
	roots := c.Roots()
	switch args[0] {
	case "dump":
		for _, r := range roots {
			sol, err := largecase.Solve(ctx, p, r)
			if err != nil {
				return err
			}
			fmt.Println(largecase.DumpLine(r, sol))
		}
		return nil
	case "bench":
		if len(args) < 3 {
			return fmt.Errorf("%s", usage)
		}
		iters, err := strconv.Atoi(args[2])
		if err != nil || iters < 1 {
			return fmt.Errorf("ITERS %q: want a positive integer", args[2])
		}
		warm := 3
		if len(args) > 3 {
			if warm, err = strconv.Atoi(args[3]); err != nil || warm < 0 {
				return fmt.Errorf("WARMUP %q: want a non-negative integer", args[3])
			}
		}
		var ok, bad int
		for range warm {
			if ok, bad, err = largecase.SolveAll(ctx, p, roots); err != nil {
				return err
			}
		}
		ts := make([]float64, 0, iters)
		t0 := time.Now()
		c0, err := cpuMS()
		if err != nil {
			return err
		}
		for range iters {
			t := time.Now()
			if ok, bad, err = largecase.SolveAll(ctx, p, roots); err != nil {
				return err
			}
			ts = append(ts, ms(time.Since(t)))
		}
		total := ms(time.Since(t0))
		c1, err := cpuMS()
		if err != nil {
			return err
		}
		slices.Sort(ts)
		med := ts[len(ts)/2]
		if len(ts)%2 == 0 {
			med = (ts[len(ts)/2-1] + ts[len(ts)/2]) / 2
		}
		n := float64(iters)
		fmt.Printf("go iters=%d mean_ms=%.4f median_ms=%.4f min_ms=%.4f cpu_ms=%.4f solvable=%d unsolvable=%d\n",
			iters, total/n, med, ts[0], (c1-c0)/n, ok, bad)
		return nil
	}
	return fmt.Errorf("unknown mode %q; %s", args[0], usage)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// cpuMS returns the process's user+system CPU time so far, in ms.
func cpuMS() (float64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec)*1e3 + float64(t.Usec)/1e3 }
	return tv(ru.Utime) + tv(ru.Stime), nil
}
