package registry

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// Line is the request log line 'meta registry serve' writes for r at now.
func (r RequestLog) Line(now time.Time) string {
	return fmt.Sprintf("%s %s %s %s %d %dB %s\n", now.UTC().Format(time.RFC3339), r.Remote, r.Method, r.Path, r.Status, r.Bytes, r.Duration.Round(time.Microsecond))
}

// ListText is what 'meta registry list' prints for list: one aligned line
// per registry, or how to add one.
func ListText(list []*Named) string {
	if len(list) == 0 {
		return "no registries; add one with: meta registry add default URL\n"
	}
	var b strings.Builder
	for _, r := range list {
		fmt.Fprintf(&b, "%-12s %s  [%s]%s\n", r.Name, r.URL, r.Source, when(r.LoggedIn, " (logged in)"))
	}
	return b.String()
}

// Text is the line 'meta registry fetch' prints for f.
func (f *Fetched) Text() string {
	return fmt.Sprintf("%s@%s -> %s (checksum verified%s)\n", f.Name, f.Version, f.Path, when(f.Signature, ", signature verified"))
}

// YankText is the line 'meta yank' prints once name@vers is (un)yanked as o says.
func YankText(name, vers string, o YankOptions) string {
	return fmt.Sprintf("%s %s@%s%s\n", map[bool]string{false: "yanked", true: "unyanked"}[o.Undo], name, vers, when(!o.Undo, ": "+o.Reason))
}

// SearchText is what 'meta search' prints for res, found for query in the
// registry named reg: one line per package, and how many more there are.
func SearchText(res *SearchResult, query, reg string) string {
	var b strings.Builder
	if len(res.Packages) == 0 {
		fmt.Fprintf(&b, "no packages match %q in %s\n", query, reg)
	}
	for _, p := range res.Packages {
		fmt.Fprintf(&b, "%s@%s%s\n", p.Name, p.MaxVersion, when(p.Description != "", "  "+p.Description))
	}
	if res.Meta.Total > len(res.Packages) {
		fmt.Fprintf(&b, "… and %d more (use --limit)\n", res.Meta.Total-len(res.Packages))
	}
	return b.String()
}

// InfoText is what 'meta info' prints for version v of the package info
// named name: description, owners, checksum, publication, dependencies,
// tools and all versions, newest first.
func InfoText(name string, info *PackageInfo, v *VersionInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%s\n%sowners: %s\nsha256: %s\n%s", name, v.Vers, when(info.Description != "", "  "+info.Description+"\n"),
		strings.Join(info.Owners, ", "), v.Cksum, when(v.Sig != "", "signed: yes\n"))
	fmt.Fprintf(&b, "published: %s by %s\n%s", v.PublishedAt.Format("2006-01-02"), v.PublishedBy, when(v.Yanked, "YANKED: "+cmp.Or(v.YankReason, "-")+"\n"))
	b.WriteString(DepsText(v.Deps, v.Tools, "depends on:", "tool:"))
	b.WriteString("versions:")
	for i := len(info.Versions) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, " %s%s", info.Versions[i].Vers, when(info.Versions[i].Yanked, " (yanked)"))
	}
	return b.String() + "\n"
}

// DepsText lists a version's dependencies and tools, each on a line after
// its label.
func DepsText(deps []Dep, tools []string, depLabel, toolLabel string) string {
	var b strings.Builder
	for _, d := range deps {
		fmt.Fprintf(&b, "%s %s %s\n", depLabel, d.Name, d.Req)
	}
	for _, t := range tools {
		fmt.Fprintf(&b, "%s %s\n", toolLabel, t)
	}
	return b.String()
}

// when is s when cond holds, else "".
func when(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}
