package ecosystem

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used: on a shared machine the
// benchmarks report it beside wall time, which other load inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// largeFixture reads a real lock file of a large project from
// ../shared/fixtures/lockfiles-large, or skips when it is not there.
func largeFixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "lockfiles-large", filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		tb.Skipf("shared fixture lockfiles-large/%s not present", rel)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// largeLocks are the real lock files of large projects, one per format.
var largeLocks = []struct {
	name, manager, path string
}{
	{"yarnberry", ManagerYarn, "yarnberry-babel/yarn.lock"},
	{"yarnv1", ManagerYarn, "yarn1-webpack/yarn.lock"},
	{"pnpm", ManagerPnpm, "pnpm-pnpm/pnpm-lock.yaml"},
	{"npm", ManagerNpm, "npm-big/package-lock.json"},
	{"cargo", ManagerCargo, "cargo-nushell/Cargo.lock"},
	{"poetry", ManagerPoetry, "poetry-poetry/poetry.lock"},
	{"uv", ManagerUV, "uv-pydantic/uv.lock"},
	{"gomod", ManagerGo, "go-prometheus/go.mod"},
}

func BenchmarkParseLarge(b *testing.B) {
	for _, lk := range largeLocks {
		b.Run(lk.name, func(b *testing.B) {
			data := largeFixture(b, lk.path)
			b.SetBytes(int64(len(data)))
			start := cpuTime()
			for b.Loop() {
				if _, err := ParseFile(lk.manager, lk.path, data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}
