// Package treegen writes deterministic trees of mixed file sizes for the
// store benchmarks: mostly small files, some medium, a few large, random
// (incompressible, never duplicated) contents, 64 entries per directory.
package treegen

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// fileSize draws from the mix: 80% small (0.5–32 KiB), 18% medium
// (64 KiB–2 MiB), 2% large (8–48 MiB).
func fileSize(r *rand.Rand) int64 {
	switch p := r.IntN(100); {
	case p < 80:
		return 512 + r.Int64N(32<<10)
	case p < 98:
		return 64<<10 + r.Int64N(2<<20)
	default:
		return 8<<20 + r.Int64N(40<<20)
	}
}

// Generate creates dir (which must not exist) holding total bytes of file
// contents drawn from seed.
func Generate(dir string, total int64, seed uint64) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists", dir)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	buf := make([]byte, 1<<20)
	var written int64
	for i := 0; written < total; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/4096), fmt.Sprintf("d%02d", i/64%64))
		if i%64 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		n := min(fileSize(r), total-written)
		mode := os.FileMode(0o644)
		if i%50 == 7 {
			mode = 0o755
		}
		f, err := os.OpenFile(filepath.Join(sub, fmt.Sprintf("f%05d.bin", i)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		for left := n; left > 0; {
			k := min(left, int64(len(buf)))
			for j := 0; j < int(k); j += 8 {
				v := r.Uint64()
				for b := 0; b < 8 && j+b < int(k); b++ {
					buf[j+b] = byte(v >> (8 * b))
				}
			}
			if _, err := f.Write(buf[:k]); err != nil {
				f.Close()
				return err
			}
			left -= k
		}
		if err := f.Close(); err != nil {
			return err
		}
		written += n
	}
	return nil
}
