package ecosystem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"

	"github.com/metawork/meta/internal/atomicfile"
)

// `go mod graph` is the slowest step of reading a go.mod (a process that
// loads every module's go.mod, ~100 ms of CPU for a large module). Its
// output is a function of what the key below digests: the go.mod and
// go.sum (which pin, by hash, every go.mod the graph is computed from),
// the go command that runs and the environment it reads. So it is kept in
// a cache directory, when the caller gives one, and reused while all of
// that is unchanged. A module with a local replacement (its graph also
// depends on another directory's go.mod) is never cached.

type goGraphCacheKey struct{}

// WithGoGraphCache returns ctx with dir as the cache of `go mod graph`
// outputs for Parse ("" keeps none).
func WithGoGraphCache(ctx context.Context, dir string) context.Context {
	return context.WithValue(ctx, goGraphCacheKey{}, dir)
}

func goGraphCacheDir(ctx context.Context) string {
	dir, _ := ctx.Value(goGraphCacheKey{}).(string)
	return dir
}

// maxGoGraph bounds a cached graph read back.
const maxGoGraph = 64 << 20

// goGraphEnv lists the variables the go command reads that can change the
// graph it prints or which toolchain prints it.
var goGraphEnv = []string{"GOFLAGS", "GOTOOLCHAIN", "GOPROXY", "GONOPROXY", "GOPRIVATE", "GONOSUMDB", "GOSUMDB", "GOINSECURE", "GOEXPERIMENT"}

// goGraphKey digests what `go mod graph` depends on, or returns "" when
// the module must not be cached (a local replacement, or a go command that
// cannot be identified).
func goGraphKey(goBin string, gomod, gosum []byte) string {
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return ""
	}
	for _, r := range f.Replace {
		if r.New.Version == "" {
			return ""
		}
	}
	st, err := os.Stat(goBin)
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "meta go mod graph 1\x00%s\x00%d\x00%d\x00", goBin, st.Size(), st.ModTime().UnixNano())
	for _, k := range goGraphEnv {
		v, set := os.LookupEnv(k)
		fmt.Fprintf(h, "%s=%t:%s\x00", k, set, v)
	}
	// `go env -w` settings, which the go command reads like the above.
	if cfg := goEnvFile(); cfg != "" {
		data, _ := os.ReadFile(cfg)
		fmt.Fprintf(h, "%s\x00%d\x00", cfg, len(data))
		h.Write(data)
	}
	fmt.Fprintf(h, "%d\x00", len(gomod))
	h.Write(gomod)
	fmt.Fprintf(h, "\x00%d\x00", len(gosum))
	h.Write(gosum)
	return hex.EncodeToString(h.Sum(nil))
}

// goEnvFile is the file `go env -w` writes, as the go command finds it.
func goEnvFile() string {
	if v, ok := os.LookupEnv("GOENV"); ok {
		if v == "off" {
			return ""
		}
		return v
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "go", "env")
}

// readGoGraph returns a cached graph, or nil.
func readGoGraph(dir, key string) []byte {
	f, err := os.Open(filepath.Join(dir, key))
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxGoGraph+1))
	if err != nil || len(data) > maxGoGraph {
		return nil
	}
	return data
}

// writeGoGraph stores a graph; failing to is not an error (the cache
// only saves time).
func writeGoGraph(dir, key string, graph []byte) {
	if len(graph) <= maxGoGraph {
		_ = atomicfile.Write(filepath.Join(dir, key), graph, 0o644)
	}
}
