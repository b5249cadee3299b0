package importer

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
)

// repoRemote is a <remote> of a repo manifest.
type repoRemote struct {
	fetch, revision string
}

// repoState accumulates a repo manifest and the files it includes.
type repoState struct {
	r        *Result
	o        Options
	remotes  map[string]repoRemote
	defRem   string
	defRev   string
	projects []Project

	visited map[string]bool
}

func importRepo(r *Result, file string, data []byte, o Options) error {
	s := &repoState{r: r, o: o, remotes: map[string]repoRemote{}, visited: map[string]bool{}}
	if err := s.parse(file, data, 0); err != nil {
		return err
	}
	r.Projects = s.projects
	// repo sync's default selection is -g default,platform-<os>: projects
	// in 'notdefault' are left out unless they are in that platform group
	// (Linux is assumed, where meta runs most).
	notdefault, platform := false, false
	for _, p := range r.Projects {
		has := map[string]bool{}
		for _, g := range p.Groups {
			has[g] = true
		}
		notdefault = notdefault || has["notdefault"]
		platform = platform || has["notdefault"] && has["platform-linux"]
	}
	if notdefault {
		r.DefaultGroups = []string{"-notdefault"}
		if platform {
			r.DefaultGroups = append(r.DefaultGroups, "platform-linux")
		}
	}
	return nil
}

// lineCounter turns byte offsets into line numbers, moving forward only.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (lc *lineCounter) at(off int64) int {
	o := min(int(off), len(lc.data))
	if o > lc.off {
		lc.line += bytes.Count(lc.data[lc.off:o], []byte("\n"))
		lc.off = o
	}
	return lc.line
}

func attrs(e xml.StartElement) map[string]string {
	m := make(map[string]string, len(e.Attr))
	for _, a := range e.Attr {
		m[a.Name.Local] = a.Value
	}
	return m
}

func splitGroups(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// parse reads one repo manifest file (the main one or an <include>).
func (s *repoState) parse(file string, data []byte, depth int) error {
	if depth > maxImportDepth {
		return fmt.Errorf("%s: <include> nested more than %d deep", file, maxImportDepth)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	lc := &lineCounter{data: data, line: 1}
	level := 0
	var cur *Project // the <project> being read, for its children
	sawManifest := false
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s:%d: invalid repo manifest XML: %v", file, lc.at(dec.InputOffset()), err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			level--
			if level == 1 {
				cur = nil
			}
			continue
		case xml.StartElement:
			level++
			line := lc.at(start)
			where := fmt.Sprintf("%s:%d", file, line)
			a := attrs(t)
			el := t.Name.Local
			if level == 1 {
				if el != "manifest" {
					return fmt.Errorf("%s: expected <manifest>, found <%s> (repo manifest)", where, el)
				}
				sawManifest = true
				continue
			}
			if level == 3 && cur != nil {
				switch el {
				case "copyfile", "linkfile":
					s.r.warn("copyfile/linkfile are not carried over; add them as setup commands", cur.Original, el+" "+a["src"]+" -> "+a["dest"])
				case "annotation":
					s.r.warn("annotations are not carried over", cur.Original, a["name"])
				case "project":
					s.r.warn("nested <project> elements are not carried over", cur.Original, a["name"])
				default:
					s.r.warn("repo elements meta does not know are not carried over", cur.Original, "<"+el+">")
				}
				continue
			}
			if level != 2 {
				continue
			}
			if err := s.element(file, where, el, a, depth, &cur); err != nil {
				return err
			}
		}
	}
	if !sawManifest {
		return fmt.Errorf("%s: no <manifest> element (repo manifest)", file)
	}
	return nil
}

