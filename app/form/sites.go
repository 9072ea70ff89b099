package form

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Limits of the division and site forms, stated on them.
const (
	DivisionNameMax    = 40
	DivisionContactMax = 500 // a division's contact block: room, phone, hours
	SiteNameMax        = 40
	SitePurposeMax     = 1000
	HostMax            = 253
	LeadDaysMax        = 30
	NavLabelMax        = 20
	NavPathMax         = 200
	DecisionMax        = 500
)

// codePattern is what divisions.code and sites.slug accept (migration 0015).
var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// hostPattern is a DNS name of two labels or more, lower case.
var hostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// Division is ward staff's form for a new division (所属).
type Division struct {
	Code, Name, Contact string
}

// DivisionFields is the order of the division form's fields.
var DivisionFields = []string{"code", "name", "contact"}

// Normalize folds the code to lower-case ASCII and tidies the rest.
func (d *Division) Normalize() {
	d.Code = strings.ToLower(Fold(d.Code))
	d.Name = Text(d.Name)
	d.Contact = Multiline(d.Contact)
}

// Validate returns a message id per bad field. Call Normalize first.
func (d *Division) Validate() Errors {
	e := Errors{}
	if !codePattern.MatchString(d.Code) {
		e.Add("code", "form.err.code")
	}
	if d.Name == "" || Len(d.Name) > DivisionNameMax {
		e.Add("name", "form.err.division_name")
	}
	if Len(d.Contact) > DivisionContactMax {
		e.Add("contact", "form.err.contact_long")
	}
	return e
}

// Placement is the divisions a staff account belongs to and its work
// address, as ticked and typed.
type Placement struct {
	Divisions []string
	WorkEmail string
}

// Normalize folds the ids and the address.
func (p *Placement) Normalize() {
	for i := range p.Divisions {
		p.Divisions[i] = Fold(p.Divisions[i])
	}
	if v, ok := Email(p.WorkEmail); ok {
		p.WorkEmail = v
	} else {
		p.WorkEmail = Fold(p.WorkEmail)
	}
}

// Validate returns the ticked divisions' ids, each one of known, and a
// message id per bad field. The address may be empty (no notices by mail).
func (p *Placement) Validate(known []int64) ([]int64, Errors) {
	e := Errors{}
	var ids []int64
	for _, s := range p.Divisions {
		id, ok := ID(s)
		if !ok || !slices.Contains(known, id) {
			e.Add("divisions", "form.err.divisions")
			continue
		}
		ids = append(ids, id)
	}
	if p.WorkEmail != "" {
		if _, ok := Email(p.WorkEmail); !ok {
			e.Add("work_email", "form.err.email")
		}
	}
	return ids, e
}

// SiteApplication is a department's application for a sub-site (第5条).
type SiteApplication struct {
	Slug, Name, Purpose, Host, Division string
}

// SiteApplicationFields is the order of the application form's fields.
var SiteApplicationFields = []string{"division", "slug", "name", "purpose", "host"}

// Normalize folds the address and host name and tidies the rest.
func (a *SiteApplication) Normalize() {
	a.Slug = strings.ToLower(Fold(a.Slug))
	a.Host = normalizeHost(a.Host)
	a.Name = Text(a.Name)
	a.Purpose = Multiline(a.Purpose)
	a.Division = Fold(a.Division)
}

func normalizeHost(s string) string {
	return strings.TrimSuffix(strings.ToLower(Fold(s)), ".")
}

// Validate returns the applying division (one of divisions, the
// applicant's) and a message id per bad field. portalHost is the portal's
// own host name, which no sub-site may take.
func (a *SiteApplication) Validate(divisions []int64, portalHost string) (int64, Errors) {
	e := Errors{}
	div, ok := ID(a.Division)
	if !ok || !slices.Contains(divisions, div) {
		e.Add("division", "form.err.site_division")
	}
	if !codePattern.MatchString(a.Slug) {
		e.Add("slug", "form.err.code")
	}
	if a.Name == "" || Len(a.Name) > SiteNameMax {
		e.Add("name", "form.err.site_name")
	}
	switch {
	case a.Purpose == "":
		e.Add("purpose", "form.err.purpose_required")
	case Len(a.Purpose) > SitePurposeMax:
		e.Add("purpose", "form.err.purpose_long")
	}
	checkHost(e, a.Host, portalHost)
	return div, e
}

