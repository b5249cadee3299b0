package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/semver"
)

// DefaultMaxUpload is the default limit on a publish body's tarball.
const DefaultMaxUpload = 50 << 20

// StaleUpload is the age after which a temporary upload file is taken for
// the leftover of a killed server and removed when a server starts.
const StaleUpload = 15 * time.Minute

// DefaultRevalidate is ServerOptions.Revalidate's default.
const DefaultRevalidate = time.Second

// tempSweeper is storage that keeps temporary files for writes in
// progress (backend.Local).
type tempSweeper interface {
	SweepTemp(olderThan time.Duration) (int, error)
}

// RequestLog describes one served request, for the request log.
type RequestLog struct {
	Remote   string
	Method   string
	Path     string
	Status   int
	Bytes    int64
	Duration time.Duration
}

// Server is the registry's HTTP server: the sparse index, tarball
// downloads and the JSON API. Create it with NewServer.
type Server struct {
	store       Storage
	maxUpload   int64
	maxUnpacked int64
	publicURL   string
	ttl         int64 // Revalidate in nanoseconds; <= 0: never
	log         func(RequestLog)
	limit       *limiter
	now         func() time.Time

	mu   sync.Mutex                      // serializes changes to pkgs
	pkgs atomic.Pointer[map[string]*pkg] // copied on change; read without locks

	tokens sync.Map // token hash → owner, for tokens seen valid

	missMu sync.Mutex       // guards missed
	missed map[string]int64 // unknown package → when the storage was last asked (UnixNano)
	mux    *http.ServeMux
}

// pkg serializes writes to one package; readers use the snapshot.
type pkg struct {
	mu      sync.Mutex               // held while changing the package
	snap    atomic.Pointer[snapshot] // replaced whole under mu; read freely
	checked atomic.Int64             // when the storage was last looked at for newer events (UnixNano)
}

func newPkg(s *snapshot) *pkg {
	p := &pkg{}
	p.snap.Store(s)
	return p
}

// ServerOptions configure NewServer.
type ServerOptions struct {
	// MaxUpload limits a published tarball, in bytes (DefaultMaxUpload when 0).
	MaxUpload int64
	// MaxUnpacked limits what a published tarball may inflate to, in bytes
	// (DefaultMaxUnpacked when 0).
	MaxUnpacked int64
	// Rate limits authenticated requests per token, per second (0: no limit),
	// with Burst requests allowed at once.
	Rate  float64
	Burst int
	// PublicURL is the registry's base URL as clients see it, for
	// /index/config.json; by default it is the address each request's
	// connection arrived on (never its Host header).
	PublicURL string
	// Revalidate is how old a package's view may get before a read looks
	// at the storage for events other servers sharing it wrote
	// (DefaultRevalidate when 0; negative: never, for a server alone on
	// its storage). It bounds how stale an index read can be.
	Revalidate time.Duration
	// Log receives one record per request when set.
	Log func(RequestLog)
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// NewServer loads every package's history from st and returns a server.
func NewServer(ctx context.Context, st Storage, opts ServerOptions) (*Server, error) {
	s := &Server{
		store:       st,
		maxUpload:   opts.MaxUpload,
		maxUnpacked: opts.MaxUnpacked,
		publicURL:   strings.TrimSuffix(opts.PublicURL, "/"),
		log:         opts.Log,
		now:         opts.Now,
	}
	if s.maxUpload <= 0 {
		s.maxUpload = DefaultMaxUpload
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch {
	case opts.Revalidate == 0:
		s.ttl = int64(DefaultRevalidate)
	case opts.Revalidate > 0:
		s.ttl = int64(opts.Revalidate)
	}
	s.missed = map[string]int64{}
	s.limit = newLimiter(opts.Rate, opts.Burst, s.now)
	if sw, ok := st.(tempSweeper); ok {
		// Uploads a killed server left half-written. Only stale ones: a
		// server sharing the storage may be writing now.
		if _, err := sw.SweepTemp(StaleUpload); err != nil {
			return nil, fmt.Errorf("sweep stale uploads: %w", err)
		}
	}
	snaps, err := loadAll(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("load registry: %w", err)
	}
	pkgs := make(map[string]*pkg, len(snaps))
	for name, snap := range snaps {
		pkgs[name] = newPkg(snap)
	}
	s.pkgs.Store(&pkgs)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index/config.json", s.handleConfig)
	mux.HandleFunc("GET /index/{path...}", s.handleIndex)
	mux.HandleFunc("GET /dl/{cksum}", s.handleDownload)
	mux.HandleFunc("GET /api/v1/packages/{name}/{version}/download", s.handleDownloadRedirect)
	mux.HandleFunc("PUT /api/v1/packages/new", s.handlePublish)
	mux.HandleFunc("DELETE /api/v1/packages/{name}/{version}/yank", s.handleYank)
	mux.HandleFunc("PUT /api/v1/packages/{name}/{version}/unyank", s.handleYank)
	mux.HandleFunc("GET /api/v1/packages", s.handleSearch)
	mux.HandleFunc("GET /api/v1/packages/{name}", s.handleInfo)
	mux.HandleFunc("GET /api/v1/packages/{name}/owners", s.handleOwners)
	mux.HandleFunc("PUT /api/v1/packages/{name}/owners", s.handleOwners)
	mux.HandleFunc("DELETE /api/v1/packages/{name}/owners", s.handleOwners)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such path: %s %s", r.Method, r.URL.Path)
	})
	s.mux = mux
	return s, nil
}

