// Command meta makes a team's many git repositories behave like one
// reproducible workspace. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/metawork/meta/internal/cli"
	"github.com/metawork/meta/internal/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], term.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
