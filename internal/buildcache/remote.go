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
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/reapi"
	"github.com/metawork/meta/internal/store"
)

// Remote timeouts. A record lookup is small: it gets the short timeout
// (Options.RemoteTimeout, default DefaultRemoteTimeout), which bounds
// connecting to a hung server and its answer; a remote that times out is
// dropped for the rest of the run, so a build waits for it once. A blob
// may be large: its transfer gets blobTimeout.
const (
	DefaultRemoteTimeout = 5 * time.Second
	blobTimeout          = 30 * time.Minute
	maxRecordSize        = 64 << 20
)

// DefaultRemoteFailures is how many failures of a reachable remote a build
// tolerates before it stops asking it (a remote that cannot be reached or
// times out is dropped at the first failure).
const DefaultRemoteFailures = 3

// Paths of meta's two output files in the ActionResult of a cache key on
// a Bazel protocol remote (HTTP or gRPC): the record and the archive of
// the outputs, both CAS blobs.
const (
	acRecordPath  = "meta/record.json"
	acArchivePath = "meta/outputs.archive"
)

// remoteState is the per-Cache state of the remote: objects a read proved
// corrupt (the write-back of the rebuild replaces exactly those) and the
// circuit breaker.
type remoteState struct {
	mu       sync.Mutex
	bad      map[string]bool // "ac/<key>", "cas/<sha256>"
	failures int
}

func (c *Cache) markBad(key string) {
	c.rs.mu.Lock()
	defer c.rs.mu.Unlock()
	if c.rs.bad == nil {
		c.rs.bad = map[string]bool{}
	}
	c.rs.bad[key] = true
}

func (c *Cache) isBad(key string) bool {
	c.rs.mu.Lock()
	defer c.rs.mu.Unlock()
	return c.rs.bad[key]
}

func (c *Cache) remoteTimeout() time.Duration {
	if c.timeout > 0 {
		return c.timeout
	}
	return DefaultRemoteTimeout
}

// remoteFail counts a failure of the remote itself. A remote that cannot
// be reached or does not answer in time is dropped for the rest of the
// run at once; other failures trip the breaker after maxFailures.
func (c *Cache) remoteFail(err error) {
	n := c.maxFailures
	if n < 1 {
		n = DefaultRemoteFailures
	}
	c.rs.mu.Lock()
	c.rs.failures++
	k := c.rs.failures
	c.rs.mu.Unlock()
	if unreachable(err) || k >= n {
		c.remoteWarn(err)
		return
	}
	c.count(func(s *Stats) { s.RemoteErrors++ })
	c.warnf(fmt.Sprintf("remote cache: %v (failure %d of %d before it is dropped for this run)", err, k, n))
}

// unreachable reports errors that say the remote is down or hung rather
// than that one request failed.
func unreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	if st, ok := status.FromError(err); ok && (st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded) {
		return true
	}
	return false
}

func acKey(key string) string     { return "ac/" + key }
func casKey(digest string) string { return "cas/" + digest }

