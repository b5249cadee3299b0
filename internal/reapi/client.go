// Package reapi is meta's client for the Bazel Remote Execution API v2
// (REAPI) over gRPC: Capabilities, the content-addressable storage
// (FindMissingBlobs, BatchUpdateBlobs, BatchReadBlobs, ByteStream), the
// action cache and Execution. It speaks to any REAPI server — bazel-remote,
// Buildbarn, BuildBuddy, NativeLink, EngFlow — with SHA-256 digests only,
// checks every blob it reads against its digest, and never puts
// credentials in an error or a message.
package reapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/klauspost/compress/zstd"
	bspb "google.golang.org/genproto/googleapis/bytestream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ErrNotFound is returned (wrapped) when a blob or action result is absent.
var ErrNotFound = errors.New("not found")

// ErrDigest is returned (wrapped) when bytes do not match their digest.
var ErrDigest = errors.New("digest mismatch")

// Digest returns the SHA-256 digest of data.
func Digest(data []byte) *repb.Digest {
	s := sha256.Sum256(data)
	return &repb.Digest{Hash: hex.EncodeToString(s[:]), SizeBytes: int64(len(data))}
}

// MarshalDigest serializes m deterministically and returns the bytes and
// their digest.
func MarshalDigest(m proto.Message) ([]byte, *repb.Digest, error) {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	return data, Digest(data), nil
}

// CheckDigest validates the form of d: 64 lower-case hex digits and a
// size that is not negative.
func CheckDigest(d *repb.Digest) error {
	if d == nil {
		return fmt.Errorf("%w: missing digest", ErrDigest)
	}
	if !IsHex64(d.Hash) || d.SizeBytes < 0 {
		return fmt.Errorf("%w: malformed digest %q/%d", ErrDigest, d.Hash, d.SizeBytes)
	}
	return nil
}

// IsHex64 reports whether s is 64 lower-case hex digits.
func IsHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// verify checks data against d.
func verify(d *repb.Digest, data []byte) error {
	if got := Digest(data); got.Hash != d.Hash || got.SizeBytes != d.SizeBytes {
		return fmt.Errorf("%w: blob %s/%d has content %s/%d", ErrDigest, d.Hash, d.SizeBytes, got.Hash, got.SizeBytes)
	}
	return nil
}

// Target is a parsed grpc:// or grpcs:// URL.
type Target struct {
	Address  string // host:port
	TLS      bool
	Instance string // instance_name: the URL path without its leading slash
}

// ParseURL reads grpc://HOST:PORT/INSTANCE or grpcs://…; the path, if
// any, is the REAPI instance name. Credentials in the URL are refused.
func ParseURL(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("%s: %w", redact(raw), err)
	}
	if u.User != nil {
		return Target{}, fmt.Errorf("%s: credentials do not belong in the URL; set %s or %s", redact(raw), EnvToken, EnvTokenFile)
	}
	var t Target
	switch u.Scheme {
	case "grpc":
	case "grpcs":
		t.TLS = true
	default:
		return Target{}, fmt.Errorf("%s: scheme %q is not grpc or grpcs", raw, u.Scheme)
	}
	if u.Host == "" || u.Port() == "" {
		return Target{}, fmt.Errorf("%s: want grpc://HOST:PORT[/INSTANCE]", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("%s: a REAPI URL takes no query or fragment", raw)
	}
	t.Address = u.Host
	t.Instance = strings.Trim(u.Path, "/")
	for seg := range strings.SplitSeq(t.Instance, "/") {
		if seg == "." || seg == ".." || slices.Contains([]string{"blobs", "uploads", "actions", "actionResults", "operations", "capabilities", "compressed-blobs"}, seg) {
			return Target{}, fmt.Errorf("%s: instance name segment %q is reserved by REAPI", raw, seg)
		}
	}
	return t, nil
}

func redact(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "REDACTED" + raw[i:]
		}
	}
	return raw
}

