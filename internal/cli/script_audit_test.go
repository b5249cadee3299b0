package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/metawork/meta/internal/audit"
)

// cmdFakeAPI starts, inside the test process, a loopback HTTP server that
// speaks one of the APIs meta's deps commands use, and points meta at it:
//
//	fakeapi osv DIR       OSV API over the *.json records in DIR; sets META_OSV_URL.
//	                      querybatch answers by package name only (one id per
//	                      page, with next_page_token), so version matching is
//	                      meta's; a request log goes to $WORK/osv-requests.log.
//	fakeapi depsdev FILE  deps.dev v3 version endpoint answering from FILE, a JSON
//	                      object "SYSTEM/name/version" → [licenses]; sets META_DEPSDEV_URL.
func cmdFakeAPI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fakeapi osv DIR | fakeapi depsdev FILE")
	}
	var h http.Handler
	var env string
	switch args[0] {
	case "osv":
		h, env = newScriptOSV(ts, ts.MkAbs(args[1])), "META_OSV_URL"
	case "depsdev":
		h, env = newScriptDepsDev(ts, ts.MkAbs(args[1])), "META_DEPSDEV_URL"
	default:
		ts.Fatalf("fakeapi: unknown API %q", args[0])
	}
	srv := httptest.NewServer(h)
	ts.Defer(srv.Close)
	ts.Setenv(env, srv.URL)
}

type scriptOSV struct {
	byName map[string][]string // "ecosystem/name" → sorted ids
	raw    map[string][]byte
	mod    map[string]string
	mu     sync.Mutex
	log    string
}

func newScriptOSV(ts *testscript.TestScript, dir string) *scriptOSV {
	s := &scriptOSV{byName: map[string][]string{}, raw: map[string][]byte{}, mod: map[string]string{}, log: filepath.Join(ts.Getenv("WORK"), "osv-requests.log")}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	ts.Check(err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		ts.Check(err)
		r, err := audit.ParseRecord(data)
		ts.Check(err)
		s.raw[r.ID] = data
		s.mod[r.ID] = r.Modified
		seen := map[string]bool{}
		for _, a := range r.Affected {
			k := a.Package.Ecosystem + "/" + audit.NormalizeName(a.Package.Ecosystem, a.Package.Name)
			if !seen[k] {
				seen[k] = true
				s.byName[k] = append(s.byName[k], r.ID)
			}
		}
	}
	for _, ids := range s.byName {
		sort.Strings(ids)
	}
	return s
}

func (s *scriptOSV) logf(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		f.WriteString(line + "\n")
		f.Close()
	}
}

func (s *scriptOSV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.logf(r.Method + " " + r.URL.Path)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/querybatch":
		var req struct {
			Queries []struct {
				Package struct {
					Name      string `json:"name"`
					Ecosystem string `json:"ecosystem"`
				} `json:"package"`
				Version   string `json:"version"`
				PageToken string `json:"page_token"`
			} `json:"queries"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Queries) > 1000 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		type vuln struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
		}
		type result struct {
			Vulns         []vuln `json:"vulns,omitempty"`
			NextPageToken string `json:"next_page_token,omitempty"`
		}
		var resp struct {
			Results []result `json:"results"`
		}
		for _, q := range req.Queries {
			ids := s.byName[q.Package.Ecosystem+"/"+audit.NormalizeName(q.Package.Ecosystem, q.Package.Name)]
			start := 0
			if q.PageToken != "" {
				start = sort.SearchStrings(ids, q.PageToken)
			}
			var res result
			if start < len(ids) {
				res.Vulns = []vuln{{ID: ids[start], Modified: s.mod[ids[start]]}}
			}
			if start+1 < len(ids) {
				res.NextPageToken = ids[start+1]
			}
			resp.Results = append(resp.Results, res)
		}
		json.NewEncoder(w).Encode(resp)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/vulns/"):
		data, ok := s.raw[strings.TrimPrefix(r.URL.Path, "/v1/vulns/")]
		if !ok {
			http.Error(w, `{"code":5,"message":"Bug not found."}`, http.StatusNotFound)
			return
		}
		w.Write(data)
	default:
		http.NotFound(w, r)
	}
}

func newScriptDepsDev(ts *testscript.TestScript, file string) http.Handler {
	data, err := os.ReadFile(file)
	ts.Check(err)
	var licenses map[string][]string
	ts.Check(json.Unmarshal(data, &licenses))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /v3/systems/{system}/packages/{name}/versions/{version}
		parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/v3/systems/"), "/")
		if len(parts) != 5 || parts[1] != "packages" || parts[3] != "versions" {
			http.NotFound(w, r)
			return
		}
		name, err1 := url.PathUnescape(parts[2])
		version, err2 := url.PathUnescape(parts[4])
		lic, ok := licenses[parts[0]+"/"+name+"/"+version]
		if err1 != nil || err2 != nil || !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"licenses": lic})
	})
}
