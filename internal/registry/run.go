package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/regindex"
)

// OpenStorage opens a server's storage: a directory or an s3:// bucket.
// The Bazel HTTP protocol cannot list, so it cannot hold a registry.
func OpenStorage(ctx context.Context, url string) (backend.Backend, error) {
	if url == "" {
		return nil, Usagef("e.g. --storage /srv/meta-registry or --storage s3://bucket/registry?endpoint=...", "--storage is required")
	}
	if strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://") {
		return nil, Usagef("use a directory or an s3:// URL", "--storage %s: a Bazel HTTP cache cannot hold a registry (it cannot list keys)", url)
	}
	st, err := backend.Open(ctx, url, backend.Options{})
	if err != nil {
		return nil, fmt.Errorf("registry storage: %w", err)
	}
	return st, nil
}

// CreateTokenIn creates a token for owner in the registry storage at url
// and returns it; only its hash is stored.
func CreateTokenIn(ctx context.Context, url, owner string) (string, error) {
	if err := ValidateOwner(owner); err != nil {
		return "", Usagef("name the owner with --owner NAME (lowercase letters, digits, - and _)", "%v", err)
	}
	st, err := OpenStorage(ctx, url)
	if err != nil {
		return "", err
	}
	return CreateToken(ctx, st, owner, rand.Reader)
}

// ServeConfig says how to run a registry server with StartServer.
type ServeConfig struct {
	Addr      string // HOST:PORT to listen on; port 0 picks a free one
	Storage   string // a directory or an s3:// URL
	PublicURL string
	AddrFile  string // written with the server's URL once listening
	// MaxUpload and MaxUnpacked are sizes such as "50MiB"; an empty
	// MaxUpload means DefaultMaxUpload.
	MaxUpload, MaxUnpacked string
	Rate                   float64
	Burst                  int
	Refresh                time.Duration // re-read the storage this often (0: never)
	// Log hears each request unless Quiet, Events failed refreshes as
	// notes; they are never called at once.
	Log    func(RequestLog)
	Quiet  bool
	Events progress.Sink
}

// Running is a server listening, ready to Serve.
type Running struct {
	URL      string // http://HOST:PORT
	Storage  string // the storage, for people
	Packages int    // packages loaded at start
	srv      *Server
	ln       net.Listener
}

// StartServer checks cfg, loads the storage and listens. Until ctx is
// done it re-reads the storage every cfg.Refresh, to pick up what other
// servers sharing it write.
func StartServer(ctx context.Context, cfg ServeConfig) (*Running, error) {
	limit := int64(DefaultMaxUpload)
	if cfg.MaxUpload != "" {
		n, err := manifest.ParseSize(cfg.MaxUpload)
		if err != nil || n <= 0 {
			return nil, Usagef("e.g. --max-upload 50MiB", "--max-upload %q: not a size", cfg.MaxUpload)
		}
		limit = n
	}
	unpacked, err := manifest.ParseSize(cfg.MaxUnpacked)
	if err != nil || unpacked <= 0 {
		return nil, Usagef("e.g. --max-unpacked 1GiB", "--max-unpacked %q: not a size", cfg.MaxUnpacked)
	}
	if cfg.PublicURL != "" {
		if err := CheckURL(cfg.PublicURL); err != nil {
			return nil, Usagef("", "--public-url: %v", err)
		}
	}
	st, err := OpenStorage(ctx, cfg.Storage)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	opts := ServerOptions{MaxUpload: limit, MaxUnpacked: unpacked, Rate: cfg.Rate, Burst: cfg.Burst, PublicURL: cfg.PublicURL}
	if log := cfg.Log; log != nil && !cfg.Quiet {
		opts.Log = func(r RequestLog) {
			mu.Lock()
			defer mu.Unlock()
			log(r)
		}
	}
	events := progress.Func(func(e progress.Event) {
		mu.Lock()
		defer mu.Unlock()
		progress.Or(cfg.Events).Event(e)
	})
	srv, err := NewServer(ctx, st, opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, Failf("choose another --addr, or stop what holds the port", "listen on %s: %v", cfg.Addr, err)
	}
	r := &Running{URL: "http://" + ln.Addr().String(), Storage: fmt.Sprint(st), Packages: len(srv.Packages()), srv: srv, ln: ln}
	if cfg.AddrFile != "" {
		if err := atomicfile.Write(cfg.AddrFile, []byte(r.URL+"\n"), 0o644); err != nil {
			ln.Close()
			return nil, fmt.Errorf("--addr-file: %w", err)
		}
	}
	if cfg.Refresh > 0 {
		go r.refresh(ctx, cfg.Refresh, events)
	}
	return r, nil
}

func (r *Running) refresh(ctx context.Context, every time.Duration, events progress.Sink) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.srv.Refresh(ctx); err != nil && ctx.Err() == nil {
				progress.Note(events, "", err.Error())
			}
		}
	}
}

// Serve serves until ctx is done, then lets requests in flight finish.
func (r *Running) Serve(ctx context.Context) error {
	if err := r.srv.Serve(ctx, r.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// WriteKeyPair makes a minisign key pair: the private key in file (0600,
// relative to dir, "" for the current directory) and the public key in
// file.pub. It returns the private
// key's path and the public key's line. It refuses to replace existing
// files unless force is set.
func WriteKeyPair(dir, file string, force bool) (path, line string, err error) {
	if file == "" {
		return "", "", Usagef("e.g. meta keygen --output ~/.config/meta/publish.key", "--output is required")
	}
	if file, err = absIn(dir, file); err != nil {
		return "", "", err
	}
	if !force {
		for _, f := range []string{file, file + ".pub"} {
			if _, err := os.Lstat(f); err == nil {
				return "", "", Usagef("choose another --output, or --force to replace it", "%s exists", f)
			}
		}
	}
	priv, pub, line, err := regindex.GenerateKey()
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", "", err
	}
	if err := atomicfile.Write(file, priv, 0o600); err != nil {
		return "", "", err
	}
	if err := atomicfile.Write(file+".pub", pub, 0o644); err != nil {
		return "", "", err
	}
	return file, line, nil
}
