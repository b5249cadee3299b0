package git

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxPeelDepth bounds a chain of tags pointing at tags.
const maxPeelDepth = 8

// errNotLoose: the object is not stored as a loose object (it is in a pack
// or an alternate), so only git itself can read it.
var errNotLoose = errors.New("not a loose object")

// looseObjectHeader reads the type of a loose object and, for a tag, the
// object it points at. It reads no more than the tag's first line.
func looseObjectHeader(commonDir, id string) (typ, target string, err error) {
	if len(id) < 4 || !IsCommitID(id) {
		return "", "", errors.New("bad object id " + id)
	}
	f, err := os.Open(filepath.Join(commonDir, "objects", id[:2], id[2:]))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", "", errNotLoose
		}
		return "", "", err
	}
	defer f.Close()
	zr, err := zlib.NewReader(f)
	if err != nil {
		return "", "", err
	}
	defer zr.Close()
	br := bufio.NewReader(io.LimitReader(zr, 512))
	hdr, err := br.ReadString(0)
	if err != nil {
		return "", "", err
	}
	typ, _, _ = strings.Cut(strings.TrimSuffix(hdr, "\x00"), " ")
	if typ != "tag" {
		return typ, "", nil
	}
	line, err := br.ReadString('\n')
	if err != nil {
		return typ, "", err
	}
	target, ok := strings.CutPrefix(strings.TrimSpace(line), "object ")
	if !ok {
		return typ, "", errors.New("tag object " + id + " has no object line")
	}
	return typ, target, nil
}

// peelLoose follows id through tag objects to what they finally point at.
// ok is false when some object on the way is neither loose nor whole in a
// pack.
func peelLoose(commonDir, id string) (string, bool) {
	for range maxPeelDepth {
		typ, target, err := looseObjectHeader(commonDir, id)
		if errors.Is(err, errNotLoose) {
			var ok bool
			if typ, target, ok = packedObject(commonDir, id); !ok {
				return "", false
			}
		} else if err != nil {
			return "", false
		}
		if typ != "tag" {
			return id, true
		}
		id = target
	}
	return "", false
}

// peelWithGit asks git for the commits the tags in names point at, for
// tag objects this package cannot read itself (packed objects).
func peelWithGit(dir string, names []string, refs map[string]string) {
	out, err := Cmd(context.Background(), dir, append([]string{"for-each-ref", "--format=%(refname) %(objectname) %(*objectname)", "--end-of-options"}, names...)...)
	if err != nil {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch len(f) {
		case 3:
			refs[f[0]] = f[2]
		case 2:
			refs[f[0]] = f[1]
		}
	}
}

// packedTraits reads the traits line of a packed-refs file.
func packedTraits(data []byte) (peeled, fully bool) {
	first, _, _ := bytes.Cut(data, []byte{'\n'})
	traits, ok := bytes.CutPrefix(first, []byte("# pack-refs with:"))
	if !ok {
		return false, false
	}
	for _, t := range bytes.Fields(traits) {
		switch string(t) {
		case "peeled":
			peeled = true
		case "fully-peeled":
			fully = true
		}
	}
	return peeled, fully
}

// packedObject finds id in the repository's pack indexes (version 2) and
// returns its type from the pack entry's header and, for a tag stored
// whole (not as a delta), the object it points at. ok is false when the
// object is in no pack this can read.
func packedObject(commonDir, id string) (typ, target string, ok bool) {
	raw, err := hexBytes(id)
	if err != nil {
		return "", "", false
	}
	idxs, _ := filepath.Glob(filepath.Join(commonDir, "objects", "pack", "pack-*.idx"))
	for _, idx := range idxs {
		off, found := idxLookup(idx, raw)
		if !found {
			continue
		}
		return packEntry(strings.TrimSuffix(idx, ".idx")+".pack", off, len(raw))
	}
	return "", "", false
}

