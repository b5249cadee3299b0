package toolchain

import "strings"

// Infos is the JSON shape of a tool listing: each tool's Info, never nil.
func Infos(ts []*Tool) []ToolInfo {
	out := make([]ToolInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Info())
	}
	return out
}

// ResolvedInfos is the JSON shape of resolved specs: each one's Info,
// never nil.
func ResolvedInfos(res []Resolved) []ResolvedInfo {
	out := make([]ResolvedInfo, 0, len(res))
	for _, x := range res {
		out = append(out, x.Info())
	}
	return out
}

// ResolvedText is one Summary line per resolved spec.
func ResolvedText(res []Resolved) string {
	var b strings.Builder
	for _, x := range res {
		b.WriteString(x.Summary() + "\n")
	}
	return b.String()
}
