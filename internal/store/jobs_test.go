package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
)

// TestDirJobs checks that files are grouped by directory, in order, and
// that big directories are split.
func TestDirJobs(t *testing.T) {
	var files []*node
	add := func(rel string, size int64) { files = append(files, &node{rel: rel, size: size}) }
	add("top", 1)
	for i := range jobMaxFiles + 1 {
		add(fmt.Sprintf("a/f%03d", i), 1)
	}
	add("a/b/c", 1)
	add("big/x", jobMaxBytes+1)
	add("big/y", 1)
	jobs := dirJobs(files)
	var dirs []string
	var back []*node
	for _, j := range jobs {
		dirs = append(dirs, j.dir)
		for _, n := range j.files {
			if parentRel(n.rel) != j.dir {
				t.Errorf("job %q holds %q", j.dir, n.rel)
			}
		}
		back = append(back, j.files...)
	}
	want := []string{".", "a", "a", "a/b", "big", "big"}
	if !slices.Equal(dirs, want) {
		t.Errorf("job dirs = %q, want %q", dirs, want)
	}
	if !slices.Equal(back, files) {
		t.Error("the jobs do not hold the files in order")
	}
}

// TestEachJob checks that every job runs once, that the first error is
// the one returned and that a cancelled context stops the pool.
func TestEachJob(t *testing.T) {
	jobs := make([]dirJob, 1000)
	var ran atomic.Int64
	if err := eachJob(context.Background(), jobs, func(dirJob) error { ran.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 1000 {
		t.Fatalf("ran %d jobs, want 1000", ran.Load())
	}
	boom := errors.New("boom")
	ran.Store(0)
	err := eachJob(context.Background(), jobs, func(dirJob) error {
		if ran.Add(1) == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("eachJob = %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := eachJob(ctx, jobs, func(dirJob) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("eachJob on a cancelled context = %v", err)
	}
}
