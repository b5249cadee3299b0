package regsource

import (
	"fmt"
	"math"

	"github.com/metawork/meta/internal/regindex"
)

// Heads is what listing a package's versions reads of each of its index
// entries, in index order: the version text and the yanked flag. It is
// kept compactly, with no pointer per entry, because a large solve lists
// thousands of packages of tens of entries each and keeps them all.
//
// Entry i's version is Text[Ends[i-1]:Ends[i]] (Text[:Ends[0]] for the
// first); bit i%64 of Yanked[i/64] is set when entry i is yanked, and
// Yanked is nil when no entry is.
type Heads struct {
	Text   string
	Ends   []uint32
	Yanked []uint64
}

// Len is the number of entries.
func (h *Heads) Len() int { return len(h.Ends) }

// Vers returns entry i's version text.
func (h *Heads) Vers(i int) string {
	from := uint32(0)
	if i > 0 {
		from = h.Ends[i-1]
	}
	return h.Text[from:h.Ends[i]]
}

// IsYanked reports whether entry i is yanked.
func (h *Heads) IsYanked(i int) bool {
	return h.Yanked != nil && h.Yanked[i/64]&(1<<(i%64)) != 0
}

// SetYanked marks entry i yanked, making Yanked when it is nil.
func (h *Heads) SetYanked(i int) {
	if h.Yanked == nil {
		h.Yanked = make([]uint64, (len(h.Ends)+63)/64)
	}
	h.Yanked[i/64] |= 1 << (i % 64)
}

// check reports a Heads that breaks its invariants (from a LazyRegistryIndex
// that is not meta's own), so that a bad one is an error, not a panic.
func (h *Heads) check() error {
	prev := uint32(0)
	for i, end := range h.Ends {
		if end < prev || int(end) > len(h.Text) {
			return fmt.Errorf("index listing: entry %d ends at %d, after %d, in %d bytes of version text", i, end, prev, len(h.Text))
		}
		prev = end
	}
	if h.Yanked != nil && len(h.Yanked) < (len(h.Ends)+63)/64 {
		return fmt.Errorf("index listing: %d yanked words for %d entries", len(h.Yanked), len(h.Ends))
	}
	return nil
}

// headsOf lists entries read in full.
func headsOf(es []regindex.IndexEntry) (Heads, error) {
	n := 0
	for i := range es {
		n += len(es[i].Vers)
	}
	if n > math.MaxUint32 {
		return Heads{}, fmt.Errorf("%d bytes of version text in %d entries: too many", n, len(es))
	}
	text := make([]byte, 0, n)
	h := Heads{Ends: make([]uint32, len(es))}
	for i := range es {
		text = append(text, es[i].Vers...)
		h.Ends[i] = uint32(len(text))
		if es[i].Yanked {
			h.SetYanked(i)
		}
	}
	h.Text = string(text)
	return h, nil
}
