package buildcache

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/backend/backendtest"
)

// TestRemoteServers shares a build between two stores through real
// servers: versitygw (S3) and nginx WebDAV (Bazel HTTP cache protocol).
func TestRemoteServers(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) backend.Backend
	}{
		{"s3-versitygw", func(t *testing.T) backend.Backend {
			endpoint, access, secret := backendtest.StartVersitygw(t)
			backendtest.MakeBucket(t, endpoint, access, secret, "cache")
			env := map[string]string{"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
			b, err := backend.Open(context.Background(), "s3://cache/team?endpoint="+endpoint, backend.Options{Getenv: func(k string) string { return env[k] }})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"bazel-nginx", func(t *testing.T) backend.Backend {
			base, _ := backendtest.StartNginxDAV(t)
			b, err := backend.Open(context.Background(), base+"/cache", backend.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remote := tc.open(t)
			m, top := workspaceDir(t, threeComps())
			ctx := context.Background()
			c1, w1 := newCache(t, remote)
			rs, err := c1.Build(ctx, m, nil, BuildOptions{Jobs: 2})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(map[string]Outcome{"lib": Built, "svc": Built, "docs": Built}, outcomes(rs)); d != "" {
				t.Fatalf("first build (-want +got):\n%s", d)
			}
			c2, w2 := newCache(t, remote)
			os.RemoveAll(filepath.Join(top, "svc", "bin"))
			rs, _ = c2.Build(ctx, m, nil, BuildOptions{Jobs: 2})
			if d := cmp.Diff(map[string]Outcome{"lib": RemoteHit, "svc": RemoteHit, "docs": RemoteHit}, outcomes(rs)); d != "" {
				t.Fatalf("fresh store (-want +got):\n%s", d)
			}
			if data, _ := os.ReadFile(filepath.Join(top, "svc", "bin", "svc")); string(data) != "svc\nlib v1\n" {
				t.Fatalf("svc output from the remote = %q", data)
			}
			if len(*w1)+len(*w2) > 0 {
				t.Errorf("warnings: %q %q", *w1, *w2)
			}
		})
	}
}
