package versions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// DocError says an upstream document could not be read.
type DocError struct {
	Source string // "go", "node", "python", "github", "checksums"
	URL    string
	Msg    string
}

func (e *DocError) Error() string {
	if e.URL != "" {
		return fmt.Sprintf("%s version list %s: %s", e.Source, e.URL, e.Msg)
	}
	return fmt.Sprintf("%s version list: %s", e.Source, e.Msg)
}

// jsonError describes a JSON decoding failure in plain words.
func jsonError(src, u string, data []byte, err error) error {
	trim := bytes.TrimSpace(data)
	switch {
	case len(trim) == 0:
		return &DocError{src, u, "the document is empty"}
	case trim[0] != '[' && trim[0] != '{':
		return &DocError{src, u, fmt.Sprintf("not JSON (starts with %q)", firstLine(trim))}
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		return &DocError{src, u, fmt.Sprintf("the document is truncated (%d bytes)", len(data))}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
		return &DocError{src, u, fmt.Sprintf("the document is truncated (%d bytes)", len(data))}
	}
	return &DocError{src, u, "invalid JSON: " + err.Error()}
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b)
}

// join appends a file name to a base URL (a directory).
func join(base, name string) string {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + name
}

// normArch maps upstream architecture names to Go's.
func normArch(a string) string {
	switch a {
	case "x64", "x86_64", "amd64":
		return "amd64"
	case "arm64", "aarch64":
		return "arm64"
	}
	return a
}

// ParseGo parses go.dev's `/dl/?mode=json&include=all` document, keeping
// the Linux files. Download URLs are base (the /dl/ directory) plus each
// file name.
func ParseGo(data []byte, base string) ([]Release, error) {
	var doc []struct {
		Version string `json:"version"`
		Stable  bool   `json:"stable"`
		Files   []struct {
			Filename string `json:"filename"`
			OS       string `json:"os"`
			Arch     string `json:"arch"`
			SHA256   string `json:"sha256"`
			Kind     string `json:"kind"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError("go", base, data, err)
	}
	var out []Release
	for _, d := range doc {
		if !strings.HasPrefix(d.Version, "go") {
			continue
		}
		v, err := ParseVersion(d.Version)
		if err != nil {
			continue // an odd row upstream is not a reason to refuse the rest
		}
		r := Release{Version: v, Stable: d.Stable && v.Pre == ""}
		for _, f := range d.Files {
			if f.Filename == "" || strings.ContainsAny(f.Filename, "/\\") || f.OS != "linux" {
				continue // meta installs on Linux only
			}
			r.Files = append(r.Files, File{OS: f.OS, Arch: normArch(f.Arch), Name: f.Filename,
				URL: join(base, url.PathEscape(f.Filename)), SHA256: f.SHA256, Kind: f.Kind})
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, &DocError{"go", base, "no releases listed"}
	}
	Sort(out)
	return out, nil
}

var nodeFileToken = regexp.MustCompile(`^linux-(x64|arm64)$`)

// ParseNode parses nodejs.org's dist `index.json`. Each release's Linux
// archives are base + "vX.Y.Z/node-vX.Y.Z-linux-ARCH.tar.gz"; their
// checksums live in that directory's SHASUMS256.txt (see ParseSHASums).
func ParseNode(data []byte, base string) ([]Release, error) {
	var doc []struct {
		Version string          `json:"version"`
		Date    string          `json:"date"`
		Files   []string        `json:"files"`
		LTS     json.RawMessage `json:"lts"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError("node", base, data, err)
	}
	var out []Release
	for _, d := range doc {
		v, err := ParseVersion(d.Version)
		if err != nil || !strings.HasPrefix(d.Version, "v") {
			continue
		}
		r := Release{Version: v, Stable: v.Pre == "", Date: d.Date}
		var code string
		if json.Unmarshal(d.LTS, &code) == nil {
			r.LTS = code
		}
		for _, tok := range d.Files {
			m := nodeFileToken.FindStringSubmatch(tok)
			if m == nil {
				continue
			}
			name := fmt.Sprintf("node-%s-linux-%s.tar.gz", d.Version, m[1])
			r.Files = append(r.Files, File{OS: "linux", Arch: normArch(m[1]), Name: name,
				URL: join(base, d.Version+"/"+name), Kind: "archive"})
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, &DocError{"node", base, "no releases listed"}
	}
	Sort(out)
	return out, nil
}

// NodeShasumsURL is where the checksums of a Node.js release live.
func NodeShasumsURL(base string, r Release) string {
	return join(base, "v"+r.Version.Text+"/SHASUMS256.txt")
}

var hexSHA = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// ParseSHASums parses a checksum file: GNU lines "<hex>  <name>" or
// "<hex> *<name>", BSD lines "SHA256 (<name>) = <hex>", or a lone "<hex>"
// (returned under the name ""). Names are reduced to their base name.
func ParseSHASums(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "SHA256 ("); ok {
			name, hex, ok := strings.Cut(rest, ") = ")
			if !ok || !hexSHA.MatchString(hex) {
				return nil, fmt.Errorf("checksum file line %d: malformed BSD line", n+1)
			}
			out[path.Base(name)] = strings.ToLower(hex)
			continue
		}
		fields := strings.Fields(line)
		if !hexSHA.MatchString(fields[0]) {
			if strings.HasPrefix(line, "SHA") || strings.HasPrefix(line, "MD5") {
				continue // other algorithms in a BSD-style file
			}
			return nil, fmt.Errorf("checksum file line %d: expected a sha256 hex digest", n+1)
		}
		name := ""
		if len(fields) > 1 {
			name = path.Base(strings.TrimPrefix(fields[len(fields)-1], "*"))
		}
		out[name] = strings.ToLower(fields[0])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("checksum file lists no sha256 digests")
	}
	return out, nil
}

