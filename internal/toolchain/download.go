package toolchain

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/metawork/meta/internal/toolchain/versions"
)

// Archive kinds of downloads.
const (
	KindTarGz = "tar.gz"
	KindZip   = "zip"
	KindRaw   = "raw" // the download is the program itself
)

// Download is one verified download of a resolved tool for one architecture.
type Download struct {
	Arch   string `json:"arch"`            // amd64 or arm64
	URL    string `json:"url"`             //
	SHA256 string `json:"sha256"`          // hex, always set
	File   string `json:"file"`            // file name
	Kind   string `json:"kind"`            // tar.gz, zip or raw
	Path   string `json:"path,omitempty"`  // program inside the archive (github binaries); "" for runtimes and raw downloads
	Strip  int    `json:"strip,omitempty"` // leading directories dropped when unpacking a runtime
}

// Downloads returns x's downloads for each of arches, with their sha256
// taken from the source the registry names (the upstream document, a
// checksums file, pinned digests, or GitHub's asset digests). Tools
// installed by package managers have none.
func (r *Resolver) Downloads(ctx context.Context, x *Resolved, arches []string) ([]Download, error) {
	if x.Tool == nil || x.Tool.Versions == "" {
		return nil, nil
	}
	if x.release == nil {
		return nil, fmt.Errorf("%s: not resolved", x.Name)
	}
	var out []Download
	for _, arch := range arches {
		d, err := r.download(ctx, x, arch)
		if err != nil {
			return nil, fmt.Errorf("%s %s (%s): %w", x.Name, x.Version, arch, err)
		}
		if err := checkDownloadURL(d.URL); err != nil {
			return nil, fmt.Errorf("%s %s (%s): %w", x.Name, x.Version, arch, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func (r *Resolver) download(ctx context.Context, x *Resolved, arch string) (Download, error) {
	t, rel := x.Tool, *x.release
	d := Download{Arch: arch, Strip: t.Strip}
	switch t.Versions {
	case SourceGo, SourceNode, SourcePython:
		f, ok := rel.FileFor("linux", arch)
		if !ok {
			return d, fmt.Errorf("the %s release list has no linux/%s archive", t.Versions, arch)
		}
		d.URL, d.File, d.SHA256 = f.URL, f.Name, f.SHA256
		if t.Versions == SourceNode {
			sums, err := r.checksumFile(ctx, versions.NodeShasumsURL(dirURL(r.src.Node), rel))
			if err != nil {
				return d, err
			}
			d.SHA256 = sums[f.Name]
			if d.SHA256 == "" {
				return d, fmt.Errorf("SHASUMS256.txt lists no checksum for %s", f.Name)
			}
		}
		if d.SHA256 == "" {
			return d, fmt.Errorf("the %s release list carries no sha256 for %s; refusing an unverifiable download", t.Versions, f.Name)
		}
	case SourceGitHub:
		a := t.Assets[arch]
		if a.File != "" {
			name := expand(a.File, x.Version, "", "")
			f, ok := rel.Asset(name)
			if !ok {
				return d, fmt.Errorf("release %s of %s has no asset %s", x.Version, t.Repo, name)
			}
			d.URL, d.File = f.URL, name
			if t.Checksum.GitHubDigest {
				if f.SHA256 == "" {
					return d, fmt.Errorf("GitHub reports no sha256 digest for %s; refusing an unverifiable download", name)
				}
				d.SHA256 = f.SHA256
			}
		} else {
			d.URL = expand(a.URL, x.Version, "", "")
			u, _ := url.Parse(d.URL)
			d.File = path.Base(u.Path)
			if t.Checksum.GitHubDigest {
				return d, fmt.Errorf("github-digest needs release assets, not download URLs")
			}
		}
		d.Path = strings.TrimPrefix(path.Clean(expand(a.Path, x.Version, d.File, d.URL)), "./")
		if a.Path == "" {
			d.Path = ""
		}
		switch {
		case t.Checksum.Pinned != nil:
			d.SHA256 = t.Checksum.Pinned[x.Version][arch]
			if d.SHA256 == "" {
				return d, fmt.Errorf("the registry pins no sha256 for version %s; pinned: %s", x.Version, strings.Join(sortedKeys(t.Checksum.Pinned), ", "))
			}
		case t.Checksum.File != "":
			sumName := expand(t.Checksum.File, x.Version, d.File, d.URL)
			sumURL := sumName
			if !strings.Contains(sumName, "://") {
				f, ok := rel.Asset(sumName)
				if !ok {
					return d, fmt.Errorf("release %s of %s has no checksums file %s", x.Version, t.Repo, sumName)
				}
				sumURL = f.URL
			}
			sums, err := r.checksumFile(ctx, sumURL)
			if err != nil {
				return d, err
			}
			d.SHA256 = sums[d.File]
			if d.SHA256 == "" {
				d.SHA256 = sums[""]
			}
			if d.SHA256 == "" {
				return d, fmt.Errorf("checksums file %s lists no sha256 for %s", sumURL, d.File)
			}
		}
	}
	switch {
	case strings.HasSuffix(d.File, ".tar.gz") || strings.HasSuffix(d.File, ".tgz"):
		d.Kind = KindTarGz
	case strings.HasSuffix(d.File, ".zip"):
		d.Kind = KindZip
	default:
		d.Kind = KindRaw
		if d.Path != "" || t.Type == TypeRuntime {
			return d, fmt.Errorf("%s is not a .tar.gz or .zip archive", d.File)
		}
	}
	if t.Type == TypeGitHubBinary && d.Kind != KindRaw && d.Path == "" {
		return d, fmt.Errorf("the registry says %s is an archive but not where the program is in it (asset path)", d.File)
	}
	d.SHA256 = strings.ToLower(d.SHA256)
	if !hex64.MatchString(d.SHA256) {
		return d, fmt.Errorf("malformed sha256 %q for %s", d.SHA256, d.File)
	}
	return d, nil
}

// checksumFile fetches and parses a checksums file through the cache.
func (r *Resolver) checksumFile(ctx context.Context, u string) (map[string]string, error) {
	var sums map[string]string
	doc, err := r.cache.Get(ctx, u, func(b []byte) error {
		var err error
		sums, err = versions.ParseSHASums(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if sums == nil {
		if sums, err = versions.ParseSHASums(doc.Body); err != nil {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
	}
	return sums, nil
}

// checkDownloadURL refuses URLs that are not plain http(s) or that carry
// characters no URL needs (they end up quoted in scripts, but still).
func checkDownloadURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("download URL %q is not an http(s) URL", s)
	}
	for _, r := range s {
		if r <= ' ' || r == '\'' || r == '"' || r == '\\' || r == '`' || r >= 0x7f {
			return fmt.Errorf("download URL %q contains %q", s, r)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
