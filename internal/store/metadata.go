package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// MetadataVersion is the version of the metadata file format.
const MetadataVersion = 1

// Metadata describes one store entry. It is stored as
// <dir>/ab/<hash>.metadata.json and its presence is what makes the entry
// exist.
type Metadata struct {
	Version    int               `json:"version"`
	Hash       string            `json:"hash"`
	Name       string            `json:"name"`
	Size       int64             `json:"size"`     // bytes of file contents
	Files      int               `json:"files"`    // regular files
	Dirs       int               `json:"dirs"`     // directories below the root
	Symlinks   int               `json:"symlinks"` // symbolic links
	Created    time.Time         `json:"created"`  // RFC 3339, UTC, seconds
	Inputs     map[string]string `json:"inputs,omitempty"`
	References []string          `json:"references,omitempty"` // hashes of entries this one needs
}

// ParseMetadata decodes and validates a metadata file's contents.
func ParseMetadata(data []byte) (Metadata, error) {
	var m Metadata
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	if dec.More() {
		return Metadata{}, errors.New("metadata: trailing data after the JSON object")
	}
	if err := m.validate(); err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	return m, nil
}

func (m *Metadata) validate() error {
	if m.Version != MetadataVersion {
		return fmt.Errorf("unsupported version %d (want %d)", m.Version, MetadataVersion)
	}
	if !validHash(m.Hash) {
		return fmt.Errorf("hash %q is not 64 lowercase hex digits", m.Hash)
	}
	if err := ValidName(m.Name); err != nil {
		return err
	}
	if m.Size < 0 || m.Files < 0 || m.Dirs < 0 || m.Symlinks < 0 {
		return errors.New("negative size or count")
	}
	if m.Created.IsZero() {
		return errors.New("created time missing")
	}
	for _, r := range m.References {
		if !validHash(r) {
			return fmt.Errorf("reference %q is not 64 lowercase hex digits", r)
		}
	}
	return nil
}

func (m *Metadata) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ValidName reports whether name can name a store entry: 1 to 255 bytes of
// printable characters, no newline or other control character.
func ValidName(name string) error {
	if name == "" {
		return errors.New("entry name is empty")
	}
	if len(name) > 255 {
		return fmt.Errorf("entry name is %d bytes long, at most 255 allowed", len(name))
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) || r == unicode.ReplacementChar }); i >= 0 {
		return fmt.Errorf("entry name %q contains a control or invalid character", name)
	}
	return nil
}

// validHash reports whether h is a full hash: 64 lowercase hex digits.
func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	return isLowerHex(h)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ParseHash accepts a full hash, optionally prefixed with "sha256:" and in
// either case, and returns it in canonical form.
func ParseHash(s string) (string, error) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "sha256:"), "SHA256:"))
	if !validHash(h) {
		return "", fmt.Errorf("%q is not a store hash (64 hex digits)", s)
	}
	return h, nil
}
