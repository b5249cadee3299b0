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
	"github.com/metawork/meta/internal/semver"
)

// DefaultMaxUpload is the default limit on a publish body's tarball.
const DefaultMaxUpload = 50 << 20

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
	store     Storage
	maxUpload int64
	publicURL string
	log       func(RequestLog)
	limit     *limiter
	now       func() time.Time

	mu   sync.Mutex                      // serializes changes to pkgs
	pkgs atomic.Pointer[map[string]*pkg] // copied on change; read without locks

	tokens sync.Map // token hash → owner, for tokens seen valid
	mux    *http.ServeMux
}

// pkg serializes writes to one package; readers use the snapshot.
type pkg struct {
	mu   sync.Mutex               // held while changing the package
	snap atomic.Pointer[snapshot] // replaced whole under mu; read freely
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
	// Rate limits authenticated requests per token, per second (0: no limit),
	// with Burst requests allowed at once.
	Rate  float64
	Burst int
	// PublicURL is the registry's base URL as clients see it, for
	// /index/config.json; by default it is derived from each request's Host.
	PublicURL string
	// Log receives one record per request when set.
	Log func(RequestLog)
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// NewServer loads every package's history from st and returns a server.
func NewServer(ctx context.Context, st Storage, opts ServerOptions) (*Server, error) {
	s := &Server{
		store:     st,
		maxUpload: opts.MaxUpload,
		publicURL: strings.TrimSuffix(opts.PublicURL, "/"),
		log:       opts.Log,
		now:       opts.Now,
	}
	if s.maxUpload <= 0 {
		s.maxUpload = DefaultMaxUpload
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.limit = newLimiter(opts.Rate, opts.Burst, s.now)
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
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
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
	if err := srv.Shutdown(shutCtx); err != nil {
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

func (s *Server) snapshotOf(name string) *snapshot {
	p := s.lookup(name)
	if p == nil {
		return nil
	}
	return p.snap.Load()
}

func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) handleConfig(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
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
	snap := s.snapshotOf(name)
	if snap == nil || snap.seq == 0 || snap.path != p {
		if ValidateName(name) != nil || IndexPath(name) != p {
			writeError(w, http.StatusNotFound, "no index file at /index/%s", p)
			return
		}
		writeError(w, http.StatusNotFound, "package %s does not exist", name)
		return
	}
	h := w.Header()
	h["Etag"] = snap.hdrETag
	h["Cache-Control"] = snap.hdrCacheCtl
	if inm := r.Header["If-None-Match"]; len(inm) > 0 && etagMatch(inm[0], snap.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = hdrIndexType
	h["Content-Length"] = snap.hdrLen
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(snap.index)
	}
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
	if !isHexSHA256(sum) {
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
	v, status, msg := s.findVersion(name, vers)
	if v == nil {
		writeError(w, status, "%s", msg)
		return
	}
	http.Redirect(w, r, "/dl/"+v.Cksum, http.StatusFound)
}

// findVersion returns the version or an HTTP status and message.
func (s *Server) findVersion(name, vers string) (*VersionInfo, int, string) {
	if err := ValidateName(name); err != nil {
		return nil, http.StatusBadRequest, err.Error()
	}
	snap := s.snapshotOf(name)
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
	entry, desc, err := checkUpload(meta, tarball)
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
	cur := p.snap.Load()
	if cur.seq > 0 && !slices.Contains(cur.info.Owners, owner) {
		writeError(w, http.StatusForbidden, "%s is not an owner of %s (owners: %s)", owner, meta.Name, strings.Join(cur.info.Owners, ", "))
		return
	}
	for _, v := range cur.info.Versions {
		if v.Vers == meta.Vers {
			writeError(w, http.StatusConflict, "%s@%s already exists; published versions are immutable, publish a new version", meta.Name, meta.Vers)
			return
		}
	}
	ev := &event{Op: "publish", At: s.now().UTC().Truncate(time.Second), By: owner, Entry: entry, Description: desc}
	next, err := cur.apply(ev)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if err := s.store.Put(r.Context(), "dl/"+entry.Cksum, bytes.NewReader(tarball), int64(len(tarball))); err != nil && !errors.Is(err, backend.ErrExists) {
		s.dropIfEmpty(meta.Name, p)
		writeError(w, http.StatusInternalServerError, "storing the tarball: %v", err)
		return
	}
	if err := writeEvent(r.Context(), s.store, eventKey(meta.Name, next.seq), ev); err != nil {
		if errors.Is(err, backend.ErrExists) {
			s.refresh(r.Context(), meta.Name, p)
			s.dropIfEmpty(meta.Name, p)
			writeError(w, http.StatusConflict, "%s was changed by another server at the same time; retry", meta.Name)
			return
		}
		s.dropIfEmpty(meta.Name, p)
		writeError(w, http.StatusInternalServerError, "storing the index entry: %v", err)
		return
	}
	p.snap.Store(next)
	writeJSON(w, http.StatusOK, PublishResult{OK: true, Name: entry.Name, Vers: entry.Vers, Cksum: entry.Cksum})
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
		if len(parts) == 3 && ValidateName(parts[1]) == nil && strings.HasSuffix(parts[2], ".json") {
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
	return nil
}

// refresh reloads a package whose history another server extended, so
// that the client's retry sees the current state. Called with p.mu held.
func (s *Server) refresh(ctx context.Context, name string, p *pkg) {
	s.extend(ctx, name, p) // on failure the client's retry meets the conflict again
}

// checkUpload validates a publish request and returns its index entry and
// the package description.
func checkUpload(meta PublishMeta, tarball []byte) (*IndexEntry, string, error) {
	if err := ValidateName(meta.Name); err != nil {
		return nil, "", err
	}
	if _, err := ParseVersion(meta.Vers); err != nil {
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
	}
	compData, err := InspectTarball(tarball)
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
	if _, status, msg := s.findVersion(name, vers); status != 0 {
		writeError(w, status, "%s", msg)
		return
	}
	p := s.lookup(name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.snap.Load().info.Owners, owner) {
		writeError(w, http.StatusForbidden, "%s is not an owner of %s", owner, name)
		return
	}
	op := "unyank"
	if yank {
		op = "yank"
	}
	for _, v := range p.snap.Load().info.Versions {
		if v.Vers == vers && v.Yanked == yank && (!yank || v.YankReason == req.Reason) {
			writeJSON(w, http.StatusOK, OKResult{OK: true, Msg: fmt.Sprintf("%s@%s was already %sed", name, vers, op)})
			return
		}
	}
	s.commit(w, r, name, p, &event{Op: op, At: s.now().UTC().Truncate(time.Second), By: owner, Vers: vers, Reason: req.Reason},
		fmt.Sprintf("%sed %s@%s", op, name, vers))
}

// commit writes ev for package p (p.mu held) and answers.
func (s *Server) commit(w http.ResponseWriter, r *http.Request, name string, p *pkg, ev *event, msg string) {
	next, err := p.snap.Load().apply(ev)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if err := writeEvent(r.Context(), s.store, eventKey(name, next.seq), ev); err != nil {
		if errors.Is(err, backend.ErrExists) {
			s.refresh(r.Context(), name, p)
			writeError(w, http.StatusConflict, "%s was changed by another server at the same time; retry", name)
			return
		}
		writeError(w, http.StatusInternalServerError, "storing the change: %v", err)
		return
	}
	p.snap.Store(next)
	writeJSON(w, http.StatusOK, OKResult{OK: true, Msg: msg})
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
		snap := s.snapshotOf(name)
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
	if err := ValidateName(name); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	snap := s.snapshotOf(name)
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
	if err := ValidateName(name); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if r.Method == http.MethodGet {
		snap := s.snapshotOf(name)
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
	if p.snap.Load().seq == 0 {
		writeError(w, http.StatusNotFound, "package %s does not exist", name)
		return
	}
	if !slices.Contains(p.snap.Load().info.Owners, owner) {
		writeError(w, http.StatusForbidden, "%s is not an owner of %s", owner, name)
		return
	}
	op, verb := "add-owners", "added"
	if r.Method == http.MethodDelete {
		op, verb = "remove-owners", "removed"
		left := slices.DeleteFunc(slices.Clone(p.snap.Load().info.Owners), func(u string) bool { return slices.Contains(req.Users, u) })
		if len(left) == 0 {
			writeError(w, http.StatusBadRequest, "%s must keep at least one owner", name)
			return
		}
	}
	s.commit(w, r, name, p, &event{Op: op, At: s.now().UTC().Truncate(time.Second), By: owner, Users: req.Users},
		fmt.Sprintf("%s %s as owners of %s", verb, strings.Join(req.Users, ", "), name))
}
