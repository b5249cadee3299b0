package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
)

// DefaultMaxDownload bounds a tarball download when Client.MaxDownload is 0.
const DefaultMaxDownload = 1 << 30

// DownloadFile streams e's tarball into a new temporary file in dir (the
// system's temporary directory when dir is ""), never holding it in
// memory, stops at the client's size cap, and verifies its checksum
// against the index; a mismatch is a *ChecksumError. The file is returned
// open, positioned at its start; the caller closes it, and removes it
// unless it lives in a directory the caller removes anyway.
func (c *Client) DownloadFile(ctx context.Context, e IndexEntry, dir string) (*os.File, error) {
	u, err := c.DownloadURL(ctx, e)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodGet, u, nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	limit := c.MaxDownload
	if limit <= 0 {
		limit = DefaultMaxDownload
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("GET %s: tarball of %d bytes is larger than the limit of %d bytes", u, resp.ContentLength, limit)
	}
	f, err := os.CreateTemp(dir, "meta-download-*.tar.gz")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", u, err)
	}
	if n > limit {
		return nil, fmt.Errorf("GET %s: tarball larger than %d bytes", u, limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != e.Cksum {
		return nil, &ChecksumError{Name: e.Name, Vers: e.Vers, Want: e.Cksum, Got: got}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	ok = true
	return f, nil
}

// Download fetches e's tarball through DownloadFile and returns its bytes;
// a mismatch is a *ChecksumError and the bytes are not returned. Memory
// holds the tarball once, at its exact size, and only after the cap and
// the checksum have passed.
func (c *Client) Download(ctx context.Context, e IndexEntry) ([]byte, error) {
	f, err := c.DownloadFile(ctx, e, "")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return data, nil
}
