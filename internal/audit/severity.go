package audit

import (
	"fmt"
	"math"
	"strings"
)

// Severity is a qualitative rating, ordered from unknown to critical.
type Severity int

// Severity ratings; the CVSS v3 bands are none 0, low 0.1–3.9, medium
// 4.0–6.9, high 7.0–8.9, critical 9.0–10.
const (
	SeverityUnknown Severity = iota
	SeverityNone
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unknown", "none", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// MarshalText writes the rating's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads a rating name; GitHub's "moderate" is medium.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none":
		return SeverityNone, nil
	case "low":
		return SeverityLow, nil
	case "medium", "moderate":
		return SeverityMedium, nil
	case "high":
		return SeverityHigh, nil
	case "critical":
		return SeverityCritical, nil
	case "unknown":
		return SeverityUnknown, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want none, low, medium, high or critical)", s)
}

// ratingOf maps a CVSS base score to its rating.
func ratingOf(score float64) Severity {
	switch {
	case score <= 0:
		return SeverityNone
	case score < 4:
		return SeverityLow
	case score < 7:
		return SeverityMedium
	case score < 9:
		return SeverityHigh
	}
	return SeverityCritical
}

// Rating is the severity meta assigns to a record and how it got it.
type Rating struct {
	Severity Severity
	Score    float64 // CVSS base score, 0 when not computed
	From     string  // "CVSS_V3", "database" or "" when unknown
}

// Rate returns the record's severity: the base score of its CVSS v3
// vector (record level, else the first affected entry with one), else the
// database's own label (database_specific.severity, as GitHub and others
// write it), else unknown. CVSS v4 vectors are not scored; a record with
// only a v4 vector and no label is unknown.
func (r *Record) Rate() Rating {
	sev := r.Severity
	for _, a := range r.Affected {
		sev = append(sev, a.Severity...)
	}
	for _, s := range sev {
		if s.Type != "CVSS_V3" {
			continue
		}
		if score, err := CVSS3BaseScore(s.Score); err == nil {
			return Rating{Severity: ratingOf(score), Score: score, From: "CVSS_V3"}
		}
	}
	labels := []string{databaseSeverity(r.DatabaseSpecific)}
	for _, a := range r.Affected {
		labels = append(labels, databaseSeverity(a.DatabaseSpecific), databaseSeverity(a.EcosystemSpecific))
	}
	for _, l := range labels {
		if s, err := ParseSeverity(l); err == nil && l != "" && s != SeverityUnknown {
			return Rating{Severity: s, From: "database"}
		}
	}
	return Rating{}
}

var (
	cvssAV = map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
	cvssAC = map[string]float64{"L": 0.77, "H": 0.44}
	cvssUI = map[string]float64{"N": 0.85, "R": 0.62}
	cvssCI = map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
)

// CVSS3BaseScore computes the base score of a CVSS v3.0 or v3.1 vector
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") with the formula of the
// CVSS v3.1 specification, section 7.1, including its Roundup function.
func CVSS3BaseScore(vector string) (float64, error) {
	parts := strings.Split(strings.TrimSpace(vector), "/")
	if len(parts) == 0 || (parts[0] != "CVSS:3.1" && parts[0] != "CVSS:3.0") {
		return 0, fmt.Errorf("CVSS vector %q: not CVSS 3.0 or 3.1", vector)
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok || k == "" || v == "" {
			return 0, fmt.Errorf("CVSS vector %q: bad metric %q", vector, p)
		}
		if _, dup := m[k]; dup {
			return 0, fmt.Errorf("CVSS vector %q: metric %s given twice", vector, k)
		}
		m[k] = v
	}
	get := func(table map[string]float64, k string) (float64, error) {
		v, ok := table[m[k]]
		if !ok {
			return 0, fmt.Errorf("CVSS vector %q: missing or bad base metric %s", vector, k)
		}
		return v, nil
	}
	scope := m["S"]
	if scope != "U" && scope != "C" {
		return 0, fmt.Errorf("CVSS vector %q: missing or bad base metric S", vector)
	}
	changed := scope == "C"
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}
	if changed {
		pr = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}
	}
	var vals [7]float64
	var err error
	for i, k := range []struct {
		t map[string]float64
		k string
	}{{cvssAV, "AV"}, {cvssAC, "AC"}, {pr, "PR"}, {cvssUI, "UI"}, {cvssCI, "C"}, {cvssCI, "I"}, {cvssCI, "A"}} {
		if vals[i], err = get(k.t, k.k); err != nil {
			return 0, err
		}
	}
	av, ac, prv, ui, c, in, a := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
	iss := 1 - (1-c)*(1-in)*(1-a)
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	if impact <= 0 {
		return 0, nil
	}
	expl := 8.22 * av * ac * prv * ui
	if changed {
		return roundup(math.Min(1.08*(impact+expl), 10)), nil
	}
	return roundup(math.Min(impact+expl, 10)), nil
}

// roundup is CVSS v3.1's Roundup: the smallest number with one decimal
// place that is equal to or higher than x, robust to float error.
func roundup(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}
