package registry

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/regindex"
)

// Storage is what the server keeps its data in: immutable blobs under keys,
// written create-if-absent. backend.Backend (a local directory, S3)
// satisfies it.
//
// Layout:
//
//	packages/<name>/<seq>.json   the package's history, one event per file
//	dl/<sha256>                  tarballs, content-addressed
//	tokens/<sha256 of token>.json  who a token belongs to
//
// Because every write creates a new key, writes are atomic on every
// backend, and two servers racing on one package cannot both win: the
// loser's event key already exists.
type Storage interface {
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	List(ctx context.Context, prefix string) ([]backend.Info, error)
}

// event is one change to a package.
type event struct {
	Op          string      `json:"op"` // publish, yank, unyank, add-owners, remove-owners
	At          time.Time   `json:"at"`
	By          string      `json:"by"`
	Entry       *IndexEntry `json:"entry,omitempty"`
	Description string      `json:"description,omitempty"`
	Vers        string      `json:"vers,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	Users       []string    `json:"users,omitempty"`
}

// VersionInfo is what the API says about one version.
type VersionInfo struct {
	IndexEntry
	YankReason  string    `json:"yank_reason,omitempty"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}

// PackageInfo is the API's answer for GET /api/v1/packages/{name}.
type PackageInfo struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	MaxVersion  string        `json:"max_version"`
	Owners      []string      `json:"owners"`
	Versions    []VersionInfo `json:"versions"`
}

// snapshot is an immutable view of one package, swapped whole on change.
type snapshot struct {
	info  PackageInfo
	seq   int
	index []byte // the sparse index file
	etag  string
	// Precomputed answer headers for index reads, the hot path.
	path                         string // regindex.IndexPath(name)
	hdrETag, hdrLen, hdrCacheCtl []string

	// The gzip variant, made on first request (replaying a history makes
	// many snapshots that are never served).
	gzOnce              sync.Once
	gz                  []byte // nil when compressing does not pay
	gzETag              string
	hdrGzETag, hdrGzLen []string
}

