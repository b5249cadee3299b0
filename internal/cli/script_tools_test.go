package cli

import (
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/metawork/meta/internal/toolchain"
	"github.com/metawork/meta/internal/toolchain/upstreamtest"
)

// cmdServe implements `serve [-build] DIR VAR`: serve DIR over HTTP on
// 127.0.0.1 from the test process (directory requests get DIR/.../index.json,
// "{{BASE}}" in files becomes the server URL, ETags are honoured) and set
// VAR to its URL. With -build, first write the fake tool upstream of
// upstreamtest.Build into DIR (go.dev, nodejs.org, python catalogue, GitHub
// releases of every registry tool, with small archives and checksums).
// The server stops when the script ends.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	build := len(args) > 0 && args[0] == "-build"
	if build {
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: serve [-build] DIR VAR")
	}
	dir := ts.MkAbs(args[0])
	if build {
		reg, err := toolchain.DefaultRegistry()
		ts.Check(err)
		var repos []string
		for _, t := range reg.Tools() {
			if t.Repo != "" {
				repos = append(repos, t.Repo)
			}
		}
		ts.Check(upstreamtest.Build(dir, repos))
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		ts.Fatalf("serve: %s is not a directory", dir)
	}
	srv := upstreamtest.Serve(dir)
	ts.Defer(srv.Close)
	ts.Setenv(args[1], srv.URL)
}
