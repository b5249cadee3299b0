package cli

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/metawork/meta/internal/backend/backendtest"
)

// cmdCacheServer implements "cacheserver s3|dav": start a real remote
// cache on loopback for the rest of the script — versitygw with a bucket
// named "cache" (setting S3_ENDPOINT, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY), or nginx with WebDAV speaking the Bazel HTTP
// cache protocol (setting DAV_URL). Scripts guard it with
// [!exec:versitygw] / [!exec:nginx] skip conditions.
func cmdCacheServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: cacheserver s3|dav")
	}
	h := &scriptHost{ts: ts}
	switch args[0] {
	case "s3":
		endpoint, access, secret := backendtest.StartVersitygw(h)
		backendtest.MakeBucket(h, endpoint, access, secret, "cache")
		ts.Setenv("S3_ENDPOINT", endpoint)
		ts.Setenv("AWS_ACCESS_KEY_ID", access)
		ts.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	case "dav":
		base, _ := backendtest.StartNginxDAV(h)
		ts.Setenv("DAV_URL", base)
	default:
		ts.Fatalf("cacheserver: unknown server %q (want s3 or dav)", args[0])
	}
}

// scriptHost adapts a testscript to backendtest.Host.
type scriptHost struct {
	ts *testscript.TestScript
	n  atomic.Int64
}

func (h *scriptHost) Helper()                           {}
func (h *scriptHost) Fatalf(format string, args ...any) { h.ts.Fatalf(format, args...) }
func (h *scriptHost) Skipf(format string, args ...any) {
	h.ts.Fatalf("cacheserver: "+format+" (guard the script with a [!exec:...] skip)", args...)
}
func (h *scriptHost) Cleanup(f func()) { h.ts.Defer(f) }
func (h *scriptHost) TempDir() string {
	dir := h.ts.MkAbs(fmt.Sprintf(".server-%d", h.n.Add(1)))
	h.ts.Check(os.MkdirAll(dir, 0o755))
	return dir
}
