package backend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"github.com/metawork/meta/internal/reapi"
	"google.golang.org/protobuf/proto"
)

// ActionCache is implemented by the backends that speak the Bazel remote
// cache protocols (HTTP and REAPI gRPC). Their action cache holds REAPI
// ActionResult messages keyed by an Action digest, and their CAS holds
// blobs addressed by SHA-256 and size; arbitrary bytes under ac/ are
// refused by real servers such as bazel-remote.
type ActionCache interface {
	Backend
	// GetActionResult reads the entry for action; ErrNotFound when absent.
	// The server may inline the contents of the output files named by
	// inline (check them with reapi.InlineContents).
	GetActionResult(ctx context.Context, action *repb.Digest, inline ...string) (*repb.ActionResult, error)
	// UpdateActionResult writes or replaces the entry for action.
	UpdateActionResult(ctx context.Context, action *repb.Digest, ar *repb.ActionResult) error
	// ReadBlob streams blob d into w and fails, after writing, unless the
	// bytes match d (callers discard what was written then); ErrNotFound
	// when absent.
	ReadBlob(ctx context.Context, d *repb.Digest, w io.Writer) error
	// WriteBlobs uploads the blobs the server lacks; with force it sends
	// them all, replacing copies the server holds (self-repair of a blob
	// found corrupt). It returns the number of blob bytes sent.
	WriteBlobs(ctx context.Context, blobs []reapi.Blob, force bool) (int64, error)
}

// Replacer is implemented by backends that can overwrite a key: used only
// to replace an object a read proved corrupt, never for ordinary writes.
type Replacer interface {
	Replace(ctx context.Context, key string, r io.Reader, size int64) error
}

// GetActionResult reads BASE/ac/<hash> as a serialized ActionResult.
// The HTTP protocol never inlines.
func (b *Bazel) GetActionResult(ctx context.Context, action *repb.Digest, inline ...string) (*repb.ActionResult, error) {
	if err := reapi.CheckDigest(action); err != nil {
		return nil, err
	}
	key := "ac/" + action.Hash
	resp, err := b.request(ctx, http.MethodGet, key, nil, 0)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, b.statusErr("GET", key, resp)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxActionResult+1))
	if err != nil {
		return nil, fmt.Errorf("%s: GET %s: %w", b.base, key, err)
	}
	if len(data) > maxActionResult {
		return nil, fmt.Errorf("%s: GET %s: action result larger than %d bytes", b.base, key, maxActionResult)
	}
	ar := &repb.ActionResult{}
	if err := proto.Unmarshal(data, ar); err != nil {
		return nil, fmt.Errorf("%s: GET %s: %w: not an ActionResult: %v", b.base, key, ErrCorrupt, err)
	}
	return ar, nil
}

// maxActionResult bounds an action cache entry read over HTTP.
const maxActionResult = 16 << 20

// UpdateActionResult PUTs the serialized ActionResult at BASE/ac/<hash>.
func (b *Bazel) UpdateActionResult(ctx context.Context, action *repb.Digest, ar *repb.ActionResult) error {
	if err := reapi.CheckDigest(action); err != nil {
		return err
	}
	data, _, err := reapi.MarshalDigest(ar)
	if err != nil {
		return err
	}
	return b.put(ctx, "ac/"+action.Hash, bytes.NewReader(data), int64(len(data)), false)
}

