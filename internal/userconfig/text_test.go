package userconfig

import "testing"

func TestListText(t *testing.T) {
	got := ListText([]Entry{{Key: "jobs", Value: "4", Source: "ws", Active: true}, {Key: "jobs", Value: "16", Source: "user"}})
	want := "jobs  4   ws\njobs  16  user (overridden)\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
