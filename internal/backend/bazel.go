package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/metawork/meta/internal/reapi"
)

// Bazel speaks the Bazel HTTP remote cache protocol: GET/PUT/HEAD on
// BASE/ac/<key> and BASE/cas/<sha256>. It works with bazel-remote,
// BuildBuddy and nginx with WebDAV.
//
// Create-if-absent is best effort: the protocol has no conditional PUT, so
// Put asks with HEAD first and sends If-None-Match: * (honoured by servers
// that support it, answered with 412). nginx's WebDAV PUT overwrites, so
// two writers racing on one ac/ key may both succeed and the last one
// stays. cas/ blobs are named by their content, so a race there is
// harmless, and their content is checked against the name on both upload
// and download.
type Bazel struct {
	base   string // no trailing slash
	client *http.Client
	auth   func(*http.Request)
}

// Environment variables holding Bazel HTTP cache credentials.
const (
	EnvCacheToken    = "META_CACHE_TOKEN"    // bearer token
	EnvCacheUser     = "META_CACHE_USER"     // basic auth user
	EnvCachePassword = "META_CACHE_PASSWORD" // basic auth password
)

func openBazel(u *url.URL, opts Options) (*Bazel, error) {
	if u.User != nil {
		return nil, fmt.Errorf("backend: %s: credentials do not belong in the URL; set %s, or %s and %s", redactURL(u.String()), EnvCacheToken, EnvCacheUser, EnvCachePassword)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("backend: %s: no host", u)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("backend: %s: a Bazel HTTP cache URL takes no query or fragment", u)
	}
	b := &Bazel{base: strings.TrimSuffix(u.String(), "/"), client: opts.httpClient(), auth: func(*http.Request) {}}
	if tok := opts.getenv(EnvCacheToken); tok != "" {
		b.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	} else if user := opts.getenv(EnvCacheUser); user != "" {
		pass := opts.getenv(EnvCachePassword)
		b.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	return b, nil
}

func (b *Bazel) String() string { return b.base }

// bazelKey checks that key is ac/<64 hex> or cas/<64 hex> and returns the
// namespace and hash.
func bazelKey(key string) (ns, sum string, err error) {
	if err := ValidateKey(key); err != nil {
		return "", "", err
	}
	ns, sum, _ = strings.Cut(key, "/")
	if (ns != "ac" && ns != "cas") || !reapi.IsHex64(sum) {
		return "", "", fmt.Errorf("%w %q: the Bazel HTTP cache protocol only has ac/<sha256> and cas/<sha256>", ErrBadKey, key)
	}
	return ns, sum, nil
}

func (b *Bazel) request(ctx context.Context, method, key string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.base+"/"+key, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	b.auth(req)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", b.base, method, key, err)
	}
	return resp, nil
}

// statusErr turns an unexpected response into an error that says what the
// server said, without echoing request headers.
func (b *Bazel) statusErr(method, key string, resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	detail := strings.TrimSpace(string(msg))
	if len(detail) > 200 || strings.Contains(detail, "<html") {
		detail = ""
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %s %s: %w", b.base, method, key, ErrNotFound)
	case http.StatusPreconditionFailed:
		return fmt.Errorf("%s: %s %s: %w", b.base, method, key, ErrExists)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s: %s %s: %s (set %s, or %s and %s)", b.base, method, key, resp.Status, EnvCacheToken, EnvCacheUser, EnvCachePassword)
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return fmt.Errorf("%s: %s %s: %s: %w", b.base, method, key, resp.Status, errors.ErrUnsupported)
	}
	if detail != "" {
		return fmt.Errorf("%s: %s %s: %s: %s", b.base, method, key, resp.Status, detail)
	}
	return fmt.Errorf("%s: %s %s: %s", b.base, method, key, resp.Status)
}

func (b *Bazel) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	ns, sum, err := bazelKey(key)
	if err != nil {
		return nil, err
	}
	resp, err := b.request(ctx, http.MethodGet, key, nil, 0)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, b.statusErr("GET", key, resp)
	}
	if ns == "cas" {
		return &verifyReader{r: resp.Body, c: resp.Body, h: sha256.New(), want: sum, what: b.base + "/" + key}, nil
	}
	return resp.Body, nil
}

