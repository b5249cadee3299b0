package registry

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
	"strings"
	"sync"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/regindex"
)

// Client talks to one registry: index reads (cached on disk and
// revalidated with ETags), verified downloads and the JSON API.
type Client struct {
	// URL is the registry's base URL; the index is at URL/index/.
	URL string
	// Token authenticates API writes (it is never sent with reads).
	Token string
	// HTTP is the client used; http.DefaultClient when nil.
	HTTP *http.Client
	// CacheDir keeps index files and their ETags; no cache when empty.
	CacheDir string
	// MaxDownload bounds a tarball download (DefaultMaxDownload when 0).
	MaxDownload int64
	// Offline reads index files from CacheDir only.
	Offline bool
	// Warn, when set, hears about fallbacks: an unreachable registry
	// answered from the cache.
	Warn func(msg string)

	cfgOnce sync.Once
	cfg     IndexConfig
	cfgErr  error
}

// APIError is an error answer from the registry.
type APIError struct {
	Method, URL string
	Status      int
	Detail      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), e.Detail)
}

// ChecksumError is a download whose SHA-256 is not the index's.
type ChecksumError struct {
	Name, Vers, Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s@%s: checksum mismatch: the index says sha256 %s, the download is %s; the registry's storage may have been tampered with", e.Name, e.Vers, e.Want, e.Got)
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) base() string { return strings.TrimSuffix(c.URL, "/") }

func (c *Client) do(ctx context.Context, method, u string, body []byte, hdr map[string]string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	// Only writes carry the token: reads are public, and a token kept off
	// them can neither leak through a mirror's logs nor use up the
	// token's rate limit.
	if c.Token != "" && method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// apiError reads an error answer.
func apiError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &APIError{Method: resp.Request.Method, URL: resp.Request.URL.String(), Status: resp.StatusCode}
	var body ErrorBody
	if json.Unmarshal(data, &body) == nil && len(body.Errors) > 0 {
		var parts []string
		for _, d := range body.Errors {
			parts = append(parts, d.Detail)
		}
		e.Detail = strings.Join(parts, "; ")
	} else {
		e.Detail = strings.TrimSpace(string(data))
		if len(e.Detail) > 200 {
			e.Detail = e.Detail[:200] + "…"
		}
	}
	return e
}

// api performs a JSON API call and decodes the answer into out.
func (c *Client) api(ctx context.Context, method, path string, body []byte, out any) error {
	hdr := map[string]string{"Accept": "application/json"}
	if body != nil {
		hdr["Content-Type"] = "application/json"
	}
	resp, err := c.do(ctx, method, c.base()+path, body, hdr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return apiError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %v", method, path, err)
	}
	return nil
}

// Config fetches /index/config.json once.
func (c *Client) Config(ctx context.Context) (IndexConfig, error) {
	c.cfgOnce.Do(func() {
		var cfg IndexConfig
		resp, err := c.do(ctx, http.MethodGet, c.base()+"/index/config.json", nil, nil)
		if err != nil {
			c.cfgErr = err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			c.cfgErr = apiError(resp)
			return
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&cfg); err != nil {
			c.cfgErr = fmt.Errorf("%s/index/config.json: %v", c.base(), err)
			return
		}
		if cfg.DL == "" {
			c.cfgErr = fmt.Errorf("%s/index/config.json has no dl URL", c.base())
			return
		}
		c.cfg = cfg
	})
	return c.cfg, c.cfgErr
}

// Index returns a package's index entries, oldest first. With a CacheDir the
// file is revalidated with If-None-Match and read from disk on 304. A
// missing package is ErrPackageNotFound.
func (c *Client) Index(ctx context.Context, name string) ([]IndexEntry, error) {
	if err := regindex.ValidateName(name); err != nil {
		return nil, err
	}
	rel := regindex.IndexPath(name)
	var cacheFile string
	var cached []byte
	hdr := map[string]string{}
	if c.CacheDir != "" {
		cacheFile = filepath.Join(c.CacheDir, "index", filepath.FromSlash(rel))
		if etag, err := os.ReadFile(cacheFile + ".etag"); err == nil {
			if data, err := os.ReadFile(cacheFile); err == nil {
				cached = data
				hdr["If-None-Match"] = strings.TrimSpace(string(etag))
			}
		}
	}
	u := c.base() + "/index/" + rel
	if c.Offline {
		if cached == nil {
			return nil, fmt.Errorf("%s: no cached index for %s (offline)", c.base(), name)
		}
		return parseCached(u, name, cached)
	}
	resp, err := c.do(ctx, http.MethodGet, u, nil, hdr)
	if err != nil {
		if cached != nil && ctx.Err() == nil {
			if c.Warn != nil {
				c.Warn(fmt.Sprintf("registry %s unreachable (%v); using the cached index of %s", c.base(), err, name))
			}
			return parseCached(u, name, cached)
		}
		return nil, err
	}
	defer resp.Body.Close()
	var data []byte
	switch resp.StatusCode {
	case http.StatusNotModified:
		if cached == nil {
			return nil, fmt.Errorf("GET %s: 304 Not Modified without a cached copy", u)
		}
		data = cached
	case http.StatusOK:
		data, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %v", u, err)
		}
	case http.StatusNotFound, http.StatusGone:
		if cacheFile != "" {
			os.Remove(cacheFile)
			os.Remove(cacheFile + ".etag")
		}
		return nil, fmt.Errorf("%s in %s: %w", name, c.base(), ErrPackageNotFound)
	default:
		return nil, apiError(resp)
	}
	entries, err := regindex.ParseIndex(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	if resp.StatusCode == http.StatusOK && cacheFile != "" {
		if etag := resp.Header.Get("ETag"); etag != "" {
			// The cache is an optimisation: failing to write it is not an error.
			if atomicfile.Write(cacheFile, data, 0o644) == nil {
				atomicfile.Write(cacheFile+".etag", []byte(etag+"\n"), 0o644)
			}
		}
	}
	return entries, nil
}

