package toolchain

import (
	"encoding/json"
	"testing"
)

func TestInfosAreNeverNull(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"no tools", Infos(nil), "[]"},
		{"no resolutions", ResolvedInfos(nil), "[]"},
		{"one tool", Infos([]*Tool{{Name: "rg", Type: "github", Description: "search"}}),
			`[{"name":"rg","type":"github","description":"search"}]`},
		{"one resolution", ResolvedInfos([]Resolved{{Name: "go", Requested: "1.22", Version: "1.22.12", Exact: true, Type: "go"}}),
			`[{"name":"go","requested":"1.22","version":"1.22.12","exact":true,"type":"go"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.v)
			if err != nil || string(got) != tc.want {
				t.Errorf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func TestResolvedText(t *testing.T) {
	for _, tc := range []struct {
		res  []Resolved
		want string
	}{
		{nil, ""},
		{[]Resolved{{Name: "go", Requested: "1.22", Version: "1.22.12", Exact: true, Type: "go"}, {Name: "rg", Version: "14.1.0", Exact: true, Type: "github"}},
			"go@1.22 → 1.22.12\nrg → 14.1.0\n"},
	} {
		if got := ResolvedText(tc.res); got != tc.want {
			t.Errorf("ResolvedText = %q, want %q", got, tc.want)
		}
	}
}
