package form

import (
	"slices"
	"time"

	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/db"
)

// Limits of the newsletter's texts.
const (
	NewsletterListNameMax = 60
	NewsletterListDescMax = 400
	NewsletterSubjectMax  = 120
)

// NewsletterSubscribeFields are the subscription form's fields in order.
var NewsletterSubscribeFields = []string{"email", "lists"}

// NewsletterSubscribe is a visitor's subscription: an address and lists.
type NewsletterSubscribe struct {
	Email string
	Lists []string // list ids
}

// Normalize folds the address (its domain in lower case) and the ids.
func (f *NewsletterSubscribe) Normalize() {
	if e, ok := Email(f.Email); ok {
		f.Email = e
	} else {
		f.Email = Fold(f.Email)
	}
	for i := range f.Lists {
		f.Lists[i] = Fold(f.Lists[i])
	}
}

// Validate checks the address and that every list is one offered (lists).
func (f *NewsletterSubscribe) Validate(lists []string) Errors {
	e := Errors{}
	if _, ok := Email(f.Email); !ok || Len(f.Email) > 254 {
		e.Add("email", "form.err.email")
	}
	if len(f.Lists) == 0 {
		e.Add("lists", "newsletter.err.lists")
	}
	for _, l := range f.Lists {
		if !slices.Contains(lists, l) {
			e.Add("lists", "form.err.choice")
		}
	}
	return e
}

// ListIDs are the chosen lists as ids; call after Validate.
func ListIDs(ids []string) []int64 {
	out := make([]int64, 0, len(ids))
	for _, s := range ids {
		if n, ok := ID(s); ok && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// NewsletterListFields are the list form's fields in order.
var NewsletterListFields = []string{"name", "description", "active"}

// NewsletterList is a newsletter list as staff edit it.
type NewsletterList struct {
	Name        string
	Description string
	Active      bool
}

// Normalize tidies the texts.
func (f *NewsletterList) Normalize() {
	f.Name, f.Description = Text(f.Name), Multiline(f.Description)
}

// Validate checks the name and the description.
func (f *NewsletterList) Validate() Errors {
	e := Errors{}
	e.Required("name", f.Name, NewsletterListNameMax, "newsletter.err.name_required", "form.err.too_long")
	if Len(f.Description) > NewsletterListDescMax {
		e.Add("description", "form.err.too_long")
	}
	return e
}

// NewsletterIssueFields are the issue form's fields in order.
var NewsletterIssueFields = []string{"division", "subject", "body", "lists", "town", "from", "to", "joined"}

// NewsletterIssue is an issue as staff compose it: the owning division, the
// subject, the Markdown body (the publishing editor's format), the lists
// and the optional segment (the member export's filters).
type NewsletterIssue struct {
	Division, Subject, Body string
	Lists                   []string
	Town, From, To, Joined  string
}

// Normalize tidies the texts and folds the numbers and dates.
func (f *NewsletterIssue) Normalize() {
	f.Division = Fold(f.Division)
	f.Subject, f.Town = Text(f.Subject), Text(f.Town)
	f.Body = Multiline(f.Body)
	f.From, f.To = Fold(f.From), Fold(f.To)
	for i := range f.Lists {
		f.Lists[i] = Fold(f.Lists[i])
	}
}

// Validate checks the form against the divisions and lists offered, and
// returns the issue it describes (lists apart: see ListIDs).
func (f *NewsletterIssue) Validate(divisions, lists []string, jst *time.Location) (db.NewsletterIssue, Errors) {
	e := Errors{}
	var is db.NewsletterIssue
	if !slices.Contains(divisions, f.Division) {
		e.Add("division", "form.err.choice")
	}
	is.DivisionID, _ = ID(f.Division)
	e.Required("subject", f.Subject, NewsletterSubjectMax, "newsletter.err.subject_required", "form.err.too_long")
	e.Required("body", f.Body, markup.MaxSource, "newsletter.err.body_required", "form.err.too_long")
	is.Subject, is.Body = f.Subject, f.Body
	if len(f.Lists) == 0 {
		e.Add("lists", "newsletter.err.lists")
	}
	for _, l := range f.Lists {
		if !slices.Contains(lists, l) {
			e.Add("lists", "form.err.choice")
		}
	}
	if Len(f.Town) > ShortMax {
		e.Add("town", "form.err.too_long")
	}
	r := DateRange{From: f.From, To: f.To, Loc: jst}
	e.Merge(r.Validate())
	from, to := r.Bounds()
	if from != nil && to != nil && !to.After(*from) {
		e.Add("to", "form.err.to_before_from")
	}
	if f.Joined != "" && f.Joined != "yes" && f.Joined != "no" {
		e.Add("joined", "form.err.choice")
	}
	is.Segment = db.NewsletterSegment{Town: f.Town, From: from, To: to, Joined: f.Joined}
	return is, e
}

// NewsletterSendFields are the send form's fields.
var NewsletterSendFields = []string{"send_date", "send_time"}

// NewsletterSend is when to send: both empty for now.
type NewsletterSend struct {
	Date, Time string
}

// Normalize folds the date and time.
func (f *NewsletterSend) Normalize() { f.Date, f.Time = Fold(f.Date), Fold(f.Time) }

// Validate returns when to send: now when both fields are empty, else a
// moment not in the past.
func (f *NewsletterSend) Validate(now time.Time, jst *time.Location) (time.Time, Errors) {
	e := Errors{}
	at, ok := dateTime(f.Date, f.Time, jst, "send_date", "send_time", false, e)
	if !ok {
		return now, e
	}
	if at.IsZero() {
		return now, e
	}
	if at.Before(now.Truncate(time.Minute)) {
		e.Add("send_date", "newsletter.err.past")
	}
	return at, e
}