func parseCached(u, name string, data []byte) ([]IndexEntry, error) {
	entries, err := regindex.ParseIndex(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s (cached): %w", u, err)
	}
	return entries, nil
}

// DownloadURL is where e's tarball is fetched from, per config.json.
func (c *Client) DownloadURL(ctx context.Context, e IndexEntry) (string, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return "", err
	}
	dl := cfg.DL
	if !strings.Contains(dl, "{") {
		dl = strings.TrimSuffix(dl, "/") + "/{cksum}"
	}
	r := strings.NewReplacer("{name}", url.PathEscape(e.Name), "{version}", url.PathEscape(e.Vers), "{cksum}", e.Cksum)
	return r.Replace(dl), nil
}

// Publish uploads a version.
func (c *Client) Publish(ctx context.Context, meta PublishMeta, tarball []byte) (*PublishResult, error) {
	body, err := EncodePublish(meta, tarball)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPut, c.base()+"/api/v1/packages/new", body, map[string]string{"Content-Type": "application/octet-stream"})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	var res PublishResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil {
		return nil, fmt.Errorf("publish: reading the answer: %v", err)
	}
	return &res, nil
}

func pkgPath(name string, rest ...string) string {
	p := "/api/v1/packages/" + url.PathEscape(name)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// Yank marks a version yanked, with a reason shown to users.
func (c *Client) Yank(ctx context.Context, name, vers, reason string) (*OKResult, error) {
	body, _ := json.Marshal(yankRequest{Reason: reason})
	var res OKResult
	return &res, c.api(ctx, http.MethodDelete, pkgPath(name, vers, "yank"), body, &res)
}

// Unyank undoes Yank.
func (c *Client) Unyank(ctx context.Context, name, vers string) (*OKResult, error) {
	var res OKResult
	return &res, c.api(ctx, http.MethodPut, pkgPath(name, vers, "unyank"), nil, &res)
}

// Search finds packages whose name or description contains q.
func (c *Client) Search(ctx context.Context, q string, perPage int) (*SearchResult, error) {
	v := url.Values{"q": {q}}
	if perPage > 0 {
		v.Set("per_page", fmt.Sprint(perPage))
	}
	var res SearchResult
	return &res, c.api(ctx, http.MethodGet, "/api/v1/packages?"+v.Encode(), nil, &res)
}

// Info describes a package and all its versions.
func (c *Client) Info(ctx context.Context, name string) (*PackageInfo, error) {
	var res PackageInfo
	err := c.api(ctx, http.MethodGet, pkgPath(name), nil, &res)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%s in %s: %w", name, c.base(), ErrPackageNotFound)
	}
	return &res, err
}

// Owners lists a package's owners.
func (c *Client) Owners(ctx context.Context, name string) ([]string, error) {
	var res OwnersResult
	if err := c.api(ctx, http.MethodGet, pkgPath(name, "owners"), nil, &res); err != nil {
		return nil, err
	}
	out := make([]string, len(res.Users))
	for i, u := range res.Users {
		out[i] = u.Login
	}
	return out, nil
}

// AddOwners adds owners to a package; RemoveOwners removes them.
func (c *Client) AddOwners(ctx context.Context, name string, users []string) (*OKResult, error) {
	return c.changeOwners(ctx, http.MethodPut, name, users)
}

// RemoveOwners removes owners from a package.
func (c *Client) RemoveOwners(ctx context.Context, name string, users []string) (*OKResult, error) {
	return c.changeOwners(ctx, http.MethodDelete, name, users)
}

func (c *Client) changeOwners(ctx context.Context, method, name string, users []string) (*OKResult, error) {
	body, _ := json.Marshal(OwnersRequest{Users: users})
	var res OKResult
	return &res, c.api(ctx, method, pkgPath(name, "owners"), body, &res)
}
