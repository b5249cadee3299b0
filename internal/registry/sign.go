package registry

import (
	"crypto/rand"
	"errors"
	"fmt"
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
	return string(minisign.SignWithComments(key, tarball, trustedComment, untrusted)), nil
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

// VerifySignature checks sig over tarball against any of keys. With no keys
// it checks nothing.
func VerifySignature(tarball []byte, sig string, keys []minisign.PublicKey) error {
	if len(keys) == 0 {
		return nil
	}
	if sig == "" {
		return ErrUnsigned
	}
	var s minisign.Signature
	if err := s.UnmarshalText([]byte(sig)); err != nil {
		return fmt.Errorf("the signature is malformed: %v", err)
	}
	for _, k := range keys {
		if k.ID() == s.KeyID && minisign.Verify(k, tarball, []byte(sig)) {
			return nil
		}
	}
	return fmt.Errorf("the signature (key %X) does not verify against any trusted key", s.KeyID)
}
