package registry

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

// parseFastSeeds are request shapes the fuzzer starts from.
var parseFastSeeds = []string{
	"GET /index/be/nc/bench-lib HTTP/1.1\r\nHost: 127.0.0.1:7878\r\n\r\n",
	"HEAD /index/3/f/foo HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nIf-None-Match: \"abc\"\r\n\r\n",
	"GET /index/3/f/foo HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /index/3/f/foo HTTP/1.0\r\n\r\n",
	"GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nUser-Agent: cargo\r\n\r\n",
	"GET /index/3/f/foo HTTP/1.1\nHost: x\n\n",
	"GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
	"GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
	"GET /index/%33/f/foo HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /index/config.json HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /index/3/f/foo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET /index/3/f/foo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET /index/3/f/foo HTTP/1.1\r\nhost: x\r\naccept-encoding: GZIP;q=0\r\nif-none-match: W/\"a\", *\r\n\r\n",
	"GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\nAccept-Encoding: gzip;q=0\r\nAccept-Encoding: gzip\r\n\r\n",
}

// FuzzParseFast checks parseFast against net/http's own request reader:
// whatever the front takes must be a request net/http reads the same way
// (method, path, version, the headers the answer depends on, whether the
// connection stays open) and from exactly the same bytes.
func FuzzParseFast(f *testing.F) {
	for _, s := range parseFastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, n, v := parseFast(b)
		if v != fastServe {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("took %d of %d bytes", n, len(b))
		}
		br := bufio.NewReaderSize(bytes.NewReader(b), len(b)+16)
		hr, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("front serves %q; net/http refuses it: %v", b[:n], err)
		}
		if used := len(b) - br.Buffered(); used != n {
			t.Fatalf("front took %d bytes of %q, net/http %d", n, b, used)
		}
		checkSameRequest(t, b[:n], req, hr)
	})
}

// checkSameRequest compares the front's reading of a request with
// net/http's, in what the answer depends on.
func checkSameRequest(t *testing.T, raw []byte, req fastReq, hr *http.Request) {
	t.Helper()
	if want := map[bool]string{true: "HEAD", false: "GET"}[req.head]; hr.Method != want {
		t.Fatalf("%q: method %s, front %s", raw, hr.Method, want)
	}
	if hr.URL.Path != "/index/"+string(req.path) || hr.URL.RawQuery != "" {
		t.Fatalf("%q: path %q, front %q", raw, hr.URL.Path, req.path)
	}
	if hr.ProtoMinor == 0 != req.http10 || hr.ProtoMajor != 1 {
		t.Fatalf("%q: %s, front http10=%v", raw, hr.Proto, req.http10)
	}
	if hr.ProtoMinor == 1 && hr.Host == "" {
		t.Fatalf("%q: no Host, net/http answers 400", raw)
	}
	if len(hr.Header["Authorization"]) > 0 || hr.ContentLength != 0 || len(hr.TransferEncoding) > 0 || hr.Header.Get("Expect") != "" || hr.Header.Get("Upgrade") != "" {
		t.Fatalf("%q: the front took a request with credentials, a body or an upgrade", raw)
	}
	if g := acceptsGzip(hr.Header["Accept-Encoding"]); g != req.gzip {
		t.Fatalf("%q: gzip %v, front %v", raw, g, req.gzip)
	}
	inm := hr.Header["If-None-Match"]
	if len(inm) > 0 != req.hasINM || len(inm) > 0 && inm[0] != string(req.inm) {
		t.Fatalf("%q: If-None-Match %q, front %q", raw, inm, req.inm)
	}
	// net/http keeps a connection open after a request unless it closes
	// (r.Close), except HTTP/1.0 asking for keep-alive.
	keep := !hr.Close || hr.ProtoMinor == 0 && hasConnToken(hr.Header.Get("Connection"), "keep-alive")
	if keep != req.keepOpen() {
		t.Fatalf("%q: net/http keeps the connection %v, front %v", raw, keep, req.keepOpen())
	}
}

func hasConnToken(v, token string) bool {
	for _, part := range bytes.Split([]byte(v), []byte(",")) {
		if asciiEqualFold(bytes.TrimSpace(part), token) {
			return true
		}
	}
	return false
}

// The seeds that must go to net/http do, and the plain ones are served.
func TestParseFastVerdicts(t *testing.T) {
	serve := map[int]bool{0: true, 1: true, 2: true, 3: true, 11: true, 12: true}
	for i, s := range parseFastSeeds {
		_, _, v := parseFast([]byte(s))
		if (v == fastServe) != serve[i] {
			t.Errorf("%q: verdict %d", s, v)
		}
	}
	if _, _, v := parseFast([]byte("GET /index/3/f/foo HTTP/1.1\r\nHost: x\r\n")); v != fastNeedMore {
		t.Errorf("a header block without its end: verdict %d, want more", v)
	}
	for _, i := range []int{11, 12} {
		if req, _, _ := parseFast([]byte(parseFastSeeds[i])); req.gzip {
			t.Errorf("%q: gzip;q=0 taken for gzip", parseFastSeeds[i])
		}
	}
}
