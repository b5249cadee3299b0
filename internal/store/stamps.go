package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// An entry's stamps file, <dir>/ab/<hash>.stamps, records for each of its
// files the inode, size, modification time and status-change time (ctime)
// it had when the entry was committed, and the SHA-256 of its contents.
// Get uses it to verify cheaply: a file whose four stamps are unchanged is
// copied by the kernel without being re-hashed, its recorded digest
// standing in; any other file is re-hashed and must match its recorded
// digest. Either way the tree hash is recomputed from the digests, types,
// modes, names and symlink targets read from disk, so a changed tree shape
// is always caught. Editing a stored file updates its ctime, and no
// program can set a ctime back (touch -d restores only the mtime), so an
// edit that keeps the size and restores the mtime is caught too; silent
// bit rot, which changes no stamp, is left to Verify, which always
// re-hashes everything. The format:
//
//	stamps = str("meta-stamps-v2") u64(count) { str(path) u64(ino) u64(size) u64(mtime) u64(ctime) digest[32] }
//
// It is written before the metadata file, so a committed entry has one
// unless it was stored by an older meta; a missing, older (v1, without
// ctime) or unreadable stamps file only means Get re-hashes everything.
// Hard-linking a stored file into a new entry (deduplication) changes its
// ctime too; the next Get re-hashes it, and having verified the whole
// entry, writes fresh stamps.
const stampsMagic = "meta-stamps-v2"

// fileRecord is one file's line in a stamps file.
type fileRecord struct {
	ino, size, mtime, ctime int64
	digest                  [32]byte
}

func (s *Store) stampsPath(hash string) string {
	return filepath.Join(s.dir, hash[:2], hash+".stamps")
}

// stampsData returns the stamps file of the files of root as they are at
// dir.
func (s *Store) stampsData(dir string, root *node) ([]byte, error) {
	files := root.files()
	stamps := make([]stamp, 0, len(files))
	// The jobs hold the files in order, each directory's opened once.
	for _, job := range dirJobs(files) {
		dpath := filepath.Join(dir, filepath.FromSlash(job.dir))
		dfd, err := openDir(dpath)
		if err != nil {
			return nil, err
		}
		for _, n := range job.files {
			st, err := lstatAt(dfd, n.name, filepath.Join(dpath, n.name))
			if err != nil {
				closeFD(dfd)
				return nil, err
			}
			stamps = append(stamps, st)
		}
		closeFD(dfd)
	}
	return encodeStamps(files, stamps), nil
}

// saveStamps writes the stamps file of entry hash: files[i] had stamps[i]
// when its digest was computed.
func (s *Store) saveStamps(hash string, files []*node, stamps []stamp) error {
	return s.writeFileAtomic(s.stampsPath(hash), encodeStamps(files, stamps))
}

// encodeStamps serialises the stamps of files (see stampsMagic).
func encodeStamps(files []*node, stamps []stamp) []byte {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	putStr(w, stampsMagic)
	putU64(w, uint64(len(files)))
	for i, n := range files {
		st := stamps[i]
		putStr(w, n.rel)
		putU64(w, uint64(st.ino))
		putU64(w, uint64(st.size))
		putU64(w, uint64(st.mtime))
		putU64(w, uint64(st.ctime))
		w.Write(n.digest[:])
	}
	w.Flush() // writes to a bytes.Buffer cannot fail
	return buf.Bytes()
}

// matches reports whether a file's stamp now is the one recorded.
func (rec fileRecord) matches(st stamp) bool {
	return rec.ino == st.ino && rec.size == st.size && rec.mtime == st.mtime && rec.ctime == st.ctime
}

// readStamps loads an entry's stamps file.
func (s *Store) readStamps(hash string) (map[string]fileRecord, error) {
	data, err := os.ReadFile(s.stampsPath(hash))
	if err != nil {
		return nil, err
	}
	return parseStamps(data)
}

// parseStamps decodes a stamps file.
func parseStamps(data []byte) (map[string]fileRecord, error) {
	r := bytes.NewReader(data)
	u64 := func() (uint64, error) {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, errors.New("stamps: truncated")
		}
		return binary.LittleEndian.Uint64(b[:]), nil
	}
	str := func() (string, error) {
		n, err := u64()
		if err != nil {
			return "", err
		}
		if n > maxArchivePath || n > uint64(r.Len()) {
			return "", fmt.Errorf("stamps: string of %d bytes", n)
		}
		b := make([]byte, n)
		io.ReadFull(r, b)
		return string(b), nil
	}
	if m, err := str(); err != nil || m != stampsMagic {
		return nil, errors.New("stamps: bad magic")
	}
	count, err := u64()
	if err != nil {
		return nil, err
	}
	// Each record is at least 8+32+32 bytes: a count beyond that is a lie.
	if count > uint64(r.Len())/72 {
		return nil, fmt.Errorf("stamps: %d records cannot fit in %d bytes", count, r.Len())
	}
	out := make(map[string]fileRecord, count)
	for range count {
		p, err := str()
		if err != nil {
			return nil, err
		}
		var rec fileRecord
		for _, f := range []*int64{&rec.ino, &rec.size, &rec.mtime, &rec.ctime} {
			v, err := u64()
			if err != nil {
				return nil, err
			}
			*f = int64(v)
		}
		if _, err := io.ReadFull(r, rec.digest[:]); err != nil {
			return nil, errors.New("stamps: truncated")
		}
		out[p] = rec
	}
	if r.Len() != 0 {
		return nil, errors.New("stamps: trailing data")
	}
	return out, nil
}
