package components

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/a-h/templ"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// SearchView is the site search's page: the words, the kind listed alone
// (none: every kind), and the results of each kind.
type SearchView struct {
	Query  string
	Kind   string
	Groups []db.SearchGroup
	Errs   form.Errors
}

// Total is the number of results counted over all kinds.
func (v SearchView) Total() int {
	n := 0
	for _, g := range v.Groups {
		n += g.Count
	}
	return n
}

// searchKindName names a kind of result.
func searchKindName(ctx context.Context, kind string) string { return T(ctx, "search.kind."+kind) }

// searchAnchor is the id of a kind's section on the results page.
func searchAnchor(kind string) string { return "results-" + kind }

// searchCount is a kind's count as shown: "100+" past the cap.
func searchCount(ctx context.Context, g db.SearchGroup) string {
	n := itoa(int64(g.Count))
	if g.More {
		n += "+"
	}
	return Tf(ctx, "search.count", map[string]any{"Count": n})
}

// searchHitURL is where a result leads.
func searchHitURL(h *db.SearchHit) templ.SafeURL {
	switch h.Kind {
	case db.SearchEvents:
		return href("/events/", h.ID)
	case db.SearchGroups:
		return href("/groups/", h.ID)
	case db.SearchBoard:
		if h.TopicID != nil {
			return href("/board/", *h.TopicID)
		}
		return href("/board/", h.ID)
	default:
		return PageURL(h.Kind, h.ID)
	}
}

// searchAllURL lists every result of a kind: the board's own search for
// the board, the site search of that kind otherwise.
func searchAllURL(q, kind string) templ.SafeURL {
	if kind == db.SearchBoard {
		return templ.SafeURL("/board?q=" + url.QueryEscape(q))
	}
	return templ.SafeURL("/search?q=" + url.QueryEscape(q) + "&kind=" + url.QueryEscape(kind))
}

var (
	markdownLink  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	markdownMarks = strings.NewReplacer("#", "", "*", "", "`", "", "> ", "", "|", " ")
)

// plainSnippet turns the start of a page's Markdown into a line of text.
func plainSnippet(s string) string {
	s = markdownLink.ReplaceAllString(s, "$1")
	s = markdownMarks.Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return s
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
