package form

import (
	"net/mail"
	"regexp"
	"strings"
)

// Errors maps a field name to the catalogue id of what is wrong with it.
type Errors map[string]string

// Add records the first problem of a field; later ones wait for the next try.
func (e Errors) Add(field, id string) {
	if _, ok := e[field]; !ok {
		e[field] = id
	}
}

// Any reports whether there is a problem.
func (e Errors) Any() bool { return len(e) > 0 }

var (
	postalRe = regexp.MustCompile(`^\d{3}-?\d{4}$`)
	phoneRe  = regexp.MustCompile(`^0\d{1,4}-?\d{1,4}-?\d{3,4}$`)
)

// PostalCode normalises to NNN-NNNN; ok is false when it is not 7 digits.
func PostalCode(s string) (string, bool) {
	s = Digits(s)
	if !postalRe.MatchString(s) {
		return s, false
	}
	s = strings.ReplaceAll(s, "-", "")
	return s[:3] + "-" + s[3:], true
}

// Phone normalises a Japanese phone or FAX number; ok is false unless it
// starts with 0 and has 10 or 11 digits.
func Phone(s string) (string, bool) {
	s = Digits(s)
	n := len(strings.ReplaceAll(s, "-", ""))
	return s, phoneRe.MatchString(s) && (n == 10 || n == 11)
}

// Email normalises an address (lower-case domain); ok is false unless it is
// a plain addr-spec without a display name.
func Email(s string) (string, bool) {
	s = Fold(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		return s, false
	}
	at := strings.LastIndex(s, "@")
	return s[:at] + "@" + strings.ToLower(s[at+1:]), true
}
