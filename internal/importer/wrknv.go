package importer

import (
	"fmt"
	"path"
	"strings"

	"github.com/BurntSushi/toml"
)

// wrknvFile is the part of provide-workspace's wrknv.toml that lists the
// sibling repositories: [[siblings]] with name, path (relative to the
// file, usually ../NAME) and repo.
type wrknvFile struct {
	Workspace struct {
		Name string `toml:"name"`
	} `toml:"workspace"`
	Siblings []struct {
		Name string `toml:"name"`
		Path string `toml:"path"`
		Repo string `toml:"repo"`
	} `toml:"siblings"`
}

func importWrknv(r *Result, file string, data []byte) error {
	var f wrknvFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		if pe, ok := err.(toml.ParseError); ok {
			return fmt.Errorf("%s:%d: %v", file, pe.Position.Line, pe.Message)
		}
		return fmt.Errorf("%s: %v", file, err)
	}
	if len(f.Siblings) == 0 {
		return fmt.Errorf("%s: no [[siblings]] tables (provide-workspace lists its repositories as [[siblings]] with name, path and repo)", file)
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "siblings" && len(k) == 2 {
			r.warn("sibling keys meta does not know are not carried over", k.String(), "")
		}
	}
	for i, s := range f.Siblings {
		where := fmt.Sprintf("%s: siblings[%d]", file, i)
		if s.Name == "" || s.Repo == "" {
			return fmt.Errorf("%s: a sibling needs name and repo", where)
		}
		if isRelativeURL(s.Repo) {
			return fmt.Errorf("%s: repo %q must be a URL", where, s.Repo)
		}
		p := s.Path
		if p == "" {
			p = "../" + s.Name
		}
		// Paths are relative to the file's directory, the workspace's own
		// repository, whose parent is the workspace root.
		rel, ok := strings.CutPrefix(path.Clean(p), "../")
		if !ok {
			return fmt.Errorf("%s: path %q is not beside the workspace repository (../NAME); meta places components under the workspace root", where, s.Path)
		}
		cp, err := checkPath(where, rel)
		if err != nil {
			return err
		}
		r.Projects = append(r.Projects, Project{Original: s.Name, URL: s.Repo, Path: cp, Where: where, Ref: ""})
	}
	return nil
}