// gzipped returns the snapshot's gzip variant, or nil when the index is
// too small for compression to pay.
func (s *snapshot) gzipped() []byte {
	s.gzOnce.Do(func() {
		if len(s.index) < 512 {
			return
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(s.index)
		zw.Close()
		if b.Len() >= len(s.index) {
			return
		}
		s.gz = b.Bytes()
		s.gzETag = strings.TrimSuffix(s.etag, `"`) + `-gz"`
		s.hdrGzETag = []string{s.gzETag}
		s.hdrGzLen = []string{strconv.Itoa(len(s.gz))}
	})
	return s.gz
}

func eventKey(name string, seq int) string {
	return fmt.Sprintf("packages/%s/%08d.json", name, seq)
}

// apply returns the snapshot after ev. It does not modify s.
func (s *snapshot) apply(ev *event) (*snapshot, error) {
	n := &snapshot{seq: s.seq + 1}
	n.info = s.info
	n.info.Owners = slices.Clone(s.info.Owners)
	n.info.Versions = slices.Clone(s.info.Versions)
	find := func(v string) int {
		for i := range n.info.Versions {
			if n.info.Versions[i].Vers == v {
				return i
			}
		}
		return -1
	}
	switch ev.Op {
	case "publish":
		if ev.Entry == nil {
			return nil, errors.New("publish event without an entry")
		}
		if find(ev.Entry.Vers) >= 0 {
			return nil, fmt.Errorf("version %s published twice", ev.Entry.Vers)
		}
		if n.info.Name == "" {
			n.info.Name = ev.Entry.Name
			n.info.Owners = []string{ev.By}
		}
		if ev.Description != "" {
			n.info.Description = ev.Description
		}
		n.info.Versions = append(n.info.Versions, VersionInfo{IndexEntry: *ev.Entry, PublishedAt: ev.At, PublishedBy: ev.By})
		sort.SliceStable(n.info.Versions, func(i, j int) bool {
			return regindex.CompareVersions(n.info.Versions[i].Vers, n.info.Versions[j].Vers) < 0
		})
	case "yank", "unyank":
		i := find(ev.Vers)
		if i < 0 {
			return nil, fmt.Errorf("%s of unknown version %s", ev.Op, ev.Vers)
		}
		n.info.Versions[i].Yanked = ev.Op == "yank"
		n.info.Versions[i].YankReason = ""
		if ev.Op == "yank" {
			n.info.Versions[i].YankReason = ev.Reason
		}
	case "add-owners":
		for _, u := range ev.Users {
			if !slices.Contains(n.info.Owners, u) {
				n.info.Owners = append(n.info.Owners, u)
			}
		}
		sort.Strings(n.info.Owners)
	case "remove-owners":
		n.info.Owners = slices.DeleteFunc(n.info.Owners, func(u string) bool { return slices.Contains(ev.Users, u) })
	default:
		return nil, fmt.Errorf("unknown event %q", ev.Op)
	}
	n.info.MaxVersion = maxVersion(n.info.Versions)
	entries := make([]IndexEntry, len(n.info.Versions))
	for i, v := range n.info.Versions {
		entries[i] = v.IndexEntry
	}
	n.index = regindex.FormatIndex(entries)
	n.etag = etagOf(n.index)
	n.path = regindex.IndexPath(n.info.Name)
	n.hdrETag = []string{n.etag}
	n.hdrLen = []string{strconv.Itoa(len(n.index))}
	n.hdrCacheCtl = []string{"no-cache"}
	return n, nil
}

// maxVersion is the newest non-yanked release, else the newest non-yanked
// pre-release, else the newest of all.
func maxVersion(vs []VersionInfo) string {
	best := ""
	for pass := 0; pass < 3 && best == ""; pass++ {
		for i := len(vs) - 1; i >= 0; i-- {
			v := vs[i]
			if pass < 2 && v.Yanked {
				continue
			}
			if pass == 0 && strings.Contains(strings.SplitN(v.Vers, "+", 2)[0], "-") {
				continue
			}
			best = v.Vers
			break
		}
	}
	return best
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// loadAll reads every package's history from st.
func loadAll(ctx context.Context, st Storage) (map[string]*snapshot, error) {
	infos, err := st.List(ctx, "packages/")
	if err != nil {
		return nil, fmt.Errorf("list packages: %w", err)
	}
	byName := map[string][]string{}
	for _, in := range infos {
		parts := strings.Split(in.Key, "/")
		if len(parts) != 3 || regindex.ValidateName(parts[1]) != nil || !strings.HasSuffix(parts[2], ".json") {
			continue
		}
		byName[parts[1]] = append(byName[parts[1]], in.Key)
	}
	// Packages replay independently; on S3 each event is a round trip, so
	// read several packages at once.
	out := make(map[string]*snapshot, len(byName))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for name, keys := range byName {
		g.Go(func() error {
			snap, err := replay(gctx, st, name, keys)
			if err != nil {
				return err
			}
			mu.Lock()
			out[name] = snap
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// replay applies a package's events in order.
func replay(ctx context.Context, st Storage, name string, keys []string) (*snapshot, error) {
	sort.Strings(keys)
	snap := &snapshot{}
	for i, key := range keys {
		if want := eventKey(name, i+1); key != want {
			return nil, fmt.Errorf("package %s: history has a gap: found %s where %s was expected", name, key, want)
		}
		ev, err := readEvent(ctx, st, key)
		if err != nil {
			return nil, err
		}
		if snap, err = snap.apply(ev); err != nil {
			return nil, fmt.Errorf("%s: %v", key, err)
		}
	}
	return snap, nil
}

func readEvent(ctx context.Context, st Storage, key string) (*event, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	var ev event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("%s: %v", key, err)
	}
	return &ev, nil
}

func writeEvent(ctx context.Context, st Storage, key string, ev *event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return st.Put(ctx, key, bytes.NewReader(data), int64(len(data)))
}

// Token records.

type tokenRecord struct {
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
}

// TokenPrefix starts every token, so that a leaked one is easy to grep for.
const TokenPrefix = "metareg_"

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func tokenKey(token string) string { return "tokens/" + hashToken(token) + ".json" }

// ValidateOwner checks an owner (user) name: the package-name grammar.
func ValidateOwner(owner string) error {
	if err := regindex.ValidateName(owner); err != nil {
		return fmt.Errorf("owner: %s", strings.TrimPrefix(err.Error(), "package "))
	}
	return nil
}

// CreateToken makes a new random token for owner, stores only its SHA-256
// in st, and returns the token. It is shown to the user once.
func CreateToken(ctx context.Context, st Storage, owner string, random io.Reader) (string, error) {
	if err := ValidateOwner(owner); err != nil {
		return "", err
	}
	var b [32]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	token := TokenPrefix + hex.EncodeToString(b[:])
	rec, _ := json.Marshal(tokenRecord{Owner: owner, Created: time.Now().UTC().Truncate(time.Second)})
	if err := st.Put(ctx, tokenKey(token), bytes.NewReader(rec), int64(len(rec))); err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return token, nil
}

// lookupToken returns the owner of token, or "" when it is unknown.
func lookupToken(ctx context.Context, st Storage, token string) (string, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+64 || !isHexLower(token[len(TokenPrefix):]) {
		return "", nil
	}
	rc, err := st.Get(ctx, tokenKey(token))
	if errors.Is(err, backend.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var rec tokenRecord
	if err := json.NewDecoder(io.LimitReader(rc, 64<<10)).Decode(&rec); err != nil {
		return "", fmt.Errorf("token record: %v", err)
	}
	return rec.Owner, nil
}

func isHexLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			return false
		}
	}
	return true
}
