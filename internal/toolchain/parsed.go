package toolchain

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/metawork/meta/internal/toolchain/versions"
)

// parsedFormat versions the parsed-list cache; bump it when Release changes.
const parsedFormat = "1"

// parsedKey names the parsed form of a document: its digest plus everything
// the parse depended on (source kind, URL, tag template).
func parsedKey(docSHA, source, url, tag string) string {
	if docSHA == "" {
		return ""
	}
	h := sha256.Sum256([]byte(parsedFormat + "\x00" + docSHA + "\x00" + source + "\x00" + url + "\x00" + tag))
	return hex.EncodeToString(h[:16])
}

func (r *Resolver) parsedPath(key string) string {
	return filepath.Join(r.opts.CacheDir, "parsed", key+".gob")
}

// loadParsed returns a cached parsed list, or nil.
func (r *Resolver) loadParsed(key string) []versions.Release {
	if key == "" {
		return nil
	}
	data, err := os.ReadFile(r.parsedPath(key))
	if err != nil {
		return nil
	}
	var rs []versions.Release
	if gob.NewDecoder(bytes.NewReader(data)).Decode(&rs) != nil || len(rs) == 0 {
		return nil
	}
	return rs
}

// saveParsed stores a parsed list when it is not stored yet. Failing to
// store it only costs the next run a parse.
func (r *Resolver) saveParsed(key string, rs []versions.Release) {
	if key == "" {
		return
	}
	p := r.parsedPath(key)
	if _, err := os.Stat(p); err == nil {
		return
	}
	var buf bytes.Buffer
	if gob.NewEncoder(&buf).Encode(rs) != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(buf.Bytes())
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), p) != nil {
		os.Remove(f.Name())
	}
}
