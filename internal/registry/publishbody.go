package registry

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxMetadataLen bounds the JSON part of a publish body.
const MaxMetadataLen = 1 << 20

// PublishMeta is the JSON metadata of a publish request. Dependencies and
// tools are not taken from it: the server reads them from the tarball's
// component.yaml, which is what consumers will get.
type PublishMeta struct {
	Name  string `json:"name"`
	Vers  string `json:"vers"`
	Cksum string `json:"cksum,omitempty"` // when set, must match the tarball
	Sig   string `json:"sig,omitempty"`   // minisign signature of the tarball
}

// EncodePublish builds Cargo's publish body: a little-endian u32 length and
// the JSON metadata, then a little-endian u32 length and the tarball.
func EncodePublish(meta PublishMeta, tarball []byte) ([]byte, error) {
	js, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	if len(tarball) > 1<<32-1 {
		return nil, fmt.Errorf("tarball of %d bytes is too large", len(tarball))
	}
	var b bytes.Buffer
	b.Grow(8 + len(js) + len(tarball))
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(js)))
	b.Write(js)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(tarball)))
	b.Write(tarball)
	return b.Bytes(), nil
}

// DecodePublish parses a publish body read from r, refusing a body whose
// tarball is larger than maxTarball bytes or that has trailing bytes.
func DecodePublish(r io.Reader, maxTarball int64) (PublishMeta, []byte, error) {
	var meta PublishMeta
	n, err := readLen(r, "metadata")
	if err != nil {
		return meta, nil, err
	}
	if n > MaxMetadataLen {
		return meta, nil, fmt.Errorf("publish body: metadata length %d exceeds %d bytes", n, MaxMetadataLen)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return meta, nil, fmt.Errorf("publish body: metadata: %w", shortRead(err))
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		return meta, nil, fmt.Errorf("publish body: metadata is not valid JSON: %v", err)
	}
	if dec.More() {
		return meta, nil, errors.New("publish body: metadata has trailing data")
	}
	n, err = readLen(r, "tarball")
	if err != nil {
		return meta, nil, err
	}
	if int64(n) > maxTarball {
		return meta, nil, &TooLargeError{Size: int64(n), Limit: maxTarball}
	}
	tb := make([]byte, n)
	if _, err := io.ReadFull(r, tb); err != nil {
		return meta, nil, fmt.Errorf("publish body: tarball: %w", shortRead(err))
	}
	var one [1]byte
	if k, _ := r.Read(one[:]); k > 0 {
		return meta, nil, errors.New("publish body: trailing bytes after the tarball")
	}
	return meta, tb, nil
}

// TooLargeError reports an upload over the configured limit.
type TooLargeError struct{ Size, Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("upload of %d bytes exceeds the limit of %d bytes", e.Size, e.Limit)
}

func readLen(r io.Reader, what string) (uint32, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, fmt.Errorf("publish body: %s length: %w", what, shortRead(err))
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

func shortRead(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("body ends early")
	}
	return err
}
