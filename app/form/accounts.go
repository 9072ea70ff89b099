package form

import (
	"regexp"
	"strings"
)

// TermsVersion is the version of the terms of use (the prohibited acts of the
// site) a registration agrees to; it is stored with the profile.
const TermsVersion = "2026-04"

// Limits stated on the forms.
const (
	NameMax     = 40
	AddressMax  = 120
	HandleMin   = 2
	HandleMax   = 20
	PasswordMin = 10
	PasswordMax = 128
)

// Profile is the personal data a resident gives (registration and /account).
type Profile struct {
	Name       string
	NameKana   string
	PostalCode string
	Address    string
	Phone      string
	Fax        string
	Email      string
	Handle     string
}

// ProfileFields is the order fields appear in, for the error summary.
var ProfileFields = []string{"name", "name_kana", "postal_code", "address", "phone", "fax", "email", "handle"}

// Normalize folds widths and kana in what identifies or reaches the member
// (kana name, postal code, address, phone, FAX, e-mail), so lookups, mail
// merges and the ward's sheets find them; the name and the handle are the
// member's own words and are kept as typed.
func (p *Profile) Normalize() {
	p.Name = Text(p.Name)
	p.NameKana = Katakana(p.NameKana)
	p.Address = Fold(p.Address)
	p.Handle = Text(p.Handle)
	if v, ok := PostalCode(p.PostalCode); ok {
		p.PostalCode = v
	} else {
		p.PostalCode = Fold(p.PostalCode)
	}
	if v, ok := Phone(p.Phone); ok {
		p.Phone = v
	} else {
		p.Phone = Fold(p.Phone)
	}
	if v, ok := Phone(p.Fax); ok {
		p.Fax = v
	} else {
		p.Fax = Fold(p.Fax)
	}
	if v, ok := Email(p.Email); ok {
		p.Email = v
	} else {
		p.Email = Fold(p.Email)
	}
}

// Validate returns a message id per bad field. Call Normalize first.
func (p *Profile) Validate() Errors {
	e := Errors{}
	switch {
	case p.Name == "":
		e.Add("name", "form.err.name_required")
	case Len(p.Name) > NameMax:
		e.Add("name", "form.err.name_long")
	}
	switch {
	case p.NameKana == "":
		e.Add("name_kana", "form.err.kana_required")
	case !IsKatakana(p.NameKana):
		e.Add("name_kana", "form.err.kana_only")
	case Len(p.NameKana) > NameMax:
		e.Add("name_kana", "form.err.name_long")
	}
	if _, ok := PostalCode(p.PostalCode); !ok {
		e.Add("postal_code", "form.err.postal")
	}
	switch {
	case p.Address == "":
		e.Add("address", "form.err.address_required")
	case Len(p.Address) > AddressMax:
		e.Add("address", "form.err.address_long")
	}
	if _, ok := Phone(p.Phone); !ok {
		e.Add("phone", "form.err.phone")
	}
	if p.Fax != "" {
		if _, ok := Phone(p.Fax); !ok {
			e.Add("fax", "form.err.fax")
		}
	}
	if _, ok := Email(p.Email); !ok {
		e.Add("email", "form.err.email")
	}
	switch {
	case Len(p.Handle) < HandleMin || Len(p.Handle) > HandleMax:
		e.Add("handle", "form.err.handle_length")
	case strings.HasPrefix(strings.ToLower(p.Handle), "withdrawn-"):
		e.Add("handle", "form.err.handle_reserved")
	}
	return e
}

// Town extracts the town (町名) from an address in the ward, the only part of
// an address the Nakano rules allow to be published, for statistics and filters.
func Town(address string) string {
	a := Fold(address) // the block number may be typed in full-width digits
	for _, p := range []string{"東京都", "新宿区"} {
		a = strings.TrimPrefix(a, p)
	}
	m := townRe.FindStringSubmatch(a)
	if m == nil {
		return ""
	}
	return m[1]
}

// townRe takes what comes before the block number: 二丁目, or digits.
var townRe = regexp.MustCompile(`^(.+?)(?:[一二三四五六七八九十]+丁目|[0-9])`)

// Registration is the sign-up form: the profile plus agreement to the terms.
type Registration struct {
	Profile
	Agree bool
}

// Validate checks the profile and the agreement.
func (r *Registration) Validate() Errors {
	e := r.Profile.Validate()
	if !r.Agree {
		e.Add("agree", "form.err.agree")
	}
	return e
}

// GroupAccount is ward staff's form for a group's paper application.
type GroupAccount struct {
	Name    string
	LoginID string
}

// Normalize keeps the group's name as typed and folds the login ID.
func (g *GroupAccount) Normalize() {
	g.Name = Text(g.Name)
	g.LoginID = strings.ToLower(Fold(g.LoginID))
}

// Validate checks the group name and login ID.
func (g *GroupAccount) Validate() Errors {
	e := Errors{}
	if Len(g.Name) < 2 || Len(g.Name) > 60 {
		e.Add("name", "form.err.group_name")
	}
	if len(g.LoginID) < 4 || len(g.LoginID) > 32 || strings.IndexFunc(g.LoginID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		e.Add("login_id", "form.err.login_id")
	}
	return e
}
