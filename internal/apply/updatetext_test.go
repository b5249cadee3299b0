package apply

import (
	"errors"
	"slices"
	"testing"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/term"
)

func TestUpdatesText(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []Change
		pal     term.Palette
		want    string
	}{
		{"nothing moved", nil, term.Palette{}, "everything is already at the newest versions allowed\n"},
		{"aligned, new ones without a kind", []Change{
			{Name: "api", From: "1.0.0", To: "1.1.0", Kind: "minor"},
			{Name: "auth-lib", To: "2.0.0", Kind: "new"},
			{Name: "db", From: "abc", To: "def", Kind: "new commits"},
		}, term.Palette{},
			"api       1.0.0  → 1.1.0  minor\nauth-lib  (new)  → 2.0.0  \ndb        abc    → def    new commits\n"},
		{"sizes coloured, others not", []Change{
			{Name: "a", From: "1.0.0", To: "2.0.0", Kind: "major"},
			{Name: "b", From: "1.0.0", To: "1.0.1", Kind: "patch"},
			{Name: "c", From: "x", To: "y", Kind: "new commits"},
		}, term.Palette{On: true},
			"a  1.0.0  → 2.0.0  \x1b[31mmajor\x1b[0m\nb  1.0.0  → 1.0.1  \x1b[32mpatch\x1b[0m\nc  x      → y      new commits\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UpdatesText(tc.changes, tc.pal); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestStepFailureLines(t *testing.T) {
	noHint := func(error) string { return "" }
	for _, tc := range []struct {
		name string
		step Step
		hint func(error) string
		want []string
	}{
		{"no error: nothing", Step{Name: "api"}, noHint, nil},
		{"first line of the error", Step{Name: "api", Err: errors.New("fetch failed\ndetails")}, noHint,
			[]string{"meta: apply api: fetch failed"}},
		{"with the registry's hint", Step{Name: "lib", Err: errors.New("checksum mismatch")}, func(error) string { return "tell the operator" },
			[]string{"meta: apply lib: checksum mismatch", "hint: lib: tell the operator"}},
		{"local changes in the way", Step{Name: "api", Err: errors.New("error: your local changes would be overwritten by checkout")}, noHint,
			[]string{"meta: apply api: error: your local changes would be overwritten by checkout", "hint: api: commit or stash your changes; meta never discards them"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.step.FailureLines(tc.hint); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStepDoneText(t *testing.T) {
	commit := "0123456789abcdef0123"
	for _, tc := range []struct {
		step Step
		want string
	}{
		{Step{Action: Clone, Commit: commit}, "cloned at 0123456789ab"},
		{Step{Action: Download, Locked: &lockfile.Component{Version: "1.2.0"}}, "extracted 1.2.0"},
		{Step{Action: Checkout, Commit: commit}, "checked out 0123456789ab"},
		{Step{Action: Clone, Commit: commit, Err: errors.New("boom")}, "failed"},
	} {
		if got := tc.step.DoneText(term.Palette{}); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.step.Action, got, tc.want)
		}
	}
}
