package regindex

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/metawork/meta/internal/semver"
)

// IndexFormat is the value of the "v" field of every index line this
// version writes. Readers skip lines with a larger value.
const IndexFormat = 1

// MaxIndexLine bounds one index line; a longer one is refused.
const MaxIndexLine = 1 << 20

// Dep is one dependency of a package version: another package and the
// constraint (npm dialect, DESIGN §3) it must satisfy.
type Dep struct {
	Name string `json:"name"`
	Req  string `json:"req"`
}

// IndexEntry is one line of a package's index file: one published version.
type IndexEntry struct {
	Name   string   `json:"name"`
	Vers   string   `json:"vers"`
	Deps   []Dep    `json:"deps"`
	Tools  []string `json:"tools"`
	Cksum  string   `json:"cksum"`         // hex SHA-256 of the tarball
	Yanked bool     `json:"yanked"`        // never chosen for a new resolution
	Sig    string   `json:"sig,omitempty"` // minisign signature of the tarball, text form
	V      int      `json:"v"`
}

// IndexPath is where a package's index file lives below /index/, following
// Cargo's scheme: 1/a, 2/ab, 3/a/abc, ab/cd/abcd…. The name must be valid.
func IndexPath(name string) string {
	switch len(name) {
	case 1:
		return "1/" + name
	case 2:
		return "2/" + name
	case 3:
		return "3/" + name[:1] + "/" + name
	}
	return name[:2] + "/" + name[2:4] + "/" + name
}

// Validate checks an entry's fields the way the server requires them.
func (e *IndexEntry) Validate() error {
	if err := ValidateName(e.Name); err != nil {
		return err
	}
	if _, err := ParseVersion(e.Vers); err != nil {
		return err
	}
	if !IsHexSHA256(e.Cksum) {
		return fmt.Errorf("%s@%s: checksum %q is not a hex SHA-256", e.Name, e.Vers, e.Cksum)
	}
	for _, d := range e.Deps {
		if err := ValidateName(d.Name); err != nil {
			return fmt.Errorf("%s@%s: dependency: %v", e.Name, e.Vers, err)
		}
		if d.Req == "" {
			return fmt.Errorf("%s@%s: dependency %s has an empty version requirement", e.Name, e.Vers, d.Name)
		}
	}
	return nil
}

// IsHexSHA256 reports whether s is a SHA-256 in lowercase hex.
func IsHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			return false
		}
	}
	return true
}

// ParseIndex parses a package's index file: one JSON object per line, blank
// lines ignored. Lines written by a newer format ("v" > IndexFormat) are
// skipped. Every entry must belong to package name and be valid; versions
// must be unique. The result is sorted by version, oldest first. Versions
// equal in precedence (1.0.0 and 1.0.0+build) are one version: when one is
// yanked, all are.
func ParseIndex(name string, data []byte) ([]IndexEntry, error) {
	var out []IndexEntry
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxIndexLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var e IndexEntry
		dec := json.NewDecoder(bytes.NewReader(text))
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("index of %s, line %d: %v", name, line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("index of %s, line %d: more than one JSON value", name, line)
		}
		if e.V > IndexFormat {
			continue
		}
		if e.Name != name {
			return nil, fmt.Errorf("index of %s, line %d: entry is for package %q", name, line, e.Name)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("index of %s, line %d: %v", name, line, err)
		}
		if seen[e.Vers] {
			return nil, fmt.Errorf("index of %s, line %d: version %s appears twice", name, line, e.Vers)
		}
		seen[e.Vers] = true
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("index of %s, line %d: %v", name, line+1, err)
	}
	SortEntries(out)
	yankAlike(out)
	return out, nil
}

// yankAlike marks yanked every entry equal in precedence to a yanked one:
// versions that differ only in build metadata are one version, so a yank
// of one covers all. es is sorted, so such entries are adjacent.
func yankAlike(es []IndexEntry) {
	for i := 0; i < len(es); {
		j, yanked := i, false
		vi, err := semver.ParseVersion(es[i].Vers)
		for ; j < len(es); j++ {
			vj, errj := semver.ParseVersion(es[j].Vers)
			if err != nil || errj != nil || semver.Compare(vi, vj) != 0 {
				if j == i {
					j++
				}
				break
			}
			yanked = yanked || es[j].Yanked
		}
		for k := i; k < j; k++ {
			es[k].Yanked = es[k].Yanked || yanked
		}
		i = j
	}
}

// SortEntries sorts entries by version, oldest first.
func SortEntries(es []IndexEntry) {
	sort.SliceStable(es, func(i, j int) bool { return CompareVersions(es[i].Vers, es[j].Vers) < 0 })
}

// FormatIndex writes entries as an index file, one line each, in the order
// given, each ending with a newline.
func FormatIndex(es []IndexEntry) []byte {
	var b bytes.Buffer
	for _, e := range es {
		if e.Deps == nil {
			e.Deps = []Dep{}
		}
		if e.Tools == nil {
			e.Tools = []string{}
		}
		if e.V == 0 {
			e.V = IndexFormat
		}
		line, err := json.Marshal(e)
		if err != nil {
			// Only strings, bools and ints: cannot fail.
			panic(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// IndexConfig is /index/config.json.
type IndexConfig struct {
	// DL is the download URL template. The markers {name}, {version} and
	// {cksum} are replaced; without any marker "/{cksum}" is appended.
	DL  string `json:"dl"`
	API string `json:"api"`
}
