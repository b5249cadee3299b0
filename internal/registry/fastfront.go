package registry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The fast front sits between the listener and net/http. Each connection
// starts with it: while the client sends anonymous GET or HEAD requests
// for index files the server has, it answers them from the in-memory
// snapshot with one write per answer (net/http's 4 KiB connection buffer
// splits a 4.7 KB index answer into two writes, and its per-request
// goroutines and allocations cost as much again). At the first request it
// does not take — any other path or method, credentials, a body, odd
// syntax, an unknown package — it hands the connection, with the bytes
// already read, to the net/http server, which keeps it from then on.

const (
	// frontBuf bounds a request header block the front reads itself;
	// longer ones go to net/http, which allows up to 1 MB.
	frontBuf = 8 << 10
	// The timeouts of Serve's http.Server, which the front keeps too.
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// front is a net.Listener for net/http that yields only the connections
// the fast front handed over.
type front struct {
	s    *Server
	ln   net.Listener
	ctx  context.Context // for storage reads when revalidating
	conn chan net.Conn   // handed-over connections, for Accept
	errc chan error      // accept errors, for Accept

	done      chan struct{} // closed by Close
	closeOnce sync.Once

	shutting atomic.Bool
	mu       sync.Mutex
	conns    map[*frontConn]struct{} // connections the front serves
	wg       sync.WaitGroup          // one per connection the front serves
}

func newFront(ctx context.Context, s *Server, ln net.Listener) *front {
	f := &front{s: s, ln: ln, ctx: ctx, conn: make(chan net.Conn), errc: make(chan error), done: make(chan struct{}), conns: map[*frontConn]struct{}{}}
	go f.acceptLoop()
	return f
}

func (f *front) acceptLoop() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			select {
			case f.errc <- err:
			case <-f.done:
				return
			}
			if t, ok := err.(interface{ Temporary() bool }); ok && t.Temporary() {
				continue // net/http backs off before it calls Accept again
			}
			return
		}
		fc := &frontConn{f: f, c: c}
		f.mu.Lock()
		if f.shutting.Load() {
			f.mu.Unlock()
			c.Close()
			continue
		}
		f.conns[fc] = struct{}{}
		f.wg.Add(1)
		f.mu.Unlock()
		go fc.serve()
	}
}

