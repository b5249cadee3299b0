package pubgrub

import (
	"math/rand/v2"
	"testing"
)

func TestBitsOps(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for k, n := range []int{1, 5, 63, 64, 65, 130, 500} {
		var al *wordArena
		if k%2 == 0 {
			al = &wordArena{} // exercise both the arena and plain allocation
		}
		for range 200 {
			a, b := emptyBits(n, al), emptyBits(n, al)
			ref := map[int][2]bool{}
			lo := r.IntN(n)
			hi := lo + r.IntN(n-lo+1)
			a.setRange(lo, hi)
			for i := range n {
				if r.IntN(3) == 0 {
					b = b.or(singleBit(n, i, al), al)
					ref[i] = [2]bool{ref[i][0], true}
				}
				if i >= lo && i < hi {
					ref[i] = [2]bool{true, ref[i][1]}
				}
			}
			and, or, andNot, not := a.and(b, al), a.or(b, al), a.andNot(b, al), a.not(n, al)
			cnt, low, high := 0, -1, -1
			for i := range n {
				x, y := ref[i][0], ref[i][1]
				if a.has(i) != x || b.has(i) != y || and.has(i) != (x && y) || or.has(i) != (x || y) ||
					andNot.has(i) != (x && !y) || not.has(i) == x {
					t.Fatalf("n=%d i=%d: ops disagree", n, i)
				}
				if x {
					cnt++
					high = i
					if low < 0 {
						low = i
					}
				}
			}
			if a.count() != cnt || a.lowest() != low || a.highest() != high || a.isEmpty() != (cnt == 0) {
				t.Fatalf("n=%d: count/lowest/highest wrong", n)
			}
			if a.subsetOf(b) != andNot.isEmpty() || a.disjoint(b) != and.isEmpty() || !a.equal(a.or(emptyBits(n, al), al)) {
				t.Fatalf("n=%d: subset/disjoint/equal wrong", n)
			}
			if !fullBits(n, al).equal(a.or(not, al)) {
				t.Fatalf("n=%d: a ∪ ¬a is not full", n)
			}
		}
	}
}
