// Command gentree writes a deterministic tree of mixed file sizes for the
// store benchmarks (see package treegen).
//
//	go run ./bench/store/gentree -size 256MiB -out /tmp/tree
//	go run ./bench/store/gentree -small 72000 -out /tmp/nm   # node_modules shape
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/metawork/meta/bench/store/treegen"
)

func main() {
	size := flag.String("size", "256MiB", "total bytes of file contents (suffixes KiB, MiB, GiB)")
	out := flag.String("out", "", "directory to create (must not exist)")
	seed := flag.Uint64("seed", 1, "random seed")
	small := flag.Int("small", 0, "write a node_modules-shaped tree of this many small files instead")
	flag.Parse()
	if *small > 0 && *out != "" {
		if err := treegen.GenerateSmall(*out, *small, *seed); err != nil {
			fmt.Fprintln(os.Stderr, "gentree:", err)
			os.Exit(1)
		}
		return
	}
	total, err := parseSize(*size)
	if err != nil || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gentree -size N[KiB|MiB|GiB] -out DIR")
		os.Exit(2)
	}
	if err := treegen.Generate(*out, total, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gentree:", err)
		os.Exit(1)
	}
}

// parseSize reads N, NKiB, NMiB or NGiB.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = t, m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}
