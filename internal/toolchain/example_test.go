package toolchain_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/metawork/meta/internal/toolchain"
)

// meta lock records each tool's requested and resolved version.
func ExampleResolveAll() {
	ctx := context.Background()
	res, err := toolchain.ResolveAll(ctx, []string{"go@1.22", "npm:eslint@8"}, toolchain.Options{
		OnNote: func(n toolchain.Note) { fmt.Fprintln(os.Stderr, "warning:", n.Msg) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, r := range res {
		// go: requested "1.22", version "1.22.12", exact
		// npm:eslint: requested "8", version "8", not exact (npm decides)
		// node: implied by npm:eslint, requested "", version "22.11.0"
		fmt.Printf("%s: {requested: %q, version: %q}\n", r.Name, r.Requested, r.Version)
	}
}

// meta exec and meta build put the installed versions first on PATH.
func ExamplePathFor() {
	dirs, err := toolchain.PathFor(context.Background(), []string{"go@1.22.12", "node@20.18.0"})
	if err != nil {
		// *toolchain.NotInstalledError: its Hint() is "run: meta tools install go@1.22.12"
		fmt.Fprintln(os.Stderr, err)
		return
	}
	path := strings.Join(append(dirs, os.Getenv("PATH")), string(os.PathListSeparator))
	_ = append(os.Environ(), "PATH="+path)
}

// meta validate compares a lock's tools with what is installed.
func ExampleCheckInstalled() {
	problems, err := toolchain.CheckInstalled(map[string]string{"go": "1.22.12", "node": "20.18.0"}, toolchain.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, p := range problems {
		fmt.Println(p.Msg) // e.g. "node 20.18.0 is locked but not installed (installed: 20.17.0)"
	}
}
