package form

import (
	"net/url"
	"slices"
	"time"
)

// Link request limits.
const (
	LinkNameMax = 200
	LinkURLMax  = 2000
)

// LinkCategories are the prohibited categories of Nakano rules 第16条1項
// (1)–(6) a requester confirms do not apply; (7) is the approver's call.
var LinkCategories = []string{"adult", "crime", "defame", "political", "election", "malware"}

// LinkRequestFields is the order of the request form's fields (and its
// error summary).
var LinkRequestFields = []string{"site_name", "url", "content", "administrator", "reason", "start_date", "end_date", "contact", "none"}

// LinkRequest is a request to link to an outside site (第16条3項), as typed.
type LinkRequest struct {
	SiteName, URL, Content, Administrator, Reason, Start, End, Contact string
	None                                                               []string // the categories confirmed not to apply
}

// ParsedLink is what a valid request means.
type ParsedLink struct {
	Start time.Time
	End   *time.Time
}

// Normalize tidies what was typed.
func (f *LinkRequest) Normalize() {
	f.SiteName, f.URL, f.Administrator = Text(f.SiteName), Text(f.URL), Text(f.Administrator)
	f.Start, f.End = Text(f.Start), Text(f.End)
	f.Content, f.Reason, f.Contact = Multiline(f.Content), Multiline(f.Reason), Multiline(f.Contact)
}

// Validate checks every item 第16条3項 asks for, that the address is an
// http(s) one, the dates, and that every prohibited category is confirmed
// not to apply.
func (f *LinkRequest) Validate(loc *time.Location) (ParsedLink, Errors) {
	e := Errors{}
	var p ParsedLink
	text := func(name, v string, max int) {
		e.Required(name, v, max, "form.err.link_"+name+"_required", "form.err.link_long")
	}
	text("site_name", f.SiteName, LinkNameMax)
	text("administrator", f.Administrator, LinkNameMax)
	text("content", f.Content, LinkURLMax)
	text("reason", f.Reason, LinkURLMax)
	text("contact", f.Contact, MessageMax)
	if u, err := url.Parse(f.URL); f.URL == "" || len(f.URL) > LinkURLMax || err != nil ||
		(u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		e.Add("url", "form.err.link_url")
	}
	var ok bool
	if p.Start, ok = Date(f.Start, loc); !ok {
		e.Add("start_date", "form.err.date")
	}
	if f.End != "" {
		end, ok := Date(f.End, loc)
		switch {
		case !ok:
			e.Add("end_date", "form.err.date")
		case e["start_date"] == "" && end.Before(p.Start):
			e.Add("end_date", "form.err.link_end_before_start")
		default:
			p.End = &end
		}
	}
	for _, c := range LinkCategories {
		if !slices.Contains(f.None, c) {
			e.Add("none", "form.err.link_none")
			break
		}
	}
	return p, e
}

// LinkDecision is a site manager's decision on a link request.
type LinkDecision struct {
	Action  string // approve or refuse
	Comment string
}

// Validate checks the action and that a refusal says why.
func (d *LinkDecision) Validate() Errors {
	e := Errors{}
	d.Comment = Multiline(d.Comment)
	switch {
	case d.Action == "refuse" && d.Comment == "":
		e.Add("comment", "form.err.link_comment_required")
	case Len(d.Comment) > MessageMax:
		e.Add("comment", "form.err.message_long")
	}
	return e
}
