package pubgrub

import "slices"

// cycles finds dependency cycles among the chosen packages (and the root)
// with Tarjan's strongly connected components, then reports for each
// component the shortest cycle through its smallest name.
func cycles(sol *Solution) [][]string {
	nodes := append([]string{sol.Root}, sol.Names...)
	slices.Sort(nodes)
	index := map[string]int{}
	for i, n := range nodes {
		index[n] = i
	}
	adj := make([][]int, len(nodes))
	self := make([]bool, len(nodes))
	for i, n := range nodes {
		for _, d := range sol.Dependencies(n) {
			j, ok := index[d.Name]
			if !ok {
				continue
			}
			if j == i {
				self[i] = true
				continue
			}
			if !slices.Contains(adj[i], j) {
				adj[i] = append(adj[i], j)
			}
		}
		slices.Sort(adj[i])
	}

	// Tarjan, iterative over nodes in sorted order.
	idx := make([]int, len(nodes))
	low := make([]int, len(nodes))
	on := make([]bool, len(nodes))
	for i := range idx {
		idx[i] = -1
	}
	var stack []int
	var comps [][]int
	next := 0
	var strong func(v int)
	strong = func(v int) {
		idx[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for _, w := range adj[v] {
			if idx[w] < 0 {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], idx[w])
			}
		}
		if low[v] == idx[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			comps = append(comps, comp)
		}
	}
	for v := range nodes {
		if idx[v] < 0 {
			strong(v)
		}
	}

	var out [][]string
	for _, comp := range comps {
		if len(comp) == 1 {
			if self[comp[0]] {
				out = append(out, []string{nodes[comp[0]], nodes[comp[0]]})
			}
			continue
		}
		in := map[int]bool{}
		start := comp[0]
		for _, v := range comp {
			in[v] = true
			start = min(start, v)
		}
		// Breadth-first from start back to start, inside the component.
		prev := map[int]int{}
		queue := []int{start}
		seen := map[int]bool{start: true}
		last := -1
	search:
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			for _, w := range adj[v] {
				if !in[w] {
					continue
				}
				if w == start {
					last = v
					break search
				}
				if !seen[w] {
					seen[w] = true
					prev[w] = v
					queue = append(queue, w)
				}
			}
		}
		path := []string{nodes[start]}
		for v := last; v != start; v = prev[v] {
			path = append(path, nodes[v])
		}
		path = append(path, nodes[start])
		slices.Reverse(path)
		out = append(out, path)
	}
	slices.SortFunc(out, func(a, b []string) int { return slices.Compare(a, b) })
	return out
}
