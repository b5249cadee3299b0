package license

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/metawork/meta/internal/ecosystem"
)

// DefaultDepsDevURL is the public deps.dev API.
const DefaultDepsDevURL = "https://api.deps.dev"

// DepsDev asks deps.dev for the licenses of a package version:
// GET {base}/v3/systems/{system}/packages/{name}/versions/{version}.
type DepsDev struct {
	BaseURL string       // default DefaultDepsDevURL
	HTTP    *http.Client // default http.DefaultClient
}

func depsDevSystem(eco string) string {
	switch eco {
	case ecosystem.Npm:
		return "NPM"
	case ecosystem.PyPI:
		return "PYPI"
	case ecosystem.Cargo:
		return "CARGO"
	case ecosystem.Go:
		return "GO"
	}
	return ""
}

func (d *DepsDev) url(eco, name, version string) string {
	base := strings.TrimRight(d.BaseURL, "/")
	if base == "" {
		base = DefaultDepsDevURL
	}
	return base + "/v3/systems/" + depsDevSystem(eco) + "/packages/" + url.PathEscape(name) + "/versions/" + url.PathEscape(version)
}

// License returns the package version's licenses as one SPDX expression
// (several are joined with AND: each applies), or "" when deps.dev knows
// none. deps.dev marks licenses it cannot express in SPDX as
// "non-standard"; those come back as written.
func (d *DepsDev) License(ctx context.Context, eco, name, version string) (string, error) {
	if depsDevSystem(eco) == "" {
		return "", fmt.Errorf("deps.dev: unsupported ecosystem %q", eco)
	}
	u := d.url(eco, name, version)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	hc := d.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("deps.dev: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return "", fmt.Errorf("deps.dev: GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("deps.dev: GET %s: HTTP %d", u, resp.StatusCode)
	}
	var v struct {
		Licenses []string `json:"licenses"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return "", fmt.Errorf("deps.dev: GET %s: bad JSON answer: %w", u, err)
	}
	var parts []string
	for _, l := range v.Licenses {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if len(v.Licenses) > 1 && strings.ContainsAny(l, " ") {
			l = "(" + l + ")"
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, " AND "), nil
}
