// Package upstreamtest serves fake tool upstreams (go.dev, nodejs.org, a
// python-build-standalone catalogue, the GitHub releases API and their
// downloads) from a directory on loopback, for tests, benchmarks and
// end-to-end scripts. It is test support: nothing in meta's binary uses it.
package upstreamtest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Server serves a directory. Requests for a directory serve its
// index.json; "?page=N" (N > 1) serves the file with ".pageN" appended; "{{BASE}}" in any served file is replaced by the server's
// URL; every response carries an ETag and If-None-Match is honoured.
type Server struct {
	URL string
	dir string
	srv *httptest.Server

	// Latency, when set before the first request, delays every answer, to
	// stand in for a network round trip in benchmarks.
	Latency time.Duration

	mu          sync.Mutex
	requests    map[string]int
	fail        map[string]int // path → status to answer instead
	inflight    int
	maxInflight int
}

// MaxInFlight is the most requests the server was answering at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInflight
}

// Reset forgets the request counts.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.maxInflight = map[string]int{}, 0
}

// Serve starts a server for dir on 127.0.0.1.
func Serve(dir string) *Server {
	s := &Server{dir: dir, requests: map[string]int{}, fail: map[string]int{}}
	// The URL is known before the first request can arrive: handlers
	// read it to fill in {{BASE}}.
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	s.URL = "http://" + s.srv.Listener.Addr().String()
	s.srv.Start()
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Requests is the number of requests served for a path ("" = all paths).
func (s *Server) Requests(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p != "" {
		return s.requests[p]
	}
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// Fail makes requests for p answer status (0 restores normal service).
func (s *Server) Fail(p string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[p] = status
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("/" + r.URL.Path)
	s.mu.Lock()
	s.requests[p]++
	fail := s.fail[p]
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	if fail != 0 {
		http.Error(w, http.StatusText(fail), fail)
		return
	}
	fp := filepath.Join(s.dir, filepath.FromSlash(p))
	if page := r.URL.Query().Get("page"); page != "" && page != "1" {
		fp += ".page" + page // GitHub-style pagination: releases.page2, ...
	}
	if st, err := os.Stat(fp); err == nil && st.IsDir() {
		fp = filepath.Join(fp, "index.json")
	}
	data, err := os.ReadFile(fp)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	data = bytes.ReplaceAll(data, []byte("{{BASE}}"), []byte(s.URL))
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(data)
}

// TarGz builds a .tar.gz of files (name → content); names ending in "/"
// are directories, contents starting with "#!" are executable.
func TarGz(files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range sortedKeys(files) {
		body := files[name]
		if strings.HasSuffix(name, "/") {
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755})
			continue
		}
		mode := int64(0o644)
		if strings.HasPrefix(body, "#!") {
			mode = 0o755
		}
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// Zip builds a .zip of files, like TarGz.
func Zip(files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		body := files[name]
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		if strings.HasPrefix(body, "#!") {
			h.SetMode(0o755)
		} else {
			h.SetMode(0o644)
		}
		w, _ := zw.CreateHeader(h)
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SHA256 is the hex digest of b.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func write(dir, name string, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

func script(name, version string) string {
	return fmt.Sprintf("#!/bin/sh\necho %s %s\n", name, version)
}

// Build writes a small fake upstream into dir, served by Serve(dir):
//
//	/go/         go.dev/dl: go 1.22.12, 1.22.11, 1.21.13, 1.23rc1 (archives for 1.22.12 only)
//	/node/       nodejs.org/dist: 22.11.0 (lts Jod), 20.18.0 (lts Iron), 23.1.0, with archives and SHASUMS256.txt
//	/python/download-metadata.json   CPython 3.12.7, 3.11.10 (archives for 3.12.7)
//	/repos/BurntSushi/ripgrep/releases   ripgrep 14.1.1 and 14.1.0 with .sha256 files
//	/repos/jqlang/jq/releases            jq 1.7.1 (raw binaries, API digests)
//	/repos/astral-sh/uv/releases         uv 0.5.1 with .sha256 files
//	/repos/<owner>/<name>/releases       for every other GitHub tool in the
//	                                     registry: versions 1.0.0, 1.1.0, 2.0.0-rc.1 (listing only)
//
// extraRepos names the other GitHub repositories to list.
func Build(dir string, extraRepos []string) error {
	var errs []error
	put := func(name string, data []byte) {
		if err := write(dir, name, data); err != nil {
			errs = append(errs, err)
		}
	}
	// Go.
	type goFile struct {
		Filename string `json:"filename"`
		OS       string `json:"os"`
		Arch     string `json:"arch"`
		Version  string `json:"version"`
		SHA256   string `json:"sha256"`
		Size     int    `json:"size"`
		Kind     string `json:"kind"`
	}
	type goRel struct {
		Version string   `json:"version"`
		Stable  bool     `json:"stable"`
		Files   []goFile `json:"files"`
	}
	var gos []goRel
	for _, v := range []string{"go1.23rc1", "go1.22.12", "go1.22.11", "go1.21.13"} {
		rel := goRel{Version: v, Stable: !strings.Contains(v, "rc")}
		for _, arch := range []string{"amd64", "arm64"} {
			name := v + ".linux-" + arch + ".tar.gz"
			data := TarGz(map[string]string{"go/": "", "go/bin/": "", "go/bin/go": script("go", v), "go/VERSION": v + "\n"})
			if v == "go1.22.12" {
				put("go/"+name, data)
			}
			rel.Files = append(rel.Files, goFile{name, "linux", arch, v, SHA256(data), len(data), "archive"})
		}
		gos = append(gos, rel)
	}
	b, _ := json.MarshalIndent(gos, "", " ")
	put("go/index.json", b)

	// Node.
	var shas strings.Builder
	nodeIndex := `[
{"version":"v23.1.0","date":"2024-10-24","files":["linux-arm64","linux-x64","src"],"lts":false,"security":false},
{"version":"v22.11.0","date":"2024-10-29","files":["linux-arm64","linux-x64","src"],"lts":"Jod","security":false},
{"version":"v20.18.0","date":"2024-10-03","files":["linux-arm64","linux-x64","src"],"lts":"Iron","security":false}
]
`
	put("node/index.json", []byte(nodeIndex))
	for _, v := range []string{"v23.1.0", "v22.11.0", "v20.18.0"} {
		shas.Reset()
		for _, arch := range []string{"x64", "arm64"} {
			top := "node-" + v + "-linux-" + arch
			data := TarGz(map[string]string{top + "/": "", top + "/bin/": "", top + "/bin/node": script("node", v)})
			put("node/"+v+"/"+top+".tar.gz", data)
			fmt.Fprintf(&shas, "%s  %s.tar.gz\n", SHA256(data), top)
		}
		put("node/"+v+"/SHASUMS256.txt", []byte(shas.String()))
	}

	// Python.
	py := map[string]any{}
	for _, v := range [][3]int{{3, 12, 7}, {3, 11, 10}} {
		for _, fam := range []string{"x86_64", "aarch64"} {
			ver := fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])
			name := fmt.Sprintf("cpython-%s+20241016-%s-unknown-linux-gnu-install_only_stripped.tar.gz", ver, fam)
			data := TarGz(map[string]string{"python/": "", "python/bin/": "", "python/bin/python3": script("python", ver)})
			if ver == "3.12.7" {
				put("python/"+name, data)
			}
			py[fmt.Sprintf("cpython-%s-linux-%s-gnu", ver, fam)] = map[string]any{
				"name": "cpython", "arch": map[string]any{"family": fam, "variant": nil}, "os": "linux", "libc": "gnu",
				"major": v[0], "minor": v[1], "patch": v[2], "prerelease": "",
				"url": "{{BASE}}/python/" + strings.ReplaceAll(name, "+", "%2B"), "sha256": SHA256(data), "variant": nil, "build": "20241016",
			}
		}
	}
	b, _ = json.MarshalIndent(py, "", "  ")
	put("python/download-metadata.json", b)

	// GitHub.
	type asset struct {
		Name   string `json:"name"`
		URL    string `json:"browser_download_url"`
		Digest string `json:"digest,omitempty"`
	}
	type ghRel struct {
		Tag        string  `json:"tag_name"`
		Draft      bool    `json:"draft"`
		Prerelease bool    `json:"prerelease"`
		Assets     []asset `json:"assets"`
	}
	var rg []ghRel
	for _, v := range []string{"14.1.1", "14.1.0"} {
		rel := ghRel{Tag: v}
		for _, triple := range []string{"x86_64-unknown-linux-musl", "aarch64-unknown-linux-gnu"} {
			top := "ripgrep-" + v + "-" + triple
			data := TarGz(map[string]string{top + "/": "", top + "/rg": script("rg", v), top + "/README.md": "ripgrep\n"})
			dl := "/dl/BurntSushi/ripgrep/" + v + "/"
			put(dl+top+".tar.gz", data)
			put(dl+top+".tar.gz.sha256", []byte(SHA256(data)+"  "+top+".tar.gz\n"))
			rel.Assets = append(rel.Assets, asset{Name: top + ".tar.gz", URL: "{{BASE}}" + dl + top + ".tar.gz"},
				asset{Name: top + ".tar.gz.sha256", URL: "{{BASE}}" + dl + top + ".tar.gz.sha256"})
		}
		rg = append(rg, rel)
	}
	b, _ = json.MarshalIndent(rg, "", " ")
	put("repos/BurntSushi/ripgrep/releases", b)

	uv := ghRel{Tag: "0.5.1"}
	for _, triple := range []string{"x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"} {
		top := "uv-" + triple
		data := TarGz(map[string]string{top + "/": "", top + "/uv": script("uv", "0.5.1")})
		dl := "/dl/astral-sh/uv/0.5.1/"
		put(dl+top+".tar.gz", data)
		put(dl+top+".tar.gz.sha256", []byte(SHA256(data)+"  "+top+".tar.gz\n"))
		uv.Assets = append(uv.Assets, asset{Name: top + ".tar.gz", URL: "{{BASE}}" + dl + top + ".tar.gz"},
			asset{Name: top + ".tar.gz.sha256", URL: "{{BASE}}" + dl + top + ".tar.gz.sha256"})
	}
	b, _ = json.MarshalIndent([]ghRel{uv, {Tag: "0.6.0-rc.1", Prerelease: true}}, "", " ")
	put("repos/astral-sh/uv/releases", b)

	jq := ghRel{Tag: "jq-1.7.1"}
	for _, arch := range []string{"amd64", "arm64"} {
		data := []byte(script("jq", "1.7.1"))
		put("dl/jqlang/jq/jq-linux-"+arch, data)
		jq.Assets = append(jq.Assets, asset{Name: "jq-linux-" + arch, URL: "{{BASE}}/dl/jqlang/jq/jq-linux-" + arch, Digest: "sha256:" + SHA256(data)})
	}
	b, _ = json.MarshalIndent([]ghRel{jq, {Tag: "jq-1.7"}}, "", " ")
	put("repos/jqlang/jq/releases", b)

	for _, repo := range extraRepos {
		if repo == "BurntSushi/ripgrep" || repo == "jqlang/jq" || repo == "astral-sh/uv" {
			continue
		}
		b, _ := json.Marshal([]ghRel{{Tag: "v2.0.0-rc.1", Prerelease: true}, {Tag: "v1.1.0"}, {Tag: "v1.0.0"}, {Tag: "1.1.0"}, {Tag: "1.0.0"}})
		put("repos/"+repo+"/releases", b)
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Dir is the directory the server serves.
func (s *Server) Dir() string { return s.dir }