// fetch reads key's record from the remote and brings its outputs into the
// local store, checked twice on the way: the blob against the record's
// archive digest, and the tree against the record's output hash (the store
// verifies the archive's trailer and opts.Expect). Absence is (nil, nil);
// a remote failure is a warning and also (nil, nil). Anything found
// corrupt is remembered, so that the write-back after the rebuild
// replaces it.
func (c *Cache) fetch(ctx context.Context, key, name string) (*Record, error) {
	if !c.remoteOn() {
		return nil, nil
	}
	var rec *Record
	var err error
	if ac, ok := c.remote.(backend.ActionCache); ok {
		rec, err = c.fetchAction(ctx, ac, key, name)
	} else {
		rec, err = c.fetchObject(ctx, key, name)
	}
	if rec == nil || err != nil {
		return nil, err
	}
	// Fetched to be used: the fetch is the record's first hit here, so
	// the touch that follows a successful restore has nothing to rewrite
	// (one synced write per remote hit, not two).
	rec.Created = c.now().UTC().Truncate(time.Second)
	rec.LastHit = rec.Created
	if err := c.Put(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// checkRemoteRecord parses and checks a record read from the remote.
func (c *Cache) checkRemoteRecord(data []byte, key, name string) (*Record, error) {
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil || len(data) > maxRecordSize {
		return nil, fmt.Errorf("remote record %s is not a valid record; ignoring it", short(key))
	}
	if err := rec.check(key); err != nil {
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
	return &rec, nil
}

// fetchObject is fetch on a plain blob store (local directory, S3): the
// record is the JSON object ac/<key>, the outputs the blob cas/<archive>.
func (c *Cache) fetchObject(ctx context.Context, key, name string) (*Record, error) {
	rctx, cancel := context.WithTimeout(ctx, c.remoteTimeout())
	rc, err := c.remote.Get(rctx, acKey(key))
	if err != nil {
		cancel()
		if errors.Is(err, backend.ErrNotFound) {
			return nil, nil
		}
		c.remoteFail(err)
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
	rc.Close()
	cancel()
	if err != nil {
		c.remoteFail(err)
		return nil, nil
	}
	rec, err := c.checkRemoteRecord(data, key, name)
	if err != nil {
		c.markBad(acKey(key))
		c.dropRemoteRecord(ctx, key)
		return nil, err
	}
	if !c.store.Has(rec.Output) {
		if err := c.download(ctx, rec); err != nil {
			if errors.Is(err, errRemote) {
				c.remoteFail(err)
				return nil, nil
			}
			return nil, err
		}
	}
	return rec, nil
}

// fetchAction is fetch on a Bazel protocol remote: the ActionResult of
// key's action digest names two CAS blobs, the record and the archive.
func (c *Cache) fetchAction(ctx context.Context, ac backend.ActionCache, key, name string) (*Record, error) {
	rctx, cancel := context.WithTimeout(ctx, c.remoteTimeout())
	defer cancel()
	ar, err := ac.GetActionResult(rctx, reapi.KeyAction(key), acRecordPath, acArchivePath)
	if err != nil {
		if errors.Is(err, backend.ErrNotFound) {
			return nil, nil
		}
		if errors.Is(err, backend.ErrCorrupt) {
			c.markBad(acKey(key))
			return nil, fmt.Errorf("remote action result %s is corrupt; ignoring it: %v", short(key), err)
		}
		c.remoteFail(err)
		return nil, nil
	}
	var recD, archD *repb.Digest
	var recData, archData []byte // inlined by the server, checked against their digests
	for _, f := range ar.GetOutputFiles() {
		switch f.GetPath() {
		case acRecordPath:
			recD, recData = f.GetDigest(), reapi.InlineContents(f)
		case acArchivePath:
			archD, archData = f.GetDigest(), reapi.InlineContents(f)
		}
	}
	if reapi.CheckDigest(recD) != nil || reapi.CheckDigest(archD) != nil || recD.SizeBytes > maxRecordSize {
		c.markBad(acKey(key))
		return nil, fmt.Errorf("remote action result %s is not a meta build record; ignoring it", short(key))
	}
	if recData == nil { // not inlined: read it
		var buf bytes.Buffer
		if err := ac.ReadBlob(rctx, recD, &buf); err != nil {
			switch {
			case errors.Is(err, backend.ErrNotFound):
				return nil, fmt.Errorf("remote action result %s names record blob %s, which the remote does not have; ignoring it", short(key), short(recD.Hash))
			case errors.Is(err, reapi.ErrDigest):
				c.markBad(casKey(recD.Hash))
				c.markBad(acKey(key))
				return nil, fmt.Errorf("remote record %s: %v; ignoring it", short(key), err)
			}
			c.remoteFail(err)
			return nil, nil
		}
		recData = buf.Bytes()
	}
	rec, err := c.checkRemoteRecord(recData, key, name)
	if err != nil {
		c.markBad(acKey(key))
		return nil, err
	}
	if rec.Archive != archD.Hash || rec.ArchiveSize != archD.SizeBytes {
		c.markBad(acKey(key))
		return nil, fmt.Errorf("remote action result %s names archive %s, its record says %s; ignoring it", short(key), short(archD.Hash), short(rec.Archive))
	}
	if !c.store.Has(rec.Output) {
		if err := c.downloadAction(ctx, ac, rec, archD, archData); err != nil {
			if errors.Is(err, errRemote) {
				c.remoteFail(err)
				return nil, nil
			}
			return nil, err
		}
	}
	return rec, nil
}

// downloadAction streams the archive blob d (or its contents the server
// inlined, already checked against d) into the store. The store checks
// the tree against the record; a streamed blob is checked against d as it
// arrives.
func (c *Cache) downloadAction(ctx context.Context, ac backend.ActionCache, rec *Record, d *repb.Digest, inlined []byte) error {
	bctx, cancel := context.WithTimeout(ctx, blobTimeout)
	defer cancel()
	pr, pw := io.Pipe()
	readErr := make(chan error, 1)
	go func() {
		var err error
		if inlined != nil {
			_, err = pw.Write(inlined)
		} else {
			err = ac.ReadBlob(bctx, d, pw)
		}
		pw.CloseWithError(err)
		readErr <- err
	}()
	cr := &countingReader{r: pr}
	_, err := c.store.AddArchive(bctx, cr, "build-"+rec.Component, store.AddOptions{
		Expect: rec.Output,
		Inputs: map[string]string{"component": rec.Component, "cache-key": rec.Key},
	})
	if err == nil {
		_, err = io.Copy(io.Discard, cr)
	}
	pr.CloseWithError(errors.New("download abandoned"))
	rerr := <-readErr
	switch {
	case errors.Is(rerr, backend.ErrNotFound):
		return fmt.Errorf("remote record %s names blob %s, which the remote does not have; ignoring it", short(rec.Key), short(d.Hash))
	case errors.Is(rerr, reapi.ErrDigest):
		c.markBad(casKey(d.Hash))
		c.markBad(acKey(rec.Key))
		if err == nil {
			// The tree matched its hash, so what was stored is right; the
			// blob on the remote is not, and the next upload replaces it.
			c.warnf(fmt.Sprintf("remote blob for %s is corrupt: %v", rec.Component, rerr))
			break
		}
		return fmt.Errorf("remote outputs of %s (key %s) rejected: %w", rec.Component, short(rec.Key), rerr)
	case rerr != nil && err != nil:
		return fmt.Errorf("%w: %w", errRemote, rerr)
	case err != nil:
		// The blob is what the action result names, but it is not the
		// outputs the record names: the action result is wrong.
		c.markBad(acKey(rec.Key))
		return fmt.Errorf("remote outputs of %s (key %s) rejected: %w", rec.Component, short(rec.Key), err)
	}
	c.count(func(s *Stats) { s.BytesDownloaded += cr.n })
	return nil
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
	rctx, cancel := context.WithTimeout(ctx, c.remoteTimeout())
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
		c.markBad(casKey(rec.Archive))
		return fmt.Errorf("remote outputs of %s (key %s) rejected: %w", rec.Component, short(rec.Key), err)
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return fmt.Errorf("%w: %w", errRemote, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != rec.Archive {
		// The tree matched its hash, so what was stored is right; the blob
		// is not what the record names, which a writer should not do.
		c.markBad(casKey(rec.Archive))
		c.warnf(fmt.Sprintf("remote blob for %s has sha256 %s, record says %s", rec.Component, short(got), short(rec.Archive)))
	}
	c.count(func(s *Stats) { s.BytesDownloaded += cr.n })
	return nil
}

// upload writes rec's outputs and then rec itself to the remote: the blob
// first, so a record never names a missing blob. Both are create-if-absent;
// finding them present is success (another machine got there first),
// except for an object this run found corrupt, which is replaced.
func (c *Cache) upload(ctx context.Context, rec *Record) {
	if !c.remoteOn() || c.readOnly {
		return
	}
	f, err := c.writeArchive(ctx, rec)
	if err != nil {
		c.warnf(err.Error())
		return
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	if err := c.Put(rec); err != nil { // keep the archive digest locally too
		c.warnf(err.Error())
	}
	data, err := json.Marshal(rec)
	if err != nil {
		c.warnf(err.Error())
		return
	}
	if ac, ok := c.remote.(backend.ActionCache); ok {
		err = c.uploadAction(ctx, ac, rec, f, data)
	} else {
		err = c.uploadObjects(ctx, rec, f, data)
	}
	if err != nil {
		c.remoteFail(err)
	}
}

// writeArchive writes rec's outputs as one archive to a temporary file and
// sets rec's archive digest and size.
func (c *Cache) writeArchive(ctx context.Context, rec *Record) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), "archive-*")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	size, err := int64(0), c.store.WriteArchive(ctx, io.MultiWriter(f, h), rec.Output)
	if err == nil {
		size, err = f.Seek(0, io.SeekCurrent)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	rec.Archive, rec.ArchiveSize = hex.EncodeToString(h.Sum(nil)), size
	return f, nil
}

// uploadObjects is upload on a plain blob store: cas/<archive>, then the
// JSON record at ac/<key>.
func (c *Cache) uploadObjects(ctx context.Context, rec *Record, f *os.File, data []byte) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	bctx, cancel := context.WithTimeout(ctx, blobTimeout)
	defer cancel()
	sent, err := c.putObject(bctx, casKey(rec.Archive), f, rec.ArchiveSize)
	if err != nil {
		return err
	}
	if sent {
		c.count(func(s *Stats) { s.BytesUploaded += rec.ArchiveSize })
	}
	rctx, cancel2 := context.WithTimeout(ctx, c.remoteTimeout())
	defer cancel2()
	sent, err = c.putObject(rctx, acKey(rec.Key), bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	if sent {
		c.count(func(s *Stats) { s.BytesUploaded += int64(len(data)) })
	}
	return nil
}

// putObject writes key create-if-absent, or replaces it when this run
// found it corrupt and the backend can overwrite. It reports whether
// bytes were sent.
func (c *Cache) putObject(ctx context.Context, key string, r io.Reader, size int64) (bool, error) {
	if c.isBad(key) {
		if rp, ok := c.remote.(backend.Replacer); ok {
			if err := rp.Replace(ctx, key, r, size); err != nil {
				return false, err
			}
			c.count(func(s *Stats) { s.RemoteRepaired++ })
			return true, nil
		}
	}
	err := c.remote.Put(ctx, key, r, size)
	if errors.Is(err, backend.ErrExists) {
		return false, nil
	}
	return err == nil, err
}

// uploadAction is upload on a Bazel protocol remote: the archive and the
// record as CAS blobs (only those the server lacks, plus any found
// corrupt), then the ActionResult naming them.
func (c *Cache) uploadAction(ctx context.Context, ac backend.ActionCache, rec *Record, f *os.File, data []byte) error {
	archD := &repb.Digest{Hash: rec.Archive, SizeBytes: rec.ArchiveSize}
	recD := reapi.Digest(data)
	name := f.Name()
	blobs := []reapi.Blob{
		{Digest: archD, Open: func() (io.ReadCloser, error) { return os.Open(name) }},
		{Digest: recD, Data: data},
	}
	// An entry found corrupt in any part has all its blobs sent again:
	// those found bad are replaced, and the others may be bad too (a
	// poisoned store rarely stops at one object). What is sent was just
	// checked against its digest, so nothing good is replaced by junk.
	entryBad := c.isBad(acKey(rec.Key))
	var normal, forced []reapi.Blob
	for _, b := range blobs {
		if entryBad || c.isBad(casKey(b.Digest.Hash)) {
			forced = append(forced, b)
		} else {
			normal = append(normal, b)
		}
	}
	bctx, cancel := context.WithTimeout(ctx, blobTimeout)
	defer cancel()
	sent, err := ac.WriteBlobs(bctx, normal, false)
	c.count(func(s *Stats) { s.BytesUploaded += sent })
	if err != nil {
		return err
	}
	if len(forced) > 0 {
		sent, err := ac.WriteBlobs(bctx, forced, true)
		c.count(func(s *Stats) { s.BytesUploaded += sent })
		if err != nil {
			return err
		}
		c.count(func(s *Stats) { s.RemoteRepaired += int64(len(forced)) })
	}
	if c.isBad(acKey(rec.Key)) {
		c.count(func(s *Stats) { s.RemoteRepaired++ })
	}
	ar := &repb.ActionResult{
		OutputFiles: []*repb.OutputFile{
			{Path: acArchivePath, Digest: archD},
			{Path: acRecordPath, Digest: recD},
		},
		ExecutionMetadata: &repb.ExecutedActionMetadata{Worker: "meta build " + rec.Component},
	}
	rctx, cancel2 := context.WithTimeout(ctx, c.remoteTimeout())
	defer cancel2()
	return ac.UpdateActionResult(rctx, reapi.KeyAction(rec.Key), ar)
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
