package toolchain

import (
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/toolchain/versions"
)

// DefaultBaseImage is the Dockerfile base when none is given.
const DefaultBaseImage = "debian:bookworm-slim"

// Where generated installs put things.
const (
	imagePrefix = "/opt/meta/tools"
	imageBin    = "/usr/local/bin"
)

// shq quotes s for a POSIX shell.
func shq(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(isAlnum(r) || strings.ContainsRune("@%+=:,./-_", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// block is one install step rendered as shell: lines that run in one
// shell, then PATH entries and environment variables for what follows.
type block struct {
	comment string
	lines   []string
	path    []string
	env     [][2]string
}

// blocks renders the plan's steps as shell. prefix is where runtimes go
// ("$PREFIX" in scripts, /opt/meta/tools in images); bin is where programs go.
func (p *Plan) blocks(prefix, bin string) ([]block, []string) {
	var out []block
	var apt []string
	uvEnv := false
	for _, s := range p.Steps {
		b := block{comment: stepComment(s)}
		switch s.Phase {
		case PhaseApt:
			apt = append(apt, s.Package)
			continue
		case PhaseCustom:
			b.lines = nil
			b.comment += ": not installed automatically; see " + s.Docs
			out = append(out, b)
			continue
		}
		switch s.Type {
		case TypeRuntime:
			dir := prefix + "/" + s.Name + "/" + s.Version
			b.lines = append(b.lines, archSelect(s)...)
			b.lines = append(b.lines, fetchVerify(s.Name)...)
			if len(s.Setup) > 0 {
				work := "/tmp/meta-" + s.Name + "-src"
				b.lines = append(b.lines, "mkdir -p "+work, untar(s, "/tmp/meta-"+s.Name+".download", work), "mkdir -p "+dir,
					"(cd "+work+" && "+setupCommand(s.Setup, dir)+")", "rm -rf "+work)
			} else {
				b.lines = append(b.lines, "mkdir -p "+dir, untar(s, "/tmp/meta-"+s.Name+".download", dir))
			}
			b.lines = append(b.lines, "rm -f /tmp/meta-"+s.Name+".download")
			for _, d := range s.BinDirs {
				b.path = append(b.path, dir+"/"+d)
			}
		case TypeGitHubBinary:
			b.lines = append(b.lines, archSelect(s)...)
			b.lines = append(b.lines, fetchVerify(s.Name)...)
			dl := "/tmp/meta-" + s.Name + ".download"
			if len(s.Downloads) > 0 && s.Downloads[0].Kind == KindRaw {
				b.lines = append(b.lines, "install -m 0755 "+dl+" "+bin+"/"+shq(s.Bin))
			} else {
				work := "/tmp/meta-" + s.Name + "-x"
				b.lines = append(b.lines, "mkdir -p "+work, untar(s, dl, work),
					`install -m 0755 "`+work+`/$path" `+bin+"/"+shq(s.Bin), "rm -rf "+work)
			}
			b.lines = append(b.lines, "rm -f "+dl)
		case TypeNpm:
			b.lines = []string{"npm install -g " + shq(npmArg(s))}
		case TypeUvTool, ManagerUv:
			if !uvEnv {
				b.env = append(b.env, [2]string{"UV_TOOL_DIR", prefix + "/uv-tools"}, [2]string{"UV_TOOL_BIN_DIR", bin})
				uvEnv = true
			}
			b.lines = []string{"uv tool install " + shq(pyArg(s))}
		case ManagerPip:
			b.lines = []string{"python3 -m pip install --no-cache-dir " + shq(pyArg(s))}
		case TypeCargo:
			l := "cargo install --locked --root " + strings.TrimSuffix(bin, "/bin") + " " + shq(s.Package)
			if s.Version != "" {
				l += " --version " + shq(s.Version)
			}
			b.lines = []string{l}
		case TypeGoInstall, ManagerGo:
			v := s.Version
			if v == "" {
				v = "latest"
			}
			b.lines = []string{"GOBIN=" + bin + " go install " + shq(s.Package+"@"+v)}
		}
		out = append(out, b)
	}
	return out, apt
}

func stepComment(s Step) string {
	c := s.Name
	if s.Version != "" {
		c += " " + s.Version
	}
	switch {
	case s.Requested != "" && s.Requested != s.Version:
		c += " (requested " + s.Requested + ")"
	case s.Implied:
		c += " (needed by " + strings.Join(s.RequiredBy, ", ") + ")"
	case !s.Exact && s.Phase == PhasePackage:
		c += " (newest at install time)"
	}
	return c
}

func npmArg(s Step) string {
	if s.Version == "" {
		return s.Package
	}
	return s.Package + "@" + s.Version
}

// pyArg pins a Python package: "1.2.3" exactly, "1.2" to 1.2.*.
func pyArg(s Step) string {
	if s.Version == "" {
		return s.Package
	}
	if v, err := versions.ParseVersion(s.Version); err == nil && len(v.Nums) < 3 && v.Pre == "" {
		return s.Package + "==" + s.Version + ".*"
	}
	return s.Package + "==" + s.Version
}

// archSelect sets url, sha and path for the machine's architecture.
func archSelect(s Step) []string {
	lines := []string{`case "$(uname -m)" in`}
	for _, d := range s.Downloads {
		m := map[string]string{"amd64": "x86_64|amd64", "arm64": "aarch64|arm64"}[d.Arch]
		l := fmt.Sprintf("  %s) url=%s; sha=%s", m, shq(d.URL), d.SHA256)
		if d.Path != "" {
			l += "; path=" + shq(d.Path)
		}
		lines = append(lines, l+" ;;")
	}
	lines = append(lines, fmt.Sprintf(`  *) echo "%s: no download for $(uname -m)" >&2; exit 1 ;;`, s.Name), "esac")
	return lines
}

// fetchVerify downloads $url and checks it against $sha before anything uses it.
func fetchVerify(name string) []string {
	f := "/tmp/meta-" + name + ".download"
	return []string{
		`curl -fsSL --proto '=https,http' -o ` + f + ` "$url"`,
		`echo "$sha  ` + f + `" | sha256sum -c -`,
	}
}

func untar(s Step, file, dir string) string {
	if len(s.Downloads) > 0 && s.Downloads[0].Kind == KindZip {
		if s.Downloads[0].Strip > 0 {
			return "unzip -q " + file + " -d " + dir + ".zip && mv " + dir + ".zip/*/* " + dir + " && rm -rf " + dir + ".zip"
		}
		return "unzip -q " + file + " -d " + dir
	}
	strip := ""
	if len(s.Downloads) > 0 && s.Downloads[0].Strip > 0 {
		strip = fmt.Sprintf(" --strip-components=%d", s.Downloads[0].Strip)
	}
	return "tar -xzf " + file + " -C " + dir + strip + " --no-same-owner"
}

func setupCommand(argv []string, prefix string) string {
	var parts []string
	for _, a := range argv {
		parts = append(parts, shq(strings.ReplaceAll(a, "{prefix}", prefix)))
	}
	return strings.Join(parts, " ")
}

// ImageTag is the tag for an image built from the plan on base: a hash of
// the resolved plan (versions, URLs, checksums) and the base image, never of
// floating version requests.
func (p *Plan) ImageTag(base string) string {
	return "meta-tools:" + p.hash("dockerfile\x00" + base)[:16]
}

// Dockerfile renders the plan as a Dockerfile on base. Every download is
// checked with sha256sum before use; nothing is piped into a shell.
func (p *Plan) Dockerfile(base string) string {
	if base == "" {
		base = DefaultBaseImage
	}
	blocks, apt := p.blocks(imagePrefix, imageBin)
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by `meta tools dockerfile`. Do not edit; regenerate.\n")
	fmt.Fprintf(&b, "# Image tag: %s (a hash of the resolved plan and the base image)\n", p.ImageTag(base))
	fmt.Fprintf(&b, "FROM %s\n\n", base)
	b.WriteString("ENV DEBIAN_FRONTEND=noninteractive\n\n")
	b.WriteString("# System packages\n")
	pkgs := append([]string{"ca-certificates", "curl", "tar", "gzip", "unzip"}, apt...)
	b.WriteString("RUN apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n")
	for _, pk := range pkgs {
		fmt.Fprintf(&b, "       %s \\\n", pk)
	}
	b.WriteString("    && rm -rf /var/lib/apt/lists/*\n")
	for _, bl := range blocks {
		fmt.Fprintf(&b, "\n# %s\n", bl.comment)
		for _, e := range bl.env {
			fmt.Fprintf(&b, "ENV %s=%s\n", e[0], e[1])
		}
		if len(bl.lines) > 0 {
			b.WriteString("RUN set -eu; \\\n")
			for i, l := range bl.lines {
				sep := "; \\\n"
				switch {
				case i == len(bl.lines)-1:
					sep = "\n"
				case strings.HasSuffix(l, " in") || strings.HasSuffix(l, ";;"):
					sep = " \\\n"
				}
				b.WriteString("    " + l + sep)
			}
		}
		if len(bl.path) > 0 {
			fmt.Fprintf(&b, "ENV PATH=%s:$PATH\n", strings.Join(bl.path, ":"))
		}
	}
	return b.String()
}

// Script renders the plan as a POSIX shell install script. Runtimes go to
// $META_TOOLS_PREFIX (default /opt/meta/tools), programs to
// $META_TOOLS_BIN (default /usr/local/bin); apt packages are installed when
// apt-get is available and the script runs as root.
func (p *Plan) Script() string {
	blocks, apt := p.blocks(`"$PREFIX"`, `"$BIN"`)
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString("# Generated by `meta tools script`. Do not edit; regenerate.\n")
	fmt.Fprintf(&b, "# Plan: %s\n", p.Hash[:16])
	b.WriteString("set -eu\n")
	b.WriteString(`PREFIX="${META_TOOLS_PREFIX:-` + imagePrefix + `}"` + "\n")
	b.WriteString(`BIN="${META_TOOLS_BIN:-` + imageBin + `}"` + "\n")
	b.WriteString(`mkdir -p "$PREFIX" "$BIN"` + "\n")
	if len(apt) > 0 {
		b.WriteString("\n# System packages\n")
		fmt.Fprintf(&b, "if command -v apt-get >/dev/null 2>&1 && [ \"$(id -u)\" = 0 ]; then\n  apt-get update && apt-get install -y --no-install-recommends %s\nelse\n  echo \"install with your system's package manager: %s\" >&2\nfi\n", strings.Join(apt, " "), strings.Join(apt, " "))
	}
	for _, bl := range blocks {
		fmt.Fprintf(&b, "\n# %s\n", bl.comment)
		for _, e := range bl.env {
			fmt.Fprintf(&b, "export %s=%s\n", e[0], e[1])
		}
		for _, l := range bl.lines {
			b.WriteString(l + "\n")
		}
		if len(bl.path) > 0 {
			fmt.Fprintf(&b, "PATH=%s:$PATH; export PATH\n", strings.Join(bl.path, ":"))
		}
	}
	b.WriteString("\necho \"tools installed; add to PATH: $PATH\"\n")
	return b.String()
}