func checkHost(e Errors, host, portalHost string) {
	switch {
	case host == "":
	case host == portalHost:
		e.Add("host", "form.err.host_portal")
	case len(host) > HostMax || !hostPattern.MatchString(host):
		e.Add("host", "form.err.host")
	}
}

// NavEntry is one link of a site's navigation as the form says it: a
// local address or a page id.
type NavEntry struct {
	Label, Target string
}

// NavRows is how many rows of links the settings form shows; it is also
// the most a navigation holds.
const NavRows = 8

// NavLink is a valid navigation link: Path or PageID is set.
type NavLink struct {
	Label  string
	Path   string
	PageID int64
}

// SiteSettings is a site manager's form for the site's settings.
type SiteSettings struct {
	Name, Host, LeadDays string
	Nav                  []NavEntry // NavRows rows, blank ones included
}

// ParsedSettings is what a valid settings form says.
type ParsedSettings struct {
	LeadDays int
	Nav      []NavLink
}

// NavLabelField and NavTargetField name row i's fields (and their errors).
func NavLabelField(i int) string  { return "nav_label_" + strconv.Itoa(i) }
func NavTargetField(i int) string { return "nav_target_" + strconv.Itoa(i) }

// SiteSettingsFields is the order of the settings form's fields.
func SiteSettingsFields() []string {
	out := []string{"name", "host", "lead_days"}
	for i := range NavRows {
		out = append(out, NavLabelField(i), NavTargetField(i))
	}
	return out
}

// Normalize folds the host name, the number and the targets.
func (s *SiteSettings) Normalize() {
	s.Name = Text(s.Name)
	s.Host = normalizeHost(s.Host)
	s.LeadDays = Fold(s.LeadDays)
	for i := range s.Nav {
		s.Nav[i].Label = Text(s.Nav[i].Label)
		s.Nav[i].Target = Fold(s.Nav[i].Target)
	}
}

// Validate returns what the form says and a message id per bad field. A
// row left blank is no link; a row half filled is an error.
func (s *SiteSettings) Validate(portalHost string) (ParsedSettings, Errors) {
	e := Errors{}
	var p ParsedSettings
	if s.Name == "" || Len(s.Name) > SiteNameMax {
		e.Add("name", "form.err.site_name")
	}
	checkHost(e, s.Host, portalHost)
	var ok bool
	if p.LeadDays, ok = Int(s.LeadDays, 0, LeadDaysMax); !ok {
		e.Add("lead_days", "form.err.lead_days")
	}
	for i, n := range s.Nav {
		if n.Label == "" && n.Target == "" {
			continue
		}
		link := NavLink{Label: n.Label}
		if n.Label == "" || Len(n.Label) > NavLabelMax {
			e.Add(NavLabelField(i), "form.err.nav_label")
		}
		if id, ok := ID(n.Target); ok {
			link.PageID = id
		} else if path, ok := LocalPath(n.Target); ok {
			link.Path = path
		} else {
			e.Add(NavTargetField(i), "form.err.nav_target")
		}
		p.Nav = append(p.Nav, link)
	}
	return p, e
}

// LocalPath accepts an address on this portal: one leading slash, no
// scheme, host or backslash (which some browsers read as a slash), and a
// readable length; ok is false for anything else.
func LocalPath(s string) (string, bool) {
	if len(s) > NavPathMax || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\ ") {
		return s, false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return s, false
	}
	return s, true
}

// SiteDecision is the official site's manager approving or refusing an
// application; a refusal needs a reason.
type SiteDecision struct {
	Decision, Comment string
}

// Site decisions as the form sends them.
const (
	SiteApprove = "approve"
	SiteRefuse  = "refuse"
)

// Normalize tidies the comment.
func (d *SiteDecision) Normalize() { d.Comment = Multiline(d.Comment) }

// Validate returns whether it approves, and a message id per bad field;
// ok is false when the decision is neither (no form sends that).
func (d *SiteDecision) Validate() (approve bool, e Errors, ok bool) {
	e = Errors{}
	switch d.Decision {
	case SiteApprove:
		approve = true
	case SiteRefuse:
	default:
		return false, e, false
	}
	switch {
	case !approve && d.Comment == "":
		e.Add("comment", "form.err.refusal_reason")
	case Len(d.Comment) > DecisionMax:
		e.Add("comment", "form.err.comment_long")
	}
	return approve, e, true
}
