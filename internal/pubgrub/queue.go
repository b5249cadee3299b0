package pubgrub

// candidate is a package to decide and how many versions it may take.
type candidate struct {
	count int32
	pkg   int32
	boost bool // see Request.PrioritizeConflicts: boosted packages go first
}

func (a candidate) less(b candidate) bool {
	if a.boost != b.boost {
		return a.boost
	}
	return a.count < b.count || (a.count == b.count && a.pkg < b.pkg)
}

// candidates is a binary min-heap: packages boosted for conflicts first
// (when asked for), then fewest versions first (pub's and uv's
// heuristic: decide the most constrained package), ties by package id,
// which follows first appearance, so the order is deterministic.
type candidates struct{ h []candidate }

func (q *candidates) len() int { return len(q.h) }

func (q *candidates) push(c candidate) {
	q.h = append(q.h, c)
	i := len(q.h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q.h[i].less(q.h[parent]) {
			break
		}
		q.h[i], q.h[parent] = q.h[parent], q.h[i]
		i = parent
	}
}

func (q *candidates) pop() candidate {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h = q.h[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q.h) && q.h[l].less(q.h[m]) {
			m = l
		}
		if r < len(q.h) && q.h[r].less(q.h[m]) {
			m = r
		}
		if m == i {
			return top
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
}