// Client talks to one REAPI endpoint. It is safe for concurrent use.
type Client struct {
	conn     *grpc.ClientConn
	name     string // host:port/instance, for messages
	instance string
	cas      repb.ContentAddressableStorageClient
	ac       repb.ActionCacheClient
	bs       bspb.ByteStreamClient
	exec     repb.ExecutionClient
	caps     repb.CapabilitiesClient

	capsOnce sync.Once
	capsErr  error
	maxBatch int64 // largest request for batch calls
	zstd     bool  // the server takes and serves zstd over ByteStream
	execOK   bool  // the server offers remote execution

	// Sent counts blob bytes uploaded, for tests and benchmarks.
	sentMu sync.Mutex
	sent   int64
}

// String names the endpoint without credentials.
func (c *Client) String() string { return c.name }

// Instance is the REAPI instance name.
func (c *Client) Instance() string { return c.instance }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// BytesSent is how many blob bytes this client has uploaded.
func (c *Client) BytesSent() int64 {
	c.sentMu.Lock()
	defer c.sentMu.Unlock()
	return c.sent
}

func (c *Client) addSent(n int64) {
	c.sentMu.Lock()
	c.sent += n
	c.sentMu.Unlock()
}

// defaultMaxBatch is the batch request limit when the server states none;
// gRPC's default message limit is 4 MiB.
const defaultMaxBatch = 4<<20 - 64<<10

// Capabilities asks the server once what it supports and checks that it
// takes SHA-256 digests.
func (c *Client) Capabilities(ctx context.Context) error {
	c.capsOnce.Do(func() {
		sc, err := c.caps.GetCapabilities(ctx, &repb.GetCapabilitiesRequest{InstanceName: c.instance})
		if err != nil {
			c.capsErr = c.wrap("GetCapabilities", err)
			return
		}
		c.maxBatch = defaultMaxBatch
		if cc := sc.GetCacheCapabilities(); cc != nil {
			if fns := cc.GetDigestFunctions(); len(fns) > 0 && !slices.Contains(fns, repb.DigestFunction_SHA256) {
				c.capsErr = fmt.Errorf("%s: the server does not take SHA-256 digests (it offers %v)", c.name, fns)
				return
			}
			if m := cc.GetMaxBatchTotalSizeBytes(); m > 0 && m < c.maxBatch {
				c.maxBatch = m
			}
			c.zstd = slices.Contains(cc.GetSupportedCompressors(), repb.Compressor_ZSTD)
		}
		if ec := sc.GetExecutionCapabilities(); ec != nil && ec.GetExecEnabled() {
			if f := ec.GetDigestFunction(); f != repb.DigestFunction_UNKNOWN && f != repb.DigestFunction_SHA256 {
				c.capsErr = fmt.Errorf("%s: the executor does not take SHA-256 digests", c.name)
				return
			}
			c.execOK = true
		}
	})
	return c.capsErr
}

// wrap turns a gRPC error into one that names the endpoint and maps
// NotFound to ErrNotFound.
func (c *Client) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %s: %w", c.name, op, err)
	}
	if st.Code() == codes.NotFound {
		return fmt.Errorf("%s: %s: %w", c.name, op, ErrNotFound)
	}
	return fmt.Errorf("%s: %s: %w", c.name, op, err)
}

// FindMissing returns the digests among ds that the server lacks.
func (c *Client) FindMissing(ctx context.Context, ds []*repb.Digest) ([]*repb.Digest, error) {
	var missing []*repb.Digest
	const per = 4096
	for i := 0; i < len(ds); i += per {
		resp, err := c.cas.FindMissingBlobs(ctx, &repb.FindMissingBlobsRequest{
			InstanceName:   c.instance,
			BlobDigests:    ds[i:min(i+per, len(ds))],
			DigestFunction: repb.DigestFunction_SHA256,
		})
		if err != nil {
			return nil, c.wrap("FindMissingBlobs", err)
		}
		missing = append(missing, resp.GetMissingBlobDigests()...)
	}
	return missing, nil
}

// Blob is one blob to upload: its bytes in Data, or Open to read them
// (for large files). The digest must be right; the server checks it.
type Blob struct {
	Digest *repb.Digest
	Data   []byte
	Open   func() (io.ReadCloser, error)
}

