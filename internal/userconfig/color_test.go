package userconfig

import "testing"

func TestColorOn(t *testing.T) {
	for _, tc := range []struct {
		color      string
		auto, want bool
	}{
		{"", true, true}, {"", false, false},
		{"auto", true, true}, {"auto", false, false},
		{"always", false, true}, {"always", true, true},
		{"never", true, false}, {"never", false, false},
	} {
		if got := (Config{Color: tc.color}).ColorOn(tc.auto); got != tc.want {
			t.Errorf("Color %q, auto %v: got %v, want %v", tc.color, tc.auto, got, tc.want)
		}
	}
}