// Packages returns the names of the packages the server knows, sorted.
func (s *Server) Packages() []string {
	pkgs := *s.pkgs.Load()
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ServeHTTP applies the rate limit and the request log, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Hot path: anonymous index reads, without logging, skip the router.
	if s.log == nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && len(r.Header["Authorization"]) == 0 {
		if p, ok := strings.CutPrefix(r.URL.Path, "/index/"); ok && p != "config.json" {
			s.serveIndex(w, r, p)
			return
		}
	}
	var start time.Time
	var rec *statusWriter
	if s.log != nil {
		start = s.now()
		rec = &statusWriter{ResponseWriter: w}
		w = rec
	}
	if tok := bearer(r); tok != "" {
		// Known tokens are limited per token; anything else per client
		// address, so that guessing tokens is limited too and cannot grow
		// the limiter's table without bound.
		key := hashToken(tok)
		if _, known := s.tokens.Load(key); !known {
			key = "ip:" + remoteHost(r)
		}
		if ok, wait := s.limit.allow(key); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			writeError(w, http.StatusTooManyRequests, "too many requests for this token; retry in %d s", max(secs, 1))
			s.logRequest(r, rec, start)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
	s.logRequest(r, rec, start)
}

func (s *Server) logRequest(r *http.Request, rec *statusWriter, start time.Time) {
	if s.log == nil || rec == nil {
		return
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	s.log(RequestLog{Remote: remoteHost(r), Method: r.Method, Path: r.URL.Path, Status: status, Bytes: rec.bytes, Duration: s.now().Sub(start)})
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter records the status and size of an answer for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ReadFrom keeps sendfile for tarball downloads while logging.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Serve serves on ln until ctx is done, then shuts down gracefully, letting
// requests in flight finish (for up to 10 s).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var fr *front
	if s.log == nil {
		// The fast front answers anonymous index reads itself and hands
		// every other connection to srv; with a request log, srv serves
		// everything.
		fr = newFront(context.WithoutCancel(ctx), s, ln)
		ln = fr
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	frontDone := make(chan struct{})
	go func() {
		if fr != nil {
			fr.shutdown(shutCtx)
		}
		close(frontDone)
	}()
	err := srv.Shutdown(shutCtx)
	<-frontDone
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-errc
	return nil
}

// ErrorBody is the JSON shape of every error answer, as Cargo's.
type ErrorBody struct {
	Errors []struct {
		Detail string `json:"detail"`
	} `json:"errors"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	var body ErrorBody
	body.Errors = append(body.Errors, struct {
		Detail string `json:"detail"`
	}{fmt.Sprintf(format, args...)})
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"errors":[{"detail":"cannot encode answer"}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		return ""
	}
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return strings.TrimSpace(h) // Cargo sends the bare token
}

// authenticate returns the owner behind the request's token, or writes 401.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok := bearer(r)
	if tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="meta registry"`)
		writeError(w, http.StatusUnauthorized, "this request needs a token: send it as 'Authorization: Bearer TOKEN'")
		return "", false
	}
	h := hashToken(tok)
	if o, ok := s.tokens.Load(h); ok {
		return o.(string), true
	}
	owner, err := lookupToken(r.Context(), s.store, tok)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "checking the token: %v", err)
		return "", false
	}
	if owner == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="meta registry", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "the token is not valid for this registry")
		return "", false
	}
	s.tokens.Store(h, owner)
	return owner, true
}

