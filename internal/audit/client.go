package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// DefaultOSVURL is the public OSV API.
const DefaultOSVURL = "https://api.osv.dev"

// maxBatch is the OSV API's limit of queries per querybatch request.
const maxBatch = 1000

// Client queries the OSV API: POST /v1/querybatch for the ids affecting
// each package version (following next_page_token), then GET
// /v1/vulns/{id} for each record, in parallel, through an on-disk cache
// keyed by id and modified time. Requests answered 429 or 5xx, or that fail
// in transit, are retried with exponential backoff, honouring Retry-After.
type Client struct {
	BaseURL     string        // default DefaultOSVURL
	HTTP        *http.Client  // default http.DefaultClient
	CacheDir    string        // where records are cached; "" disables the cache
	Parallel    int           // concurrent record fetches; default 8
	MaxAttempts int           // attempts per request; default 5
	Backoff     time.Duration // first retry delay, doubled each time; default 500ms
	BatchSize   int           // queries per querybatch request; default and maximum 1000
	// Sleep waits d or until ctx ends; tests replace it. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

type apiQuery struct {
	Package   apiPackage `json:"package"`
	Version   string     `json:"version"`
	PageToken string     `json:"page_token,omitempty"`
}

type apiPackage struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
}

type batchResponse struct {
	Results []struct {
		Vulns []struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
		} `json:"vulns"`
		NextPageToken string `json:"next_page_token"`
	} `json:"results"`
}

// Records implements Source.
func (c *Client) Records(ctx context.Context, qs []Query) ([][]*Record, error) {
	ids := make([][]string, len(qs))
	modified := map[string]string{}
	pending := make([]int, len(qs)) // indexes of queries still to ask
	for i := range qs {
		pending[i] = i
	}
	tokens := make([]string, len(qs))
	batch := c.BatchSize
	if batch <= 0 || batch > maxBatch {
		batch = maxBatch
	}
	for len(pending) > 0 {
		var next []int
		for start := 0; start < len(pending); start += batch {
			part := pending[start:min(start+batch, len(pending))]
			req := struct {
				Queries []apiQuery `json:"queries"`
			}{}
			for _, i := range part {
				q := qs[i]
				req.Queries = append(req.Queries, apiQuery{
					Package:   apiPackage{Name: q.Name, Ecosystem: q.Ecosystem},
					Version:   canonVersion(q.Ecosystem, q.Version),
					PageToken: tokens[i],
				})
			}
			body, err := json.Marshal(req)
			if err != nil {
				return nil, err
			}
			var resp batchResponse
			if err := c.do(ctx, http.MethodPost, "/v1/querybatch", body, &resp); err != nil {
				return nil, err
			}
			if len(resp.Results) != len(part) {
				return nil, fmt.Errorf("OSV querybatch: %d results for %d queries", len(resp.Results), len(part))
			}
			for k, res := range resp.Results {
				i := part[k]
				for _, v := range res.Vulns {
					if v.ID == "" {
						continue
					}
					ids[i] = append(ids[i], v.ID)
					if old, ok := modified[v.ID]; !ok || v.Modified > old {
						modified[v.ID] = v.Modified
					}
				}
				tokens[i] = res.NextPageToken
				if res.NextPageToken != "" {
					next = append(next, i)
				}
			}
		}
		pending = next
	}
	recs, err := c.fetchAll(ctx, modified)
	if err != nil {
		return nil, err
	}
	out := make([][]*Record, len(qs))
	for i, list := range ids {
		seen := map[string]bool{}
		for _, id := range list {
			if !seen[id] {
				seen[id] = true
				out[i] = append(out[i], recs[id])
			}
		}
	}
	return out, nil
}

// fetchAll gets every record named in modified (id → modified time).
func (c *Client) fetchAll(ctx context.Context, modified map[string]string) (map[string]*Record, error) {
	ids := make([]string, 0, len(modified))
	for id := range modified {
		ids = append(ids, id)
	}
	recs := make([]*Record, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	n := c.Parallel
	if n <= 0 {
		n = 8
	}
	g.SetLimit(n)
	for i, id := range ids {
		g.Go(func() error {
			r, err := c.Record(gctx, id, modified[id])
			recs[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]*Record, len(ids))
	for i, id := range ids {
		out[id] = recs[i]
	}
	return out, nil
}

// Record returns the record id, from the cache when the cached copy has
// the given modified time, else from GET /v1/vulns/{id}.
func (c *Client) Record(ctx context.Context, id, modified string) (*Record, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return nil, fmt.Errorf("OSV: refusing advisory id %q", id)
	}
	cachePath := ""
	if c.CacheDir != "" {
		cachePath = filepath.Join(c.CacheDir, id+".json")
		if data, err := os.ReadFile(cachePath); err == nil {
			if r, err := ParseRecord(data); err == nil && modified != "" && r.Modified == modified {
				return r, nil
			}
		}
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/v1/vulns/"+url.PathEscape(id), nil, &raw); err != nil {
		return nil, err
	}
	r, err := ParseRecord(raw)
	if err != nil {
		return nil, fmt.Errorf("OSV record %s: %w", id, err)
	}
	if cachePath != "" {
		// The cache is an optimisation: a failed write is not an error.
		_ = writeAtomic(cachePath, raw)
	}
	return r, nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(f.Name())
		return errors.Join(werr, cerr)
	}
	return os.Rename(f.Name(), path)
}

// httpStatusError is a non-2xx answer.
type httpStatusError struct {
	method, url string
	status      int
	body        string
}

func (e *httpStatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.method, e.url, http.StatusText(e.status))
	if e.status != 0 {
		msg = fmt.Sprintf("%s %s: HTTP %d", e.method, e.url, e.status)
	}
	if e.body != "" {
		msg += ": " + e.body
	}
	return msg
}

// do sends one request, retrying transient failures, and decodes the JSON
// answer into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultOSVURL
	}
	u := base + path
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	delay := c.Backoff
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	sleep := c.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		wait := time.Duration(0)
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			lastErr = fmt.Errorf("%s %s: %w", method, u, err)
		} else {
			data, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
			resp.Body.Close()
			switch {
			case resp.StatusCode/100 == 2 && rerr == nil:
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("%s %s: bad JSON answer: %w", method, u, err)
				}
				return nil
			case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode/100 == 5:
				lastErr = &httpStatusError{method: method, url: u, status: resp.StatusCode, body: snippet(data)}
				wait = retryAfter(resp.Header.Get("Retry-After"))
			case rerr != nil:
				lastErr = fmt.Errorf("%s %s: reading answer: %w", method, u, rerr)
			default:
				return &httpStatusError{method: method, url: u, status: resp.StatusCode, body: snippet(data)}
			}
		}
		if attempt >= attempts {
			return fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt)
		}
		if wait <= 0 {
			wait = delay
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped
// at one minute; 0 when absent or unreadable.
func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(h); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	return max(0, min(d, time.Minute))
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
