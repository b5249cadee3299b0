package registry

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/metawork/meta/internal/regindex"
)

func TestStartServerRefusesBadConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		cfg  ServeConfig
		want string
	}{
		{ServeConfig{Storage: dir, MaxUpload: "lots", MaxUnpacked: "1GiB"}, `--max-upload "lots": not a size`},
		{ServeConfig{Storage: dir, MaxUnpacked: "0"}, `--max-unpacked "0": not a size`},
		{ServeConfig{Storage: dir, MaxUnpacked: "1GiB", PublicURL: "ftp://x"}, "--public-url"},
		{ServeConfig{MaxUnpacked: "1GiB"}, "--storage is required"},
		{ServeConfig{Storage: "http://127.0.0.1:1/cache", MaxUnpacked: "1GiB"}, "cannot list keys"},
	} {
		_, err := StartServer(ctx, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !problem(t, err).Usage {
			t.Errorf("StartServer(%+v) = %v, want a usage problem with %q", tc.cfg, err, tc.want)
		}
	}
}

func TestStartServerServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	addrFile := filepath.Join(dir, "addr")
	var mu sync.Mutex
	var logged []RequestLog
	r, err := StartServer(ctx, ServeConfig{Addr: "127.0.0.1:0", Storage: filepath.Join(dir, "data"), AddrFile: addrFile, MaxUnpacked: "1GiB",
		Log: func(l RequestLog) { mu.Lock(); logged = append(logged, l); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(addrFile); err != nil || string(data) != r.URL+"\n" || r.Packages != 0 {
		t.Fatalf("addr file %q (%v), URL %s, %d packages", data, err, r.URL, r.Packages)
	}
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx) }()
	resp, err := http.Get(r.URL + "/index/config.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), r.URL) {
		t.Fatalf("config.json: %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 1 || logged[0].Path != "/index/config.json" || logged[0].Status != 200 {
		t.Fatalf("logged %+v", logged)
	}
}

func TestStartServerPortTaken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	r, err := StartServer(ctx, ServeConfig{Addr: "127.0.0.1:0", Storage: dir, MaxUnpacked: "1GiB"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.ln.Close()
	_, err = StartServer(ctx, ServeConfig{Addr: strings.TrimPrefix(r.URL, "http://"), Storage: dir, MaxUnpacked: "1GiB"})
	if err == nil || problem(t, err).Hint != "choose another --addr, or stop what holds the port" {
		t.Fatalf("second server on the same port: %v", err)
	}
}

func TestCreateTokenIn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := CreateTokenIn(ctx, dir, "Alice Smith"); err == nil || !problem(t, err).Usage {
		t.Fatalf("bad owner: %v", err)
	}
	tok, err := CreateTokenIn(ctx, dir, "alice")
	if err != nil || !strings.HasPrefix(tok, TokenPrefix) {
		t.Fatalf("CreateTokenIn = %q, %v", tok, err)
	}
	st, err := OpenStorage(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := startServer(t, st, ServerOptions{})
	c := &Client{URL: ts.URL, Token: tok, HTTP: ts.Client()}
	if _, err := c.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, makeTarball(t, comp("lib"))); err != nil {
		t.Fatal(err)
	}
	if owners, err := c.Owners(ctx, "lib"); err != nil || len(owners) != 1 || owners[0] != "alice" {
		t.Fatalf("owners %v (%v), want the token's owner alice", owners, err)
	}
}

func TestWriteKeyPair(t *testing.T) {
	dir := t.TempDir()
	path, line, err := WriteKeyPair(dir, "sub/k", false)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "sub", "k") {
		t.Fatalf("path %s", path)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v, %v", st, err)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil || !strings.Contains(string(pub), line) {
		t.Fatalf("public key file %q does not hold %q (%v)", pub, line, err)
	}
	if _, err := regindex.ParsePublicKey(line); err != nil {
		t.Fatal(err)
	}
	if _, _, err := WriteKeyPair(dir, "sub/k", false); err == nil || !problem(t, err).Usage {
		t.Fatalf("second WriteKeyPair: %v", err)
	}
	_, line2, err := WriteKeyPair(dir, path, true)
	if err != nil || line2 == line {
		t.Fatalf("forced WriteKeyPair = %q, %v; want a new key", line2, err)
	}
}
