package publish

import (
	"testing"

	"github.com/metawork/meta/internal/registry"
)

func TestPlanText(t *testing.T) {
	p := &Plan{Name: "a", Version: "1.0.0", Tag: "v1.0.0", Size: 42, Signed: true, Deps: []registry.Dep{{Name: "b", Req: "^1"}}, Tools: []string{"go"}}
	want := "would publish a@1.0.0 (tag v1.0.0, 42 bytes, signed)\n  depends on b ^1\n  tool go\n"
	if got := p.Text("would publish"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
