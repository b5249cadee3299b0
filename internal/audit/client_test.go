package audit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOSV is a small OSV API: querybatch over records held in memory, one
// id per page (to exercise next_page_token), and /v1/vulns/{id}.
type fakeOSV struct {
	mu        sync.Mutex
	records   map[string]*Record
	raw       map[string][]byte
	fail429   int // answer this many requests with 429 first
	batches   int
	gets      map[string]int
	maxQuery  int
	pageSize  int
	fail500On string // id whose GET always answers 500
}

func newFakeOSV(t *testing.T, recs map[string][]byte) *fakeOSV {
	f := &fakeOSV{records: map[string]*Record{}, raw: map[string][]byte{}, gets: map[string]int{}, pageSize: 1}
	for _, data := range recs {
		r, err := ParseRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		f.records[r.ID] = r
		f.raw[r.ID] = data
	}
	return f
}

func (f *fakeOSV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail429 > 0 {
		f.fail429--
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/querybatch":
		f.batches++
		var req struct {
			Queries []apiQuery `json:"queries"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if len(req.Queries) > f.maxQuery {
			f.maxQuery = len(req.Queries)
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
			var ids []string
			v, err := ParseVersion(q.Package.Ecosystem, q.Version)
			if err == nil {
				for id, rec := range f.records {
					if ok, _ := rec.Matches(q.Package.Ecosystem, q.Package.Name, v); ok {
						ids = append(ids, id)
					}
				}
			}
			sortStrings(ids)
			start := 0
			if q.PageToken != "" {
				for i, id := range ids {
					if id == q.PageToken {
						start = i
					}
				}
			}
			var res result
			for i := start; i < len(ids) && i < start+f.pageSize; i++ {
				res.Vulns = append(res.Vulns, vuln{ID: ids[i], Modified: f.records[ids[i]].Modified})
			}
			if start+f.pageSize < len(ids) {
				res.NextPageToken = ids[start+f.pageSize]
			}
			resp.Results = append(resp.Results, res)
		}
		json.NewEncoder(w).Encode(resp)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/vulns/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/vulns/")
		f.gets[id]++
		if id == f.fail500On {
			http.Error(w, "boom", 500)
			return
		}
		data, ok := f.raw[id]
		if !ok {
			http.Error(w, `{"code":5,"message":"Bug not found."}`, 404)
			return
		}
		w.Write(data)
	default:
		http.NotFound(w, r)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// noSleep records the waits instead of sleeping.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (n *noSleep) sleep(_ context.Context, d time.Duration) error {
	n.mu.Lock()
	n.waits = append(n.waits, d)
	n.mu.Unlock()
	return nil
}

func TestClientAgainstFakeAPI(t *testing.T) {
	recs := readShared(t)
	fake := newFakeOSV(t, recs)
	fake.fail429 = 1
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ns := &noSleep{}
	cache := t.TempDir()
	c := &Client{BaseURL: srv.URL, CacheDir: cache, Sleep: ns.sleep, BatchSize: 2}
	rep, err := Run(context.Background(), c, fixtureInputs())
	if err != nil {
		t.Fatal(err)
	}
	got := hits(rep)
	if len(got) != 8 {
		t.Fatalf("findings = %v", got)
	}
	if len(ns.waits) != 1 || ns.waits[0] != time.Second {
		t.Errorf("waits = %v, want one Retry-After wait of 1s", ns.waits)
	}
	if fake.maxQuery > 2 {
		t.Errorf("a batch had %d queries, limit 2", fake.maxQuery)
	}
	// golang.org/x/net has two ids, one per page: the second page was asked.
	for _, id := range []string{"GO-2024-3333", "GO-2025-3503", "GHSA-35jh-r3h4-6jhm"} {
		if _, err := os.Stat(filepath.Join(cache, id+".json")); err != nil {
			t.Errorf("%s not cached: %v", id, err)
		}
	}
	// A second run reads records from the cache.
	before := fake.gets["GO-2024-3333"]
	if _, err := Run(context.Background(), c, fixtureInputs()); err != nil {
		t.Fatal(err)
	}
	if fake.gets["GO-2024-3333"] != before || before != 1 {
		t.Errorf("GETs of GO-2024-3333: %d then %d, want 1 and no more", before, fake.gets["GO-2024-3333"])
	}
}

func TestClientCacheKeyedByModified(t *testing.T) {
	rec := []byte(`{"id":"A-1","modified":"2024-02-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p"},"versions":["1.0.0"]}]}`)
	fake := newFakeOSV(t, map[string][]byte{"a": rec})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cache := t.TempDir()
	os.WriteFile(filepath.Join(cache, "A-1.json"), []byte(`{"id":"A-1","modified":"2023-01-01T00:00:00Z","affected":[]}`), 0o644)
	c := &Client{BaseURL: srv.URL, CacheDir: cache, Sleep: (&noSleep{}).sleep}
	out, err := c.Records(context.Background(), []Query{{Ecosystem: "npm", Name: "p", Version: "1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out[0]) != 1 || out[0][0].Modified != "2024-02-01T00:00:00Z" || fake.gets["A-1"] != 1 {
		t.Errorf("stale cache used: %+v, gets %d", out, fake.gets["A-1"])
	}
}

func TestClientGivesUp(t *testing.T) {
	rec := []byte(`{"id":"A-1","modified":"m","affected":[{"package":{"ecosystem":"npm","name":"p"},"versions":["1.0.0"]}]}`)
	fake := newFakeOSV(t, map[string][]byte{"a": rec})
	fake.fail500On = "A-1"
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ns := &noSleep{}
	c := &Client{BaseURL: srv.URL, Sleep: ns.sleep, MaxAttempts: 3, Backoff: time.Millisecond}
	_, err := c.Records(context.Background(), []Query{{Ecosystem: "npm", Name: "p", Version: "1.0.0"}})
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if len(ns.waits) != 2 || ns.waits[0] != time.Millisecond || ns.waits[1] != 2*time.Millisecond {
		t.Errorf("backoff waits = %v", ns.waits)
	}
	// A 404 is not retried.
	fake.fail500On = ""
	ns.waits = nil
	if _, err := c.Record(context.Background(), "NOPE-1", ""); err == nil || len(ns.waits) != 0 {
		t.Errorf("404: err %v, waits %v", err, ns.waits)
	}
	if _, err := c.Record(context.Background(), "../x", ""); err == nil {
		t.Error("path-like id accepted")
	}
}

func TestRetryAfter(t *testing.T) {
	if d := retryAfter("3"); d != 3*time.Second {
		t.Errorf("3 → %v", d)
	}
	if d := retryAfter("9999"); d != time.Minute {
		t.Errorf("cap → %v", d)
	}
	if d := retryAfter("soon"); d != 0 {
		t.Errorf("junk → %v", d)
	}
	if d := retryAfter(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)); d != 0 {
		t.Errorf("past date → %v", d)
	}
}
