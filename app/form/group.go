package form

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Limits of the group profile form, stated on it.
const (
	GroupSummaryMax = 80
	GroupTextMax    = 2000
	GroupShortMax   = 200
	GroupLinksMax   = 5
	GroupLinkMax    = 500
)

// GroupProfileFields are the profile form's fields in the order shown.
var GroupProfileFields = []string{"summary", "description", "fields", "areas", "days", "activity", "places",
	"how_to_join", "fees", "contact", "contact_own", "links", "images"}

// GroupProfile is a group's profile as typed. Fields, Areas and Days are
// slugs of the ward's lists; Links one address a line; Images the ids of
// the group's uploaded images to show.
type GroupProfile struct {
	Summary, Description, Activity, Places, HowToJoin, Fees, Contact string
	Fields, Areas, Days                                              []string
	Links                                                            string
	ContactOwn                                                       bool // the group confirms the contact is its own
	Images                                                           []string
}

// Normalize tidies the texts and drops repeated choices.
func (f *GroupProfile) Normalize() {
	f.Summary, f.Places, f.Fees, f.Contact = Text(f.Summary), Text(f.Places), Text(f.Fees), Text(f.Contact)
	f.Description, f.Activity, f.HowToJoin = Multiline(f.Description), Multiline(f.Activity), Multiline(f.HowToJoin)
	f.Links = Multiline(f.Links)
	for _, p := range []*[]string{&f.Fields, &f.Areas, &f.Days, &f.Images} {
		var out []string
		for _, v := range *p {
			if v = Fold(v); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		*p = out
	}
}

// LinkList returns the links, one a line, without empty lines.
func (f *GroupProfile) LinkList() []string {
	var out []string
	for _, l := range strings.Split(f.Links, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var (
	contactEmailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	contactPhoneRe = regexp.MustCompile(`0\d{1,4}-?\d{1,4}-?\d{3,4}`)
)

// ContactParts returns the e-mail addresses and phone numbers in the
// contact, for the check that none is a member's personal one.
func (f *GroupProfile) ContactParts() (emails, phones []string) {
	c := Digits(Fold(f.Contact))
	return contactEmailRe.FindAllString(Fold(f.Contact), -1), contactPhoneRe.FindAllString(c, -1)
}

// Validate checks the texts, that every choice is from the ward's lists
// (fields, areas, days) and the group's images (images), the links, and
// that a contact comes with the group's confirmation that it is its own.
func (f *GroupProfile) Validate(fields, areas, days, images []string) Errors {
	e := Errors{}
	if Len(f.Summary) > GroupSummaryMax {
		e.Add("summary", "form.err.too_long")
	}
	e.Required("description", f.Description, GroupTextMax, "groups.err.description_required", "form.err.too_long")
	for _, t := range []struct {
		name, v string
		max     int
	}{{"activity", f.Activity, GroupTextMax}, {"how_to_join", f.HowToJoin, GroupTextMax},
		{"places", f.Places, GroupShortMax}, {"fees", f.Fees, GroupShortMax}, {"contact", f.Contact, GroupShortMax}} {
		if Len(t.v) > t.max {
			e.Add(t.name, "form.err.too_long")
		}
	}
	choose := func(name string, got, from []string, required bool) {
		if required && len(got) == 0 {
			e.Add(name, "groups.err."+name+"_required")
		}
		for _, v := range got {
			if !slices.Contains(from, v) {
				e.Add(name, "groups.err.choice")
			}
		}
	}
	choose("fields", f.Fields, fields, true)
	choose("areas", f.Areas, areas, true)
	choose("days", f.Days, days, false)
	choose("images", f.Images, images, false)
	links := f.LinkList()
	if len(links) > GroupLinksMax {
		e.Add("links", "groups.err.links_many")
	}
	for _, l := range links {
		if u, err := url.Parse(l); len(l) > GroupLinkMax || err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
			u.Hostname() == "" || u.User != nil {
			e.Add("links", "groups.err.link")
		}
	}
	if f.Contact != "" && !f.ContactOwn {
		e.Add("contact_own", "groups.err.contact_own")
	}
	return e
}

// GroupSearchMax is the longest query the directory searches for.
const GroupSearchMax = 100

// GroupFilter is the directory's search form (a GET form).
type GroupFilter struct {
	Query, Field, Area, Day string
}

// Normalize tidies the query and folds the choices.
func (f *GroupFilter) Normalize() {
	f.Query = Text(f.Query)
	f.Field, f.Area, f.Day = Fold(f.Field), Fold(f.Area), Fold(f.Day)
}

// Validate drops choices not on the ward's lists (a stale bookmark lists
// every group rather than none) and reports a query too long to search.
func (f *GroupFilter) Validate(fields, areas, days []string) Errors {
	e := Errors{}
	for _, c := range []struct {
		v    *string
		from []string
	}{{&f.Field, fields}, {&f.Area, areas}, {&f.Day, days}} {
		if !slices.Contains(c.from, *c.v) {
			*c.v = ""
		}
	}
	if Len(f.Query) > GroupSearchMax {
		e.Add("q", "groups.err.query_long")
		f.Query = string([]rune(f.Query)[:GroupSearchMax])
	}
	return e
}
