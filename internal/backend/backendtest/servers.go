package backendtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Host is what the server starters need from a test; *testing.T is one,
// and a testscript adapter can be another.
type Host interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// NeedServer skips a test whose server binary is missing, except under
// CI=true, where .ci/run installs it and absence is a failure.
func NeedServer(t Host, name string, candidates ...string) string {
	t.Helper()
	for _, c := range append([]string{name}, candidates...) {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
		if filepath.IsAbs(c) {
			if _, err := os.Stat(c); err == nil {
				return c
			}
		}
	}
	msg := fmt.Sprintf("%s not installed (see .ci/run for how CI installs it)", name)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s", msg)
	}
	t.Skipf("%s", msg)
	return ""
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t Host) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer starts cmd (startProcess: stopped with SIGTERM, then SIGKILL,
// when the test ends) and waits until url answers HTTP.
func startServer(t Host, cmd *exec.Cmd, url string, logFile string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	startProcess(t, cmd, logFile, func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
}

// StartVersitygw runs a real versitygw with a posix backend on loopback
// and returns its endpoint URL and root credentials. It skips the test
// when versitygw is not installed (fails under CI=true).
func StartVersitygw(t Host) (endpoint, access, secret string) {
	t.Helper()
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	bin := NeedServer(t, "versitygw", filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw"))
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	addr := freeAddr(t)
	access, secret = "metatestaccess", "metatestsecret0123456789"
	cmd := exec.Command(bin, "--port", addr, "--access", access, "--secret", secret, "--quiet", "posix", data)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY=", "ROOT_SECRET_KEY=")
	endpoint = "http://" + addr
	startServer(t, cmd, endpoint+"/", filepath.Join(dir, "versitygw.log"))
	return endpoint, access, secret
}

// StartNginxDAV runs nginx with WebDAV PUT/DELETE on loopback from a
// generated configuration, everything under a temp dir, and returns its
// base URL and document root. It skips the test when nginx is not
// installed (fails under CI=true).
func StartNginxDAV(t Host) (base, docroot string) {
	t.Helper()
	bin := NeedServer(t, "nginx", "/usr/sbin/nginx")
	dir := t.TempDir()
	docroot = filepath.Join(dir, "data")
	for _, d := range []string{docroot, filepath.Join(dir, "tmp"), filepath.Join(dir, "logs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("%v", err)
		}
	}
	addr := freeAddr(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp/body;
  proxy_temp_path %[1]s/tmp/proxy;
  fastcgi_temp_path %[1]s/tmp/fastcgi;
  uwsgi_temp_path %[1]s/tmp/uwsgi;
  scgi_temp_path %[1]s/tmp/scgi;
  client_max_body_size 0;
  server {
    listen %[2]s;
    root %[3]s;
    location / {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
`, dir, addr, docroot)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	cmd := exec.Command(bin, "-p", dir+"/", "-c", confFile, "-e", filepath.Join(dir, "logs", "error.log"))
	base = "http://" + addr
	startServer(t, cmd, base+"/", filepath.Join(dir, "logs", "stdout.log"))
	return base, docroot
}

// MakeBucket creates a bucket on the S3 server at endpoint.
func MakeBucket(t Host, endpoint, access, secret, bucket string) *minio.Client {
	t.Helper()
	mc, err := minio.New(strings.TrimPrefix(endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatalf("%v", err)
	}
	if err := mc.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	return mc
}