// ReadBlob streams BASE/cas/<hash> into w, checking hash and size.
func (b *Bazel) ReadBlob(ctx context.Context, d *repb.Digest, w io.Writer) error {
	if err := reapi.CheckDigest(d); err != nil {
		return err
	}
	key := "cas/" + d.Hash
	resp, err := b.request(ctx, http.MethodGet, key, nil, 0)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return b.statusErr("GET", key, resp)
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, d.SizeBytes+1))
	if err != nil {
		return fmt.Errorf("%s: GET %s: %w", b.base, key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.Hash || n != d.SizeBytes {
		return fmt.Errorf("%s: GET %s: %w: content has sha256 %s and %d bytes, want %d bytes", b.base, key, reapi.ErrDigest, short(got), n, d.SizeBytes)
	}
	return nil
}

// WriteBlobs PUTs each blob at BASE/cas/<hash>, after a HEAD that finds
// it absent unless force is set.
func (b *Bazel) WriteBlobs(ctx context.Context, blobs []reapi.Blob, force bool) (int64, error) {
	var sent int64
	for _, bl := range blobs {
		if err := reapi.CheckDigest(bl.Digest); err != nil {
			return sent, err
		}
		key := "cas/" + bl.Digest.Hash
		if !force {
			if _, err := b.Stat(ctx, key); err == nil {
				continue
			} else if !errors.Is(err, ErrNotFound) {
				return sent, err
			}
		}
		var r io.Reader
		if bl.Data != nil {
			r = bytes.NewReader(bl.Data)
		} else {
			rc, err := bl.Open()
			if err != nil {
				return sent, err
			}
			r = rc
			defer rc.Close()
		}
		if err := b.put(ctx, key, r, bl.Digest.SizeBytes, !force); err != nil {
			return sent, err
		}
		sent += bl.Digest.SizeBytes
	}
	return sent, nil
}

// Replace overwrites key (self-repair of an object found corrupt).
func (b *Bazel) Replace(ctx context.Context, key string, r io.Reader, size int64) error {
	return b.putChecked(ctx, key, r, size, false)
}

// GRPC is the REAPI v2 gRPC cache (grpc:// or grpcs://): bazel-remote,
// Buildbarn, BuildBuddy and others. Blobs are addressed by hash and size,
// so the Backend methods that know only a key (Get, Stat) are not
// available; the build cache uses the ActionCache methods.
type GRPC struct {
	c *reapi.Client
}

func openGRPC(u *url.URL, opts Options) (*GRPC, error) {
	c, err := reapi.Dial(u.String(), reapi.Options{Getenv: opts.Getenv})
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	return &GRPC{c: c}, nil
}

// Client is the underlying REAPI client.
func (g *GRPC) Client() *reapi.Client { return g.c }

func (g *GRPC) String() string { return g.c.String() }

func (g *GRPC) unsupported(op, key string) error {
	return fmt.Errorf("%s: %s %s: REAPI addresses blobs by hash and size, not by key: %w", g.c, op, key, errors.ErrUnsupported)
}

// Get is not available: a REAPI read needs the blob's size.
func (g *GRPC) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return nil, g.unsupported("get", key)
}

// Stat is not available: a REAPI lookup needs the blob's size.
func (g *GRPC) Stat(ctx context.Context, key string) (Info, error) {
	return Info{}, g.unsupported("stat", key)
}

// Put uploads a cas/<sha256> blob of the given size if the server lacks it.
func (g *GRPC) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	ns, sum, err := bazelKey(key)
	if err != nil {
		return err
	}
	if ns != "cas" || size < 0 {
		return g.unsupported("put", key)
	}
	data, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return err
	}
	d := reapi.Digest(data)
	if d.Hash != sum || d.SizeBytes != size {
		return fmt.Errorf("%s: put %s: content has sha256 %s and %d bytes", g.c, key, d.Hash, d.SizeBytes)
	}
	_, err = g.WriteBlobs(ctx, []reapi.Blob{{Digest: d, Data: data}}, false)
	return err
}

// Delete is not part of REAPI.
func (g *GRPC) Delete(ctx context.Context, key string) error { return g.unsupported("delete", key) }

// List is not part of REAPI.
func (g *GRPC) List(ctx context.Context, prefix string) ([]Info, error) {
	return nil, g.unsupported("list", prefix)
}

func (g *GRPC) GetActionResult(ctx context.Context, action *repb.Digest, inline ...string) (*repb.ActionResult, error) {
	ar, err := g.c.GetActionResult(ctx, action, inline...)
	return ar, mapNotFound(err)
}

func (g *GRPC) UpdateActionResult(ctx context.Context, action *repb.Digest, ar *repb.ActionResult) error {
	return g.c.UpdateActionResult(ctx, action, ar)
}

func (g *GRPC) ReadBlob(ctx context.Context, d *repb.Digest, w io.Writer) error {
	return mapNotFound(g.c.ReadTo(ctx, d, w))
}

func (g *GRPC) WriteBlobs(ctx context.Context, blobs []reapi.Blob, force bool) (int64, error) {
	before := g.c.BytesSent()
	err := g.c.Upload(ctx, blobs, force)
	return g.c.BytesSent() - before, err
}

// mapNotFound makes reapi's not-found this package's.
func mapNotFound(err error) error {
	if err != nil && errors.Is(err, reapi.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

var (
	_ ActionCache = (*Bazel)(nil)
	_ ActionCache = (*GRPC)(nil)
	_ Replacer    = (*Bazel)(nil)
)

// ErrCorrupt is returned (wrapped) when the server answered with bytes
// that are not what the protocol says they must be.
var ErrCorrupt = errors.New("corrupt")

// Replace removes key and writes it again: only for an object a read
// proved corrupt. Another writer racing in between wins, which is as good.
func (l *Local) Replace(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := l.Delete(ctx, key); err != nil {
		return err
	}
	return l.Put(ctx, key, r, size)
}

// Replace removes key and writes it again: only for an object a read
// proved corrupt. Another writer racing in between wins, which is as good.
func (s *S3) Replace(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.Delete(ctx, key); err != nil {
		return err
	}
	return s.Put(ctx, key, r, size)
}

var (
	_ Replacer = (*Local)(nil)
	_ Replacer = (*S3)(nil)
)

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