func (s *Server) lookup(name string) *pkg {
	return (*s.pkgs.Load())[name]
}

// snapshotOf is the package's current state, revalidated against the
// storage when the server's view is older than the TTL, so that servers
// sharing a storage agree within that bound.
func (s *Server) snapshotOf(ctx context.Context, name string) *snapshot {
	p := s.lookup(name)
	if s.ttl > 0 {
		if p == nil {
			p = s.lookForNew(ctx, name)
		} else {
			s.revalidate(ctx, name, p)
		}
	}
	if p == nil {
		return nil
	}
	return p.snap.Load()
}

// revalidate picks up the events other servers added to p, when p was last
// checked more than the TTL ago. One request does the check; others meet
// the fresh timestamp and read the snapshot they have.
func (s *Server) revalidate(ctx context.Context, name string, p *pkg) {
	now := s.now().UnixNano()
	last := p.checked.Load()
	if now-last < s.ttl || !p.checked.CompareAndSwap(last, now) {
		return
	}
	if !s.hasEvent(ctx, name, p.snap.Load().seq+1) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s.extend(ctx, name, p) // on failure the next revalidation tries again
}

// lookForNew asks the storage whether another server created package name,
// at most once per TTL per name (and the table of names asked about is
// bounded), and returns it if so.
func (s *Server) lookForNew(ctx context.Context, name string) *pkg {
	if regindex.ValidateName(name) != nil {
		return nil
	}
	now := s.now().UnixNano()
	s.missMu.Lock()
	if last, ok := s.missed[name]; ok && now-last < s.ttl {
		s.missMu.Unlock()
		return nil
	}
	if len(s.missed) >= 4096 {
		clear(s.missed)
	}
	s.missed[name] = now
	s.missMu.Unlock()
	if !s.hasEvent(ctx, name, 1) {
		return nil
	}
	s.mu.Lock()
	p := s.lookup(name)
	if p == nil {
		p = newPkg(&snapshot{})
		s.setPkg(name, p)
	}
	s.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := s.extend(ctx, name, p); err != nil || p.snap.Load().seq == 0 {
		return nil
	}
	p.checked.Store(now)
	return p
}

func (s *Server) hasEvent(ctx context.Context, name string, seq int) bool {
	rc, err := s.store.Get(ctx, eventKey(name, seq))
	if err != nil {
		return false
	}
	rc.Close()
	return true
}

// baseURL is PublicURL, or else the address the request's connection
// arrived on — never the request's Host header, which the client chooses
// and which a shared cache in front would then serve to everyone.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return scheme + "://" + a.String()
	}
	return ""
}

func (s *Server) handleConfig(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	if base == "" {
		writeError(w, http.StatusInternalServerError, "the registry does not know its public URL; start it with --public-url")
		return
	}
	data, _ := json.Marshal(IndexConfig{DL: base + "/dl/{cksum}", API: base})
	serveCached(w, r, data, etagOf(data), "application/json", "no-cache")
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	s.serveIndex(w, r, r.PathValue("path"))
}

var (
	hdrIndexType = []string{"text/plain; charset=utf-8"}
)