// Accept returns the next connection handed over to net/http.
func (f *front) Accept() (net.Conn, error) {
	select {
	case c := <-f.conn:
		return c, nil
	case err := <-f.errc:
		return nil, err
	case <-f.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting connections.
func (f *front) Close() error {
	var err error
	f.closeOnce.Do(func() {
		close(f.done)
		err = f.ln.Close()
	})
	return err
}

func (f *front) Addr() net.Addr { return f.ln.Addr() }

// handOff gives c to net/http, with pre the bytes read and not answered
// and the header deadline of the request they start, if the front set
// one, so that handing over does not restart the header timeout.
func (f *front) handOff(c net.Conn, pre []byte, deadline time.Time) {
	hc := &handedConn{Conn: c, until: deadline}
	if len(pre) > 0 {
		hc.pre = append([]byte(nil), pre...)
	}
	select {
	case f.conn <- hc:
	case <-f.done:
		// net/http accepts no more connections: say so rather than drop
		// the request.
		c.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(c, shuttingDownAnswer)
		c.Close()
	}
}

// shuttingDownAnswer answers a request the front cannot hand over any
// more because the server is shutting down.
var shuttingDownAnswer = func() string {
	body := `{"errors":[{"detail":"the registry is shutting down; retry"}]}` + "\n"
	return "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\nContent-Type: application/json\r\nRetry-After: 1\r\n\r\n" + body
}()

// shutdown closes idle connections and waits for the others to finish
// the answer they are on, until ctx is done; then it closes them all.
func (f *front) shutdown(ctx context.Context) {
	f.shutting.Store(true)
	f.mu.Lock()
	for fc := range f.conns {
		fc.wake()
	}
	f.mu.Unlock()
	idle := make(chan struct{})
	go func() { f.wg.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-ctx.Done():
		f.mu.Lock()
		for fc := range f.conns {
			fc.c.Close()
		}
		f.mu.Unlock()
		<-idle
	}
}

// frontConn is one connection the front serves.
type frontConn struct {
	f    *front
	c    net.Conn
	mu   sync.Mutex // guards idle against shutdown
	idle bool       // waiting for a request with nothing buffered
	buf  [frontBuf]byte
	out  []byte
}

// wake makes an idle connection's read return, so that it sees the
// shutdown. Called with f.mu held.
func (fc *frontConn) wake() {
	fc.mu.Lock()
	if fc.idle {
		fc.c.SetReadDeadline(aLongTimeAgo)
	}
	fc.mu.Unlock()
}

var aLongTimeAgo = time.Unix(1, 0)

// goIdle sets the idle timeout before waiting for the next request, or
// reports false when the server is shutting down.
func (fc *frontConn) goIdle() bool {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.f.shutting.Load() {
		return false
	}
	fc.idle = true
	fc.c.SetReadDeadline(time.Now().Add(idleTimeout))
	return true
}

func (fc *frontConn) busy() {
	fc.mu.Lock()
	fc.idle = false
	fc.mu.Unlock()
}

func (fc *frontConn) serve() {
	f := fc.f
	handed := false
	defer func() {
		if !handed {
			fc.c.Close()
		}
		f.mu.Lock()
		delete(f.conns, fc)
		f.mu.Unlock()
		f.wg.Done()
	}()
	start, end := 0, 0 // fc.buf[start:end] is read and not answered
	var hdrDeadline, answered bool
	var deadline time.Time // for the request being read, once set
	for {
		if start < end {
			req, n, v := parseFast(fc.buf[start:end])
			switch v {
			case fastServe:
				keep, ok := fc.answer(&req)
				if !ok {
					f.handOff(fc.c, fc.buf[start:end], deadline)
					handed = true
					return
				}
				start += n
				answered = true
				if !keep {
					return
				}
				hdrDeadline, deadline = false, time.Time{}
				continue
			case fastHandOff:
				f.handOff(fc.c, fc.buf[start:end], deadline)
				handed = true
				return
			}
			if end-start == len(fc.buf) {
				// Too long for the front; net/http applies its own limit.
				f.handOff(fc.c, fc.buf[start:end], deadline)
				handed = true
				return
			}
		}
		if start == end {
			start, end = 0, 0
			if !fc.goIdle() {
				return
			}
		} else {
			if start > 0 {
				end = copy(fc.buf[:], fc.buf[start:end])
				start = 0
			}
			if !hdrDeadline {
				deadline = time.Now().Add(readHeaderTimeout)
				fc.c.SetReadDeadline(deadline)
				hdrDeadline = true
			}
		}
		n, err := fc.c.Read(fc.buf[end:])
		if start == end {
			fc.busy()
		}
		end += n
		if err == io.EOF && start < end && (!answered || end-start >= 4) {
			// The client stopped in the middle of a request: net/http
			// answers that (400), as it would have without the front —
			// except for fewer than 4 bytes after an answer, which it
			// drops while it waits for the next request (Peek(4)).
			f.handOff(fc.c, fc.buf[start:end], deadline)
			handed = true
			return
		}
		if err != nil {
			return // timeout, shutdown, or the client went away
		}
	}
}

// answer writes the answer to req, and reports whether the connection
// stays open. It reports !ok, having written nothing, when the request is
// not for an index file the server has: net/http answers those.
func (fc *frontConn) answer(req *fastReq) (keep, ok bool) {
	s := fc.f.s
	slash := -1
	for i, c := range req.path {
		if c == '/' {
			slash = i
		}
	}
	nameb := req.path[slash+1:]
	if s.lookup(string(nameb)) == nil {
		return false, false
	}
	snap := s.snapshotOf(fc.f.ctx, string(nameb))
	if snap == nil || snap.seq == 0 || snap.path != string(req.path) {
		return false, false
	}
	keep = req.keepOpen() && !fc.f.shutting.Load()
	fc.out = appendIndexAnswer(fc.out[:0], snap, req, keep)
	if _, err := fc.c.Write(fc.out); err != nil {
		return false, true
	}
	return keep, true
}

// appendIndexAnswer appends the whole answer to an index read: what
// serveIndex and net/http together write for it.
func appendIndexAnswer(dst []byte, snap *snapshot, req *fastReq, keep bool) []byte {
	body, etag := snap.index, snap.etag
	gz := req.gzip && snap.gzipped() != nil
	if gz {
		body, etag = snap.gz, snap.gzETag
	}
	notModified := req.hasINM && (etagMatchBytes(req.inm, etag) || etagMatchBytes(req.inm, snap.etag) || gz && etagMatchBytes(req.inm, snap.gzETag))
	proto := "HTTP/1.1 "
	if req.http10 {
		proto = "HTTP/1.0 "
	}
	dst = append(dst, proto...)
	if notModified {
		dst = append(dst, "304 Not Modified\r\n"...)
	} else {
		dst = append(dst, "200 OK\r\n"...)
	}
	dst = append(dst, "Cache-Control: "...)
	dst = append(dst, snap.hdrCacheCtl[0]...)
	if gz {
		dst = append(dst, "\r\nContent-Encoding: gzip"...)
	}
	if !notModified {
		dst = append(dst, "\r\nContent-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\r\nContent-Type: "...)
		dst = append(dst, hdrIndexType[0]...)
	}
	dst = append(dst, "\r\nEtag: "...)
	dst = append(dst, etag...)
	dst = append(dst, "\r\nVary: Accept-Encoding\r\nDate: "...)
	dst = append(dst, httpDate()...)
	switch {
	case req.http10 && keep:
		dst = append(dst, "\r\nConnection: keep-alive"...)
	case !req.http10 && !keep:
		dst = append(dst, "\r\nConnection: close"...)
	}
	dst = append(dst, "\r\n\r\n"...)
	if !notModified && !req.head {
		dst = append(dst, body...)
	}
	return dst
}

// etagMatchBytes is etagMatch on a header value in the read buffer.
func etagMatchBytes(header []byte, etag string) bool {
	return etagMatch(string(header), etag)
}

// dateCache holds the Date header for the current second.
var dateCache atomic.Pointer[cachedDate]

type cachedDate struct {
	sec  int64
	text string
}

// httpDate is the Date header for now, formatted once a second.
func httpDate() string {
	now := time.Now()
	if d := dateCache.Load(); d != nil && d.sec == now.Unix() {
		return d.text
	}
	d := &cachedDate{sec: now.Unix(), text: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.text
}

// handedConn is a connection handed to net/http: it reads the bytes the
// front read first.
type handedConn struct {
	net.Conn
	pre   []byte
	until time.Time // bounds net/http's first read deadline (the header's) when set
	set   bool      // net/http has set a read deadline
}

// SetReadDeadline keeps the header timeout counting from the first byte
// the front read of the request: net/http's first deadline, the one for
// the request's header, is no later than the front's.
func (c *handedConn) SetReadDeadline(t time.Time) error {
	if !c.set {
		c.set = true
		if !c.until.IsZero() && (t.IsZero() || t.After(c.until)) {
			t = c.until
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *handedConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// ReadFrom keeps sendfile for tarball downloads.
func (c *handedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite lets net/http close gracefully after refusing a request.
func (c *handedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("registry: connection cannot close for writing only")
}