// ParsePython parses a python-build-standalone catalogue in uv's
// download-metadata.json shape: {"cpython-3.12.7-linux-x86_64-gnu": {name, arch:
// {family, variant}, os, libc, major, minor, patch, prerelease, url, sha256}}.
// Only CPython builds for linux/gnu without a CPU variant are kept.
func ParsePython(data []byte, src string) ([]Release, error) {
	var doc map[string]struct {
		Name string `json:"name"`
		Arch struct {
			Family  string  `json:"family"`
			Variant *string `json:"variant"`
		} `json:"arch"`
		OS         string  `json:"os"`
		Libc       string  `json:"libc"`
		Major      int     `json:"major"`
		Minor      int     `json:"minor"`
		Patch      int     `json:"patch"`
		Prerelease string  `json:"prerelease"`
		URL        string  `json:"url"`
		SHA256     *string `json:"sha256"`
		Variant    *string `json:"variant"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError("python", src, data, err)
	}
	byVersion := map[string]*Release{}
	for _, d := range doc {
		if d.Name != "cpython" || d.OS != "linux" || d.Libc != "gnu" || d.Arch.Variant != nil || d.Variant != nil {
			continue
		}
		text := fmt.Sprintf("%d.%d.%d%s", d.Major, d.Minor, d.Patch, d.Prerelease)
		v, err := ParseVersion(text)
		if err != nil || d.URL == "" {
			continue
		}
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		r := byVersion[text]
		if r == nil {
			r = &Release{Version: v, Stable: v.Pre == ""}
			byVersion[text] = r
		}
		sha := ""
		if d.SHA256 != nil {
			sha = strings.ToLower(*d.SHA256)
		}
		name, _ := url.PathUnescape(path.Base(u.Path))
		r.Files = append(r.Files, File{OS: "linux", Arch: normArch(d.Arch.Family), Name: name, URL: d.URL, SHA256: sha, Kind: "archive"})
	}
	if len(byVersion) == 0 {
		return nil, &DocError{"python", src, "no CPython linux builds listed"}
	}
	out := make([]Release, 0, len(byVersion))
	for _, r := range byVersion {
		sortFiles(r.Files)
		out = append(out, *r)
	}
	Sort(out)
	return out, nil
}

func sortFiles(fs []File) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Arch+fs[j].Name < fs[j-1].Arch+fs[j-1].Name; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// GitHubAsset is one asset of a GitHub release.
type GitHubAsset struct {
	Name   string
	URL    string // browser_download_url
	SHA256 string // from the API's "digest" field ("sha256:<hex>"), when present
}

// ParseGitHub parses `GET /repos/{owner}/{repo}/releases`. tagTemplate maps
// tags to versions ("v{version}", "{version}", "jq-{version}"); drafts and
// tags that do not fit it are skipped. Release files carry OS "" and Arch ""
// (the registry entry says which asset is for which architecture).
func ParseGitHub(data []byte, src, tagTemplate string) ([]Release, error) {
	var doc []struct {
		Tag        string `json:"tag_name"`
		Draft      bool   `json:"draft"`
		Prerelease bool   `json:"prerelease"`
		Published  string `json:"published_at"`
		Assets     []struct {
			Name   string `json:"name"`
			URL    string `json:"browser_download_url"`
			Digest string `json:"digest"`
		} `json:"assets"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError("github", src, data, err)
	}
	if tagTemplate == "" {
		tagTemplate = "v{version}"
	}
	pre, post, _ := strings.Cut(tagTemplate, "{version}")
	var out []Release
	for _, d := range doc {
		if d.Draft || !strings.HasPrefix(d.Tag, pre) || !strings.HasSuffix(d.Tag, post) || len(d.Tag) < len(pre)+len(post)+1 {
			continue
		}
		text := d.Tag[len(pre) : len(d.Tag)-len(post)]
		if text[0] < '0' || text[0] > '9' {
			continue // "v1.2.0" under a "{version}" template is not this tool's tag scheme
		}
		v, err := ParseVersion(text)
		if err != nil {
			continue
		}
		v.Text = text
		r := Release{Version: v, Stable: !d.Prerelease && v.Pre == "", Date: d.Published}
		for _, a := range d.Assets {
			sha := ""
			if h, ok := strings.CutPrefix(a.Digest, "sha256:"); ok && hexSHA.MatchString(h) {
				sha = strings.ToLower(h)
			}
			r.Files = append(r.Files, File{Name: a.Name, URL: a.URL, SHA256: sha, Kind: "asset"})
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, &DocError{"github", src, fmt.Sprintf("no releases with tags like %q", tagTemplate)}
	}
	Sort(out)
	return out, nil
}

// Asset returns the release file named name.
func (r Release) Asset(name string) (File, bool) {
	for _, f := range r.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}