// serveIndex answers GET /index/<p>: a package's index file, with
// precomputed headers since this is what clients and mirrors hammer.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request, p string) {
	name := p[strings.LastIndexByte(p, '/')+1:]
	snap := s.snapshotOf(r.Context(), name)
	if snap == nil || snap.seq == 0 || snap.path != p {
		if regindex.ValidateName(name) != nil || regindex.IndexPath(name) != p {
			writeError(w, http.StatusNotFound, "no index file at /index/%s", p)
			return
		}
		writeError(w, http.StatusNotFound, "package %s does not exist", name)
		return
	}
	h := w.Header()
	h["Cache-Control"] = snap.hdrCacheCtl
	h["Vary"] = hdrVary
	body, etag, hdrETag, hdrLen := snap.index, snap.etag, snap.hdrETag, snap.hdrLen
	gz := acceptsGzip(r.Header["Accept-Encoding"])
	if gz && snap.gzipped() != nil {
		body, etag, hdrETag, hdrLen = snap.gz, snap.gzETag, snap.hdrGzETag, snap.hdrGzLen
		h["Content-Encoding"] = hdrGzip
	} else {
		gz = false
	}
	h["Etag"] = hdrETag
	if inm := r.Header["If-None-Match"]; len(inm) > 0 && (etagMatch(inm[0], etag) || etagMatch(inm[0], snap.etag) || gz && etagMatch(inm[0], snap.gzETag)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = hdrIndexType
	h["Content-Length"] = hdrLen
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

var (
	hdrVary = []string{"Accept-Encoding"}
	hdrGzip = []string{"gzip"}
)

// acceptsGzip reads Accept-Encoding: gzip listed without q=0 (its first
// mention counts).
func acceptsGzip(values []string) bool {
	for _, v := range values {
		if found, ok := gzipIn(v); found {
			return ok
		}
	}
	return false
}

// gzipIn reports whether one Accept-Encoding value mentions gzip, and if
// so whether its first mention accepts it (no q=0).
func gzipIn(v string) (found, ok bool) {
	for part := range strings.SplitSeq(v, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return true, !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000")
	}
	return false, false
}

// serveCached answers a GET with data, or 304 when the client has it.
func serveCached(w http.ResponseWriter, r *http.Request, data []byte, etag, ctype, cache string) {
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cache)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == "*" || part == etag {
			return true
		}
	}
	return false
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	sum := r.PathValue("cksum")
	if !regindex.IsHexSHA256(sum) {
		writeError(w, http.StatusNotFound, "%q is not a SHA-256 checksum", sum)
		return
	}
	etag := `"` + sum + `"`
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rc, err := s.store.Get(r.Context(), "dl/"+sum)
	if errors.Is(err, backend.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no tarball with checksum %s", sum)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading tarball %s: %v", sum, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	if st, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
		}
	}
	h.Set("ETag", etag)
	h.Set("Content-Type", "application/gzip")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, rc)
	}
}

func (s *Server) handleDownloadRedirect(w http.ResponseWriter, r *http.Request) {
	name, vers := r.PathValue("name"), r.PathValue("version")
	v, status, msg := s.findVersion(r.Context(), name, vers)
	if v == nil {
		writeError(w, status, "%s", msg)
		return
	}
	http.Redirect(w, r, "/dl/"+v.Cksum, http.StatusFound)
}

// findVersion returns the version or an HTTP status and message.
func (s *Server) findVersion(ctx context.Context, name, vers string) (*VersionInfo, int, string) {
	if err := regindex.ValidateName(name); err != nil {
		return nil, http.StatusBadRequest, err.Error()
	}
	snap := s.snapshotOf(ctx, name)
	if snap == nil || snap.seq == 0 {
		return nil, http.StatusNotFound, fmt.Sprintf("package %s does not exist", name)
	}
	for i := range snap.info.Versions {
		if snap.info.Versions[i].Vers == vers {
			v := snap.info.Versions[i]
			return &v, 0, ""
		}
	}
	return nil, http.StatusNotFound, fmt.Sprintf("package %s has no version %s", name, vers)
}

