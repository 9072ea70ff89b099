package form

import (
	"slices"
	"strings"
)

// Account administration: ward staff's forms for suspending, reinstating
// and creating accounts. A member's data is corrected with Profile, the
// registration's own form, so a correction is normalised as it was typed in.

// Status changes an account form may ask for (the same words as db's).
const (
	StatusSuspend   = "suspend"
	StatusReinstate = "reinstate"
	ReasonMax       = 200
)

// AccountStatus is a suspension or reinstatement with its reason.
type AccountStatus struct {
	Change string
	Reason string
}

// Normalize keeps the reason on one line, as typed.
func (s *AccountStatus) Normalize() {
	s.Change = Fold(s.Change)
	s.Reason = Text(s.Reason)
}

// Validate needs a known change and a reason: a suspension nobody can
// explain later is not on record.
func (s *AccountStatus) Validate() Errors {
	e := Errors{}
	if s.Change != StatusSuspend && s.Change != StatusReinstate {
		e.Add("change", "form.err.status_change")
	}
	e.Required("reason", s.Reason, ReasonMax, "form.err.status_reason", "form.err.status_reason_long")
	return e
}

// StaffAccount is ward staff's form for a new staff account.
type StaffAccount struct {
	LoginID   string
	Name      string
	Roles     []string
	Divisions []string
}

// StaffAccountFields is the order of the form's fields.
var StaffAccountFields = []string{"login_id", "name", "roles", "divisions"}

// StaffNameMax is the longest display name of a staff account.
const StaffNameMax = 40

// Normalize folds the login ID to lower case and keeps the name as typed.
func (s *StaffAccount) Normalize() {
	s.LoginID = strings.ToLower(Fold(s.LoginID))
	s.Name = Text(s.Name)
	for i := range s.Divisions {
		s.Divisions[i] = Fold(s.Divisions[i])
	}
}

// Validate checks the form against the roles there are and the divisions
// that exist, and returns the ticked divisions' ids.
func (s *StaffAccount) Validate(roles []string, divisions []int64) ([]int64, Errors) {
	e := Errors{}
	if !loginIDOK(s.LoginID) {
		e.Add("login_id", "form.err.login_id")
	}
	switch {
	case Len(s.Name) < 2:
		e.Add("name", "form.err.staff_name")
	case Len(s.Name) > StaffNameMax:
		e.Add("name", "form.err.staff_name")
	}
	if len(s.Roles) == 0 {
		e.Add("roles", "staff_accounts.err.no_roles")
	}
	for _, r := range s.Roles {
		if !slices.Contains(roles, r) {
			e.Add("roles", "staff_accounts.err.no_roles")
		}
	}
	var ids []int64
	for _, d := range s.Divisions {
		id, ok := ID(d)
		if !ok || !slices.Contains(divisions, id) {
			e.Add("divisions", "form.err.divisions")
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, e
}

// loginIDOK is the rule for login IDs staff choose: 4–32 of a–z, 0–9, - and _.
func loginIDOK(s string) bool {
	return len(s) >= 4 && len(s) <= 32 && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}
