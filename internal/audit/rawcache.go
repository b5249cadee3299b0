package audit

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strings"
)

// A record cache sits beside an archive's index (<index>.records) and
// holds the uncompressed JSON of the records that a load had to decode in
// full because they match an audited version. A later load of the same
// versions reads them from it instead of inflating them from the archive.
//
// Every cached record is checked against the archive's own central
// directory before use — its length against the entry's uncompressed size
// and its CRC-32 against the entry's — so a stale, truncated or damaged
// cache only costs the decompression it would have saved.
//
// Layout: the magic line, then per record its entry number, its length
// (uvarints) and its bytes.

const rawMagic = "meta-osv-records 1\n"

// maxRawCache bounds a record cache, read or written.
const maxRawCache = 128 << 20

// rawCacheFile is the record cache beside index file.
func rawCacheFile(index string) string {
	return strings.TrimSuffix(index, ".json") + ".records"
}

// readRawCache reads a record cache into entry → bytes. A missing,
// oversized or malformed cache reads as empty, or as the records before
// the damage.
func readRawCache(file string) map[int][]byte {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() > maxRawCache || st.Size() < int64(len(rawMagic)) {
		return nil
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil
	}
	rest, ok := bytes.CutPrefix(data, []byte(rawMagic))
	if !ok {
		return nil
	}
	out := map[int][]byte{}
	for len(rest) > 0 {
		entry, k := binary.Uvarint(rest)
		if k <= 0 || entry > 1<<31 {
			break
		}
		rest = rest[k:]
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			break
		}
		rest = rest[k:]
		out[int(entry)] = rest[:n:n]
		rest = rest[n:]
	}
	return out
}

// encodeRawCache writes records in entry order.
func encodeRawCache(records map[int][]byte) []byte {
	entries := make([]int, 0, len(records))
	size := len(rawMagic)
	for e, b := range records {
		entries = append(entries, e)
		size += len(b) + 2*binary.MaxVarintLen64
	}
	sort.Ints(entries)
	out := make([]byte, 0, size)
	out = append(out, rawMagic...)
	for _, e := range entries {
		out = binary.AppendUvarint(out, uint64(e))
		out = binary.AppendUvarint(out, uint64(len(records[e])))
		out = append(out, records[e]...)
	}
	return out
}

// rawMatches reports whether data is the uncompressed content of f.
func rawMatches(data []byte, f *zip.File) bool {
	return uint64(len(data)) == f.UncompressedSize64 && crc32.ChecksumIEEE(data) == f.CRC32
}

// cachedRecord is entry's record from z's record cache, when it is there
// and is the archive entry's content; nil otherwise.
func (z *zipSource) cachedRecord(entry int) []byte {
	data, ok := z.raw[entry]
	if !ok || entry < 0 || entry >= len(z.zr.File) || !rawMatches(data, z.zr.File[entry]) {
		return nil
	}
	return data
}

// addRaw stores in the record caches of the archives read through an
// index the records decoded in full from the archive, when any is new.
// The cache only grows up to maxRawCache; past that, records are left out.
func (l *Loader) addRaw(jobs []job, outs []outcome) {
	grown := map[*zipSource]map[int][]byte{}
	var order []*zipSource
	for i, o := range outs {
		z := jobs[i].zip
		// o.raw is set only when the cache lacked the record or held a
		// damaged copy, which this replaces.
		if o.raw == nil || z == nil || z.index == nil || z.file == "" {
			continue
		}
		m := grown[z]
		if m == nil {
			m = make(map[int][]byte, len(z.raw)+1)
			for k, v := range z.raw {
				m[k] = v
			}
			grown[z] = m
			order = append(order, z)
		}
		m[jobs[i].entry] = o.raw
	}
	for _, z := range order {
		m := grown[z]
		size := len(rawMagic)
		for e, b := range m {
			size += len(b) + 2*binary.MaxVarintLen64
			if size > maxRawCache {
				delete(m, e)
				size -= len(b) + 2*binary.MaxVarintLen64
			}
		}
		_ = writeAtomic(rawCacheFile(z.file), encodeRawCache(m))
	}
}
