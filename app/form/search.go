package form

import "slices"

// SiteSearch is the site search's query (/search?q=&kind=): the words, as
// the board's search reads them, and optionally one kind to list further.
type SiteSearch struct {
	Q    string
	Kind string
}

// Normalize folds the words as the board's search does and trims the kind.
func (s *SiteSearch) Normalize() {
	s.Q, s.Kind = SearchQuery(s.Q), Fold(s.Kind)
}

// Validate accepts only a kind of kinds (or none).
func (s SiteSearch) Validate(kinds []string) Errors {
	e := Errors{}
	if s.Kind != "" && !slices.Contains(kinds, s.Kind) {
		e.Add("kind", "form.err.choice")
	}
	return e
}