// PublishResult is the answer to a successful publish.
type PublishResult struct {
	OK    bool   `json:"ok"`
	Name  string `json:"name"`
	Vers  string `json:"vers"`
	Cksum string `json:"cksum"`
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	limit := s.maxUpload + 8 + MaxMetadataLen
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "upload of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit)
		return
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	meta, tarball, err := DecodePublish(body, s.maxUpload)
	if err != nil {
		var tl *TooLargeError
		var mb *http.MaxBytesError
		if errors.As(err, &tl) || errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, "%v", err)
			return
		}
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	entry, desc, err := checkUpload(meta, tarball, Limits{MaxUnpacked: s.maxUnpacked})
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}

	s.mu.Lock()
	p := s.lookup(meta.Name)
	if p == nil {
		p = newPkg(&snapshot{})
		s.setPkg(meta.Name, p)
	}
	s.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	storedTarball := false
	next, status, msg := s.change(r.Context(), meta.Name, p, func(cur *snapshot) (*event, int, string) {
		if cur.seq > 0 && !slices.Contains(cur.info.Owners, owner) {
			return nil, http.StatusForbidden, fmt.Sprintf("%s is not an owner of %s (owners: %s)", owner, meta.Name, strings.Join(cur.info.Owners, ", "))
		}
		if v := samePrecedence(cur.info.Versions, meta.Vers); v == meta.Vers {
			return nil, http.StatusConflict, fmt.Sprintf("%s@%s already exists; published versions are immutable, publish a new version", meta.Name, meta.Vers)
		} else if v != "" {
			return nil, http.StatusConflict, fmt.Sprintf("%s@%s is the same version as the published %s (build metadata does not make a new version); published versions are immutable, publish a new version", meta.Name, meta.Vers, v)
		}
		if !storedTarball {
			if err := s.store.Put(r.Context(), "dl/"+entry.Cksum, bytes.NewReader(tarball), int64(len(tarball))); err != nil && !errors.Is(err, backend.ErrExists) {
				return nil, http.StatusInternalServerError, fmt.Sprintf("storing the tarball: %v", err)
			}
			storedTarball = true
		}
		return &event{Op: "publish", At: s.now().UTC().Truncate(time.Second), By: owner, Entry: entry, Description: desc}, 0, ""
	})
	if next == nil {
		s.dropIfEmpty(meta.Name, p)
		writeError(w, status, "%s", msg)
		return
	}
	writeJSON(w, http.StatusOK, PublishResult{OK: true, Name: entry.Name, Vers: entry.Vers, Cksum: entry.Cksum})
}

// maxConflictRetries bounds how often one change is retried after another
// server sharing the storage wrote the package's next event first.
const maxConflictRetries = 20

// change applies to package p the event that build makes from the
// package's current state, and stores it. When another server sharing the
// storage wrote the same event number first, it reads that server's
// events and calls build again on the new state (which may now refuse,
// e.g. a version published meanwhile), up to maxConflictRetries times.
// build returns the event, or a status and message to answer instead (a
// 2xx status for "nothing to do"). On success it returns the new snapshot,
// already installed in p. Called with p.mu held.
func (s *Server) change(ctx context.Context, name string, p *pkg, build func(cur *snapshot) (*event, int, string)) (*snapshot, int, string) {
	for attempt := 0; ; attempt++ {
		cur := p.snap.Load()
		ev, status, msg := build(cur)
		if ev == nil {
			return nil, status, msg
		}
		next, err := cur.apply(ev)
		if err != nil {
			return nil, http.StatusInternalServerError, err.Error()
		}
		err = writeEvent(ctx, s.store, eventKey(name, next.seq), ev)
		if err == nil {
			p.snap.Store(next)
			p.checked.Store(s.now().UnixNano())
			return next, 0, ""
		}
		if !errors.Is(err, backend.ErrExists) {
			return nil, http.StatusInternalServerError, fmt.Sprintf("storing the change to %s: %v", name, err)
		}
		if attempt >= maxConflictRetries {
			return nil, http.StatusServiceUnavailable, fmt.Sprintf("%s is being changed by other servers sharing this registry's storage faster than this one can catch up; retry", name)
		}
		if err := s.extend(ctx, name, p); err != nil {
			return nil, http.StatusInternalServerError, fmt.Sprintf("reading the changes other servers made to %s: %v", name, err)
		}
	}
}

