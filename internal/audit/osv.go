// Package audit owns vulnerability auditing against OSV data: the OSV record
// schema, matching a package version against a record with the ecosystem's
// own version ordering, severities from CVSS vectors or database labels, an
// offline database (a directory of OSV JSON records or per-ecosystem all.zip
// files) and a client for the OSV API, both behind one Source interface.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Record is one OSV advisory (https://ossf.github.io/osv-schema/). Fields
// meta does not use are ignored when decoding, so newer schema versions load.
type Record struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         string          `json:"modified,omitempty"`
	Published        string          `json:"published,omitempty"`
	Withdrawn        string          `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []SeverityEntry `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// SeverityEntry is a typed severity score: a CVSS vector or a label.
type SeverityEntry struct {
	Type  string `json:"type"`  // CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu
	Score string `json:"score"` // the vector (or label)
}

// Affected says which versions of one package a record affects.
type Affected struct {
	Package           AffectedPackage `json:"package"`
	Severity          []SeverityEntry `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// AffectedPackage names a package in an ecosystem.
type AffectedPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Range is a list of version events of one type (SEMVER, ECOSYSTEM or GIT).
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one version boundary; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link with a type (ADVISORY, FIX, WEB, ...).
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// ParseRecord decodes one OSV record. Unknown fields are ignored; a record
// without an id, or whose affected entries have no package, is an error.
func ParseRecord(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

func (r *Record) validate() error {
	if strings.TrimSpace(r.ID) == "" {
		return errors.New("not an OSV record: no \"id\"")
	}
	for i, a := range r.Affected {
		if a.Package.Name == "" && a.Package.Purl == "" && len(a.Ranges) == 0 {
			return fmt.Errorf("OSV record %s: affected[%d] names no package", r.ID, i)
		}
	}
	return nil
}

// IDs returns the record's id followed by its aliases.
func (r *Record) IDs() []string {
	return append([]string{r.ID}, r.Aliases...)
}

// databaseSeverity returns database_specific.severity when it is a string.
func databaseSeverity(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var ds struct {
		Severity any `json:"severity"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return ""
	}
	s, _ := ds.Severity.(string)
	return s
}
