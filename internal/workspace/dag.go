package workspace

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Graph is a dependency graph over component names: Deps[n] are the names n
// depends on (which run first).
type Graph struct {
	Nodes []string
	Deps  map[string][]string
}

// CycleError reports a dependency cycle with its whole path.
type CycleError struct{ Path []string }

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(e.Path, " -> ")
}

// Order returns the nodes in dependency order (dependencies first, ties by
// name), or a *CycleError naming the whole cycle.
func (g Graph) Order() ([]string, error) {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var order, stack []string
	var visit func(n string) error
	visit = func(n string) error {
		switch color[n] {
		case black:
			return nil
		case grey:
			i := len(stack) - 1
			for i >= 0 && stack[i] != n {
				i--
			}
			path := append(append([]string(nil), stack[i:]...), n)
			return &CycleError{Path: path}
		}
		color[n] = grey
		stack = append(stack, n)
		deps := append([]string(nil), g.Deps[n]...)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		order = append(order, n)
		return nil
	}
	nodes := append([]string(nil), g.Nodes...)
	sort.Strings(nodes)
	for _, n := range nodes {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// TaskResult is the outcome of one node of a Schedule run.
type TaskResult struct {
	Name      string
	Err       error
	SkippedBy string // set when the task did not run because this dependency failed
}

// Schedule runs fn for every node in dependency order, at most jobs at a
// time; a node starts when all its dependencies succeeded. When a node
// fails, every node that depends on it (directly or not) is skipped and
// names the failed dependency. Results come back in g.Nodes order.
func Schedule(ctx context.Context, g Graph, jobs int, fn func(ctx context.Context, name string) error) ([]TaskResult, error) {
	if _, err := g.Order(); err != nil {
		return nil, err
	}
	if jobs < 1 {
		jobs = 1
	}
	inNodes := map[string]bool{}
	for _, n := range g.Nodes {
		inNodes[n] = true
	}
	dependents := map[string][]string{}
	waiting := map[string]int{}
	for _, n := range g.Nodes {
		for _, d := range g.Deps[n] {
			if !inNodes[d] {
				continue // a dependency outside the selection is not waited for
			}
			dependents[d] = append(dependents[d], n)
			waiting[n]++
		}
	}
	results := map[string]*TaskResult{}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		sem   = make(chan struct{}, jobs)
		ready []string
	)
	for _, n := range g.Nodes {
		results[n] = &TaskResult{Name: n}
		if waiting[n] == 0 {
			ready = append(ready, n)
		}
	}
	sort.Strings(ready)
	var skip func(n, because string)
	skip = func(n, because string) {
		r := results[n]
		if r.SkippedBy != "" || r.Err != nil {
			return
		}
		r.SkippedBy = because
		r.Err = fmt.Errorf("skipped: %s failed", because)
		for _, d := range dependents[n] {
			skip(d, because)
		}
	}
	var start func(n string)
	start = func(n string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				results[n].Err = ctx.Err()
				mu.Unlock()
				return
			}
			err := fn(ctx, n)
			<-sem
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				results[n].Err = err
				for _, d := range dependents[n] {
					skip(d, n)
				}
				return
			}
			var next []string
			for _, d := range dependents[n] {
				waiting[d]--
				if waiting[d] == 0 && results[d].SkippedBy == "" {
					next = append(next, d)
				}
			}
			sort.Strings(next)
			for _, d := range next {
				start(d)
			}
		}()
	}
	mu.Lock()
	for _, n := range ready {
		start(n)
	}
	mu.Unlock()
	wg.Wait()
	out := make([]TaskResult, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		out = append(out, *results[n])
	}
	return out, ctx.Err()
}
