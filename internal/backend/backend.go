// Package backend owns blob storage for the shared build cache: one small
// interface (Get, Put create-if-absent, Stat, Delete, List) over named
// blobs, and four implementations picked from a URL — a local directory,
// an S3-compatible bucket (minio-go), the Bazel HTTP remote cache protocol
// and the REAPI v2 gRPC cache. The last two also implement ActionCache,
// the protocol-level interface the build cache uses with them. Keys are validated the same way everywhere so that no key can
// name anything outside the backend's root.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) when a key does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned (wrapped) by Put when the key already exists: the
// first writer wins and the stored content is left unchanged.
var ErrExists = errors.New("already exists")

// ErrBadKey is returned (wrapped) for a key that is not allowed.
var ErrBadKey = errors.New("invalid key")

// Info describes one stored blob.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time // zero when the backend does not say
}

// Backend stores immutable blobs under keys such as "ac/<hex>" or
// "cas/<sha256>". Implementations are safe for concurrent use.
type Backend interface {
	// Get opens the blob at key; ErrNotFound when absent.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Put stores size bytes from r at key only if the key is absent; it
	// returns ErrExists when it is present. size may be -1 when unknown.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Stat describes the blob at key; ErrNotFound when absent.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes key; deleting an absent key is not an error.
	// errors.ErrUnsupported when the protocol has no delete.
	Delete(ctx context.Context, key string) error
	// List returns the blobs whose keys start with prefix, sorted by key.
	// errors.ErrUnsupported when the protocol cannot list.
	List(ctx context.Context, prefix string) ([]Info, error)
	// String names the backend for messages, without credentials.
	String() string
}

// Options tune Open. The zero value reads the process environment.
type Options struct {
	// Getenv reads credentials and settings; os.Getenv when nil.
	Getenv func(string) string
	// HTTPClient is used by the network backends; a client with sane
	// timeouts when nil.
	HTTPClient *http.Client
	// CredentialsFile overrides where S3 credentials are read from when
	// they are not in the environment (default: AWS_SHARED_CREDENTIALS_FILE
	// or ~/.aws/credentials).
	CredentialsFile string
}

func (o Options) getenv(k string) string {
	if o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}

func (o Options) httpClient() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 60 * time.Second
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t}
}

// Open picks a backend from a URL: a path or file:// URL is a local
// directory, s3://bucket/prefix?endpoint=...&region=... an S3-compatible
// bucket, http(s)://host/path a Bazel HTTP remote cache and
// grpc(s)://host:port/instance a REAPI v2 gRPC cache.
func Open(ctx context.Context, rawURL string, opts Options) (Backend, error) {
	if rawURL == "" {
		return nil, errors.New("backend: empty URL")
	}
	if !strings.Contains(rawURL, "://") {
		return OpenLocal(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backend: %s: %w", redactURL(rawURL), err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("backend: %s: a file URL cannot name a host", rawURL)
		}
		return OpenLocal(filepath.FromSlash(u.Path))
	case "s3":
		return openS3(ctx, u, opts)
	case "http", "https":
		return openBazel(u, opts)
	case "grpc", "grpcs":
		return openGRPC(u, opts)
	}
	return nil, fmt.Errorf("backend: %s: unknown scheme %q (want a path, file://, s3://, http(s):// or grpc(s)://)", redactURL(rawURL), u.Scheme)
}

// redactURL drops user information from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.Index(raw, "@"); i >= 0 && strings.Contains(raw[:i], "://") {
			return raw[:strings.Index(raw, "://")+3] + "REDACTED" + raw[i:]
		}
		return raw
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// MaxKeyLen bounds the length of a key.
const MaxKeyLen = 512

// ValidateKey checks that key is a relative, slash-separated name whose
// segments start with a letter or digit and contain only letters, digits,
// '.', '_' and '-'. Such a key cannot be absolute, contain "..", name a
// hidden file or escape any root it is joined to.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrBadKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrBadKey, MaxKeyLen)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return fmt.Errorf("%w %q: empty path segment (absolute path or //)", ErrBadKey, key)
		}
		if !isAlnum(seg[0]) {
			return fmt.Errorf("%w %q: segment %q must start with a letter or digit", ErrBadKey, key, seg)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
				return fmt.Errorf("%w %q: character %q not allowed", ErrBadKey, key, c)
			}
		}
	}
	return nil
}

// validatePrefix checks a List prefix: empty, or a key prefix (which may end in '/').
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	p := strings.TrimSuffix(prefix, "/")
	if p == "" {
		return fmt.Errorf("%w: prefix %q", ErrBadKey, prefix)
	}
	return ValidateKey(p)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
