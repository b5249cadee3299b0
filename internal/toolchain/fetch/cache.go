// Package fetch owns meta's cache of raw upstream documents (version lists,
// release listings, checksum files): each is stored as fetched, with its
// fetch time and ETag, reused for a TTL, revalidated with If-None-Match, used
// stale when the network fails, and read alone in offline mode.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultTTL is how long a fetched document is used without revalidation.
const DefaultTTL = 24 * time.Hour

// maxDoc bounds a document's size; upstream lists are a few MB at most.
const maxDoc = 64 << 20

// Cache fetches documents through an on-disk cache. The zero value is not
// usable; set Dir. A Cache is safe for concurrent use.
type Cache struct {
	Dir     string        // e.g. $XDG_CACHE_HOME/meta/tools
	Client  *http.Client  // nil means http.DefaultClient
	TTL     time.Duration // 0 means DefaultTTL
	Offline bool          // never use the network; a missing document is an error
	Refresh bool          // ignore cached copies (fetch unconditionally)
	Now     func() time.Time
	Header  func(url string) http.Header // extra request headers per URL (credentials)

	group singleflight.Group
	mu    sync.Mutex
	seen  map[string]*Doc // documents already obtained by this Cache
}

// Doc is a document and where it came from.
type Doc struct {
	URL       string
	Body      []byte
	SHA256    string    // hex digest of Body
	FetchedAt time.Time // when the upstream last answered for it (200 or 304)
	FromCache bool      // served without a 200 response in this call
	Stale     bool      // older than the TTL and could not be revalidated
	StaleWhy  string    // why revalidation failed
}

// Age is how old d is at now.
func (d *Doc) Age(now time.Time) time.Duration { return now.Sub(d.FetchedAt) }

type meta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	FetchedAt    time.Time `json:"fetched_at"`
	SHA256       string    `json:"sha256"`
}

// Error is a failure to obtain a document.
type Error struct {
	URL  string
	Msg  string
	Hint string
	Err  error
}

func (e *Error) Error() string { return "fetch " + e.URL + ": " + e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultTTL
}

func (c *Cache) paths(url string) (body, metaFile string) {
	h := sha256.Sum256([]byte(url))
	k := hex.EncodeToString(h[:16])
	return filepath.Join(c.Dir, k+".body"), filepath.Join(c.Dir, k+".json")
}

// Get returns the document at url. validate, when not nil, checks a fresh
// body before it replaces the cached copy, so a truncated or garbled answer
// never poisons the cache. Concurrent calls for one URL share one request,
// and a Cache answers each URL at most once per lifetime.
func (c *Cache) Get(ctx context.Context, url string, validate func([]byte) error) (*Doc, error) {
	c.mu.Lock()
	if d, ok := c.seen[url]; ok {
		c.mu.Unlock()
		return d, nil
	}
	c.mu.Unlock()
	v, err, _ := c.group.Do(url, func() (any, error) {
		d, err := c.get(ctx, url, validate)
		if err == nil {
			c.mu.Lock()
			if c.seen == nil {
				c.seen = map[string]*Doc{}
			}
			c.seen[url] = d
			c.mu.Unlock()
		}
		return d, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*Doc), nil
}

func (c *Cache) get(ctx context.Context, url string, validate func([]byte) error) (*Doc, error) {
	cached, m := c.load(url)
	if c.Offline {
		if cached == nil {
			return nil, &Error{URL: url, Msg: "not in the cache and --offline forbids the network",
				Hint: "run the command once without --offline to fill the cache"}
		}
		return cached, nil
	}
	if cached != nil && !c.Refresh && c.now().Sub(m.FetchedAt) < c.ttl() {
		return cached, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &Error{URL: url, Msg: err.Error(), Err: err}
	}
	if c.Header != nil {
		for k, vs := range c.Header(url) {
			req.Header[k] = vs
		}
	}
	if cached != nil && !c.Refresh {
		if m.ETag != "" {
			req.Header.Set("If-None-Match", m.ETag)
		} else if m.LastModified != "" {
			req.Header.Set("If-Modified-Since", m.LastModified)
		}
	}
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	stale := func(why string, err error) (*Doc, error) {
		if cached != nil && !c.Refresh && ctx.Err() == nil {
			cached.Stale, cached.StaleWhy = true, why
			return cached, nil
		}
		hint := "check the network, or point the source at a mirror (tools.sources in the user config, or META_SOURCE_*)"
		return nil, &Error{URL: url, Msg: why, Hint: hint, Err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return stale(describeNetErr(err), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		m.FetchedAt = c.now().UTC()
		if err := c.saveMeta(url, m); err != nil {
			return nil, err
		}
		cached.FetchedAt = m.FetchedAt
		return cached, nil
	case resp.StatusCode != http.StatusOK:
		return stale(fmt.Sprintf("server answered %s", resp.Status), nil)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDoc+1))
	if err != nil {
		return stale("reading the response: "+describeNetErr(err), err)
	}
	if len(body) > maxDoc {
		return nil, &Error{URL: url, Msg: fmt.Sprintf("document larger than %d MiB", maxDoc>>20)}
	}
	if validate != nil {
		if err := validate(body); err != nil {
			return nil, err
		}
	}
	h := sha256.Sum256(body)
	nm := meta{URL: url, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), FetchedAt: c.now().UTC(), SHA256: hex.EncodeToString(h[:])}
	if err := c.save(url, body, nm); err != nil {
		return nil, err
	}
	return &Doc{URL: url, Body: body, SHA256: nm.SHA256, FetchedAt: nm.FetchedAt}, nil
}

func describeNetErr(err error) string {
	var ue interface{ Unwrap() error }
	msg := err.Error()
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		msg = ue.Unwrap().Error()
	}
	return strings.TrimSpace(msg)
}

// load returns the cached document for url, or nil when there is none or it
// is damaged (its digest does not match).
func (c *Cache) load(url string) (*Doc, meta) {
	bp, mp := c.paths(url)
	var m meta
	mb, err := os.ReadFile(mp)
	if err != nil || json.Unmarshal(mb, &m) != nil || m.URL != url {
		return nil, meta{}
	}
	body, err := os.ReadFile(bp)
	if err != nil {
		return nil, meta{}
	}
	h := sha256.Sum256(body)
	if hex.EncodeToString(h[:]) != m.SHA256 {
		return nil, meta{}
	}
	return &Doc{URL: url, Body: body, SHA256: m.SHA256, FetchedAt: m.FetchedAt, FromCache: true}, m
}

// Cached returns the cached copy of url without any network access, or nil.
func (c *Cache) Cached(url string) *Doc {
	d, _ := c.load(url)
	return d
}

func (c *Cache) save(url string, body []byte, m meta) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("tool cache: %w", err)
	}
	bp, _ := c.paths(url)
	if err := writeAtomic(bp, body); err != nil {
		return err
	}
	return c.saveMeta(url, m)
}

func (c *Cache) saveMeta(url string, m meta) error {
	_, mp := c.paths(url)
	b, _ := json.MarshalIndent(m, "", "  ")
	return writeAtomic(mp, append(b, '\n'))
}

// writeAtomic writes data to path through a temporary file and a rename, so
// concurrent readers see the old or the new content, never a mix.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("tool cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("tool cache: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("tool cache: writing %s: %v", path, errors.Join(werr, cerr))
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("tool cache: %w", err)
	}
	return nil
}
