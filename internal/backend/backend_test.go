package backend_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/backend/backendtest"
)

func TestLocalConformance(t *testing.T) {
	b, err := backend.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	backendtest.Run(t, b, backendtest.Options{AtomicCreate: true})
}

func TestLocalStaysInside(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	// A symlink planted inside the backend must not lead a write outside.
	if err := os.MkdirAll(filepath.Join(dir, "ac"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "ac", "evil")); err != nil {
		t.Fatal(err)
	}
	b, err := backend.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Put(context.Background(), "ac/evil/x", strings.NewReader("x"), 1)
	if err == nil {
		t.Fatalf("Put through a symlink leaving the root succeeded")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("a file was written outside the backend: %v", ents)
	}
}

func TestS3Conformance(t *testing.T) {
	endpoint, access, secret := backendtest.StartVersitygw(t)
	ctx := context.Background()
	mc := backendtest.MakeBucket(t, endpoint, access, secret, "meta-cache")
	rec := &recordingTransport{next: http.DefaultTransport}
	env := map[string]string{"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
	b, err := backend.Open(ctx, "s3://meta-cache/team/a?endpoint="+endpoint+"&region=us-east-1", backend.Options{
		Getenv:     func(k string) string { return env[k] },
		HTTPClient: &http.Client{Transport: rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	backendtest.Run(t, b, backendtest.Options{AtomicCreate: true, LargeSize: 20 << 20})

	// Every PUT must have asked the server not to overwrite.
	puts := rec.puts()
	if len(puts) == 0 {
		t.Fatal("no PUT requests recorded")
	}
	for _, h := range puts {
		if h.Get("If-None-Match") != "*" {
			t.Fatalf("a PUT was sent without If-None-Match: * (headers %v)", h)
		}
	}
	// Objects live under the URL's prefix.
	found := false
	for obj := range mc.ListObjects(ctx, "meta-cache", minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		if !strings.HasPrefix(obj.Key, "team/a/") {
			t.Errorf("object %s is outside the prefix team/a/", obj.Key)
		}
		found = true
	}
	if !found {
		t.Error("no objects in the bucket")
	}
}

func TestS3WrongCredentials(t *testing.T) {
	endpoint, access, secret := backendtest.StartVersitygw(t)
	backendtest.MakeBucket(t, endpoint, access, secret, "meta-cache")
	env := map[string]string{"AWS_ACCESS_KEY_ID": "nobody", "AWS_SECRET_ACCESS_KEY": "wrong-secret"}
	b, err := backend.Open(context.Background(), "s3://meta-cache?endpoint="+endpoint, backend.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	// (versitygw answers HEAD of a missing key with 404 before checking
	// the signature, so the write is what must be refused.)
	err = b.Put(context.Background(), backendtest.Key("x"), strings.NewReader("x"), 1)
	if err == nil || errors.Is(err, backend.ErrExists) {
		t.Fatalf("Put with wrong credentials = %v, want an access error", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("error leaks the secret: %v", err)
	}
}

// TestS3PreconditionFailed checks against a fake server that If-None-Match
// is sent and a 412 becomes ErrExists, so the mapping holds without
// versitygw installed.
func TestS3PreconditionFailed(t *testing.T) {
	var mu sync.Mutex
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			got = r.Header.Get("If-None-Match")
			mu.Unlock()
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
	b, err := backend.Open(context.Background(), "s3://bkt?endpoint="+srv.URL, backend.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Put(context.Background(), backendtest.Key("x"), strings.NewReader("x"), 1)
	if !errors.Is(err, backend.ErrExists) {
		t.Fatalf("Put = %v, want ErrExists", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got != "*" {
		t.Fatalf("If-None-Match = %q, want *", got)
	}
}

func TestBazelConformance(t *testing.T) {
	base, _ := backendtest.StartNginxDAV(t)
	b, err := backend.Open(context.Background(), base+"/cache", backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// nginx's WebDAV PUT overwrites: create-if-absent is best effort.
	backendtest.Run(t, b, backendtest.Options{AtomicCreate: false})
}

func TestBazelVerifiesCAS(t *testing.T) {
	base, docroot := backendtest.StartNginxDAV(t)
	ctx := context.Background()
	b, err := backend.Open(ctx, base, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := []byte("the real content")
	key := backendtest.CASKey(good)

	// An upload whose content does not match its name is refused and
	// leaves nothing behind.
	if err := b.Put(ctx, key, strings.NewReader("something else"), 14); err == nil {
		t.Fatal("Put of mismatched cas content succeeded")
	}
	if _, err := b.Stat(ctx, key); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after a refused upload, Stat = %v, want ErrNotFound", err)
	}

	// A poisoned blob on the server is detected on download.
	file := filepath.Join(docroot, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("poisoned"), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, err := b.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("reading a poisoned cas blob = %v, want a sha256 mismatch", err)
	}
}

func TestBazelAuth(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{backend.EnvCacheToken: "tok"}, "Bearer tok"},
		{map[string]string{backend.EnvCacheUser: "u", backend.EnvCachePassword: "p"}, "Basic dTpw"},
		{nil, ""},
	} {
		auth = nil
		b, err := backend.Open(context.Background(), srv.URL, backend.Options{Getenv: func(k string) string { return tc.env[k] }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Stat(context.Background(), backendtest.Key("x"))
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("Stat against a 401 server = %v", err)
		}
		if err != nil && (strings.Contains(err.Error(), "tok") || strings.Contains(err.Error(), "dTpw")) {
			t.Errorf("error leaks credentials: %v", err)
		}
		mu.Lock()
		if len(auth) != 1 || auth[0] != tc.want {
			t.Errorf("Authorization = %q, want %q", auth, tc.want)
		}
		mu.Unlock()
	}
}

func TestBazelKeys(t *testing.T) {
	b, err := backend.Open(context.Background(), "http://127.0.0.1:1/cache", backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"ac/abc", "blobs/" + strings.Repeat("a", 64), "cas/" + strings.Repeat("A", 64)} {
		if _, err := b.Stat(context.Background(), key); !errors.Is(err, backend.ErrBadKey) {
			t.Errorf("Stat(%q) = %v, want ErrBadKey", key, err)
		}
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		url     string
		want    string // String() of the backend, or "" when an error is wanted
		errPart string
	}{
		{url: dir, want: dir},
		{url: "file://" + dir, want: dir},
		{url: "s3://bucket/pre/fix?endpoint=http://127.0.0.1:7070&region=us-east-1", want: "s3://bucket/pre/fix/"},
		{url: "s3://bucket", want: "s3://bucket/"},
		{url: "http://cache.example:8080/base/", want: "http://cache.example:8080/base"},
		{url: "https://cache.example", want: "https://cache.example"},
		{url: "", errPart: "empty"},
		{url: "ftp://x/y", errPart: "unknown scheme"},
		{url: "s3:///prefix", errPart: "no bucket"},
		{url: "s3://b/../x", errPart: "prefix"},
		{url: "s3://b?endpoint=127.0.0.1:7070", errPart: "endpoint"},
		{url: "s3://key:secret@b", errPart: "credentials do not belong"},
		{url: "https://user:hunter2@cache.example", errPart: "credentials do not belong"},
		{url: "http://cache.example?x=1", errPart: "no query"},
		{url: "file://otherhost/x", errPart: "host"},
	} {
		b, err := backend.Open(context.Background(), tc.url, backend.Options{Getenv: func(string) string { return "" }})
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("Open(%q) = %v, want an error containing %q", tc.url, err, tc.errPart)
			}
			if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret@")) {
				t.Errorf("Open(%q) error leaks credentials: %v", tc.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if b.String() != tc.want {
			t.Errorf("Open(%q).String() = %q, want %q", tc.url, b.String(), tc.want)
		}
	}
}

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "credentials")
	content := "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s3cr3t\n"
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	open := func() error {
		_, err := backend.Open(context.Background(), "s3://b?endpoint=http://127.0.0.1:1", backend.Options{
			Getenv: func(string) string { return "" }, CredentialsFile: file,
		})
		return err
	}
	err := open()
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 credentials file was accepted: %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error leaks the secret: %v", err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := open(); err != nil {
		t.Fatalf("a 0600 credentials file was refused: %v", err)
	}
}

func TestParseCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, in, profile string
		want              backend.Credentials
		errPart           string
	}{
		{"default", "[default]\naws_access_key_id=A\naws_secret_access_key=B\n", "default", backend.Credentials{AccessKeyID: "A", SecretAccessKey: "B"}, ""},
		{"profile", "# c\n[default]\naws_access_key_id=A\naws_secret_access_key=B\n[profile ci]\naws_access_key_id = C\naws_secret_access_key = D\naws_session_token = T\n", "ci", backend.Credentials{AccessKeyID: "C", SecretAccessKey: "D", SessionToken: "T"}, ""},
		{"missing profile", "[default]\naws_access_key_id=A\naws_secret_access_key=B\n", "ci", backend.Credentials{}, "no [ci] profile"},
		{"incomplete", "[default]\naws_access_key_id=A\n", "default", backend.Credentials{}, "lacks"},
		{"garbage", "[default]\nnot a pair\n", "default", backend.Credentials{}, "line 2"},
		{"bad header", "[default\n", "default", backend.Credentials{}, "unterminated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := backend.ParseCredentials([]byte(tc.in), tc.profile)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("err = %v, want %q", err, tc.errPart)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestValidateKey(t *testing.T) {
	good := []string{"a", "ac/0123", "cas/ab/cd.json", "x_y-z.1"}
	bad := []string{"", "/a", "a/", "a//b", "..", "a/../b", ".a", "a/.b", "a\\b", "a b", "a\x00", strings.Repeat("a", backend.MaxKeyLen+1)}
	for _, k := range good {
		if err := backend.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	for _, k := range bad {
		if err := backend.ValidateKey(k); !errors.Is(err, backend.ErrBadKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrBadKey", k, err)
		}
	}
}

func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"ac/x", "../x", "/x", "a//b", ".x", "a/./b", "a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if backend.ValidateKey(key) != nil {
			return
		}
		// An accepted key is local, clean and never hidden.
		if !filepath.IsLocal(key) || path.Clean(key) != key || strings.Contains(key, "..") && strings.Contains("/"+key+"/", "/../") {
			t.Fatalf("accepted key %q could escape", key)
		}
		for seg := range strings.SplitSeq(key, "/") {
			if strings.HasPrefix(seg, ".") {
				t.Fatalf("accepted key %q has a hidden segment", key)
			}
		}
	})
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte("[default]\naws_access_key_id=A\naws_secret_access_key=SECRETVALUE\n"), "default")
	f.Add([]byte("[x\n"), "x")
	f.Fuzz(func(t *testing.T, data []byte, profile string) {
		c, err := backend.ParseCredentials(data, profile)
		if err == nil && (c.AccessKeyID == "" || c.SecretAccessKey == "") {
			t.Fatalf("accepted incomplete credentials %+v", c)
		}
		if err != nil && c != (backend.Credentials{}) {
			t.Fatalf("returned credentials with an error")
		}
		if err != nil && bytes.Contains(data, []byte("SECRETVALUE")) && strings.Contains(err.Error(), "SECRETVALUE") {
			t.Fatalf("error quotes a secret: %v", err)
		}
	})
}

// recordingTransport keeps the headers of every PUT it forwards.
type recordingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	hdrs []http.Header
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut {
		r.mu.Lock()
		r.hdrs = append(r.hdrs, req.Header.Clone())
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

func (r *recordingTransport) puts() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.hdrs...)
}
