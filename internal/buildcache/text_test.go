package buildcache

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/metawork/meta/internal/store"
)

type plainColors struct{}

func (plainColors) Red(s string) string    { return s }
func (plainColors) Green(s string) string  { return s }
func (plainColors) Yellow(s string) string { return s }
func (plainColors) Bold(s string) string   { return s }
func (plainColors) Dim(s string) string    { return "<" + s + ">" }

func TestResultStatusAndSummary(t *testing.T) {
	results := []Result{
		{Name: "api", Outcome: Built, Duration: 1234567 * time.Microsecond},
		{Name: "lib", Outcome: Hit, Restored: true},
		{Name: "web", Outcome: Failed, Err: errors.New("exit status 2")},
		{Name: "app", Outcome: Skipped, SkippedBy: "web"},
		{Name: "doc", Outcome: NoBuild},
	}
	want := []string{"built in 1.23s", "hit (outputs restored)", "failed: exit status 2", "skipped: web failed", "<no build command>"}
	for i, r := range results {
		if got := r.Status(plainColors{}); got != want[i] {
			t.Errorf("%s: Status = %q, want %q", r.Name, got, want[i])
		}
	}
	if got, w := Summary(results, 2*time.Second), "build: 1 built, 1 cached (0 from remote), 1 failed, 1 skipped, 1 without a build command in 2s"; got != w {
		t.Errorf("Summary = %q, want %q", got, w)
	}
	if got, w := Failures(results), []string{"build web: exit status 2", "build app: skipped because web failed"}; !slices.Equal(got, w) {
		t.Errorf("Failures = %q, want %q", got, w)
	}
	if got := Failures(results[:2]); got != nil {
		t.Errorf("Failures without a failure = %q", got)
	}
}

func TestStoreGCReportLines(t *testing.T) {
	res := StoreGCReport{Deleted: []store.Metadata{{Hash: "0123456789abcdef", Name: "site", Size: 2048}}, Kept: 4, BytesFreed: 2048, Leftovers: []string{"tmp/x"}}
	want := []string{"would delete 0123456789ab site (2.0 KiB)", "would delete leftover tmp/x", "gc store: 1 entries would delete, 4 kept, 2.0 KiB would free"}
	if got := res.Lines(true); !slices.Equal(got, want) {
		t.Errorf("Lines(dry run):\n got %q\nwant %q", got, want)
	}
}
