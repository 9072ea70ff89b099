package form

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/db"
)

// Limits of the page form, stated on it.
const (
	PageTitleMax       = 100
	TagMax             = 20 // characters of one tag
	TagsMax            = 10 // tags of one page
	EligibilityMax     = 1000
	AmountMax          = 100
	AuthorLabelMax     = 60
	FacilityAddressMax = 200
	URLMax             = 500
	LinksMax           = 20 // groups, or facilities, one article links to
)

// Article kinds: an operator's article (取材記事など) or a column.
const (
	ArticleKindArticle = "article"
	ArticleKindColumn  = "column"
)

// ArticleKinds lists the article kinds in display order.
var ArticleKinds = []string{ArticleKindArticle, ArticleKindColumn}

// dateLayout and timeLayout are how date and time inputs send their values.
const (
	dateLayout = "2006-01-02"
	timeLayout = "15:04"
)

// Page is the editor's form for a page of one kind: the text every kind
// has and the typed fields of its own kind (db.PageFields), all as typed.
// Dates and times are Japan time (2026-12-01, 10:00).
type Page struct {
	Kind string // the page's kind: from the page, or the new-page address; never from the form

	Title, Body, Tags                          string
	PublishDate, PublishTime, EndDate, EndTime string

	Urgent bool // notice

	Eligibility, Amount, ApplyFrom, ApplyUntil string // subsidy

	ArticleKind, AuthorLabel, Groups string // article: Groups lists group numbers or addresses
	Facilities                       []string

	Category, Town, Address, Phone, URL, SortOrder string // facility
}

// PageFields is the order of the page form's fields, for the error summary.
var PageFields = []string{"site", "division", "title", "body", "tags", "publish_date", "publish_time", "end_date", "end_time",
	"eligibility", "amount", "apply_from", "apply_until", "article_kind", "author_label", "groups", "facilities",
	"category", "town", "address", "phone", "url", "sort_order"}

// Normalize tidies one-line fields like any other form, folds widths in
// dates, times, numbers, phone numbers and addresses, and keeps the body's
// Markdown as typed (see Markdown).
func (f *Page) Normalize() {
	for _, p := range []*string{&f.Title, &f.Tags, &f.Amount, &f.AuthorLabel, &f.Category, &f.Town, &f.Address} {
		*p = Text(*p)
	}
	for _, p := range []*string{&f.PublishDate, &f.PublishTime, &f.EndDate, &f.EndTime, &f.ApplyFrom, &f.ApplyUntil,
		&f.ArticleKind, &f.Groups, &f.URL, &f.SortOrder} {
		*p = Fold(*p)
	}
	for i := range f.Facilities {
		f.Facilities[i] = Fold(f.Facilities[i])
	}
	f.Phone = Digits(f.Phone)
	f.Body = Markdown(f.Body)
	f.Eligibility = Multiline(f.Eligibility)
}

