package workspace

import (
	"testing"

	"github.com/metawork/meta/internal/term"
)

func TestBootstrapResultDoneText(t *testing.T) {
	for _, tc := range []struct {
		r           BootstrapResult
		interrupted bool
		pal         term.Palette
		want        string
	}{
		{BootstrapResult{Action: Cloned, Checkout: "v1.2.0"}, false, term.Palette{}, "cloned at v1.2.0"},
		{BootstrapResult{Action: Cloned, Checkout: "main"}, false, term.Palette{On: true}, "\x1b[32mcloned\x1b[0m at main"},
		{BootstrapResult{Action: Present, Checkout: "main"}, false, term.Palette{}, "present (main)"},
		{BootstrapResult{Action: Present, Checkout: "main"}, true, term.Palette{}, "present (main)"},
		{BootstrapResult{Action: Failed}, false, term.Palette{}, "failed"},
		{BootstrapResult{Action: Failed}, true, term.Palette{}, "interrupted"},
	} {
		if got := tc.r.DoneText(tc.pal, tc.interrupted); got != tc.want {
			t.Errorf("%+v (interrupted %v): got %q, want %q", tc.r, tc.interrupted, got, tc.want)
		}
	}
}
