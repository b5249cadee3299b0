package reapi

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	bspb "google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// Environment variables that configure credentials and TLS. Secrets are
// read from the environment or from a file only its owner can read, and
// never appear in messages.
const (
	EnvToken      = "META_CACHE_TOKEN"       // bearer token sent as "authorization: Bearer TOKEN"
	EnvTokenFile  = "META_CACHE_TOKEN_FILE"  // file holding the token (mode 0600)
	EnvHeader     = "META_CACHE_HEADER"      // one "name: value" header, e.g. "x-buildbuddy-api-key: KEY"
	EnvHeaderFile = "META_CACHE_HEADER_FILE" // file holding that header line (mode 0600)
	EnvCA         = "META_CACHE_CA"          // PEM file of CA certificates to trust (grpcs)
	EnvCert       = "META_CACHE_CERT"        // PEM client certificate (grpcs, mutual TLS)
	EnvKey        = "META_CACHE_KEY"         // PEM client key (mode 0600)
)

// Options tune Dial.
type Options struct {
	// Getenv reads the variables above; os.Getenv when nil.
	Getenv func(string) string
	// ConnectTimeout bounds establishing the connection and the first
	// call (Capabilities); 5 s when zero.
	ConnectTimeout time.Duration
}

func (o Options) getenv(k string) string {
	if o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}

// Dial parses a grpc:// or grpcs:// URL and opens a client. The
// connection is made lazily; Capabilities is the first call.
func Dial(raw string, opts Options) (*Client, error) {
	t, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	md, err := authHeaders(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", raw, err)
	}
	var tc credentials.TransportCredentials
	if t.TLS {
		cfg, err := tlsConfig(opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", raw, err)
		}
		tc = credentials.NewTLS(cfg)
	} else {
		if len(md) > 0 && !isLoopback(t.Address) {
			return nil, fmt.Errorf("%s: refusing to send credentials over plain grpc:// to a remote host; use grpcs://", raw)
		}
		tc = insecure.NewCredentials()
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(tc),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
	}
	if len(md) > 0 {
		dopts = append(dopts, grpc.WithPerRPCCredentials(headerCreds{md: md, secure: t.TLS}))
	}
	conn, err := grpc.NewClient("passthrough:///"+t.Address, dopts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", raw, err)
	}
	name := t.Address
	if t.Instance != "" {
		name += "/" + t.Instance
	}
	scheme := "grpc://"
	if t.TLS {
		scheme = "grpcs://"
	}
	return &Client{
		conn:     conn,
		name:     scheme + name,
		instance: t.Instance,
		cas:      repb.NewContentAddressableStorageClient(conn),
		ac:       repb.NewActionCacheClient(conn),
		bs:       bspb.NewByteStreamClient(conn),
		exec:     repb.NewExecutionClient(conn),
		caps:     repb.NewCapabilitiesClient(conn),
	}, nil
}

func isLoopback(addr string) bool {
	host := addr
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		host = addr[:i]
	}
	host = strings.Trim(host, "[]")
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

type headerCreds struct {
	md     map[string]string
	secure bool
}

func (h headerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return h.md, nil
}

func (h headerCreds) RequireTransportSecurity() bool { return h.secure }

// authHeaders builds the per-call headers from the environment.
func authHeaders(opts Options) (map[string]string, error) {
	md := map[string]string{}
	tok := opts.getenv(EnvToken)
	if f := opts.getenv(EnvTokenFile); tok == "" && f != "" {
		data, err := readSecret(f)
		if err != nil {
			return nil, err
		}
		tok = strings.TrimSpace(string(data))
	}
	if tok != "" {
		md["authorization"] = "Bearer " + tok
	}
	hdr := opts.getenv(EnvHeader)
	if f := opts.getenv(EnvHeaderFile); hdr == "" && f != "" {
		data, err := readSecret(f)
		if err != nil {
			return nil, err
		}
		hdr = strings.TrimSpace(string(data))
	}
	if hdr != "" {
		name, value, ok := strings.Cut(hdr, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
			return nil, fmt.Errorf("%s: want one \"name: value\" header", EnvHeader)
		}
		md[name] = strings.TrimSpace(value)
	}
	return md, nil
}

// readSecret reads a file that only its owner may read.
func readSecret(file string) ([]byte, error) {
	st, err := os.Stat(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("secret file %s does not exist", file)
		}
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s has mode %04o: it must be readable by its owner only (chmod 600 %s)", file, perm, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if len(data) > 64<<10 {
		return nil, fmt.Errorf("secret file %s is larger than 64 KiB", file)
	}
	return data, nil
}

func tlsConfig(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca := opts.getenv(EnvCA); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCA, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", EnvCA, ca)
		}
		cfg.RootCAs = pool
	}
	cert, key := opts.getenv(EnvCert), opts.getenv(EnvKey)
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("set both %s and %s for a client certificate", EnvCert, EnvKey)
	}
	if cert != "" {
		keyPEM, err := readSecret(key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		certPEM, err := os.ReadFile(cert)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCert, err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s: %w", cert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
