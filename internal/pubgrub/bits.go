package pubgrub

import "math/bits"

// vbits is a set of version indices of one package (indices into its
// ascending version list). Packages with at most 64 versions use only
// small and never allocate; larger ones use big, always with one word per
// 64 versions. Values are immutable: operations return new values.
type vbits struct {
	small uint64
	big   []uint64
}

func words(n int) int { return (n + 63) / 64 }

// wordArena hands out the word slices of large sets from big chunks, so a
// solve over packages with hundreds of versions does not allocate per
// set operation. Chunks are never grown in place: slices handed out stay
// valid until the arena is reset. A nil arena allocates normally.
type wordArena struct{ buf []uint64 }

func (a *wordArena) alloc(n int) []uint64 {
	if a == nil {
		return make([]uint64, n)
	}
	if len(a.buf)+n > cap(a.buf) {
		a.buf = make([]uint64, 0, max(8192, n))
	}
	a.buf = a.buf[:len(a.buf)+n]
	w := a.buf[len(a.buf)-n : len(a.buf) : len(a.buf)]
	clear(w)
	return w
}

// reset makes the current chunk reusable; older chunks are left to the GC.
func (a *wordArena) reset() { a.buf = a.buf[:0] }

func emptyBits(n int, al *wordArena) vbits {
	if n <= 64 {
		return vbits{}
	}
	return vbits{big: al.alloc(words(n))}
}

func fullBits(n int, al *wordArena) vbits {
	if n <= 64 {
		if n == 64 {
			return vbits{small: ^uint64(0)}
		}
		return vbits{small: 1<<uint(n) - 1}
	}
	b := al.alloc(words(n))
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		b[len(b)-1] = 1<<uint(r) - 1
	}
	return vbits{big: b}
}

func singleBit(n, i int, al *wordArena) vbits {
	b := emptyBits(n, al)
	if b.big == nil {
		b.small = 1 << uint(i)
		return b
	}
	b.big[i/64] = 1 << uint(i%64)
	return b
}

func (a vbits) has(i int) bool {
	if a.big == nil {
		return i < 64 && a.small&(1<<uint(i)) != 0
	}
	return a.big[i/64]&(1<<uint(i%64)) != 0
}

func (a vbits) and(b vbits, al *wordArena) vbits {
	if a.big == nil {
		return vbits{small: a.small & b.small}
	}
	out := al.alloc(len(a.big))
	for i := range out {
		out[i] = a.big[i] & b.big[i]
	}
	return vbits{big: out}
}

func (a vbits) andNot(b vbits, al *wordArena) vbits {
	if a.big == nil {
		return vbits{small: a.small &^ b.small}
	}
	out := al.alloc(len(a.big))
	for i := range out {
		out[i] = a.big[i] &^ b.big[i]
	}
	return vbits{big: out}
}

func (a vbits) or(b vbits, al *wordArena) vbits {
	if a.big == nil {
		return vbits{small: a.small | b.small}
	}
	out := al.alloc(len(a.big))
	for i := range out {
		out[i] = a.big[i] | b.big[i]
	}
	return vbits{big: out}
}

// not complements a within n versions.
func (a vbits) not(n int, al *wordArena) vbits { return fullBits(n, al).andNot(a, al) }

func (a vbits) isEmpty() bool {
	if a.big == nil {
		return a.small == 0
	}
	for _, w := range a.big {
		if w != 0 {
			return false
		}
	}
	return true
}

func (a vbits) equal(b vbits) bool {
	if a.big == nil {
		return a.small == b.small
	}
	for i := range a.big {
		if a.big[i] != b.big[i] {
			return false
		}
	}
	return true
}

// subsetOf reports a ⊆ b without allocating.
func (a vbits) subsetOf(b vbits) bool {
	if a.big == nil {
		return a.small&^b.small == 0
	}
	for i := range a.big {
		if a.big[i]&^b.big[i] != 0 {
			return false
		}
	}
	return true
}

// disjoint reports a ∩ b = ∅ without allocating.
func (a vbits) disjoint(b vbits) bool {
	if a.big == nil {
		return a.small&b.small == 0
	}
	for i := range a.big {
		if a.big[i]&b.big[i] != 0 {
			return false
		}
	}
	return true
}

func (a vbits) count() int {
	if a.big == nil {
		return bits.OnesCount64(a.small)
	}
	c := 0
	for _, w := range a.big {
		c += bits.OnesCount64(w)
	}
	return c
}

// highest returns the largest index in a, or -1.
func (a vbits) highest() int {
	if a.big == nil {
		if a.small == 0 {
			return -1
		}
		return 63 - bits.LeadingZeros64(a.small)
	}
	for i := len(a.big) - 1; i >= 0; i-- {
		if a.big[i] != 0 {
			return i*64 + 63 - bits.LeadingZeros64(a.big[i])
		}
	}
	return -1
}

// lowest returns the smallest index in a, or -1.
func (a vbits) lowest() int {
	if a.big == nil {
		if a.small == 0 {
			return -1
		}
		return bits.TrailingZeros64(a.small)
	}
	for i, w := range a.big {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// term is a statement about one package: its allowed outcomes are the
// versions in b, plus "not selected" when none is set. A positive term
// (none unset) says the package is selected at a version in b; a negative
// term "not P S" has b = ¬S and none set.
type term struct {
	b    vbits
	pkg  int32 // next to none: 40 bytes, not 48
	none bool
}

func (t term) positive() bool { return !t.none }

func (t term) intersect(o term, al *wordArena) term {
	return term{pkg: t.pkg, b: t.b.and(o.b, al), none: t.none && o.none}
}

func (t term) negate(n int, al *wordArena) term {
	return term{pkg: t.pkg, b: t.b.not(n, al), none: !t.none}
}

func (t term) subsetOf(o term) bool { return t.b.subsetOf(o.b) && (!t.none || o.none) }

func (t term) disjoint(o term) bool { return t.b.disjoint(o.b) && !(t.none && o.none) }

// isEmpty reports a term nothing satisfies.
func (t term) isEmpty() bool { return !t.none && t.b.isEmpty() }

// setRange sets indices [lo, hi) in a, which must be freshly made (it is
// changed in place).
func (a *vbits) setRange(lo, hi int) {
	if a.big == nil {
		if hi-lo == 64 {
			a.small = ^uint64(0)
			return
		}
		a.small |= (1<<uint(hi-lo) - 1) << uint(lo)
		return
	}
	for i := lo; i < hi; {
		w, bit := i/64, i%64
		n := min(64-bit, hi-i)
		if n == 64 {
			a.big[w] = ^uint64(0)
		} else {
			a.big[w] |= (1<<uint(n) - 1) << uint(bit)
		}
		i += n
	}
}
