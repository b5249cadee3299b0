package buildcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/store"
)

// Remote timeouts: a record is small; a blob may be large.
const (
	recordTimeout = 30 * time.Second
	blobTimeout   = 30 * time.Minute
	maxRecordSize = 64 << 20
)

func acKey(key string) string     { return "ac/" + key }
func casKey(digest string) string { return "cas/" + digest }

// fetch reads key's record from the remote and brings its outputs into the
// local store, checked twice on the way: the blob against the record's
// archive digest, and the tree against the record's output hash (the store
// verifies the archive's trailer and opts.Expect). Absence is (nil, nil);
// a remote failure is a warning and also (nil, nil).
func (c *Cache) fetch(ctx context.Context, key, name string) (*Record, error) {
	if !c.remoteOn() {
		return nil, nil
	}
	rctx, cancel := context.WithTimeout(ctx, recordTimeout)
	rc, err := c.remote.Get(rctx, acKey(key))
	if err != nil {
		cancel()
		if errors.Is(err, backend.ErrNotFound) {
			return nil, nil
		}
		c.remoteWarn(err)
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
	rc.Close()
	cancel()
	if err != nil {
		c.remoteWarn(err)
		return nil, nil
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil || len(data) > maxRecordSize {
		c.dropRemoteRecord(ctx, key)
		return nil, fmt.Errorf("remote record %s is not a valid record; ignoring it", short(key))
	}
	if err := rec.check(key); err != nil {
		c.dropRemoteRecord(ctx, key)
		return nil, fmt.Errorf("remote %w; ignoring it", err)
	}
	if rec.Component != name {
		return nil, fmt.Errorf("remote record %s is for %s, not %s; ignoring it", short(key), rec.Component, name)
	}
	if err := c.verify(&rec); err != nil {
		return nil, err
	}
	if _, err := store.ParseHash(rec.Archive); err != nil {
		return nil, fmt.Errorf("remote record %s: archive: %v; ignoring it", short(key), err)
	}
	if !c.store.Has(rec.Output) {
		if err := c.download(ctx, &rec); err != nil {
			if errors.Is(err, errRemote) {
				c.remoteWarn(err)
				return nil, nil
			}
			return nil, err
		}
	}
	rec.Created = c.now().UTC().Truncate(time.Second)
	rec.LastHit = time.Time{}
	if err := c.Put(&rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// dropRemoteRecord deletes a remote record that is provably not a record
// of key (unparseable, or its document does not hash to key), so that the
// write-back after this build can replace it: with create-if-absent a bad
// record would otherwise block the key for good. A valid record of key can
// never be deleted this way. Failure (no delete permission, a protocol
// without delete) is ignored.
func (c *Cache) dropRemoteRecord(ctx context.Context, key string) {
	if c.readOnly {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	c.remote.Delete(rctx, acKey(key))
}

// errRemote marks failures of the remote itself (as opposed to bad data).
var errRemote = errors.New("remote")

func (c *Cache) download(ctx context.Context, rec *Record) error {
	bctx, cancel := context.WithTimeout(ctx, blobTimeout)
	defer cancel()
	rc, err := c.remote.Get(bctx, casKey(rec.Archive))
	if errors.Is(err, backend.ErrNotFound) {
		// A record without its blob (removed by the remote's own expiry,
		// say): a miss, not a remote that is down.
		return fmt.Errorf("remote record %s names blob %s, which the remote does not have; ignoring it", short(rec.Key), short(rec.Archive))
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errRemote, err)
	}
	defer rc.Close()
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(rc, h)}
	_, err = c.store.AddArchive(bctx, cr, "build-"+rec.Component, store.AddOptions{
		Expect: rec.Output,
		Inputs: map[string]string{"component": rec.Component, "cache-key": rec.Key},
	})
	if err != nil {
		return fmt.Errorf("remote outputs of %s (key %s) rejected: %w", rec.Component, short(rec.Key), err)
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return fmt.Errorf("%w: %w", errRemote, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != rec.Archive {
		// The tree matched its hash, so what was stored is right; the blob
		// is not what the record names, which a writer should not do.
		c.warnf(fmt.Sprintf("remote blob for %s has sha256 %s, record says %s", rec.Component, short(got), short(rec.Archive)))
	}
	c.count(func(s *Stats) { s.BytesDownloaded += cr.n })
	return nil
}

// upload writes rec's outputs and then rec itself to the remote: the blob
// first, so a record never names a missing blob. Both are create-if-absent;
// finding them present is success (another machine got there first).
func (c *Cache) upload(ctx context.Context, rec *Record) {
	if !c.remoteOn() || c.readOnly {
		return
	}
	if err := c.uploadBlob(ctx, rec); err != nil {
		c.remoteWarn(err)
		return
	}
	if err := c.Put(rec); err != nil { // keep the archive digest locally too
		c.warnf(err.Error())
	}
	data, err := json.Marshal(rec)
	if err != nil {
		c.warnf(err.Error())
		return
	}
	rctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	err = c.remote.Put(rctx, acKey(rec.Key), bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, backend.ErrExists) {
		c.remoteWarn(err)
		return
	}
	c.count(func(s *Stats) { s.BytesUploaded += int64(len(data)) })
}

func (c *Cache) uploadBlob(ctx context.Context, rec *Record) error {
	f, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), "archive-*")
	if err != nil {
		return err
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	h := sha256.New()
	if err := c.store.WriteArchive(ctx, io.MultiWriter(f, h), rec.Output); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rec.Archive, rec.ArchiveSize = hex.EncodeToString(h.Sum(nil)), size
	bctx, cancel := context.WithTimeout(ctx, blobTimeout)
	defer cancel()
	err = c.remote.Put(bctx, casKey(rec.Archive), f, size)
	if err != nil && !errors.Is(err, backend.ErrExists) {
		return err
	}
	if err == nil {
		c.count(func(s *Stats) { s.BytesUploaded += size })
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
