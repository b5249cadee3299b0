// Command meta makes a team's many git repositories behave like one
// reproducible workspace. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/metawork/meta/internal/cli"
	"github.com/metawork/meta/internal/term"
)

func main() {
	// META_CPUPROFILE=FILE writes a CPU profile of the run (for bench/).
	if f := os.Getenv("META_CPUPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			if pprof.StartCPUProfile(out) == nil {
				defer out.Close()
				defer pprof.StopCPUProfile()
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], term.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}
