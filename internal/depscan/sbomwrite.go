package depscan

import (
	"context"
	"fmt"
	"io"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/sbom"
)

// SBOMWarnings are what an audit for SBOMs has to say: the report's
// warnings, then each lock file that was not audited.
func (r *AuditReport) SBOMWarnings() []string {
	out := append([]string(nil), r.Warnings...)
	for _, c := range r.Components {
		for _, n := range c.NotAudited {
			out = append(out, fmt.Sprintf("%s: %s not audited: %s", c.Name, n.Path, n.Reason))
		}
	}
	return out
}

// Written is one SBOM written to a file.
type Written struct{ Name, Dest string }

// WriteSBOMs renders each target's SBOM in format with its findings and
// writes it where SBOMDest says for output: to stdout for "" or "-", else
// to a file, atomically. It returns the files written, also on error.
func WriteSBOMs(ctx context.Context, ts []Target, findings map[string][]audit.Finding, format string, opt sbom.Options, output string, stdout io.Writer) ([]Written, error) {
	var done []Written
	for _, t := range ts {
		doc, err := SBOM(ctx, t, findings[t.Name], format, opt)
		if err != nil {
			return done, err
		}
		dest := SBOMDest(output, len(ts) > 1, t.Name, format)
		if dest == "" || dest == "-" {
			if _, err := stdout.Write(doc); err != nil {
				return done, err
			}
		} else if err := atomicfile.Write(dest, doc, 0o644); err != nil {
			return done, fmt.Errorf("writing %s: %w", dest, err)
		} else {
			done = append(done, Written{t.Name, dest})
		}
	}
	return done, nil
}
