package registry

import "bytes"

// The fast front (fastfront.go) answers the one request shape clients
// hammer — an anonymous GET or HEAD of /index/<path> — without net/http,
// and hands every other request to net/http untouched. parseFast decides
// which is which. It is deliberately narrow: whatever it does not fully
// understand is handed over, so that net/http alone judges odd input.

// fastVerdict is parseFast's decision about the bytes buffered so far.
type fastVerdict int

const (
	fastNeedMore fastVerdict = iota // no complete header block yet
	fastServe                       // one request the front answers itself
	fastHandOff                     // net/http must see this connection
)

// fastReq is a request the front answers.
type fastReq struct {
	head      bool   // HEAD, not GET
	http10    bool   // HTTP/1.0 (else HTTP/1.1)
	path      []byte // after "/index/"; points into the read buffer
	gzip      bool   // Accept-Encoding asks for gzip
	inm       []byte // the first If-None-Match value, trimmed
	hasINM    bool
	close     bool // the client asked to close ("Connection: close")
	keepAlive bool // the client sent "Connection: keep-alive"
}

// keepOpen reports whether the connection stays open after the answer,
// as net/http decides it: HTTP/1.1 unless the client asked to close,
// HTTP/1.0 only with "Connection: keep-alive".
func (r *fastReq) keepOpen() bool {
	if r.http10 {
		return r.keepAlive
	}
	return !r.close
}

// parseFast looks at the start of b, the bytes read from a connection and
// not yet answered. With fastServe it returns the request and its length
// in b (exactly the bytes net/http would consume for it, since it has no
// body). A header block is complete at the first empty line, as net/http
// sees it (a bare LF ends a line there too); a block the front does not
// fully understand is handed over.
func parseFast(b []byte) (fastReq, int, fastVerdict) {
	var req fastReq
	end := headerEnd(b)
	if end < 0 {
		return req, 0, fastNeedMore
	}
	block := b[:end]
	// Only CRLF line ends: the block ends in CRLF CRLF and holds no other
	// CR or LF than those of its CRLF pairs.
	if !bytes.HasSuffix(block, []byte("\r\n\r\n")) {
		return req, 0, fastHandOff
	}
	lines := block[:len(block)-4]
	line, rest, more := bytes.Cut(lines, []byte("\r\n"))
	if !parseRequestLine(line, &req) {
		return req, 0, fastHandOff
	}
	hosts, gzipSeen := 0, false
	for more {
		line, rest, more = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := splitHeader(line)
		if !ok {
			return req, 0, fastHandOff
		}
		switch {
		case asciiEqualFold(name, "host"):
			hosts++
			if hosts > 1 || !validHost(value) {
				return req, 0, fastHandOff
			}
		case asciiEqualFold(name, "accept-encoding"):
			// The first value that mentions gzip decides, as in acceptsGzip.
			if !gzipSeen {
				gzipSeen, req.gzip = gzipIn(string(value))
			}
		case asciiEqualFold(name, "if-none-match"):
			if !req.hasINM {
				req.inm, req.hasINM = value, true
			}
		case asciiEqualFold(name, "connection"):
			// One Connection header saying exactly close or keep-alive;
			// anything richer is net/http's to read.
			if req.close || req.keepAlive {
				return req, 0, fastHandOff
			}
			switch {
			case asciiEqualFold(value, "close"):
				req.close = true
			case asciiEqualFold(value, "keep-alive"):
				req.keepAlive = true
			default:
				return req, 0, fastHandOff
			}
		case handOffHeader(name):
			return req, 0, fastHandOff
		}
	}
	if hosts == 0 && !req.http10 {
		return req, 0, fastHandOff // net/http answers 400
	}
	return req, end, fastServe
}

// headerEnd returns the length of the header block at the start of b, up
// to and including the empty line that ends it, or -1. Like net/http's
// reader, a line may end in LF alone, so the block ends at the first
// LF LF or LF CR LF.
func headerEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

// parseRequestLine reads "GET /index/<path> HTTP/1.1" (or HEAD, or
// HTTP/1.0), with a path of plain characters only, so that it needs no
// decoding or cleaning.
func parseRequestLine(line []byte, req *fastReq) bool {
	switch {
	case bytes.HasPrefix(line, []byte("GET ")):
		line = line[4:]
	case bytes.HasPrefix(line, []byte("HEAD ")):
		line, req.head = line[5:], true
	default:
		return false
	}
	switch {
	case bytes.HasSuffix(line, []byte(" HTTP/1.1")):
	case bytes.HasSuffix(line, []byte(" HTTP/1.0")):
		req.http10 = true
	default:
		return false
	}
	target := line[:len(line)-len(" HTTP/1.1")]
	p, ok := bytes.CutPrefix(target, []byte("/index/"))
	if !ok || len(p) == 0 || bytes.Equal(p, []byte("config.json")) {
		return false
	}
	for _, c := range p {
		if !plainPathByte(c) {
			return false
		}
	}
	req.path = p
	return true
}

// plainPathByte is a byte an index path may hold as it is: letters,
// digits, '-', '_', '.' and '/'. Anything else (%, ?, #, spaces) goes to
// net/http.
func plainPathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/'
}

// splitHeader splits "Name: value" with a token name, the colon right
// after it and a value of visible ASCII, spaces and tabs; the value is
// trimmed of spaces and tabs as net/http does.
func splitHeader(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	name, value = line[:i], line[i+1:]
	for _, c := range name {
		if !tokenByte(c) {
			return nil, nil, false
		}
	}
	for _, c := range value {
		if c != '\t' && (c < ' ' || c > '~') {
			return nil, nil, false
		}
	}
	return name, bytes.Trim(value, " \t"), true
}

// tokenByte is a byte of an RFC 9110 token.
func tokenByte(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	return bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// validHost is a non-empty host[:port] of plain characters.
func validHost(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

// handOffHeader names headers that make a request net/http's: credentials
// (rate limiting and logging live there), a body, and protocol changes.
func handOffHeader(name []byte) bool {
	for _, h := range [...]string{"authorization", "content-length", "transfer-encoding", "expect", "upgrade", "http2-settings", "trailer", "te"} {
		if asciiEqualFold(name, h) {
			return true
		}
	}
	return false
}

// asciiEqualFold compares b with the lowercase ASCII s, ignoring case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