func hexBytes(id string) ([]byte, error) {
	if len(id) != 40 && len(id) != 64 {
		return nil, errors.New("not a full object id")
	}
	b := make([]byte, len(id)/2)
	for i := range b {
		hi, lo := unhex(id[2*i]), unhex(id[2*i+1])
		if hi < 0 || lo < 0 {
			return nil, errors.New("not hex")
		}
		b[i] = byte(hi<<4 | lo)
	}
	return b, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// idxLookup binary-searches a version 2 pack index for id.
func idxLookup(path string, id []byte) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var hdr [8]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil || !bytes.Equal(hdr[:], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return 0, false
	}
	u32 := func(off int64) (uint32, bool) {
		var b [4]byte
		if _, err := f.ReadAt(b[:], off); err != nil {
			return 0, false
		}
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
	}
	const fanout = 8
	lo := uint32(0)
	if id[0] > 0 {
		v, ok := u32(fanout + 4*int64(id[0]-1))
		if !ok {
			return 0, false
		}
		lo = v
	}
	hi, ok := u32(fanout + 4*int64(id[0]))
	if !ok {
		return 0, false
	}
	total, ok := u32(fanout + 4*255)
	if !ok || hi > total || lo > hi {
		return 0, false
	}
	names := int64(fanout + 4*256)
	hs := int64(len(id))
	buf := make([]byte, hs)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if _, err := f.ReadAt(buf, names+int64(mid)*hs); err != nil {
			return 0, false
		}
		switch c := bytes.Compare(buf, id); {
		case c == 0:
			offs := names + int64(total)*hs + int64(total)*4
			o, ok := u32(offs + int64(mid)*4)
			if !ok {
				return 0, false
			}
			if o&0x80000000 == 0 {
				return int64(o), true
			}
			var b [8]byte
			if _, err := f.ReadAt(b[:], offs+int64(total)*4+int64(o&0x7fffffff)*8); err != nil {
				return 0, false
			}
			var v int64
			for _, x := range b {
				v = v<<8 | int64(x)
			}
			return v, true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

// maxPackedTag bounds what is inflated to read a packed tag (its deltas and
// their bases included).
const maxPackedTag = 1 << 20

// packEntry reads the type of the pack entry at off and, for a tag object
// (whole or as a delta), its target.
func packEntry(path string, off int64, hashLen int) (typ, target string, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	kind, data, ok := readPacked(f, path, off, hashLen, maxPeelDepth)
	if !ok {
		return "", "", false
	}
	switch kind {
	case 1:
		return "commit", "", true
	case 2:
		return "tree", "", true
	case 3:
		return "blob", "", true
	case 4:
		line, _, _ := bytes.Cut(data, []byte{'\n'})
		t, found := strings.CutPrefix(string(line), "object ")
		return "tag", t, found
	}
	return "", "", false
}

// readPacked reads the entry at off: its type, and for a tag or a delta
// its inflated data (deltas applied to their bases, depth bounded).
func readPacked(f *os.File, path string, off int64, hashLen, depth int) (byte, []byte, bool) {
	if depth == 0 {
		return 0, nil, false
	}
	br := bufio.NewReader(io.NewSectionReader(f, off, 1<<40))
	c, err := br.ReadByte()
	if err != nil {
		return 0, nil, false
	}
	kind := (c >> 4) & 7
	for c&0x80 != 0 { // the rest of the size varint
		if c, err = br.ReadByte(); err != nil {
			return 0, nil, false
		}
	}
	var base func() (byte, []byte, bool)
	switch kind {
	case 1, 2, 3:
		return kind, nil, true
	case 4:
	case 6: // OFS_DELTA: a negative offset to the base in this pack
		c, err := br.ReadByte()
		if err != nil {
			return 0, nil, false
		}
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if c, err = br.ReadByte(); err != nil {
				return 0, nil, false
			}
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		if rel <= 0 || rel > off {
			return 0, nil, false
		}
		base = func() (byte, []byte, bool) { return readPacked(f, path, off-rel, hashLen, depth-1) }
	case 7: // REF_DELTA: the base by id, in this pack
		id := make([]byte, hashLen)
		if _, err := io.ReadFull(br, id); err != nil {
			return 0, nil, false
		}
		boff, found := idxLookup(strings.TrimSuffix(path, ".pack")+".idx", id)
		if !found {
			return 0, nil, false
		}
		base = func() (byte, []byte, bool) { return readPacked(f, path, boff, hashLen, depth-1) }
	default:
		return 0, nil, false
	}
	zr, err := zlib.NewReader(br)
	if err != nil {
		return 0, nil, false
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, maxPackedTag+1))
	if err != nil || len(data) > maxPackedTag {
		return 0, nil, false
	}
	if base == nil {
		return kind, data, true
	}
	bkind, bdata, ok := base()
	if !ok || bkind != 4 {
		return bkind, nil, ok && bkind != 4 && bkind >= 1 && bkind <= 3
	}
	out, ok := applyDelta(bdata, data)
	return 4, out, ok
}

// applyDelta applies a git delta to base.
func applyDelta(base, delta []byte) ([]byte, bool) {
	varint := func() (int, bool) {
		n, shift := 0, 0
		for {
			if len(delta) == 0 || shift > 28 {
				return 0, false
			}
			c := delta[0]
			delta = delta[1:]
			n |= int(c&0x7f) << shift
			shift += 7
			if c&0x80 == 0 {
				return n, true
			}
		}
	}
	srcSize, ok := varint()
	if !ok || srcSize != len(base) {
		return nil, false
	}
	dstSize, ok := varint()
	if !ok || dstSize > maxPackedTag {
		return nil, false
	}
	out := make([]byte, 0, dstSize)
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		if op&0x80 == 0 { // insert op bytes
			n := int(op)
			if n == 0 || n > len(delta) {
				return nil, false
			}
			out = append(out, delta[:n]...)
			delta = delta[n:]
			continue
		}
		var cpOff, cpLen int
		for i := range 4 {
			if op&(1<<i) != 0 {
				if len(delta) == 0 {
					return nil, false
				}
				cpOff |= int(delta[0]) << (8 * i)
				delta = delta[1:]
			}
		}
		for i := range 3 {
			if op&(0x10<<i) != 0 {
				if len(delta) == 0 {
					return nil, false
				}
				cpLen |= int(delta[0]) << (8 * i)
				delta = delta[1:]
			}
		}
		if cpLen == 0 {
			cpLen = 0x10000
		}
		if cpOff+cpLen > len(base) || len(out)+cpLen > dstSize {
			return nil, false
		}
		out = append(out, base[cpOff:cpOff+cpLen]...)
	}
	return out, len(out) == dstSize
}