// Upload sends the blobs the server does not have yet: small ones in
// batches, large ones over ByteStream. Unless force is set, blobs the
// server reports present are not sent at all; force sends every blob (to
// replace one found corrupt on the server).
func (c *Client) Upload(ctx context.Context, blobs []Blob, force bool) error {
	if err := c.Capabilities(ctx); err != nil {
		return err
	}
	byHash := map[string]Blob{}
	var ds []*repb.Digest
	for _, b := range blobs {
		if err := CheckDigest(b.Digest); err != nil {
			return err
		}
		if _, dup := byHash[b.Digest.Hash]; dup {
			continue
		}
		byHash[b.Digest.Hash] = b
		ds = append(ds, b.Digest)
	}
	todo := ds
	if !force {
		var err error
		if todo, err = c.FindMissing(ctx, ds); err != nil {
			return err
		}
	}
	var batch []*repb.BatchUpdateBlobsRequest_Request
	var batchSize int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		resp, err := c.cas.BatchUpdateBlobs(ctx, &repb.BatchUpdateBlobsRequest{InstanceName: c.instance, Requests: batch, DigestFunction: repb.DigestFunction_SHA256})
		if err != nil {
			return c.wrap("BatchUpdateBlobs", err)
		}
		for _, r := range resp.GetResponses() {
			if st := r.GetStatus(); st != nil && codes.Code(st.GetCode()) != codes.OK {
				return fmt.Errorf("%s: BatchUpdateBlobs %s: %s: %s", c.name, r.GetDigest().GetHash(), codes.Code(st.GetCode()), st.GetMessage())
			}
		}
		c.addSent(batchSize)
		batch, batchSize = nil, 0
		return nil
	}
	for _, d := range todo {
		b, ok := byHash[d.Hash]
		if !ok {
			return fmt.Errorf("%s: FindMissingBlobs answered with %s, which was not asked for", c.name, d.Hash)
		}
		if b.Digest.SizeBytes+1024 > c.maxBatch {
			if err := c.writeStream(ctx, b); err != nil {
				return err
			}
			continue
		}
		data := b.Data
		if data == nil && b.Digest.SizeBytes > 0 {
			var err error
			if data, err = readBlob(b); err != nil {
				return err
			}
		}
		if batchSize+int64(len(data))+1024 > c.maxBatch {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, &repb.BatchUpdateBlobsRequest_Request{Digest: b.Digest, Data: data})
		batchSize += int64(len(data))
	}
	return flush()
}

func readBlob(b Blob) ([]byte, error) {
	if b.Open == nil {
		return nil, fmt.Errorf("blob %s: no data", b.Digest.Hash)
	}
	rc, err := b.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, b.Digest.SizeBytes+1))
	if err != nil {
		return nil, err
	}
	if err := verify(b.Digest, data); err != nil {
		return nil, fmt.Errorf("blob changed while uploading: %w", err)
	}
	return data, nil
}

// chunk is the ByteStream message size.
const chunk = 1 << 20

// zstdDec decodes whole batch responses (DecodeAll is safe for concurrent use).
var zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))

func (c *Client) resource(prefix string, d *repb.Digest, compressed bool, uuid string) string {
	var b strings.Builder
	if c.instance != "" {
		b.WriteString(c.instance + "/")
	}
	if uuid != "" {
		b.WriteString("uploads/" + uuid + "/")
	}
	if compressed {
		b.WriteString("compressed-blobs/zstd/")
	} else {
		b.WriteString(prefix + "/")
	}
	fmt.Fprintf(&b, "%s/%d", d.Hash, d.SizeBytes)
	return b.String()
}

