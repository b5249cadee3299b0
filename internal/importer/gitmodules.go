package importer

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var submoduleHeader = regexp.MustCompile(`^\[submodule\s+"(.*)"\]$`)

func importGitmodules(r *Result, file string, data []byte, o Options) error {
	var out []Project
	var cur *Project
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	urlLine := map[int]int{}
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		if s[0] == '[' {
			mm := submoduleHeader.FindStringSubmatch(s)
			if mm == nil {
				return fmt.Errorf("%s:%d: expected [submodule \"name\"], found %q", file, line, s)
			}
			out = append(out, Project{Original: mm[1], Where: fmt.Sprintf("%s:%d", file, line)})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil {
			return fmt.Errorf("%s:%d: %q outside a [submodule] section", file, line, s)
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("%s:%d: expected key = value, found %q", file, line, s)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		switch k {
		case "path":
			cur.Path = v
		case "url":
			cur.URL = v
			urlLine[len(out)-1] = line
		case "branch":
			if v == "." {
				r.warn("branch = . (the superproject's branch) is not carried over; the default branch is used", cur.Original, "")
			} else {
				cur.Ref = v
			}
		default:
			r.warn("submodule settings meta does not know are not carried over", cur.Original, k+" = "+v)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	for i := range out {
		p := &out[i]
		if p.URL == "" || p.Path == "" {
			return fmt.Errorf("%s: submodule %q needs both path and url", p.Where, p.Original)
		}
		var err error
		if p.Path, err = checkPath(p.Where, p.Path); err != nil {
			return err
		}
		if isRelativeURL(p.URL) {
			where := fmt.Sprintf("%s:%d", file, urlLine[i])
			if o.ManifestURL == "" {
				return &RelativeURLError{Where: where, URL: p.URL, What: fmt.Sprintf("submodule %q url", p.Original)}
			}
			if p.URL, err = resolveURL(o.ManifestURL, p.URL, true); err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
		}
	}
	r.Projects = out
	return nil
}
