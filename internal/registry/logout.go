package registry

// Logout forgets the token stored for the session's registry, and says
// which registry that was and whether a token was stored.
func (s *Session) Logout() (*Named, bool, error) {
	r, err := s.Config.Pick(s.Name)
	if err != nil {
		return nil, false, err
	}
	had, err := s.Config.Logout(r)
	return r, had, err
}
