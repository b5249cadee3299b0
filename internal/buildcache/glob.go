package buildcache

import (
	"fmt"
	"path"
	"strings"
)

// Globs selects input files: a file is selected when it matches at least
// one include pattern and no exclude pattern ("!pattern"). With only
// excludes, everything else is included. Patterns are slash-separated and
// relative to the component; "**" matches any number of directories
// (including none) and each other segment uses path.Match syntax.
type Globs struct {
	include, exclude [][]string
}

// ParseGlobs parses build.inputs patterns.
func ParseGlobs(patterns []string) (*Globs, error) {
	g := &Globs{}
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.TrimPrefix(p, "./")
		if p == "" || strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("input pattern %q: want a non-empty path relative to the component", p)
		}
		segs := strings.Split(p, "/")
		for _, s := range segs {
			if s == ".." {
				return nil, fmt.Errorf("input pattern %q: must not leave the component (..)", p)
			}
			if s == "" {
				return nil, fmt.Errorf("input pattern %q: empty path segment", p)
			}
			if s != "**" {
				if _, err := path.Match(s, ""); err != nil {
					return nil, fmt.Errorf("input pattern %q: %v", p, err)
				}
			}
		}
		if neg {
			g.exclude = append(g.exclude, segs)
		} else {
			g.include = append(g.include, segs)
		}
	}
	return g, nil
}

// Match reports whether the slash-separated relative path p is selected.
func (g *Globs) Match(p string) bool {
	segs := strings.Split(p, "/")
	in := len(g.include) == 0
	for _, pat := range g.include {
		if matchSegs(pat, segs) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, pat := range g.exclude {
		if matchSegs(pat, segs) {
			return false
		}
	}
	return true
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(segs); i++ {
				if matchSegs(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
