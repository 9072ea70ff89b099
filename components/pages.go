package components

import (
	"context"
	"math"
	"net/url"
	"time"

	"github.com/a-h/templ"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// kindLists are the public lists of the kinds that have one, with the
// catalogue id of their name.
var kindLists = map[string]struct{ Href, Key string }{
	db.PageNotice:   {"/notices", "nav.notices"},
	db.PageSubsidy:  {"/subsidies", "nav.subsidies"},
	db.PageArticle:  {"/articles", "nav.articles"},
	db.PageFacility: {"/facilities", "nav.facilities"},
}

// PageURL is the public address of a page of the official site: the one
// place that knows where each kind lives. A facility is an entry of the
// link collection; a general page lives under /pages.
func PageURL(kind string, id int64) templ.SafeURL {
	switch kind {
	case db.PageNotice, db.PageSubsidy, db.PageArticle:
		return templ.SafeURL(kindLists[kind].Href + "/" + itoa(id))
	case db.PageFacility:
		return templ.SafeURL("/facilities#" + FacilityAnchor(id))
	default:
		return templ.SafeURL("/pages/" + itoa(id))
	}
}

// FacilityAnchor is the id of a facility page's entry in the link collection.
func FacilityAnchor(pageID int64) string { return "facility-" + itoa(pageID) }

// TopicURL is the address of the cross-division topic page of a tag.
func TopicURL(tag string) templ.SafeURL {
	return templ.SafeURL("/topics/" + url.PathEscape(tag))
}

// kindName names a page's kind in lists that mix kinds.
func kindName(ctx context.Context, kind string) string { return T(ctx, "page_kind."+kind) }

// PageView is a page as its detail shows it: the live revision, its body
// rendered by app/markup, and, for an article, what it links to.
type PageView struct {
	Page       *db.PublicPage
	BodyHTML   string
	Groups     []db.Group
	Facilities []db.Facility
}

// TagView is the cross-division topic page of one tag.
type TagView struct {
	Tag  string
	Page db.Page[db.PublicPage]
}

// FacilityView is the facility link collection with each entry's body
// rendered by app/markup (keyed by page id; empty bodies are left out).
type FacilityView struct {
	Items  []db.Facility
	Bodies map[int64]string
}

// applyState is where a subsidy's application period stands on the day of
// now in Japan: "open", "not_yet" (before apply_from) or "closed" (after
// apply_until, the deadline day itself still open). No dates: open.
func applyState(f db.PageFields, now time.Time) string {
	today := now.In(i18n.JST).Format(time.DateOnly)
	switch {
	case f.ApplyUntil != "" && f.ApplyUntil < today:
		return "closed"
	case f.ApplyFrom != "" && today < f.ApplyFrom:
		return "not_yet"
	}
	return "open"
}

// deadlineSoon is how many days before its deadline a subsidy is 締切間近.
const deadlineSoon = 7

// deadlineDays is how many days are left until a still open subsidy's
// deadline (0: today is the last day); ok is false with no deadline or
// one that has passed.
func deadlineDays(f db.PageFields, now time.Time) (int, bool) {
	until, ok := day(f.ApplyUntil)
	if !ok {
		return 0, false
	}
	y, m, d := now.In(i18n.JST).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, i18n.JST)
	n := int(math.Round(until.Sub(today).Hours() / 24)) // a DST-free zone, but whole days all the same
	return n, n >= 0
}

// day reads a YYYY-MM-DD field as that day in Japan; ok is false for none.
func day(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, s, i18n.JST)
	return t, err == nil
}

// telURL is a tel: link for a phone number as written (03-1234-5678), or
// "" when it has no digits.
func telURL(phone string) templ.SafeURL {
	digits := make([]byte, 0, len(phone))
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' || c == '+' && len(digits) == 0 {
			digits = append(digits, c)
		}
	}
	if len(digits) == 0 {
		return ""
	}
	return templ.SafeURL("tel:" + string(digits))
}
