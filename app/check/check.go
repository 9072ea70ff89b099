// Package check finds what a page must not publish or should say another
// way: personal information (Nakano rules 第13条), accessibility problems
// (第8条4項, JIS X 8341-3:2016), links to sites without an approved link
// request (第16条), and words a moderator wants to see (the board's
// pre-check). Each problem has a position in the text, a message and a fix
// from the catalogue, so the editor can show it next to the words and the
// approver can judge it.
//
// The package knows no HTTP and no database: callers load what is allowed
// (the division's contact block, approved domains, consent records) into an
// Input and show the Problems Run returns.
package check

import (
	"cmp"
	"slices"
	"unicode/utf8"
)

// Severity says whether a problem blocks approval.
type Severity int

const (
	// Warning informs; the editor decides.
	Warning Severity = iota + 1
	// Error blocks approval unless an approver overrides it with a reason.
	Error
)

func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "unknown"
}

// Field names the text a problem was found in.
type Field string

const (
	FieldTitle Field = "title"
	FieldBody  Field = "body"
	FieldHTML  Field = "html"
)

// Problem is one finding.
type Problem struct {
	Check    string // id, e.g. "pii.phone"
	Severity Severity
	Field    Field
	// Start and End are rune offsets (code points, not bytes) into the
	// field's text: Input.Title, Input.Body or Input.HTML. A browser counts
	// a textarea's selection in UTF-16 units, so a UI highlighting after an
	// astral character (an emoji, 𠮷) must convert.
	Start, End int
	Excerpt    string // the text between Start and End, shortened when long
	// Line and Column (both from 1, the column in characters) are where
	// Start is in the field's text; Before and After are up to
	// contextRunes characters of its line around the excerpt, to show it
	// in context.
	Line, Column  int
	Before, After string
	// Start16 and End16 are Start and End in UTF-16 code units: what a
	// browser's textarea counts in setSelectionRange.
	Start16, End16 int
	// Message and Fix are catalogue keys ("check.pii.phone",
	// "check.pii.phone.fix"); Args fills their placeholders.
	Message, Fix string
	Args         map[string]any
}

// Input is what to check.
type Input struct {
	Title string
	Body  string // Markdown source (plain text is Markdown too)
	// HTML is the rendered body, or the only body of content that exists as
	// HTML alone. With a Body, only what Markdown cannot say is checked in
	// it (header cells of tables); without one, every check runs on it.
	HTML string
	// Kind says what the text is (a page kind such as "notice", or
	// "board_post", "event", "group") for checkers that judge by it; the
	// default checks treat every kind alike.
	Kind    string
	Allowed Allowances
}

// Allowances are what the text may hold without a problem.
type Allowances struct {
	// StaffNames are the names in the owning division's contact block:
	// ward staff named as the contact are not residents' personal data.
	StaffNames []string
	// ConsentedNames are covered by a consent record (第14条).
	ConsentedNames []string
	// Phones, Emails and Addresses are the division's own contact details
	// and public facilities' addresses. Phones compare by digits, e-mail
	// addresses without case, addresses by their numbers after the town.
	Phones, Emails, Addresses []string
	// Places are place names (the ward's 町名, stations, parks) that the
	// dictionary tags as surnames: 野方, 江古田, 上高田, 大久保 are all
	// 名詞,固有名詞,人名,姓 in IPADIC.
	Places []string
	// Domains are the hosts of approved link requests: "example.jp" is that
	// host only; ".example.jp" is example.jp and every host under it.
	Domains []string
	// PortalHosts are the portal's own host names (PORTAL_BASE_URL's host,
	// sub-sites' hosts); links to them are not outbound.
	PortalHosts []string
}

// A Checker reports the problems of one kind it finds in a document.
type Checker func(d *Doc) []Problem

// All is the default set: every check that needs nothing but the Input.
// Words needs the board's dictionary and is added by the caller.
func All() []Checker {
	return []Checker{
		Phones, Emails, Addresses, Names,
		ImageAlt, Headings, LinkText, TableHeaders, HalfWidthKana, MachineDependent,
		SpacedWords, Dates, ColourCues, Attachments,
		Outbound,
	}
}

// IDs lists every check id a Checker of this package reports. The message
// of id is "check."+id and its fix "check."+id+".fix".
func IDs() []string {
	return []string{
		idPhone, idEmail, idAddress, idName,
		idImgAlt, idHeading, idLinkText, idTable, idKana, idMachine, idSpaced, idDate, idColour, idAttachment,
		idOutbound, idWord,
	}
}

const (
	idPhone      = "pii.phone"
	idEmail      = "pii.email"
	idAddress    = "pii.address"
	idName       = "pii.name"
	idImgAlt     = "a11y.img_alt"
	idHeading    = "a11y.heading_skip"
	idLinkText   = "a11y.link_text"
	idTable      = "a11y.table_header"
	idKana       = "a11y.halfwidth_kana"
	idMachine    = "a11y.machine_char"
	idSpaced     = "a11y.spaced_word"
	idDate       = "a11y.date"
	idColour     = "a11y.colour"
	idAttachment = "a11y.attachment"
	idOutbound   = "link.outbound"
	idWord       = "word.listed"
)

// Run runs checks (All when none are given) over in and returns their
// problems in reading order: title first, then body, each by position.
func Run(in Input, checks ...Checker) []Problem {
	if len(checks) == 0 {
		checks = All()
	}
	d := newDoc(in)
	var out []Problem
	for _, c := range checks {
		for _, p := range c(d) {
			if t := d.text(p.Field); t != nil {
				p.Start = min(max(p.Start, 0), t.runes)
				p.End = min(max(p.End, p.Start), t.runes)
				t.locate(&p)
			}
			out = append(out, p)
		}
	}
	order := map[Field]int{FieldTitle: 0, FieldBody: 1, FieldHTML: 2}
	slices.SortStableFunc(out, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(order[a.Field], order[b.Field]), cmp.Compare(a.Start, b.Start),
			cmp.Compare(a.End, b.End), cmp.Compare(a.Check, b.Check))
	})
	return slices.CompactFunc(out, func(a, b Problem) bool {
		return a.Field == b.Field && a.Start == b.Start && a.End == b.End && a.Check == b.Check
	})
}

// Doc is the Input prepared once for every checker: each text with its
// position tables, and the body's structure (links, images, headings,
// tables), built when a checker first asks.
type Doc struct {
	Input
	title, body, html *text
}

func newDoc(in Input) *Doc {
	d := &Doc{Input: in}
	d.title = newText(FieldTitle, in.Title, formatPlain)
	switch {
	case in.Body != "":
		d.body = newText(FieldBody, in.Body, formatMarkdown)
		if in.HTML != "" {
			d.html = newText(FieldHTML, in.HTML, formatHTML)
		}
	case in.HTML != "":
		d.body = newText(FieldHTML, in.HTML, formatHTML)
	default:
		d.body = newText(FieldBody, "", formatMarkdown)
	}
	return d
}

func (d *Doc) text(f Field) *text {
	for _, t := range []*text{d.title, d.body, d.html} {
		if t != nil && t.field == f {
			return t
		}
	}
	return nil
}

// prose is the texts that hold words to read: the title and the body.
func (d *Doc) prose() []*text { return []*text{d.title, d.body} }

// maxExcerpt bounds Problem.Excerpt; the positions still cover everything.
const maxExcerpt = 60

func excerpt(s string) string {
	if utf8.RuneCountInString(s) <= maxExcerpt {
		return s
	}
	r := []rune(s)
	return string(r[:maxExcerpt-1]) + "…"
}
