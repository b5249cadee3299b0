package store

import (
	"context"
	"slices"
)

// Listed is an entry as 'meta store list' and 'meta store query' show it:
// its metadata, where it is (query only) and whether it is pinned.
type Listed struct {
	Metadata
	Path   string `json:"path,omitempty"`
	Pinned bool   `json:"pinned"`
}

// ListPinned returns every entry (as List) with whether it is pinned.
func (s *Store) ListPinned() ([]Listed, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	pins, err := s.Pins()
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(list))
	for _, m := range list {
		out = append(out, Listed{Metadata: m, Pinned: slices.Contains(pins, m.Hash)})
	}
	return out, nil
}

// Describe returns the entry hash (a full hash) with its path and whether
// it is pinned.
func (s *Store) Describe(hash string) (Listed, error) {
	m, err := s.Query(hash)
	if err != nil {
		return Listed{}, err
	}
	pins, err := s.Pins()
	if err != nil {
		return Listed{}, err
	}
	return Listed{Metadata: m, Path: s.Path(hash), Pinned: slices.Contains(pins, hash)}, nil
}

// VerifyReport is what VerifyAll found.
type VerifyReport struct {
	Verified int       `json:"verified"` // entries checked, damaged ones included
	Corrupt  []Corrupt `json:"corrupt"`  // never nil
}

// Corrupt is one damaged entry; Name is empty when its metadata cannot be
// read.
type Corrupt struct {
	Hash   string `json:"hash"`
	Name   string `json:"name,omitempty"`
	Path   string `json:"path,omitempty"`
	Reason string `json:"reason"`
}

// VerifyAll re-hashes every entry (as Verify) and names the damaged ones.
func (s *Store) VerifyAll(ctx context.Context) (VerifyReport, error) {
	bad, err := s.Verify(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	list, err := s.List()
	if err != nil {
		return VerifyReport{}, err
	}
	names := map[string]string{}
	for _, m := range list {
		names[m.Hash] = m.Name
	}
	r := VerifyReport{Verified: len(list), Corrupt: []Corrupt{}}
	for _, ce := range bad {
		if _, ok := names[ce.Hash]; !ok {
			r.Verified++ // List could not show it: its metadata is unreadable
		}
		r.Corrupt = append(r.Corrupt, Corrupt{Hash: ce.Hash, Name: names[ce.Hash], Path: ce.Path, Reason: ce.Reason})
	}
	return r, nil
}

// AddReport is what 'meta store add --json' prints about an added entry.
type AddReport struct {
	Hash    string `json:"hash"`
	Name    string `json:"name"`
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Files   int    `json:"files"`
	Existed bool   `json:"existed"`
	Pinned  bool   `json:"pinned"`
}

// Report describes e, added with pinned as the --pin choice.
func (e Entry) Report(pinned bool) AddReport {
	return AddReport{Hash: e.Hash, Name: e.Name, Path: e.Path, Size: e.Size, Files: e.Files, Existed: e.Existed, Pinned: pinned}
}