// Markdown tidies a Markdown source without changing what it means: line
// breaks become \n, the text NFC, control and invisible characters go, and
// leading and trailing blank lines. Unlike Multiline it keeps trailing
// spaces (two end a line with a break) and runs of blank lines (they may
// sit inside a code block).
func Markdown(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\uFEFF' || r == '\u200B') {
			return -1
		}
		return r
	}, norm.NFC.String(s))
	lines := strings.Split(s, "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// Validate checks the form for its kind at now and returns the content it
// says; errs has a message id per bad field. Call Normalize first.
func (f *Page) Validate(now time.Time, jst *time.Location) (db.PageContent, Errors) {
	var c db.PageContent
	e := Errors{}
	if !slices.Contains(db.PageKinds, f.Kind) {
		e.Add("kind", "form.err.page_kind")
	}
	switch {
	case f.Title == "":
		e.Add("title", "form.err.page_title_required")
	case Len(f.Title) > PageTitleMax:
		e.Add("title", "form.err.page_title_long")
	}
	switch {
	case f.Body == "" && f.Kind != db.PageFacility:
		e.Add("body", "form.err.page_body_required")
	case Len(f.Body) > markup.MaxSource:
		e.Add("body", "form.err.page_body_long")
	}
	tags, ok := Tags(f.Tags)
	if !ok {
		e.Add("tags", "form.err.page_tags")
	}
	c.Title, c.Body, c.Tags = f.Title, f.Body, tags

	publish, ok := dateTime(f.PublishDate, f.PublishTime, jst, "publish_date", "publish_time", true, e)
	if ok && publish.Before(now.Truncate(time.Minute)) {
		e.Add("publish_date", "form.err.page_publish_past")
	}
	c.PublishAt = publish
	if end, ok := dateTime(f.EndDate, f.EndTime, jst, "end_date", "end_time", false, e); ok && !end.IsZero() {
		if !publish.IsZero() && !end.After(publish) {
			e.Add("end_date", "form.err.page_end_before_publish")
		}
		c.EndAt = &end
	}

	switch f.Kind {
	case db.PageNotice:
		c.Fields.Urgent = f.Urgent
	case db.PageSubsidy:
		c.Fields = f.subsidy(jst, e)
	case db.PageArticle:
		c.Fields = f.article(e)
	case db.PageFacility:
		c.Fields = f.facility(e)
	}
	return c, e
}

// dateTime reads a date and a time field as one moment in jst: both empty
// is the zero time (an error when required), one without the other an
// error on the missing one.
func dateTime(date, clock string, jst *time.Location, dateField, timeField string, required bool, e Errors) (time.Time, bool) {
	if date == "" && clock == "" {
		if required {
			e.Add(dateField, "form.err.date")
			return time.Time{}, false
		}
		return time.Time{}, true
	}
	day, ok := Date(date, jst)
	if !ok {
		e.Add(dateField, "form.err.date")
	}
	hm, err := time.Parse(timeLayout, clock)
	if err != nil {
		e.Add(timeField, "form.err.time")
	}
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.Date(day.Year(), day.Month(), day.Day(), hm.Hour(), hm.Minute(), 0, 0, jst), true
}

func (f *Page) subsidy(jst *time.Location, e Errors) db.PageFields {
	var p db.PageFields
	if Len(f.Eligibility) > EligibilityMax {
		e.Add("eligibility", "form.err.too_long")
	}
	if Len(f.Amount) > AmountMax {
		e.Add("amount", "form.err.too_long")
	}
	p.Eligibility, p.Amount = f.Eligibility, f.Amount
	var from, until time.Time
	for _, d := range []struct {
		field, value string
		out          *string
		at           *time.Time
	}{{"apply_from", f.ApplyFrom, &p.ApplyFrom, &from}, {"apply_until", f.ApplyUntil, &p.ApplyUntil, &until}} {
		if d.value == "" {
			continue
		}
		t, ok := Date(d.value, jst)
		if !ok {
			e.Add(d.field, "form.err.date")
			continue
		}
		*d.out, *d.at = t.Format(dateLayout), t
	}
	if !from.IsZero() && !until.IsZero() && until.Before(from) {
		e.Add("apply_until", "form.err.page_apply_order")
	}
	return p
}

func (f *Page) article(e Errors) db.PageFields {
	var p db.PageFields
	if !slices.Contains(ArticleKinds, f.ArticleKind) {
		e.Add("article_kind", "form.err.page_article_kind")
	}
	if Len(f.AuthorLabel) > AuthorLabelMax {
		e.Add("author_label", "form.err.too_long")
	}
	p.ArticleKind, p.AuthorLabel = f.ArticleKind, f.AuthorLabel
	ids, ok := GroupRefs(f.Groups)
	if !ok {
		e.Add("groups", "form.err.page_groups")
	}
	p.GroupIDs = ids
	for _, s := range f.Facilities {
		id, ok := ID(s)
		if !ok {
			e.Add("facilities", "form.err.facility")
			continue
		}
		if !slices.Contains(p.FacilityIDs, id) {
			p.FacilityIDs = append(p.FacilityIDs, id)
		}
	}
	if len(p.FacilityIDs) > LinksMax {
		e.Add("facilities", "form.err.page_links_many")
	}
	return p
}

func (f *Page) facility(e Errors) db.PageFields {
	var p db.PageFields
	for _, r := range []struct {
		field, value string
		max          int
	}{{"category", f.Category, ShortMax}, {"town", f.Town, ShortMax}} {
		switch {
		case r.value == "":
			e.Add(r.field, "form.err.page_"+r.field+"_required")
		case Len(r.value) > r.max:
			e.Add(r.field, "form.err.too_long")
		}
	}
	if Len(f.Address) > FacilityAddressMax {
		e.Add("address", "form.err.too_long")
	}
	p.Category, p.Town, p.Address = f.Category, f.Town, f.Address
	if f.Phone != "" {
		phone, ok := Phone(f.Phone)
		if !ok {
			e.Add("phone", "form.err.phone")
		}
		p.Phone = phone
	}
	if f.URL != "" {
		if !WebURL(f.URL) {
			e.Add("url", "form.err.page_url")
		}
		p.URL = f.URL
	}
	if f.SortOrder != "" {
		n, ok := Int(f.SortOrder, 0, SortOrderMax)
		if !ok {
			e.Add("sort_order", "form.err.sort_order")
		}
		p.SortOrder = n
	}
	return p
}

// WebURL reports whether s is an absolute http or https address of at most
// URLMax characters, with a host and no credentials in it.
func WebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && Len(s) <= URLMax && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil &&
		!strings.ContainsAny(s, " \"<>\\^`{|}")
}

