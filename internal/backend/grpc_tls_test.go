package backend_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/backend/backendtest"
	"github.com/metawork/meta/internal/reapi"
)

// writeCert issues a certificate signed by parent (self-signed when nil)
// and writes it and its key as PEM files in dir.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		IsCA:         ca, BasicConstraintsValid: true,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, key, certFile, keyFile
}

// TestGRPCMutualTLSOnBazelRemote: grpcs:// with a custom CA and a client
// certificate against bazel-remote requiring client certificates.
func TestGRPCMutualTLSOnBazelRemote(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caFile, _ := writeCert(t, dir, "ca", nil, nil, true)
	_, _, srvCert, srvKey := writeCert(t, dir, "server", ca, caKey, false)
	_, _, cliCert, cliKey := writeCert(t, dir, "client", ca, caKey, false)
	br := backendtest.StartBazelRemoteTLS(t, srvCert, srvKey, caFile)
	ctx := context.Background()
	blob := []byte("over mutual TLS")
	d := reapi.Digest(blob)

	env := map[string]string{reapi.EnvCA: caFile, reapi.EnvCert: cliCert, reapi.EnvKey: cliKey}
	b, err := backend.Open(ctx, br.GRPC+"/team", backend.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	g := b.(*backend.GRPC)
	if g.Client().Instance() != "team" {
		t.Errorf("instance name %q, want team (from the URL path)", g.Client().Instance())
	}
	if _, err := g.WriteBlobs(ctx, []reapi.Blob{{Digest: d, Data: blob}}, false); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := g.ReadBlob(ctx, d, &out); err != nil || out.String() != string(blob) {
		t.Fatalf("read back %q: %v", out.String(), err)
	}

	// Without the client certificate the server refuses the connection.
	noCert := map[string]string{reapi.EnvCA: caFile}
	b2, err := backend.Open(ctx, br.GRPC, backend.Options{Getenv: func(k string) string { return noCert[k] }})
	if err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := b2.(*backend.GRPC).WriteBlobs(tctx, []reapi.Blob{{Digest: d, Data: blob}}, true); err == nil {
		t.Error("an upload without a client certificate succeeded")
	}
	// Without the CA the server's certificate is not trusted.
	b3, _ := backend.Open(ctx, br.GRPC, backend.Options{Getenv: func(k string) string { return "" }})
	if err := b3.(*backend.GRPC).ReadBlob(tctx, d, &out); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted server certificate: %v", err)
	}
}