// samePrecedence returns the published version equal in SemVer
// precedence to vers (the same, or differing only in build metadata), or
// "".
func samePrecedence(vs []VersionInfo, vers string) string {
	want, err := semver.ParseVersion(vers)
	if err != nil {
		return ""
	}
	for _, v := range vs {
		if have, err := semver.ParseVersion(v.Vers); err == nil && semver.Compare(have, want) == 0 {
			return v.Vers
		}
	}
	return ""
}

// dropIfEmpty forgets a package created for a publish that failed.
// Called with p.mu held.
func (s *Server) dropIfEmpty(name string, p *pkg) {
	if p.snap.Load().seq > 0 {
		return
	}
	s.mu.Lock()
	if s.lookup(name) == p {
		s.setPkg(name, nil)
	}
	s.mu.Unlock()
}

// setPkg replaces the package map with a copy where name maps to p (or is
// absent when p is nil). Called with s.mu held; packages are created
// rarely, so copying keeps every read lock-free.
func (s *Server) setPkg(name string, p *pkg) {
	old := *s.pkgs.Load()
	next := make(map[string]*pkg, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	if p == nil {
		delete(next, name)
	} else {
		next[name] = p
	}
	s.pkgs.Store(&next)
}

// Refresh brings the server's view up to date with its storage: packages
// and events that other servers sharing the storage wrote since the last
// look. It costs one listing plus reading the new events.
func (s *Server) Refresh(ctx context.Context) error {
	infos, err := s.store.List(ctx, "packages/")
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	counts := map[string]int{}
	for _, in := range infos {
		parts := strings.Split(in.Key, "/")
		if len(parts) == 3 && regindex.ValidateName(parts[1]) == nil && strings.HasSuffix(parts[2], ".json") {
			counts[parts[1]]++
		}
	}
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := s.lookup(name)
		if p != nil && p.snap.Load().seq >= counts[name] {
			continue
		}
		if p == nil {
			s.mu.Lock()
			if p = s.lookup(name); p == nil {
				p = newPkg(&snapshot{})
				s.setPkg(name, p)
			}
			s.mu.Unlock()
		}
		p.mu.Lock()
		err := s.extend(ctx, name, p)
		p.mu.Unlock()
		if err != nil {
			return fmt.Errorf("refresh %s: %w", name, err)
		}
	}
	return nil
}

