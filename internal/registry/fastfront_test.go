package registry

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serveFront runs srv.Serve — the fast front before net/http — on a
// loopback port until the test ends, and returns its address.
func serveFront(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawExchange sends raw on a new connection to addr, closes its writing
// half, and returns everything the server sends until it closes.
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a guard against hanging, not a measure
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("%q: %v", raw, err)
	}
	return string(out)
}

var (
	dateLine = regexp.MustCompile(`(?m)^Date: [^\r\n]*\r$`)
	etagLine = regexp.MustCompile(`(?m)^Etag: [^\r\n]*\r$`)
)

// publishN publishes versions 1.0.0 … 1.(n-1).0 of name.
func publishN(t *testing.T, f *fixture, name string, n int) {
	t.Helper()
	c := f.client(f.alice)
	for i := range n {
		tb := makeTarball(t, comp(name), entry{name: "v", body: fmt.Sprint(i)})
		if _, err := c.Publish(context.Background(), PublishMeta{Name: name, Vers: fmt.Sprintf("1.%d.0", i)}, tb); err != nil {
			t.Fatal(err)
		}
	}
}

// The fast front answers every request shape — plain, pipelined,
// conditional, HTTP/1.0, malformed, hostile — with the same bytes as
// net/http serving the same Server (apart from the Date header and the
// server's own address), and hands over what it does not answer itself.
func TestFastFrontMatchesNetHTTP(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	publishN(t, f, "foo", 6) // large enough for a gzip variant
	publishN(t, f, "ab", 1)  // too small for one
	front := serveFront(t, f.srv)
	plain := strings.TrimPrefix(f.ts.URL, "http://")

	snap := f.srv.lookup("foo").snap.Load()
	if snap.gzipped() == nil {
		t.Fatal("foo's index has no gzip variant; the test needs one")
	}
	etag, gzETag := snap.etag, snap.gzETag
	get := func(path string, hdrs ...string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + strings.Join(hdrs, "") + "\r\n"
	}
	foo := "/index/3/f/foo"
	cases := []string{
		get(foo),
		get("/index/2/ab"),
		get(foo, "Accept-Encoding: gzip\r\n"),
		get(foo, "Accept-Encoding: br, GZIP ; q=0.5\r\n"),
		get(foo, "Accept-Encoding: gzip;q=0\r\n"),
		get(foo, "Accept-Encoding: identity\r\n", "Accept-Encoding: gzip\r\n"),
		get(foo, "Accept-Encoding: gzip;q=0\r\n", "Accept-Encoding: gzip\r\n"),
		get(foo, "Accept-Encoding: gzip; q=0.000, gzip\r\n"),
		get("/index/2/ab", "Accept-Encoding: gzip\r\n"),
		"HEAD " + foo + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD " + foo + " HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
		get(foo, "If-None-Match: "+etag+"\r\n"),
		get(foo, "If-None-Match: W/"+etag+"\r\n"),
		get(foo, "If-None-Match: \"nope\", "+etag+"\r\n"),
		get(foo, "If-None-Match: *\r\n"),
		get(foo, "If-None-Match: \"nope\"\r\n"),
		get(foo, "If-None-Match: "+gzETag+"\r\n"),
		get(foo, "If-None-Match: "+gzETag+"\r\n", "Accept-Encoding: gzip\r\n"),
		get(foo, "If-None-Match: "+etag+"\r\n", "Accept-Encoding: gzip\r\n"),
		get(foo, "If-None-Match: \"nope\"\r\n", "If-None-Match: "+etag+"\r\n"),
		get(foo) + get(foo) + "HEAD " + foo + " HTTP/1.1\r\nHost: x\r\n\r\n" + get("/index/2/ab"),
		get(foo, "Connection: close\r\n") + get(foo),
		get(foo, "Connection: keep-alive\r\n") + get(foo, "connection: CLOSE\r\n"),
		get(foo, "Connection: keep-alive, close\r\n") + get(foo),
		get(foo, "Connection: upgrade\r\n", "Upgrade: h2c\r\n"),
		"GET " + foo + " HTTP/1.0\r\n\r\n" + get(foo),
		"GET " + foo + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET " + foo + " HTTP/1.0\r\nHost: y\r\n\r\n" + get(foo),
		"HEAD " + foo + " HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" + get(foo, "Connection: close\r\n"),
		"GET " + foo + " HTTP/1.0\r\nConnection: keep-alive\r\nIf-None-Match: " + etag + "\r\n\r\n" + "GET " + foo + " HTTP/1.0\r\nIf-None-Match: " + etag + "\r\n\r\n",
		get("/index/3/f/fop"),
		get("/index/3/x/foo"),
		get("/index/../index/3/f/foo"),
		get("/index/3/f//foo"),
		get("/index/3/f/foo/"),
		get("/index/3/f/FOO"),
		get("/index/3/f/%66oo"),
		get(foo + "?x=1"),
		get("/index/config.json"),
		get("/index/"),
		get("/index"),
		get(foo) + get("/api/v1/packages/foo") + get(foo),
		get(foo) + get("/dl/"+strings.Repeat("0", 64)),
		get(foo, "Authorization: Bearer "+f.alice+"\r\n") + get(foo),
		get(foo, "Authorization: nonsense\r\n"),
		get(foo, "Content-Length: 3\r\n") + "abc" + get(foo),
		get(foo, "Content-Length: 0\r\n") + get(foo),
		get(foo, "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n" + get(foo),
		get(foo, "Expect: 100-continue\r\n"),
		"POST " + foo + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
		"PUT " + foo + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"get " + foo + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET " + foo + " HTTP/1.1\nHost: x\n\n" + get(foo),
		"GET " + foo + " HTTP/1.1\r\nHost: x\n\r\n",
		"GET " + foo + " HTTP/1.1\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost:\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost: x\r\nX-A: \x80\x01\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
		"GET " + foo + " HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n",
		"GET " + foo + " HTTP/2.0\r\nHost: x\r\n\r\n",
		"GET " + foo + " HTTP/1.2\r\nHost: x\r\n\r\n",
		"GET  " + foo + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET http://x" + foo + " HTTP/1.1\r\nHost: x\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"\r\n" + get(foo),
		"\x00\x01garbage\r\n\r\n",
		get(foo, "X-Pad: "+strings.Repeat("p", 10<<10)+"\r\n") + get(foo),
		get(foo, "X-Pad: "+strings.Repeat("p", 2<<20)+"\r\n"),
		get(foo) + "GET " + foo + " HTTP/1.1\r\nHost: x\r\n",
		get(foo) + "GET",
		get(foo) + "GE",
		get(foo) + "GET /",
		"GET",
		"",
	}
	cases = append(cases, mutations(cases[:28], 500)...)
	for _, raw := range cases {
		want := rawExchange(t, plain, raw)
		got := rawExchange(t, front, raw)
		want = strings.ReplaceAll(dateLine.ReplaceAllString(want, "Date: D\r"), plain, "ADDR")
		got = strings.ReplaceAll(dateLine.ReplaceAllString(got, "Date: D\r"), front, "ADDR")
		if strings.Contains(raw, "config.json") {
			// Its body and so its ETag name the server's own address.
			want, got = etagLine.ReplaceAllString(want, "Etag: E\r"), etagLine.ReplaceAllString(got, "Etag: E\r")
		}
		if got != want {
			t.Errorf("request %.300q:\nnet/http:   %.300q … %q\nfast front: %.300q … %q", raw, want, tail(want), got, tail(got))
		}
	}
}

// Serve with a request log leaves every request to net/http, so that each
// is logged.
func TestServeWithLogLogsIndexReads(t *testing.T) {
	ch := make(chan RequestLog, 16)
	f := newFixture(t, ServerOptions{Log: func(r RequestLog) { ch <- r }})
	publishN(t, f, "foo", 1)
	for len(ch) > 0 {
		<-ch // the publish
	}
	addr := serveFront(t, f.srv)
	out := rawExchange(t, addr, "GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("answer %q", out)
	}
	if got := <-ch; got.Path != "/index/3/f/foo" || got.Status != 200 {
		t.Fatalf("logged %+v", got)
	}
}

// Shutting down closes idle connections of the front and lets Serve
// return; a handed-over connection in net/http is closed too.
func TestFastFrontShutdown(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	publishN(t, f, "foo", 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	var conns []net.Conn
	for _, path := range []string{"/index/3/f/foo", "/api/v1/packages/foo"} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second)) // a guard against hanging
		resp := readAnswer(t, c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		conns = append(conns, c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for _, c := range conns {
		if n, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("connection still open after shutdown: read %d bytes", n)
		}
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("still listening after shutdown")
	}
}

func readAnswer(t *testing.T, c net.Conn, raw string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp
}

func tail(s string) string {
	return s[max(0, len(s)-300):]
}

// deadlineConn records read deadlines.
type deadlineConn struct {
	net.Conn
	got []time.Time
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	c.got = append(c.got, t)
	return nil
}

// A connection handed over in the middle of a request's header keeps the
// front's header deadline for net/http's header read (which is the first
// deadline net/http sets), not a fresh one; later deadlines pass through.
func TestHandedConnKeepsHeaderDeadline(t *testing.T) {
	until := time.Unix(1000, 0)
	dc := &deadlineConn{}
	hc := &handedConn{Conn: dc, pre: []byte("GET"), until: until}
	hc.SetReadDeadline(until.Add(10 * time.Second))
	hc.SetReadDeadline(time.Time{})
	hc.SetReadDeadline(until.Add(time.Hour))
	if len(dc.got) != 3 || !dc.got[0].Equal(until) || !dc.got[1].IsZero() || !dc.got[2].Equal(until.Add(time.Hour)) {
		t.Fatalf("deadlines %v", dc.got)
	}
	// Without a deadline from the front, net/http's own apply.
	dc = &deadlineConn{}
	hc = &handedConn{Conn: dc}
	hc.SetReadDeadline(until)
	if len(dc.got) != 1 || !dc.got[0].Equal(until) {
		t.Fatalf("deadlines %v", dc.got)
	}
	buf := make([]byte, 2)
	hc = &handedConn{Conn: dc, pre: []byte("GET")}
	if n, _ := hc.Read(buf); n != 2 || string(buf) != "GE" {
		t.Fatalf("read %q", buf[:n])
	}
}

// The front answers index reads itself — here no net/http server takes
// the connections it hands over — and hands over the rest with the bytes
// it read.
func TestFastFrontAnswersIndexReadsItself(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	publishN(t, f, "foo", 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fr := newFront(context.Background(), f.srv, ln)
	defer fr.Close()
	addr := ln.Addr().String()
	get := "GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\n\r\n"
	out := rawExchange(t, addr, get+get+"GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	index := string(f.srv.lookup("foo").snap.Load().index)
	br := bufio.NewReader(strings.NewReader(out))
	for i := range 3 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != index {
			t.Fatalf("answer %d: %s %q", i, resp.Status, body)
		}
	}
	if rest, _ := io.ReadAll(br); len(rest) > 0 {
		t.Fatalf("more after the last answer: %q", rest)
	}

	// An API request is handed over, bytes and all.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	api := "GET /api/v1/packages/foo HTTP/1.1\r\nHost: x\r\n\r\n"
	io.WriteString(c, get+api)
	if resp := readAnswerFrom(t, bufio.NewReader(c)); resp.StatusCode != 200 {
		t.Fatalf("index read before the API request: %s", resp.Status)
	}
	hc, err := fr.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	got := make([]byte, len(api))
	if _, err := io.ReadFull(hc, got); err != nil || string(got) != api {
		t.Fatalf("handed over with %q, %v; want %q", got, err, api)
	}
}

func readAnswerFrom(t *testing.T, br *bufio.Reader) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp
}

// Index reads through the front while versions are published see whole
// snapshots: every answer's ETag is its body's.
func TestFastFrontReadsDuringPublish(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	publishN(t, f, "foo", 1)
	addr := serveFront(t, f.srv)
	stop := make(chan struct{})
	errc := make(chan error, 2)
	for range 2 {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				select {
				case <-stop:
					errc <- nil
					return
				default:
				}
				if _, err := io.WriteString(c, "GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					errc <- err
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errc <- err
					return
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != 200 || resp.Header.Get("Etag") != etagOf(body) {
					errc <- fmt.Errorf("answer %s, ETag %s for a body with %s (%v)", resp.Status, resp.Header.Get("Etag"), etagOf(body), err)
					return
				}
			}
		}()
	}
	c := f.client(f.alice)
	for i := 1; i < 6; i++ {
		tb := makeTarball(t, comp("foo"), entry{name: "v", body: fmt.Sprint(i)})
		if _, err := c.Publish(context.Background(), PublishMeta{Name: "foo", Vers: fmt.Sprintf("1.%d.0", i)}, tb); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// A request the front would hand over after net/http stopped accepting
// (shutdown) is answered 503, not dropped.
func TestFastFrontHandOffAfterClose(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	publishN(t, f, "foo", 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fr := newFront(context.Background(), f.srv, ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a guard against hanging
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp := readAnswerFrom(t, br); resp.StatusCode != 200 {
		t.Fatalf("index read: %s", resp.Status)
	}
	fr.Close()
	io.WriteString(c, "GET /api/v1/packages/foo HTTP/1.1\r\nHost: x\r\n\r\n")
	resp := readAnswerFrom(t, br)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !resp.Close {
		t.Fatalf("after close: %s %v", resp.Status, resp.Header)
	}
}

// mutations returns n requests made from seeds by replacing, deleting or
// inserting a byte, or cutting the request short, at random places (the
// same ones on every run).
func mutations(seeds []string, n int) []string {
	rng := rand.New(rand.NewPCG(18, 14))
	odd := []byte(" \r\n:\t\x00\x7f\x80Aa%/?.,;=\"")
	out := make([]string, 0, n)
	for len(out) < n {
		b := []byte(seeds[rng.IntN(len(seeds))])
		i := rng.IntN(len(b))
		switch rng.IntN(4) {
		case 0:
			b[i] = odd[rng.IntN(len(odd))]
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i], append([]byte{odd[rng.IntN(len(odd))]}, b[i:]...)...)
		case 3:
			b = b[:i]
		}
		out = append(out, string(b))
	}
	return out
}