func (c *Client) writeStream(ctx context.Context, b Blob) error {
	var r io.Reader
	if b.Data != nil {
		r = bytes.NewReader(b.Data)
	} else {
		rc, err := b.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		r = rc
	}
	h := sha256.New()
	r = io.TeeReader(io.LimitReader(r, b.Digest.SizeBytes), h)
	compressed := c.zstd
	if compressed {
		pr, pw := io.Pipe()
		src := r
		go func() {
			enc := zstdEncoder(pw)
			_, err := io.Copy(enc, src)
			if cerr := enc.Close(); err == nil {
				err = cerr
			}
			pw.CloseWithError(err)
		}()
		defer pr.Close()
		r = pr
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.bs.Write(wctx)
	if err != nil {
		return c.wrap("ByteStream.Write", err)
	}
	name := c.resource("blobs", b.Digest, compressed, newUUID())
	buf := make([]byte, chunk)
	var off int64
	first := true
	for {
		n, rerr := io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return rerr
		}
		last := rerr != nil
		if last && hex.EncodeToString(h.Sum(nil)) != b.Digest.Hash {
			return fmt.Errorf("%w: blob %s changed while uploading", ErrDigest, b.Digest.Hash)
		}
		req := &bspb.WriteRequest{WriteOffset: off, Data: buf[:n], FinishWrite: last}
		if first {
			req.ResourceName = name
			first = false
		}
		if err := stream.Send(req); err != nil {
			if err == io.EOF {
				// The server ended the stream early: it has the blob.
				break
			}
			return c.wrap("ByteStream.Write", err)
		}
		off += int64(n)
		if last {
			break
		}
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		return c.wrap("ByteStream.Write", err)
	}
	c.addSent(off)
	return nil
}

// zstdEncoder wraps w with a fresh, fast encoder.
func zstdEncoder(w io.Writer) *zstd.Encoder {
	enc, _ := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	return enc
}