// extend applies the events after p's snapshot. Called with p.mu held.
func (s *Server) extend(ctx context.Context, name string, p *pkg) error {
	snap := p.snap.Load()
	for {
		ev, err := readEvent(ctx, s.store, eventKey(name, snap.seq+1))
		if errors.Is(err, backend.ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		if snap, err = snap.apply(ev); err != nil {
			return err
		}
	}
	p.snap.Store(snap)
	p.checked.Store(s.now().UnixNano())
	return nil
}

// checkUpload validates a publish request and returns its index entry and
// the package description.
func checkUpload(meta PublishMeta, tarball []byte, lim Limits) (*IndexEntry, string, error) {
	if err := regindex.ValidateName(meta.Name); err != nil {
		return nil, "", err
	}
	if _, err := regindex.ParseVersion(meta.Vers); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(tarball)
	cksum := hex.EncodeToString(sum[:])
	if meta.Cksum != "" && meta.Cksum != cksum {
		return nil, "", fmt.Errorf("checksum mismatch: metadata says %s, the tarball's SHA-256 is %s", meta.Cksum, cksum)
	}
	if meta.Sig != "" {
		var sig minisign.Signature
		if len(meta.Sig) > 4096 || sig.UnmarshalText([]byte(meta.Sig)) != nil {
			return nil, "", errors.New("signature is not a minisign signature")
		}
		// The server holds no keys, but a signature made for another
		// version would fail every client: refuse it now.
		if err := regindex.CheckTrustedComment(IndexEntry{Name: meta.Name, Vers: meta.Vers, Cksum: cksum}, sig.TrustedComment); err != nil {
			return nil, "", fmt.Errorf("signature: %v; sign with 'meta publish --sign'", err)
		}
	}
	compData, err := InspectTarballFrom(bytes.NewReader(tarball), lim)
	if err != nil {
		return nil, "", err
	}
	comp, err := ParseComponent(componentFileName, compData)
	if err != nil {
		return nil, "", fmt.Errorf("component.yaml does not parse: %v", err)
	}
	if comp.Name != meta.Name {
		return nil, "", fmt.Errorf("component.yaml names %q but the package is %q", comp.Name, meta.Name)
	}
	if comp.Version != "" && comp.Version != meta.Vers {
		return nil, "", fmt.Errorf("component.yaml says version %s but the upload is version %s", comp.Version, meta.Vers)
	}
	for _, d := range comp.Deps {
		if d.Name == meta.Name {
			return nil, "", fmt.Errorf("component.yaml: %s depends on itself", meta.Name)
		}
		if _, err := semver.ParseConstraint(d.Req); err != nil {
			return nil, "", fmt.Errorf("component.yaml: dependency %s: %v", d.Name, err)
		}
	}
	e := &IndexEntry{Name: meta.Name, Vers: meta.Vers, Deps: comp.Deps, Tools: comp.Tools, Cksum: cksum, Sig: meta.Sig, V: IndexFormat}
	if e.Deps == nil {
		e.Deps = []Dep{}
	}
	if e.Tools == nil {
		e.Tools = []string{}
	}
	return e, comp.Description, nil
}

// OKResult is the answer to yank, unyank and owner changes.
type OKResult struct {
	OK  bool   `json:"ok"`
	Msg string `json:"msg,omitempty"`
}

// yankRequest is the optional body of a yank.
type yankRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) handleYank(w http.ResponseWriter, r *http.Request) {
	owner, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	name, vers := r.PathValue("name"), r.PathValue("version")
	yank := r.Method == http.MethodDelete
	var req yankRequest
	if yank && r.Body != nil {
		data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			writeError(w, http.StatusBadRequest, "reading the request: %v", err)
			return
		}
		if len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, &req); err != nil {
				writeError(w, http.StatusBadRequest, "the body is not {\"reason\": TEXT}: %v", err)
				return
			}
		}
	}
	if q := r.URL.Query().Get("reason"); q != "" && req.Reason == "" {
		req.Reason = q
	}
	if _, status, msg := s.findVersion(r.Context(), name, vers); status != 0 {
		writeError(w, status, "%s", msg)
		return
	}
	p := s.lookup(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	op := "unyank"
	if yank {
		op = "yank"
	}
	s.commit(w, r, name, p, func(cur *snapshot) (*event, int, string) {
		if !slices.Contains(cur.info.Owners, owner) {
			return nil, http.StatusForbidden, fmt.Sprintf("%s is not an owner of %s", owner, name)
		}
		for _, v := range cur.info.Versions {
			if v.Vers == vers && v.Yanked == yank && (!yank || v.YankReason == req.Reason) {
				return nil, http.StatusOK, fmt.Sprintf("%s@%s was already %sed", name, vers, op)
			}
		}
		return &event{Op: op, At: s.now().UTC().Truncate(time.Second), By: owner, Vers: vers, Reason: req.Reason}, 0, ""
	}, fmt.Sprintf("%sed %s@%s", op, name, vers))
}

// commit makes the change build describes to package p (p.mu held),
// retrying over other servers' changes, and answers: msg on success, or
// what build said instead.
func (s *Server) commit(w http.ResponseWriter, r *http.Request, name string, p *pkg, build func(cur *snapshot) (*event, int, string), msg string) {
	next, status, why := s.change(r.Context(), name, p, build)
	switch {
	case next != nil:
		writeJSON(w, http.StatusOK, OKResult{OK: true, Msg: msg})
	case status/100 == 2:
		writeJSON(w, status, OKResult{OK: true, Msg: why})
	default:
		writeError(w, status, "%s", why)
	}
}

