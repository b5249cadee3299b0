package userconfig

// ColorOn is whether to colour output: the user's color setting when it
// is "always" or "never", else auto (what the terminal allows).
func (c Config) ColorOn(auto bool) bool {
	switch c.Color {
	case "always":
		return true
	case "never":
		return false
	}
	return auto
}
