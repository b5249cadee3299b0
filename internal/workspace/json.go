package workspace

import "encoding/json"

// The per-component results marshal to what 'meta bootstrap|exec|setup
// --json' print: plain fields, errors as text.

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// MarshalJSON renders a bootstrap result.
func (r BootstrapResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name     string `json:"name"`
		Path     string `json:"path"`
		Action   Action `json:"action"`
		Checkout string `json:"checkout,omitempty"`
		Error    string `json:"error,omitempty"`
		Hint     string `json:"hint,omitempty"`
	}{r.Name, r.Path, r.Action, r.Checkout, errText(r.Err), r.Hint})
}

// MarshalJSON renders an exec result; status is ok, failed or not-cloned.
func (r ExecResult) MarshalJSON() ([]byte, error) {
	status := "ok"
	switch {
	case r.NotCloned:
		status = "not-cloned"
	case r.Err != nil:
		status = "failed"
	}
	return json.Marshal(struct {
		Name     string `json:"name"`
		Dir      string `json:"dir"`
		Status   string `json:"status"`
		ExitCode int    `json:"exit_code"`
		Output   string `json:"output"`
		Error    string `json:"error,omitempty"`
	}{r.Name, r.Dir, status, r.ExitCode, string(r.Output), errText(r.Err)})
}

// MarshalJSON renders a setup result; status is ok, nothing (no setup
// commands), failed or skipped (skipped_by names the failed dependency).
func (r SetupResult) MarshalJSON() ([]byte, error) {
	status := "ok"
	switch {
	case r.SkippedBy != "":
		status = "skipped"
	case r.Err != nil:
		status = "failed"
	case r.Ran == 0:
		status = "nothing"
	}
	return json.Marshal(struct {
		Name      string `json:"name"`
		Status    string `json:"status"`
		Ran       int    `json:"commands_run"`
		SkippedBy string `json:"skipped_by,omitempty"`
		Output    string `json:"output"`
		Error     string `json:"error,omitempty"`
	}{r.Name, status, r.Ran, r.SkippedBy, string(r.Output), errText(r.Err)})
}
