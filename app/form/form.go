package form

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
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

// Required records requiredID when value is empty and tooLongID when it
// has more than max characters: the check of every required text field.
func (e Errors) Required(field, value string, max int, requiredID, tooLongID string) {
	switch {
	case value == "":
		e.Add(field, requiredID)
	case Len(value) > max:
		e.Add(field, tooLongID)
	}
}

// Merge adds o's messages for fields that have none yet.
func (e Errors) Merge(o Errors) {
	for f, id := range o {
		e.Add(f, id)
	}
}

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

// The years a date typed into a form or a filter may have. Go's calendar has
// a year 0 and PostgreSQL's does not, and nothing the ward runs lies outside
// these; refusing them here keeps such dates from ever reaching a query.
const (
	MinYear = 1900
	MaxYear = 2199
)

// inYears reports whether t falls in MinYear–MaxYear.
func inYears(t time.Time) bool { return t.Year() >= MinYear && t.Year() <= MaxYear }

// Date reads a date typed as YYYY-MM-DD (any width) as midnight in loc; ok
// is false for anything else, including a year outside MinYear–MaxYear.
func Date(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", Fold(s), loc)
	return t, err == nil && inYears(t)
}

// Month reads a month typed as YYYY-MM (any width) as the first of the month
// in loc; ok is false for anything else, including a year out of range.
func Month(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01", Fold(s), loc)
	return t, err == nil && inYears(t)
}

// Int reads a whole number typed in any width; ok is false unless it lies in
// [min, max]: a minus sign is a minus sign (-5 is not 5), and a number the
// database column cannot hold is refused here with a message, not there.
func Int(s string, min, max int) (int, bool) {
	n, err := strconv.Atoi(Fold(s))
	return n, err == nil && n >= min && n <= max
}

// ID reads a positive database id typed in any width; ok is false for
// anything else.
func ID(s string) (int64, bool) {
	n, err := strconv.ParseInt(Fold(s), 10, 64)
	return n, err == nil && n > 0
}
