package buildcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"aead.dev/minisign"
)

// Records are signed with minisign (Ed25519) keys, the same kind `meta
// keygen` makes for registry versions. What is signed is the binding a
// reader trusts: this key gives these outputs for this component (and
// this log). The archive digest is not signed: the store checks the
// archive's tree against the signed output hash anyway.

// signedRecord is the message a record's signature covers.
type signedRecord struct {
	Schema    string `json:"schema"`
	Key       string `json:"key"`
	Component string `json:"component"`
	Output    string `json:"output"`
	Size      int64  `json:"size"`
	LogSHA256 string `json:"log_sha256"`
}

// signedSchema names the signed message's format.
const signedSchema = "meta-cache-record-signature/1"

// Signed returns the bytes a record's signature covers.
func (r *Record) Signed() []byte {
	sum := sha256.Sum256(r.Log)
	data, err := json.Marshal(signedRecord{signedSchema, r.Key, r.Component, r.Output, r.Size, hex.EncodeToString(sum[:])})
	if err != nil {
		panic(fmt.Sprintf("buildcache: encoding a signed record: %v", err)) // strings and a number only
	}
	return data
}

type signer struct {
	key minisign.PrivateKey
}

func (c *Cache) setKeys(private []byte, trusted []string) error {
	if len(bytes.TrimSpace(private)) > 0 {
		if minisign.IsEncrypted(private) {
			return errors.New("the cache signing key is password-protected; meta signs with unencrypted keys made by 'meta keygen'")
		}
		var k minisign.PrivateKey
		if err := k.UnmarshalText(bytes.TrimSpace(private)); err != nil {
			return fmt.Errorf("the cache signing key is not a minisign private key: %v", err)
		}
		c.signer = &signer{key: k}
	}
	for _, t := range trusted {
		var pk minisign.PublicKey
		if err := pk.UnmarshalText([]byte(strings.TrimSpace(t))); err != nil {
			return fmt.Errorf("cache trusted key %q is not a minisign public key: %v", t, err)
		}
		c.trusted = append(c.trusted, pk)
	}
	return nil
}

// Signing reports whether the cache signs the records it writes.
func (c *Cache) Signing() bool { return c.signer != nil }

// Verifying reports whether remote records must carry a trusted signature.
func (c *Cache) Verifying() bool { return len(c.trusted) > 0 }

// sign signs rec when the cache has a signing key.
func (c *Cache) sign(rec *Record) error {
	rec.Signature = ""
	if c.signer == nil {
		return nil
	}
	sig := minisign.SignWithComments(c.signer.key, rec.Signed(), "meta build cache record "+rec.Key, "")
	rec.Signature = string(sig)
	return nil
}

// ErrUnsignedRecord and ErrBadSignature are why a remote record was not
// trusted when trusted keys are configured.
var (
	ErrUnsignedRecord = errors.New("is not signed")
	ErrBadSignature   = errors.New("has a signature that does not verify against any trusted key")
)

// verify checks a remote record's signature against the trusted keys;
// with none configured every record passes.
func (c *Cache) verify(rec *Record) error {
	if len(c.trusted) == 0 {
		return nil
	}
	if rec.Signature == "" {
		return fmt.Errorf("remote record %s for %s %w; ignoring it (cache.trusted_keys is set)", short(rec.Key), rec.Component, ErrUnsignedRecord)
	}
	var s minisign.Signature
	if err := s.UnmarshalText([]byte(rec.Signature)); err != nil {
		return fmt.Errorf("remote record %s for %s %w (malformed: %v); ignoring it", short(rec.Key), rec.Component, ErrBadSignature, err)
	}
	for _, k := range c.trusted {
		if k.ID() == s.KeyID && minisign.Verify(k, rec.Signed(), []byte(rec.Signature)) {
			return nil
		}
	}
	return fmt.Errorf("remote record %s for %s %w (signed by key %X); ignoring it", short(rec.Key), rec.Component, ErrBadSignature, s.KeyID)
}
