package progress

import (
	"errors"
	"sync"
	"testing"
)

func TestCollectorKeepsResultsAndCountsFailures(t *testing.T) {
	var c Collector
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%10 == 0 {
				err = errors.New("boom")
			}
			Start(&c, "x", "working")
			Finish(&c, "x", i, err)
		}()
	}
	wg.Wait()
	Note(&c, "", "careful")
	if got := len(c.Results()); got != 50 {
		t.Errorf("results = %d, want 50", got)
	}
	if got := c.Failed(); got != 5 {
		t.Errorf("failed = %d, want 5", got)
	}
	if n := c.Notes(); len(n) != 1 || n[0].Status != "careful" {
		t.Errorf("notes = %+v", n)
	}
}

func TestNilSinkDropsEvents(t *testing.T) {
	Plan(nil, []string{"a"})
	Start(nil, "a", "x")
	Update(nil, "a", "y")
	Finish(nil, "a", nil, nil)
	Note(nil, "a", "z")
}

func TestTeeSendsToEverySink(t *testing.T) {
	var a, b Collector
	s := Tee(&a, nil, &b)
	Finish(s, "x", 1, nil)
	if len(a.Results()) != 1 || len(b.Results()) != 1 {
		t.Fatalf("tee lost an event: %v %v", a.Results(), b.Results())
	}
	if !(Event{Kind: Finished, Err: errors.New("x")}).Failed() || (Event{Kind: Noted}).Failed() {
		t.Error("Failed misreports")
	}
}
