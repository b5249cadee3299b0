package versions

import (
	"fmt"
	"slices"
	"strings"
)

// Release is one upstream release of a tool.
type Release struct {
	Version Version
	Stable  bool   // false for pre-releases
	LTS     string // Node.js LTS codename ("Iron"); "" when not LTS
	Date    string // release date as the upstream writes it, when known
	Files   []File // downloadable artifacts, when the document lists them
}

// File is one downloadable artifact of a release.
type File struct {
	OS     string // "linux", "darwin", ...
	Arch   string // "amd64" or "arm64" (normalised); others as written
	Name   string // file name
	URL    string // absolute download URL
	SHA256 string // hex digest, "" when the document does not carry it
	Kind   string // "archive", "installer", "source", "binary"
}

// FileFor returns r's archive for os/arch, if the document lists one.
func (r Release) FileFor(goos, arch string) (File, bool) {
	for _, f := range r.Files {
		if f.OS == goos && f.Arch == arch && (f.Kind == "archive" || f.Kind == "binary" || f.Kind == "") {
			return f, true
		}
	}
	return File{}, false
}

// Sort orders releases newest first, deterministically.
func Sort(rs []Release) {
	slices.SortStableFunc(rs, func(a, b Release) int {
		if c := Compare(b.Version, a.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Version.Text, b.Version.Text)
	})
}

// NotFoundError says that no release matches a request, and which exist near it.
type NotFoundError struct {
	Tool      string
	Requested string
	Nearest   []string // versions that exist near the request, ascending
	Latest    string   // newest stable version, "" when there is none
	Reason    string   // why, when it is not simply a missing version
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid version %q for %s", e.Requested, e.Tool)
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	if len(e.Nearest) > 0 {
		fmt.Fprintf(&b, "\n\n  Available versions: %s", strings.Join(e.Nearest, ", "))
	}
	if e.Latest != "" {
		if len(e.Nearest) == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "\n  Or omit the version to use the default (latest: %s)", e.Latest)
	}
	return b.String()
}

// Select returns the release that req names among rs:
//
//	"" or "latest"     the newest stable release
//	"lts"              the newest release with an LTS codename (Node.js)
//	"lts/<codename>"   the newest release of that LTS line (case-insensitive)
//	"1", "1.22"        the newest stable release with those leading components
//	"1.22.5", "1.25rc1" that exact release (pre-releases only when named)
//
// rs need not be sorted.
func Select(tool string, rs []Release, req string) (Release, error) {
	sorted := slices.Clone(rs)
	Sort(sorted)
	latest := ""
	for _, r := range sorted {
		if r.Stable {
			latest = r.Version.Text
			break
		}
	}
	notFound := func(reason string, near []string) error {
		return &NotFoundError{Tool: tool, Requested: req, Nearest: near, Latest: latest, Reason: reason}
	}
	switch lower := strings.ToLower(req); {
	case lower == "" || lower == "latest" || lower == "stable":
		for _, r := range sorted {
			if r.Stable {
				return r, nil
			}
		}
		return Release{}, notFound("no stable release is listed", nil)
	case lower == "lts" || strings.HasPrefix(lower, "lts/") || strings.HasPrefix(lower, "lts-"):
		code := strings.TrimLeft(lower[3:], "/-")
		var codes []string
		for _, r := range sorted {
			if r.LTS == "" || !r.Stable {
				continue
			}
			if code == "" || strings.EqualFold(r.LTS, code) {
				return r, nil
			}
			if !slices.Contains(codes, "lts/"+strings.ToLower(r.LTS)) {
				codes = append(codes, "lts/"+strings.ToLower(r.LTS))
			}
		}
		if len(codes) == 0 {
			return Release{}, notFound("no LTS release is listed", nil)
		}
		slices.Sort(codes)
		return Release{}, notFound("no such LTS line", codes)
	}
	want, err := ParseVersion(req)
	if err != nil {
		near := Version{Nums: []int{1 << 30}} // the newest lines
		return Release{}, notFound(strings.TrimPrefix(err.Error(), "invalid version "+fmt.Sprintf("%q", req)+": "), Nearest(sorted, near))
	}
	for _, r := range sorted {
		if want.Pre != "" {
			if Compare(r.Version, want) == 0 {
				return r, nil
			}
			continue
		}
		if !r.Stable || r.Version.Pre != "" {
			continue
		}
		if HasPrefix(r.Version, want) && len(r.Version.Nums) >= 1 {
			return r, nil
		}
	}
	return Release{}, notFound("", Nearest(sorted, want))
}

// Nearest returns up to five stable versions near want, ascending: among the
// releases sharing the longest run of leading components with want, the
// newest of each next-level line, closest to where want would sort.
func Nearest(rs []Release, want Version) []string {
	var stable []Release
	for _, r := range rs {
		if r.Stable && r.Version.Pre == "" {
			stable = append(stable, r)
		}
	}
	if len(stable) == 0 {
		return nil
	}
	common := func(v Version) int {
		n := 0
		for n < len(want.Nums) && v.num(n) == want.Nums[n] {
			n++
		}
		return n
	}
	best := 0
	for _, r := range stable {
		best = max(best, common(r.Version))
	}
	// Newest release of each line one level below the shared prefix.
	depth := best + 1
	type line struct {
		key string
		rel Release
	}
	var lines []line
	seen := map[string]bool{}
	for _, r := range stable { // newest first when rs is sorted
		if common(r.Version) != best {
			continue
		}
		var parts []string
		for i := 0; i < depth; i++ {
			parts = append(parts, fmt.Sprint(r.Version.num(i)))
		}
		k := strings.Join(parts, ".")
		if seen[k] {
			continue
		}
		seen[k] = true
		lines = append(lines, line{k, r})
	}
	slices.SortFunc(lines, func(a, b line) int { return Compare(a.rel.Version, b.rel.Version) })
	// Take the five closest around want's position.
	pos := len(lines)
	for i, l := range lines {
		if Compare(l.rel.Version, want) > 0 {
			pos = i
			break
		}
	}
	lo, hi := pos, pos
	for hi-lo < 5 && (lo > 0 || hi < len(lines)) {
		if lo > 0 {
			lo--
		}
		if hi-lo < 5 && hi < len(lines) {
			hi++
		}
	}
	var out []string
	for _, l := range lines[lo:hi] {
		out = append(out, l.rel.Version.Text)
	}
	return out
}
