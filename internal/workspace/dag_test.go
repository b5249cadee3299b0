package workspace

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestOrderAndCycle(t *testing.T) {
	g := Graph{Nodes: []string{"top", "mid", "base", "side"}, Deps: map[string][]string{"top": {"mid"}, "mid": {"base"}}}
	got, err := g.Order()
	if err != nil || strings.Join(got, ",") != "base,mid,side,top" {
		t.Fatalf("Order = %v, %v", got, err)
	}
	g.Deps["base"] = []string{"top"}
	_, err = g.Order()
	var ce *CycleError
	if !errors.As(err, &ce) || err.Error() != "dependency cycle: base -> top -> mid -> base" {
		t.Fatalf("cycle err = %v", err)
	}
}

func TestScheduleSkipsDependents(t *testing.T) {
	g := Graph{Nodes: []string{"a", "b", "c", "d", "e"}, Deps: map[string][]string{"b": {"a"}, "c": {"b"}, "d": {"a"}}}
	var mu sync.Mutex
	var ran []string
	res, err := Schedule(context.Background(), g, 3, func(ctx context.Context, n string) error {
		mu.Lock()
		ran = append(ran, n)
		mu.Unlock()
		if n == "b" {
			return errors.New("boom")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "", "b": "boom", "c": "skipped: b failed", "d": "", "e": ""}
	for _, r := range res {
		got := ""
		if r.Err != nil {
			got = r.Err.Error()
		}
		if got != want[r.Name] {
			t.Errorf("%s: err %q, want %q", r.Name, got, want[r.Name])
		}
	}
	if res[2].SkippedBy != "b" {
		t.Errorf("c skipped by %q", res[2].SkippedBy)
	}
	for _, n := range ran {
		if n == "c" {
			t.Error("c ran although b failed")
		}
	}
}

func TestScheduleRespectsOrder(t *testing.T) {
	g := Graph{Nodes: []string{"x", "y", "z"}, Deps: map[string][]string{"z": {"y"}, "y": {"x"}}}
	var mu sync.Mutex
	var order []string
	Schedule(context.Background(), g, 8, func(ctx context.Context, n string) error {
		mu.Lock()
		order = append(order, n)
		mu.Unlock()
		return nil
	})
	if strings.Join(order, ",") != "x,y,z" {
		t.Fatalf("order = %v", order)
	}
}
