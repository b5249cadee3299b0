package importer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/metawork/meta/internal/yamlpos"
)

// remoteCheckTimeout bounds how long one remote may take to list its refs.
const remoteCheckTimeout = 20 * time.Second

func importVcstool(ctx context.Context, r *Result, file string, data []byte, o Options) error {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return err
	}
	repos := root.Get("repositories")
	if repos == nil || repos.Kind != yamlpos.Map {
		return yamlpos.Errorf(file, root, "expected a top-level 'repositories:' mapping (vcstool .repos)")
	}
	for i, k := range repos.Keys {
		v := repos.Values[i]
		if t := v.Get("type"); t != nil && t.Value != "git" {
			r.warn("non-git repositories are skipped (meta manages git repositories only)", k.Value, fmt.Sprintf("%s:%d: type %s", file, t.Line, t.Value))
			continue
		}
		u := v.Get("url")
		if u == nil {
			return yamlpos.Errorf(file, v, "repository %q needs a 'url'", k.Value)
		}
		where := fmt.Sprintf("%s:%d", file, k.Line)
		p, err := checkPath(where, k.Value)
		if err != nil {
			return err
		}
		pr := Project{Original: k.Value, Path: p, URL: u.Value, Where: where}
		if isRelativeURL(pr.URL) {
			if o.ManifestURL == "" {
				return &RelativeURLError{Where: fmt.Sprintf("%s:%d", file, u.Line), URL: u.Value, What: fmt.Sprintf("repository %q url", k.Value)}
			}
			if pr.URL, err = resolveURL(o.ManifestURL, pr.URL, true); err != nil {
				return yamlpos.Errorf(file, u, "%v", err)
			}
		}
		if ver := v.Get("version"); ver != nil {
			pr.Ref = ver.Value
		}
		for _, key := range v.Keys {
			switch key.Value {
			case "type", "url", "version":
			default:
				r.warn("repository keys meta does not know are not carried over", k.Value, key.Value)
			}
		}
		r.Projects = append(r.Projects, pr)
	}
	classifyVersions(ctx, r, o)
	return nil
}

// classifyVersions decides, for each vcstool version that is not a
// commit, whether it is a branch or a tag: from the remote when it can
// be listed, otherwise by its form (a full version number is taken as a
// tag, anything else as a branch), saying what was assumed.
func classifyVersions(ctx context.Context, r *Result, o Options) {
	var idx []int
	for i, p := range r.Projects {
		if p.Ref != "" && !isCommit(p.Ref) {
			idx = append(idx, i)
		}
	}
	if o.RemoteRefs != nil {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, i := range idx {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				p := &r.Projects[i]
				cctx, cancel := context.WithTimeout(ctx, remoteCheckTimeout)
				defer cancel()
				branches, tags, err := o.RemoteRefs(cctx, p.URL)
				if err != nil {
					return
				}
				switch {
				case branches[p.Ref]:
					p.refKind, p.refChecked = "branch", true
				case tags[p.Ref]:
					p.refKind, p.refChecked = "tag", true
				default:
					p.refChecked = true
					p.refKind = "missing"
				}
			}()
		}
		wg.Wait()
	}
	for _, i := range idx {
		p := &r.Projects[i]
		switch {
		case p.refKind == "missing":
			p.refKind = ""
			r.warn("versions the remote has no branch or tag for (kept as written)", p.Original, p.Ref)
		case p.refChecked:
		case fullVersion.MatchString(p.Ref):
			p.refKind = "tag"
			r.warn("versions assumed to be tags (the remote could not be checked; a full version number)", p.Original, p.Ref)
		default:
			p.refKind = "branch"
			r.warn("versions assumed to be branches (the remote could not be checked)", p.Original, p.Ref)
		}
	}
}
