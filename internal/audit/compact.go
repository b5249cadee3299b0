package audit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// A compact record is the part of an OSV record that decides whether it
// matches a package version: id, modified, withdrawn, and per affected
// entry the package ecosystem and name, the explicit versions and the
// ranges with their events. Archive indexes store it per entry, so a warm
// load decompresses and decodes in full only the records that match.
//
// Layout: strings are a uvarint length and the bytes, counts are uvarints.
//
//	id modified withdrawn count(affected){ eco name count(versions){v}
//	count(ranges){ type count(events){ kind value } } }
//
// An event's kind is the field rangeAffects reads first: 0 introduced,
// 1 fixed, 2 last_affected, 3 limit, 4 none set.

// Bounds on a compact record read from an (untrusted) index.
const (
	maxCompactSize  = 1 << 20
	maxCompactCount = 1 << 16
)

// encodeCompact writes r's compact form.
func encodeCompact(r *Record) []byte {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(r.ID)
	str(r.Modified)
	str(r.Withdrawn)
	b = binary.AppendUvarint(b, uint64(len(r.Affected)))
	for _, a := range r.Affected {
		str(a.Package.Ecosystem)
		str(a.Package.Name)
		b = binary.AppendUvarint(b, uint64(len(a.Versions)))
		for _, v := range a.Versions {
			str(v)
		}
		b = binary.AppendUvarint(b, uint64(len(a.Ranges)))
		for _, rg := range a.Ranges {
			str(rg.Type)
			b = binary.AppendUvarint(b, uint64(len(rg.Events)))
			for _, e := range rg.Events {
				kind, v := eventKind(e)
				b = append(b, kind)
				str(v)
			}
		}
	}
	return b
}

// eventKind is the kind and value of e as rangeAffects reads it.
func eventKind(e Event) (byte, string) {
	switch {
	case e.Introduced != "":
		return 0, e.Introduced
	case e.Fixed != "":
		return 1, e.Fixed
	case e.LastAffected != "":
		return 2, e.LastAffected
	case e.Limit != "":
		return 3, e.Limit
	}
	return 4, ""
}

var errCompact = errors.New("corrupt compact record")

// compactReader reads a compact record, failing on any bound or overrun.
type compactReader struct {
	b   []byte
	err error
}

func (c *compactReader) uint() int {
	if c.err != nil {
		return 0
	}
	n, k := binary.Uvarint(c.b)
	if k <= 0 || n > maxCompactCount {
		c.err = errCompact
		return 0
	}
	c.b = c.b[k:]
	return int(n)
}

func (c *compactReader) str() string {
	n := c.uint()
	if c.err != nil {
		return ""
	}
	if n > len(c.b) {
		c.err = errCompact
		return ""
	}
	s := string(c.b[:n])
	c.b = c.b[n:]
	return s
}

// count reads a count of items of at least min bytes each.
func (c *compactReader) count(min int) int {
	n := c.uint()
	if c.err == nil && n*min > len(c.b) {
		c.err = errCompact
		return 0
	}
	return n
}

// decodeCompact reads a compact record into a Record holding only the
// fields Matches uses.
func decodeCompact(data []byte) (*Record, error) {
	if len(data) > maxCompactSize {
		return nil, fmt.Errorf("%w: %d bytes", errCompact, len(data))
	}
	c := &compactReader{b: data}
	r := &Record{ID: c.str(), Modified: c.str(), Withdrawn: c.str()}
	if n := c.count(4); n > 0 {
		r.Affected = make([]Affected, n)
	}
	for i := range r.Affected {
		a := &r.Affected[i]
		a.Package.Ecosystem = c.str()
		a.Package.Name = c.str()
		if n := c.count(1); n > 0 {
			a.Versions = make([]string, n)
		}
		for j := range a.Versions {
			a.Versions[j] = c.str()
		}
		if n := c.count(2); n > 0 {
			a.Ranges = make([]Range, n)
		}
		for j := range a.Ranges {
			rg := &a.Ranges[j]
			rg.Type = c.str()
			if n := c.count(2); n > 0 {
				rg.Events = make([]Event, n)
			}
			for k := range rg.Events {
				if c.err != nil || len(c.b) == 0 {
					c.err = errCompact
					break
				}
				kind := c.b[0]
				c.b = c.b[1:]
				v := c.str()
				switch kind {
				case 0:
					rg.Events[k].Introduced = v
				case 1:
					rg.Events[k].Fixed = v
				case 2:
					rg.Events[k].LastAffected = v
				case 3:
					rg.Events[k].Limit = v
				case 4:
				default:
					c.err = errCompact
				}
			}
		}
		if c.err != nil {
			break
		}
	}
	if c.err == nil && len(c.b) != 0 {
		c.err = errCompact
	}
	if c.err != nil {
		return nil, c.err
	}
	return r, nil
}

// Versions lists the versions an audit will check, by ecosystem and
// normalised name; LoadFor uses it to skip records that match none.
type Versions map[dbKey][]string

// Add records version v of package name in eco. Versions are parsed only
// when a record naming the package is looked at; one that cannot be
// parsed is not audited and matches nothing.
func (vs Versions) Add(eco, name, v string) {
	k := dbKey{eco, NormalizeName(eco, name)}
	for _, old := range vs[k] {
		if old == v {
			return
		}
	}
	vs[k] = append(vs[k], v)
}

// parsedVersions parses each package's audited versions once per load,
// on first use, for the decoding goroutines that share it.
type parsedVersions struct {
	vs Versions
	mu sync.Mutex
	m  map[dbKey][]Version
}

func newParsedVersions(vs Versions) *parsedVersions {
	if vs == nil {
		return nil
	}
	return &parsedVersions{vs: vs, m: map[dbKey][]Version{}}
}

// of returns the parsed versions of k; those that cannot be parsed are
// left out (they are not audited, so they match nothing).
func (p *parsedVersions) of(k dbKey) []Version {
	p.mu.Lock()
	out, ok := p.m[k]
	p.mu.Unlock()
	if ok {
		return out
	}
	for _, raw := range p.vs[k] {
		if v, err := ParseVersion(k.eco, raw); err == nil {
			out = append(out, v)
		}
	}
	p.mu.Lock()
	p.m[k] = out
	p.mu.Unlock()
	return out
}

// compactVerdict says what a compact record means for a load: whether it
// names a wanted package, and whether it matches one of vs's versions.
func compactVerdict(r *Record, want Wanted, vs *parsedVersions) (named, matches bool) {
	for _, a := range r.Affected {
		eco := baseEcosystem(a.Package.Ecosystem)
		if !Supported(eco) || !want.has(eco, a.Package.Name) {
			continue
		}
		named = true
		for _, v := range vs.of(dbKey{eco, NormalizeName(eco, a.Package.Name)}) {
			if ok, _ := r.Matches(eco, a.Package.Name, v); ok {
				return true, true
			}
		}
	}
	return named, false
}
