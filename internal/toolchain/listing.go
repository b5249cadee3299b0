package toolchain

import (
	"context"
	"slices"
	"strings"
)

// ToolInfo is a registry entry as 'meta tools list --json' shows it.
type ToolInfo struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Versions    string   `json:"versions,omitempty"`
	Repo        string   `json:"repo,omitempty"`
	Package     string   `json:"package,omitempty"`
	Requires    []string `json:"requires,omitempty"`
	Tools       []string `json:"tools,omitempty"`
	Docs        string   `json:"docs,omitempty"`
}

// Info is t for listings.
func (t *Tool) Info() ToolInfo {
	return ToolInfo{t.Name, t.Type, t.Description, t.Versions, t.Repo, t.Package, t.Requires, t.Tools, t.Docs}
}

// ResolvedInfo is a resolution as 'meta tools resolve --json' shows it.
type ResolvedInfo struct {
	Name       string   `json:"name"`
	Requested  string   `json:"requested"`
	Version    string   `json:"version"`
	Exact      bool     `json:"exact"`
	Type       string   `json:"type"`
	Implied    bool     `json:"implied,omitempty"`
	RequiredBy []string `json:"required_by,omitempty"`
	Bundle     string   `json:"bundle,omitempty"`
}

// Info is x for listings.
func (x Resolved) Info() ResolvedInfo {
	return ResolvedInfo{x.Name, x.Requested, x.Version, x.Exact, x.Type, x.Implied, x.RequiredBy, x.Bundle}
}

// Manager names what installs x when meta does not: npm, uv, go, apt...
func (x Resolved) Manager() string {
	switch x.Type {
	case TypeNpm:
		return "npm"
	case TypeUvTool:
		return "uv"
	case TypeGoInstall:
		return "go"
	case TypeApt:
		return "apt"
	}
	return x.Type
}

// VersionRow is one release of a tool in 'meta tools list NAME'.
type VersionRow struct {
	Version    string `json:"version"`
	Prerelease bool   `json:"prerelease,omitempty"`
	LTS        string `json:"lts,omitempty"`
	Date       string `json:"date,omitempty"`
	Installed  bool   `json:"installed,omitempty"`
}

// Notes are the row's remarks: lts/NAME, pre-release, installed.
func (v VersionRow) Notes() []string {
	var out []string
	if v.LTS != "" {
		out = append(out, "lts/"+strings.ToLower(v.LTS))
	}
	if v.Prerelease {
		out = append(out, "pre-release")
	}
	if v.Installed {
		out = append(out, "installed")
	}
	return out
}

// VersionRows lists t's releases, newest first, stable ones only unless
// all is set, marking those installed.
func (r *Resolver) VersionRows(ctx context.Context, t *Tool, all bool) ([]VersionRow, error) {
	rels, err := r.Releases(ctx, t)
	if err != nil {
		return nil, err
	}
	installed := r.InstalledVersions(t.Name)
	var rows []VersionRow
	for _, rel := range rels {
		if rel.Stable || all {
			rows = append(rows, VersionRow{rel.Version.Text, !rel.Stable, rel.LTS, rel.Date, slices.Contains(installed, rel.Version.Text)})
		}
	}
	return rows, nil
}

// Reason says why s is in its plan: who needs it, what was asked for, or
// how to install it by hand.
func (s Step) Reason() string {
	switch {
	case s.Phase == PhaseCustom:
		return "install by hand: " + s.Docs
	case s.Implied:
		return "needed by " + strings.Join(s.RequiredBy, ", ")
	case s.Requested != "" && s.Requested != s.Version:
		return "requested " + s.Requested
	case s.Bundle != "":
		return "from " + s.Bundle
	}
	return ""
}

// Warnings are what a user should know before running p's install
// script: steps meta cannot install, and versions left to a package
// manager (the result can change from one build to the next).
func (p *Plan) Warnings() []string {
	var out []string
	for _, s := range p.Manual() {
		out = append(out, s.Name+" is not installed automatically; see "+s.Docs)
	}
	if fl := p.Floating(); len(fl) > 0 {
		var names []string
		for _, s := range fl {
			names = append(names, s.Name)
		}
		out = append(out, strings.Join(names, ", ")+": the package manager picks the version at build time, so the result can change; pin exact versions (NAME@X.Y.Z) to make it reproducible")
	}
	return out
}

// Summary is the line 'meta tools resolve' shows for x: the spec, what it
// resolved to, and why it is there when it was not asked for.
func (x Resolved) Summary() string {
	left, right := x.Name, x.Version
	if x.Requested != "" {
		left += "@" + x.Requested
	}
	switch {
	case x.Type == TypeCustom:
		right = "installed by hand: " + x.Tool.Docs
	case !x.Exact && x.Version == "":
		right = "newest at install time (" + x.Manager() + " decides)"
	case !x.Exact:
		right += " (" + x.Manager() + " picks the newest match at install time)"
	}
	line := left + " → " + right
	if x.Implied {
		line += "  (needed by " + strings.Join(x.RequiredBy, ", ") + ")"
	} else if x.Bundle != "" {
		line += "  (from " + x.Bundle + ")"
	}
	return line
}

// ShownVersion is s's version for a plan table: "-" for tools installed
// by apt or by hand, "(newest)" when a package manager picks it.
func (s Step) ShownVersion() string {
	switch {
	case s.Phase == PhaseCustom || s.Phase == PhaseApt:
		return "-"
	case s.Version == "":
		return "(newest)"
	}
	return s.Version
}
