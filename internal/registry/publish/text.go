package publish

import (
	"fmt"

	"github.com/metawork/meta/internal/registry"
)

// Text is what 'meta publish' prints about p, after verb ("would publish",
// "published"): name, version, tag, size, and its dependencies and tools.
func (p *Plan) Text(verb string) string {
	signed := ""
	if p.Signed {
		signed = ", signed"
	}
	return fmt.Sprintf("%s %s@%s (tag %s, %d bytes%s)\n", verb, p.Name, p.Version, p.Tag, p.Size, signed) +
		registry.DepsText(p.Deps, p.Tools, "  depends on", "  tool")
}
