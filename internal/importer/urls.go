package importer

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// isRelativeURL reports whether u is relative to the manifest's own URL,
// as repo's fetch="..", a .gitmodules "../x.git" or a west url-base "..".
func isRelativeURL(u string) bool {
	return u == "." || u == ".." || strings.HasPrefix(u, "./") || strings.HasPrefix(u, "../")
}

var scpURL = regexp.MustCompile(`^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(.*)$`)

// RelativeURLError says that a relative URL needs the manifest's own URL.
type RelativeURLError struct {
	Where string // file:line
	URL   string
	What  string // e.g. `remote "aosp" fetch`
}

func (e *RelativeURLError) Error() string {
	return fmt.Sprintf("%s: %s %q is relative to the manifest's own URL, which is not known", e.Where, e.What, e.URL)
}

// resolveURL resolves rel against base. With asDir (git's and west's
// rule), base names a repository and "../x" is its sibling; without
// (repo's rule, RFC 3986 like urljoin), "../x" is relative to base's
// parent directory.
func resolveURL(base, rel string, asDir bool) (string, error) {
	if !isRelativeURL(rel) {
		return rel, nil
	}
	base = strings.TrimRight(base, "/")
	if base == "" {
		return "", fmt.Errorf("no base URL")
	}
	switch {
	case strings.Contains(base, "://"):
		b, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("manifest URL %q: %v", base, err)
		}
		out := joinPath(b.Path, rel, asDir)
		b.Path, b.RawPath = out, ""
		return strings.TrimRight(b.String(), "/"), nil
	case strings.HasPrefix(base, "/"):
		return strings.TrimRight(joinPath(base, rel, asDir), "/"), nil
	case scpURL.MatchString(base):
		m := scpURL.FindStringSubmatch(base)
		p := m[3]
		abs := strings.HasPrefix(p, "/")
		out := joinPath("/"+strings.TrimPrefix(p, "/"), rel, asDir)
		if !abs {
			out = strings.TrimPrefix(out, "/")
		}
		return m[1] + m[2] + ":" + strings.TrimRight(out, "/"), nil
	}
	return "", fmt.Errorf("manifest URL %q is neither an absolute URL nor an absolute path", base)
}

// joinPath applies rel to the slash path p.
func joinPath(p, rel string, asDir bool) string {
	if p == "" {
		p = "/"
	}
	dir := p
	if !asDir {
		dir = path.Dir(p)
	}
	out := path.Join(dir, rel)
	if !strings.HasPrefix(out, "/") {
		out = "/" + out
	}
	return out
}