// tagSep splits a list of tags: commas and the Japanese comma, and spaces.
var tagSep = regexp.MustCompile(`[,、，\s]+`)

// Tags reads a list of tags separated by commas (、 or ,) or spaces; ok is
// false for more than TagsMax or one longer than TagMax. Repeats count once.
func Tags(s string) ([]string, bool) {
	out := []string{}
	for _, t := range tagSep.Split(s, -1) {
		t = Text(t)
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if Len(t) > TagMax {
			return out, false
		}
		out = append(out, t)
	}
	return out, len(out) <= TagsMax
}

// groupRef is a group named by its number or by its page's address.
var groupRef = regexp.MustCompile(`^(?:(?:https?://[^/\s]+)?/groups/)?([0-9]{1,18})/?$`)

// GroupRefs reads the groups an article links to, each by its number (12)
// or its page's address (/groups/12, https://…/groups/12), separated by
// commas or spaces; ok is false for anything else or more than LinksMax.
func GroupRefs(s string) ([]int64, bool) {
	var out []int64
	for _, t := range tagSep.Split(s, -1) {
		if t == "" {
			continue
		}
		m := groupRef.FindStringSubmatch(t)
		if m == nil {
			return out, false
		}
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || id <= 0 {
			return out, false
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, len(out) <= LinksMax
}

// PageFromContent is the form showing a revision's content, for editing it.
func PageFromContent(kind string, c db.PageContent, jst *time.Location) Page {
	f := Page{Kind: kind, Title: c.Title, Body: c.Body, Tags: strings.Join(c.Tags, "、")}
	f.SetPublish(c.PublishAt, jst)
	if c.EndAt != nil {
		f.EndDate, f.EndTime = c.EndAt.In(jst).Format(dateLayout), c.EndAt.In(jst).Format(timeLayout)
	}
	p := c.Fields
	f.Urgent = p.Urgent
	f.Eligibility, f.Amount, f.ApplyFrom, f.ApplyUntil = p.Eligibility, p.Amount, p.ApplyFrom, p.ApplyUntil
	f.ArticleKind, f.AuthorLabel = p.ArticleKind, p.AuthorLabel
	ids := make([]string, len(p.GroupIDs))
	for i, id := range p.GroupIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	f.Groups = strings.Join(ids, ", ")
	for _, id := range p.FacilityIDs {
		f.Facilities = append(f.Facilities, strconv.FormatInt(id, 10))
	}
	f.Category, f.Town, f.Address, f.Phone, f.URL = p.Category, p.Town, p.Address, p.Phone, p.URL
	if p.SortOrder != 0 {
		f.SortOrder = strconv.Itoa(p.SortOrder)
	}
	return f
}

// SetPublish puts t into the publish date and time fields.
func (f *Page) SetPublish(t time.Time, jst *time.Location) {
	if t.IsZero() {
		f.PublishDate, f.PublishTime = "", ""
		return
	}
	f.PublishDate, f.PublishTime = t.In(jst).Format(dateLayout), t.In(jst).Format(timeLayout)
}

// DefaultPublishAt is the publish time a new page or revision starts with:
// leadDays after now, on the next full hour in jst — the earliest time the
// two-day rule (第9条) lets an approver approve without an override.
func DefaultPublishAt(now time.Time, leadDays int, jst *time.Location) time.Time {
	t := now.In(jst).AddDate(0, 0, leadDays)
	h := t.Truncate(time.Hour)
	if h.Before(t) {
		h = h.Add(time.Hour)
	}
	return h
}

// NewPage is the form for a new page: the page's form, and where the page
// lives — a site and a division. Whether the editor may write there is the
// database's to say (db.ErrForbidden), not the form's.
type NewPage struct {
	Page
	Site, Division string
}

// Normalize tidies the page's fields and folds the choices' widths.
func (n *NewPage) Normalize() {
	n.Page.Normalize()
	n.Site, n.Division = Fold(n.Site), Fold(n.Division)
}

// Validate checks the page and that a site and a division are chosen.
// Call Normalize first.
func (n *NewPage) Validate(now time.Time, jst *time.Location) (siteID, divisionID int64, c db.PageContent, e Errors) {
	c, e = n.Page.Validate(now, jst)
	siteID, ok := ID(n.Site)
	if !ok {
		e.Add("site", "form.err.page_site")
	}
	if divisionID, ok = ID(n.Division); !ok {
		e.Add("division", "form.err.page_division")
	}
	return siteID, divisionID, c, e
}
