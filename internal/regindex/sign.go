package regindex

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"aead.dev/minisign"
)

// GenerateKey makes a minisign Ed25519 key pair and returns the private key
// file (unencrypted; store it 0600) and the public key file, both in
// minisign's text format, and the one-line public key for trusted_keys.
func GenerateKey() (private, public []byte, publicLine string, err error) {
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, "", fmt.Errorf("generate key: %w", err)
	}
	private, err = priv.MarshalText()
	if err != nil {
		return nil, nil, "", err
	}
	public, _ = pub.MarshalText()
	return append(private, '\n'), append(public, '\n'), pub.String(), nil
}

// Sign signs a tarball with a minisign private key file's contents and
// returns the signature in minisign's text format.
func Sign(privateKeyFile []byte, tarball []byte, trustedComment string) (string, error) {
	var key minisign.PrivateKey
	if minisign.IsEncrypted(privateKeyFile) {
		return "", errors.New("the private key is password-protected; meta signs with unencrypted keys made by 'meta keygen'")
	}
	if err := key.UnmarshalText(privateKeyFile); err != nil {
		return "", fmt.Errorf("not a minisign private key: %v", err)
	}
	untrusted := "signature from meta secret key " + strings.ToUpper(fmt.Sprintf("%x", key.ID()))
	// Prehashed (minisign's default), so that a verifier can stream.
	r := minisign.NewReader(bytes.NewReader(tarball))
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", err
	}
	return string(r.SignWithComments(key, trustedComment, untrusted)), nil
}

// ParsePublicKey reads a public key given either as the one-line base64
// form or as a minisign .pub file.
func ParsePublicKey(s string) (minisign.PublicKey, error) {
	var pk minisign.PublicKey
	s = strings.TrimSpace(s)
	if err := pk.UnmarshalText([]byte(s)); err != nil {
		return pk, fmt.Errorf("not a minisign public key: %v", err)
	}
	return pk, nil
}

// ErrUnsigned is returned by VerifySignature for a version without a
// signature when trusted keys are configured.
var ErrUnsigned = errors.New("the version is not signed")

// TrustedComment is the signed comment meta puts in a version's signature:
// the package, the version and the tarball's checksum, so that a valid
// signature of one version cannot be served as another's.
func TrustedComment(name, vers, cksum string) string {
	return name + "@" + vers + " sha256:" + cksum
}

// SignVersion signs a version's tarball with a minisign private key file's
// contents, binding the signature to name, vers and the tarball's
// checksum through the trusted comment.
func SignVersion(privateKeyFile []byte, tarball []byte, name, vers string) (string, error) {
	sum := sha256.Sum256(tarball)
	return Sign(privateKeyFile, tarball, TrustedComment(name, vers, hex.EncodeToString(sum[:])))
}

// VerifySignature checks e's signature over tarball against any of keys,
// and that its trusted comment names e: "NAME@VERSION sha256:CKSUM" (or
// "NAME@VERSION" from older publishers, where the signature over the bytes
// binds the checksum). With no keys it checks nothing.
func VerifySignature(e IndexEntry, tarball []byte, keys []minisign.PublicKey) error {
	if len(keys) == 0 {
		return nil
	}
	s, err := parseSig(e.Sig)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID() == s.KeyID && minisign.Verify(k, tarball, []byte(e.Sig)) {
			return CheckTrustedComment(e, s.TrustedComment)
		}
	}
	return fmt.Errorf("the signature (key %X) does not verify against any trusted key", s.KeyID)
}

// VerifyEntry is VerifySignature over a tarball read from r (from its
// start): a prehashed signature is checked while streaming, an older
// whole-message one after reading r into memory.
func VerifyEntry(e IndexEntry, r io.ReadSeeker, keys []minisign.PublicKey) error {
	if len(keys) == 0 {
		return nil
	}
	s, err := parseSig(e.Sig)
	if err != nil {
		return err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	defer r.Seek(0, io.SeekStart)
	if s.Algorithm != minisign.HashEdDSA {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		return VerifySignature(e, data, keys)
	}
	mr := minisign.NewReader(r)
	if _, err := io.Copy(io.Discard, mr); err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID() == s.KeyID && mr.Verify(k, []byte(e.Sig)) {
			return CheckTrustedComment(e, s.TrustedComment)
		}
	}
	return fmt.Errorf("the signature (key %X) does not verify against any trusted key", s.KeyID)
}

func parseSig(sig string) (minisign.Signature, error) {
	var s minisign.Signature
	if sig == "" {
		return s, ErrUnsigned
	}
	if err := s.UnmarshalText([]byte(sig)); err != nil {
		return s, fmt.Errorf("the signature is malformed: %v", err)
	}
	return s, nil
}

// CheckTrustedComment checks a verified signature's trusted comment
// against the entry it was served for.
func CheckTrustedComment(e IndexEntry, tc string) error {
	fields := strings.Fields(tc)
	if len(fields) == 0 || fields[0] != e.Name+"@"+e.Vers {
		return fmt.Errorf("the signature was made for %q, not for %s@%s: the registry served another version's signature", tc, e.Name, e.Vers)
	}
	for _, f := range fields[1:] {
		if sum, ok := strings.CutPrefix(f, "sha256:"); ok && sum != e.Cksum {
			return fmt.Errorf("the signature was made for a tarball with checksum sha256:%s, not sha256:%s", sum, e.Cksum)
		}
	}
	return nil
}