func (s *repoState) element(file, where, el string, a map[string]string, depth int, cur **Project) error {
	switch el {
	case "remote":
		if a["name"] == "" || a["fetch"] == "" {
			return fmt.Errorf("%s: a <remote> needs name and fetch", where)
		}
		fetch := strings.TrimRight(a["fetch"], "/")
		if isRelativeURL(fetch) {
			if s.o.ManifestURL == "" {
				return &RelativeURLError{Where: where, URL: a["fetch"], What: fmt.Sprintf("remote %q fetch", a["name"])}
			}
			var err error
			if fetch, err = resolveURL(s.o.ManifestURL, fetch, false); err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
		}
		s.remotes[a["name"]] = repoRemote{fetch: fetch, revision: a["revision"]}
		if a["alias"] != "" {
			s.r.warn("remote aliases are not carried over (meta names the remote origin)", a["name"], a["alias"])
		}
	case "default":
		if v := a["remote"]; v != "" {
			s.defRem = v
		}
		if v := a["revision"]; v != "" {
			s.defRev = v
		}
		for k, v := range a {
			if k != "remote" && k != "revision" {
				s.r.warn("<default> settings meta does not know are not carried over", k, v)
			}
		}
	case "project":
		return s.project(where, a, cur)
	case "remove-project":
		removed := false
		for i := 0; i < len(s.projects); i++ {
			p := s.projects[i]
			if (a["name"] != "" && p.Original == a["name"] || a["name"] == "") && (a["path"] == "" || p.Path == path.Clean(a["path"])) {
				s.projects = append(s.projects[:i], s.projects[i+1:]...)
				i--
				removed = true
			}
		}
		if !removed && a["optional"] != "true" {
			return fmt.Errorf("%s: <remove-project> names %q, which no project defines", where, a["name"]+a["path"])
		}
	case "extend-project":
		found := false
		for i := range s.projects {
			p := &s.projects[i]
			if p.Original != a["name"] || a["path"] != "" && p.Path != path.Clean(a["path"]) {
				continue
			}
			found = true
			p.Groups = append(p.Groups, splitGroups(a["groups"])...)
			if v := a["revision"]; v != "" {
				p.Ref = v
			}
			if v := a["remote"]; v != "" {
				rm, ok := s.remotes[v]
				if !ok {
					return fmt.Errorf("%s: <extend-project> uses remote %q, which no <remote> defines", where, v)
				}
				p.URL = rm.fetch + "/" + p.Original
			}
			if v := a["dest-path"]; v != "" {
				np, err := checkPath(where, v)
				if err != nil {
					return err
				}
				p.Path = np
			}
		}
		if !found {
			return fmt.Errorf("%s: <extend-project> names %q, which no project defines", where, a["name"])
		}
	case "include":
		name := a["name"]
		if s.o.Dir == "" || s.o.ReadFile == nil {
			s.r.warn("<include> files not followed: they are not available here; import from inside the manifest repository's checkout", name, "")
			return nil
		}
		rel, err := checkPath(where, name)
		if err != nil {
			return err
		}
		f := filepath.Join(s.o.Dir, filepath.FromSlash(rel))
		if s.visited[f] {
			return fmt.Errorf("%s: <include name=%q> includes itself", where, name)
		}
		s.visited[f] = true
		data, err := s.o.ReadFile(f)
		if err != nil {
			return fmt.Errorf("%s: <include name=%q>: %v", where, name, err)
		}
		err = s.parse(rel, data, depth+1)
		delete(s.visited, f)
		return err
	case "superproject":
		s.r.warn("<superproject> is not carried over (meta clones each project itself)", a["name"], "")
	case "manifest-server", "repo-hooks", "contactinfo", "notice", "submanifest":
		s.r.warn("repo settings meta does not carry over", "<"+el+">", a["name"]+a["url"]+a["in-project"]+a["bugurl"])
	default:
		s.r.warn("repo elements meta does not know are not carried over", "<"+el+">", where)
	}
	return nil
}

func (s *repoState) project(where string, a map[string]string, cur **Project) error {
	name := a["name"]
	if name == "" {
		return fmt.Errorf("%s: a <project> has no name", where)
	}
	remote := a["remote"]
	if remote == "" {
		remote = s.defRem
	}
	rm, ok := s.remotes[remote]
	if !ok {
		return fmt.Errorf("%s: project %q uses remote %q, which no <remote> defines", where, name, remote)
	}
	p := Project{Original: name, URL: rm.fetch + "/" + strings.TrimLeft(name, "/"), Ref: a["revision"], Where: where, Groups: splitGroups(a["groups"])}
	pth := a["path"]
	if pth == "" {
		pth = name
	}
	var err error
	if p.Path, err = checkPath(where, pth); err != nil {
		return err
	}
	if p.Ref == "" {
		p.Ref = rm.revision
	}
	if p.Ref == "" {
		p.Ref = s.defRev
	}
	for k, v := range a {
		switch k {
		case "name", "path", "remote", "revision", "groups":
		case "clone-depth":
			s.r.warn("clone-depth is not carried over; meta clones full history (see 'meta bootstrap --shallow')", name, v)
		case "upstream", "dest-branch":
			s.r.warn("upstream/dest-branch are not carried over", name, k+"="+v)
		default:
			s.r.warn("project attributes meta does not know are not carried over", name, k+"="+v)
		}
	}
	s.projects = append(s.projects, p)
	*cur = &s.projects[len(s.projects)-1]
	return nil
}