func (b *Bazel) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if _, _, err := bazelKey(key); err != nil {
		return err
	}
	if _, err := b.Stat(ctx, key); err == nil {
		return fmt.Errorf("%s: PUT %s: %w", b.base, key, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return b.putChecked(ctx, key, r, size, true)
}

// putChecked is put for a key not yet checked: a cas blob must be what its
// name says, so it is verified before it is sent.
func (b *Bazel) putChecked(ctx context.Context, key string, r io.Reader, size int64, ifNoneMatch bool) error {
	ns, sum, err := bazelKey(key)
	if err != nil {
		return err
	}
	if ns == "cas" {
		rs, cleanup, err := verifiedBody(r, sum, key)
		if err != nil {
			return fmt.Errorf("%s: PUT %s: %w", b.base, key, err)
		}
		defer cleanup()
		r = rs
	}
	return b.put(ctx, key, r, size, ifNoneMatch)
}

// put sends one PUT; ifNoneMatch asks the server not to overwrite.
func (b *Bazel) put(ctx context.Context, key string, body io.Reader, size int64, ifNoneMatch bool) error {
	if size < 0 {
		size = -1
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, b.base+"/"+key, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	if ifNoneMatch {
		req.Header.Set("If-None-Match", "*")
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	b.auth(req)
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: PUT %s: %w", b.base, key, err)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
	return b.statusErr("PUT", key, resp)
}

func (b *Bazel) Stat(ctx context.Context, key string) (Info, error) {
	if _, _, err := bazelKey(key); err != nil {
		return Info{}, err
	}
	resp, err := b.request(ctx, http.MethodHead, key, nil, 0)
	if err != nil {
		return Info{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Info{}, b.statusErr("HEAD", key, resp)
	}
	resp.Body.Close()
	info := Info{Key: key, Size: resp.ContentLength}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		info.Modified = t
	}
	return info, nil
}

func (b *Bazel) Delete(ctx context.Context, key string) error {
	if _, _, err := bazelKey(key); err != nil {
		return err
	}
	resp, err := b.request(ctx, http.MethodDelete, key, nil, 0)
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent, http.StatusAccepted, http.StatusNotFound:
		resp.Body.Close()
		return nil
	}
	return b.statusErr("DELETE", key, resp)
}

// List is not part of the Bazel HTTP cache protocol.
func (b *Bazel) List(ctx context.Context, prefix string) ([]Info, error) {
	return nil, fmt.Errorf("%s: list: the Bazel HTTP cache protocol cannot list: %w", b.base, errors.ErrUnsupported)
}

// verifiedBody checks that r hashes to want and returns a reader of the
// same bytes: r itself rewound when it can seek, else a temporary copy.
func verifiedBody(r io.Reader, want, key string) (io.Reader, func(), error) {
	h := sha256.New()
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, nil, err
		}
		if _, err := io.Copy(h, rs); err != nil {
			return nil, nil, err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return nil, nil, fmt.Errorf("content of %s has sha256 %s", key, got)
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return rs, func() {}, nil
	}
	f, err := os.CreateTemp("", "meta-upload-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		cleanup()
		return nil, nil, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		cleanup()
		return nil, nil, fmt.Errorf("content of %s has sha256 %s", key, got)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return f, cleanup, nil
}

// verifyReader hashes what passes through it and, at EOF, fails unless the
// SHA-256 matches want.
type verifyReader struct {
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	want string
	what string
	done bool
}

func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && !v.done {
		v.done = true
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			return n, fmt.Errorf("%s: content has sha256 %s, want %s", v.what, got, v.want)
		}
	}
	return n, err
}

func (v *verifyReader) Close() error {
	if v.c != nil {
		return v.c.Close()
	}
	return nil
}

// Compile-time checks.
var (
	_ Backend = (*Local)(nil)
	_ Backend = (*S3)(nil)
	_ Backend = (*Bazel)(nil)
)
