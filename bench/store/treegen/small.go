package treegen

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// GenerateSmall creates dir (which must not exist) shaped like a
// node_modules tree: packages of about 48 files each (package.json,
// README, LICENSE, lib/ and dist/ with a nested directory or two), sizes
// skewed small (median about 1.5 KiB, few above 16 KiB), and the
// duplication real installs have (the same LICENSE texts, the same file
// in several copies of one package version). It stops after files files.
func GenerateSmall(dir string, files int, seed uint64) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists", dir)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	licenses := make([][]byte, 6)
	for i := range licenses {
		licenses[i] = randomText(r, 1000+r.IntN(10000))
	}
	// A pool of shared file bodies: the duplicated package versions.
	shared := make([][]byte, 400)
	for i := range shared {
		shared[i] = randomText(r, smallSize(r))
	}
	written := 0
	for pkg := 0; written < files; pkg++ {
		root := filepath.Join(dir, "node_modules", fmt.Sprintf("pkg-%05d", pkg))
		if pkg%7 == 3 { // scoped packages nest one level deeper
			root = filepath.Join(dir, "node_modules", fmt.Sprintf("@scope%d", pkg%13), fmt.Sprintf("pkg-%05d", pkg))
		}
		n := 8 + r.IntN(80)
		for i := 0; i < n && written < files; i++ {
			var rel string
			var body []byte
			switch {
			case i == 0:
				rel, body = "package.json", randomText(r, 400+r.IntN(1500))
			case i == 1:
				rel, body = "LICENSE", licenses[r.IntN(len(licenses))]
			case i == 2:
				rel, body = "README.md", randomText(r, smallSize(r))
			default:
				sub := []string{"lib", "dist", "lib/internal", "dist/esm", "src"}[r.IntN(5)]
				rel = fmt.Sprintf("%s/m%03d.js", sub, i)
				if r.IntN(4) == 0 {
					body = shared[r.IntN(len(shared))]
				} else {
					body = randomText(r, smallSize(r))
				}
			}
			p := filepath.Join(root, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, body, 0o644); err != nil {
				return err
			}
			written++
		}
	}
	return nil
}

// smallSize is skewed small: most files are a few hundred bytes to a few
// KiB, a few reach 64 KiB.
func smallSize(r *rand.Rand) int {
	switch p := r.IntN(100); {
	case p < 60:
		return 100 + r.IntN(2000)
	case p < 95:
		return 2000 + r.IntN(14000)
	default:
		return 16000 + r.IntN(48000)
	}
}

func randomText(r *rand.Rand, n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyz_(){};=.,\n  "
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}