// SearchResult is the answer to GET /api/v1/packages?q=.
type SearchResult struct {
	Packages []SearchHit `json:"packages"`
	Meta     struct {
		Total int `json:"total"`
	} `json:"meta"`
}

// SearchHit is one package found by a search.
type SearchHit struct {
	Name        string `json:"name"`
	MaxVersion  string `json:"max_version"`
	Description string `json:"description,omitempty"`
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	perPage := 20
	if v := r.URL.Query().Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "per_page must be a number from 1 to 100")
			return
		}
		perPage = n
	}
	res := SearchResult{Packages: []SearchHit{}}
	for _, name := range s.Packages() {
		snap := s.snapshotOf(r.Context(), name)
		if snap == nil || snap.seq == 0 {
			continue
		}
		if q != "" && !strings.Contains(name, q) && !strings.Contains(strings.ToLower(snap.info.Description), q) {
			continue
		}
		res.Meta.Total++
		if len(res.Packages) < perPage {
			res.Packages = append(res.Packages, SearchHit{Name: name, MaxVersion: snap.info.MaxVersion, Description: snap.info.Description})
		}
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := regindex.ValidateName(name); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	snap := s.snapshotOf(r.Context(), name)
	if snap == nil || snap.seq == 0 {
		writeError(w, http.StatusNotFound, "package %s does not exist", name)
		return
	}
	writeJSON(w, http.StatusOK, snap.info)
}

// OwnersResult is the answer to GET /api/v1/packages/{name}/owners.
type OwnersResult struct {
	Users []Owner `json:"users"`
}

// Owner is one owner of a package.
type Owner struct {
	Login string `json:"login"`
}

// OwnersRequest is the body of PUT and DELETE on owners.
type OwnersRequest struct {
	Users []string `json:"users"`
}

func (s *Server) handleOwners(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := regindex.ValidateName(name); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if r.Method == http.MethodGet {
		snap := s.snapshotOf(r.Context(), name)
		if snap == nil || snap.seq == 0 {
			writeError(w, http.StatusNotFound, "package %s does not exist", name)
			return
		}
		res := OwnersResult{Users: []Owner{}}
		for _, o := range snap.info.Owners {
			res.Users = append(res.Users, Owner{Login: o})
		}
		writeJSON(w, http.StatusOK, res)
		return
	}
	owner, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var req OwnersRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || len(req.Users) == 0 {
		writeError(w, http.StatusBadRequest, `the body must be {"users": [NAME, ...]} with at least one name`)
		return
	}
	for _, u := range req.Users {
		if err := ValidateOwner(u); err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
	}
	p := s.lookup(name)
	if p == nil {
		writeError(w, http.StatusNotFound, "package %s does not exist", name)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	verb := "added"
	if r.Method == http.MethodDelete {
		verb = "removed"
	}
	s.commit(w, r, name, p, func(cur *snapshot) (*event, int, string) {
		if cur.seq == 0 {
			return nil, http.StatusNotFound, fmt.Sprintf("package %s does not exist", name)
		}
		if !slices.Contains(cur.info.Owners, owner) {
			return nil, http.StatusForbidden, fmt.Sprintf("%s is not an owner of %s", owner, name)
		}
		op := "add-owners"
		if r.Method == http.MethodDelete {
			op = "remove-owners"
			left := slices.DeleteFunc(slices.Clone(cur.info.Owners), func(u string) bool { return slices.Contains(req.Users, u) })
			if len(left) == 0 {
				return nil, http.StatusBadRequest, fmt.Sprintf("%s must keep at least one owner", name)
			}
		}
		return &event{Op: op, At: s.now().UTC().Truncate(time.Second), By: owner, Users: req.Users}, 0, ""
	}, fmt.Sprintf("%s %s as owners of %s", verb, strings.Join(req.Users, ", "), name))
}