// Read returns the blob d, checked against d.
func (c *Client) Read(ctx context.Context, d *repb.Digest) ([]byte, error) {
	if err := CheckDigest(d); err != nil {
		return nil, err
	}
	if err := c.Capabilities(ctx); err != nil {
		return nil, err
	}
	if d.SizeBytes == 0 {
		if err := verify(d, nil); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	if d.SizeBytes+1024 <= c.maxBatch {
		out, err := c.ReadBatch(ctx, []*repb.Digest{d})
		if err != nil {
			return nil, err
		}
		return out[d.Hash], nil
	}
	var buf bytes.Buffer
	if err := c.ReadTo(ctx, d, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadBatch reads small blobs in one BatchReadBlobs call, each checked
// against its digest. Any absent blob is ErrNotFound.
func (c *Client) ReadBatch(ctx context.Context, ds []*repb.Digest) (map[string][]byte, error) {
	req := &repb.BatchReadBlobsRequest{InstanceName: c.instance, Digests: ds, DigestFunction: repb.DigestFunction_SHA256}
	if c.zstd {
		req.AcceptableCompressors = []repb.Compressor_Value{repb.Compressor_ZSTD}
	}
	resp, err := c.cas.BatchReadBlobs(ctx, req)
	if err != nil {
		return nil, c.wrap("BatchReadBlobs", err)
	}
	want := map[string]*repb.Digest{}
	for _, d := range ds {
		want[d.Hash] = d
	}
	out := map[string][]byte{}
	for _, r := range resp.GetResponses() {
		d, ok := want[r.GetDigest().GetHash()]
		if !ok {
			continue
		}
		if st := r.GetStatus(); st != nil && codes.Code(st.GetCode()) != codes.OK {
			if codes.Code(st.GetCode()) == codes.NotFound {
				return nil, fmt.Errorf("%s: blob %s: %w", c.name, d.Hash, ErrNotFound)
			}
			return nil, fmt.Errorf("%s: BatchReadBlobs %s: %s: %s", c.name, d.Hash, codes.Code(st.GetCode()), st.GetMessage())
		}
		data := r.GetData()
		if r.GetCompressor() == repb.Compressor_ZSTD {
			if data, err = zstdDec.DecodeAll(data, make([]byte, 0, d.SizeBytes)); err != nil {
				return nil, fmt.Errorf("%s: blob %s: zstd: %w", c.name, d.Hash, err)
			}
		} else if r.GetCompressor() != repb.Compressor_IDENTITY {
			return nil, fmt.Errorf("%s: blob %s: compressor %s was not asked for", c.name, d.Hash, r.GetCompressor())
		}
		if err := verify(d, data); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		out[d.Hash] = data
	}
	for _, d := range ds {
		if _, ok := out[d.Hash]; !ok {
			return nil, fmt.Errorf("%s: blob %s: %w", c.name, d.Hash, ErrNotFound)
		}
	}
	return out, nil
}

// ReadTo streams blob d into w over ByteStream and fails, after writing,
// unless what arrived matches d; callers must discard w's content then.
func (c *Client) ReadTo(ctx context.Context, d *repb.Digest, w io.Writer) error {
	if err := CheckDigest(d); err != nil {
		return err
	}
	if err := c.Capabilities(ctx); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	compressed := c.zstd
	stream, err := c.bs.Read(rctx, &bspb.ReadRequest{ResourceName: c.resource("blobs", d, compressed, "")})
	if err != nil {
		return c.wrap("ByteStream.Read", err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(w, h), limit: d.SizeBytes}
	var sink io.Writer = cw
	var pw *io.PipeWriter
	var decDone chan error
	if compressed {
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		decDone = make(chan error, 1)
		go func() {
			dec, err := zstd.NewReader(pr, zstd.WithDecoderConcurrency(1))
			if err != nil {
				pr.CloseWithError(err)
				decDone <- err
				return
			}
			_, err = io.Copy(cw, dec)
			dec.Close()
			pr.CloseWithError(err)
			decDone <- err
		}()
		sink = pw
	}
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			if pw != nil {
				pw.CloseWithError(err)
				<-decDone
			}
			return c.wrap("ByteStream.Read", err)
		}
		if _, err := sink.Write(resp.GetData()); err != nil {
			if pw != nil {
				pw.CloseWithError(err)
				<-decDone
			}
			return fmt.Errorf("%s: blob %s: %w", c.name, d.Hash, err)
		}
	}
	if pw != nil {
		pw.Close()
		if err := <-decDone; err != nil {
			return fmt.Errorf("%s: blob %s: %w", c.name, d.Hash, err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.Hash || cw.n != d.SizeBytes {
		return fmt.Errorf("%s: %w: blob %s/%d has content %s/%d", c.name, ErrDigest, d.Hash, d.SizeBytes, got, cw.n)
	}
	return nil
}

type countWriter struct {
	w     io.Writer
	n     int64
	limit int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.n+int64(len(p)) > c.limit {
		return 0, fmt.Errorf("%w: more bytes than the digest's size %d", ErrDigest, c.limit)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// GetActionResult reads the action cache entry for action digest d,
// asking the server to inline the contents of the named output files
// (servers may not; callers must check inlined contents against the
// digests, see InlineContents).
func (c *Client) GetActionResult(ctx context.Context, d *repb.Digest, inline ...string) (*repb.ActionResult, error) {
	ar, err := c.ac.GetActionResult(ctx, &repb.GetActionResultRequest{InstanceName: c.instance, ActionDigest: d, DigestFunction: repb.DigestFunction_SHA256, InlineOutputFiles: inline})
	if err != nil {
		return nil, c.wrap("GetActionResult "+d.GetHash(), err)
	}
	return ar, nil
}

// UpdateActionResult writes (or replaces) the action cache entry for d.
func (c *Client) UpdateActionResult(ctx context.Context, d *repb.Digest, ar *repb.ActionResult) error {
	_, err := c.ac.UpdateActionResult(ctx, &repb.UpdateActionResultRequest{InstanceName: c.instance, ActionDigest: d, ActionResult: ar, DigestFunction: repb.DigestFunction_SHA256})
	return c.wrap("UpdateActionResult "+d.GetHash(), err)
}

// InlineContents returns f's inlined contents when the server sent them
// and they match f's digest; nil otherwise (read the blob then).
func InlineContents(f *repb.OutputFile) []byte {
	data := f.GetContents()
	if len(data) == 0 && f.GetDigest().GetSizeBytes() != 0 {
		return nil
	}
	if verify(f.GetDigest(), data) != nil {
		return nil
	}
	return data
}
