package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/metawork/meta/internal/backend/backendtest"
)

// reapiServers holds each script's running bazel-remote.
var reapiServers sync.Map // *testscript.TestScript → *backendtest.BazelRemote

// cmdREAPI implements the REAPI server commands of the scripts:
//
//	reapi bazel-remote   start bazel-remote (HTTP and gRPC cache) on loopback,
//	                     setting BAZEL_REMOTE_HTTP and BAZEL_REMOTE_GRPC
//	reapi buildbarn N    start bb_scheduler and N bb_workers (each with a
//	                     bb_runner) on that bazel-remote, setting BUILDBARN_EXEC
//	reapi stop           stop it (connections are refused from then on)
//	reapi hang           freeze it with SIGSTOP (connections hang)
//	reapi poison-cas     overwrite every stored CAS blob with junk of the same size
//	reapi poison-ac      rotate the stored action cache entries, so each key
//	                     names another key's (well-formed) result
//
// .ci/run builds the servers and puts them on PATH: scripts guard with
// [!exec:bazel-remote] [!ci] skip.
func cmdREAPI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: reapi bazel-remote|buildbarn N|stop|hang|poison-cas|poison-ac")
	}
	if args[0] == "buildbarn" && len(args) == 2 {
		v, ok := reapiServers.Load(ts)
		if !ok {
			ts.Fatalf("reapi buildbarn: start bazel-remote first (it is Buildbarn's storage)")
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > 8 {
			ts.Fatalf("reapi buildbarn: %q workers: want 1 to 8", args[1])
		}
		br := v.(*backendtest.BazelRemote)
		bb := backendtest.StartBuildbarn(&scriptHost{ts: ts}, strings.TrimPrefix(br.GRPC, "grpc://"), n)
		ts.Setenv("BUILDBARN_EXEC", bb.Exec)
		return
	}
	if args[0] == "bazel-remote" {
		br := backendtest.StartBazelRemote(&scriptHost{ts: ts})
		reapiServers.Store(ts, br)
		ts.Defer(func() { reapiServers.Delete(ts) })
		ts.Setenv("BAZEL_REMOTE_HTTP", br.HTTP)
		ts.Setenv("BAZEL_REMOTE_GRPC", br.GRPC)
		return
	}
	if args[0] == "buildbarn" {
		ts.Fatalf("usage: reapi buildbarn WORKERS")
	}
	v, ok := reapiServers.Load(ts)
	if !ok {
		ts.Fatalf("reapi %s: no bazel-remote running", args[0])
	}
	br := v.(*backendtest.BazelRemote)
	switch args[0] {
	case "stop":
		ts.Check(br.Signal(syscall.SIGKILL))
		br.Wait()
	case "hang":
		ts.Check(br.Signal(syscall.SIGSTOP))
		ts.Defer(func() { br.Signal(syscall.SIGCONT) })
	case "poison-cas":
		n := 0
		walkFiles(ts, filepath.Join(br.Dir, "cas.v2"), func(p string) {
			fi, err := os.Stat(p)
			ts.Check(err)
			ts.Check(os.WriteFile(p, bytes.Repeat([]byte{'X'}, int(fi.Size())), 0o644))
			n++
		})
		if n == 0 {
			ts.Fatalf("reapi poison-cas: no CAS blobs stored")
		}
	case "poison-ac":
		var files []string
		walkFiles(ts, filepath.Join(br.Dir, "ac.v2"), func(p string) { files = append(files, p) })
		if len(files) < 2 {
			ts.Fatalf("reapi poison-ac: %d action cache entries stored, want 2 or more", len(files))
		}
		sort.Strings(files)
		var data [][]byte
		for _, f := range files {
			b, err := os.ReadFile(f)
			ts.Check(err)
			data = append(data, b)
		}
		for i, f := range files {
			ts.Check(os.WriteFile(f, data[(i+1)%len(data)], 0o644))
		}
	default:
		ts.Fatalf("reapi: unknown subcommand %q", args[0])
	}
}

func walkFiles(ts *testscript.TestScript, dir string, f func(string)) {
	ts.Check(filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			f(p)
		}
		return nil
	}))
}
