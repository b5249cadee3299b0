package store

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// HumanSize formats a byte count with binary units ("512 B", "1.5 KiB").
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func yesNo(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] }

func sizeAndBytes(n int64) string { return fmt.Sprintf("%s (%d)", HumanSize(n), n) }

// ListHeader is the header row of 'meta store list'.
var ListHeader = []string{"HASH", "NAME", "SIZE", "FILES", "CREATED", "PINNED"}

// ListRows are the rows of 'meta store list' (never nil).
func ListRows(list []Listed) [][]string {
	rows := [][]string{}
	for _, e := range list {
		rows = append(rows, []string{e.Hash[:12], e.Name, HumanSize(e.Size), strconv.Itoa(e.Files), e.Created.Format(time.RFC3339), yesNo(e.Pinned)})
	}
	return rows
}

// Rows are the label/value rows 'meta store query' shows for e.
func (e Listed) Rows() [][]string {
	rows := [][]string{{"hash:", e.Hash}, {"name:", e.Name}, {"size:", fmt.Sprintf("%s (%d bytes)", HumanSize(e.Size), e.Size)},
		{"files:", fmt.Sprintf("%d (%d directories, %d symlinks)", e.Files, e.Dirs, e.Symlinks)},
		{"created:", e.Created.Format(time.RFC3339)}, {"pinned:", yesNo(e.Pinned)}, {"path:", e.Path}}
	for _, k := range slices.Sorted(maps.Keys(e.Inputs)) {
		rows = append(rows, []string{"input:", k + "=" + e.Inputs[k]})
	}
	for _, r := range e.References {
		rows = append(rows, []string{"reference:", r})
	}
	return rows
}

// Rows are the label/value rows 'meta store stats' shows.
func (s Stats) Rows() [][]string {
	return [][]string{{"entries:", fmt.Sprintf("%d (%d pinned)", s.Entries, s.Pins)}, {"files:", strconv.FormatInt(s.Files, 10)},
		{"bytes:", sizeAndBytes(s.Bytes)}, {"on disk:", sizeAndBytes(s.DiskBytes)}, {"saved by dedup:", sizeAndBytes(s.DedupSaved)}}
}

// Lines are the lines 'meta store verify' prints: one per damaged entry,
// or one saying all is well.
func (r VerifyReport) Lines() []string {
	if len(r.Corrupt) == 0 {
		return []string{fmt.Sprintf("ok: %d entries verified", r.Verified)}
	}
	var out []string
	for _, ce := range r.Corrupt {
		where := ce.Reason
		if ce.Path != "" {
			where = ce.Path + ": " + ce.Reason
		}
		out = append(out, fmt.Sprintf("corrupt: %s %s: %s", ce.Hash, cmp.Or(ce.Name, "?"), where))
	}
	return out
}
