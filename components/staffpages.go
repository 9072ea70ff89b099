package components

import (
	"context"
	"github.com/wardportal/portal/app/check"
	"net/url"
	"strconv"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/textdiff"
	"github.com/wardportal/portal/db"
)

// The back office's authoring pages (/staff/pages): the list, the editor,
// the preview, the history and the diff between revisions.

// PageStatuses are the statuses the list filters by, in workflow order.
var PageStatuses = []string{db.RevDraft, db.RevSubmitted, db.RevSentBack, db.RevApproved, db.RevPublished, db.RevEnded, db.RevWithdrawn}

// StaffPagesView is the list of the pages a staff member works on.
type StaffPagesView struct {
	Page     db.Page[db.StaffPage]
	Filter   db.PageFilter
	Kinds    []string // the kinds the staff member may write: the new-page choice
	Approver bool     // links to the approver's queue
}

func (v StaffPagesView) base() string {
	q := url.Values{}
	if v.Filter.Status != "" {
		q.Set("status", v.Filter.Status)
	}
	if v.Filter.Kind != "" {
		q.Set("kind", v.Filter.Kind)
	}
	if len(q) == 0 {
		return "/staff/pages"
	}
	return "/staff/pages?" + q.Encode()
}

// Preview is the server's rendering of what an editor typed: the title and
// the body's HTML from markup.Render.
type Preview struct {
	Title   string
	HTML    string
	TooLong bool // the body is longer than the form takes: not rendered
	// Problems are the content checks' findings on the title and body.
	Problems []check.Problem
	// InEditor: the editor's form is on the page, so each finding links
	// to its place in the title or body field.
	InEditor bool
}

// PageEditor is the editor's form: for a new page (State nil) or for the
// working revision of a page, or a new revision of it.
type PageEditor struct {
	In        form.Page
	Site      string // new page: the chosen site's id, as sent
	Division  string // new page: the chosen division's id, as sent
	Errs      form.Errors
	Sites     []db.Site     // new page: the sites offered
	Divisions []db.Division // new page: the divisions offered
	// Version is the working revision's version the form was opened at;
	// NewRevision says the form starts a new revision (there was none).
	Version     int
	NewRevision bool
	Facilities  []db.Facility // article: the facilities one may link
	Groups      []db.GroupRef // article: the groups linked, by name
	LeadDays    int           // the site's lead time (第9条), for the note under the publish date
	Preview     *Preview      // shown under the form: after the preview button, or the saved body
}

func (e PageEditor) action(s *db.PageState) string {
	if s == nil {
		return "/staff/pages/new"
	}
	return "/staff/pages/" + itoa(s.Page.ID)
}

// StaffPageView is one page in the back office: where it stands, its editor
// (when the staff member may write it and its working revision can be
// edited), its revisions and its history.
type StaffPageView struct {
	State     *db.PageState
	Shown     *db.Revision // what the page is called by: the working revision, else the live one, else the newest
	CanAuthor bool
	Editable  bool // the form is shown: no working revision, or a draft or sent-back one
	Editor    PageEditor
	Conflict  string // a catalogue id saying what changed meanwhile, or ""
	History   []db.PageHistory
	Revisions []db.Revision
	SentBack  *db.PageHistory // the approver's send-back the working revision answers
	Approver  bool
	// LinkFlags are the domains whose link approval ended while the page
	// links to them (第16条).
	LinkFlags []string
}

// FieldDiff is one field compared between two revisions.
type FieldDiff struct {
	LabelKey string
	Segments []textdiff.Segment
	Long     bool // a text of several lines: kept as written
}

// Changed reports whether the field differs.
func (f FieldDiff) Changed() bool { return textdiff.Changed(f.Segments) }

// PageDiffView compares two revisions of a page.
type PageDiffView struct {
	State     *db.PageState
	Shown     *db.Revision // as StaffPageView.Shown
	From, To  *db.Revision
	Fields    []FieldDiff
	Revisions []db.Revision
}

func pageURL(id int64, rest string) string { return "/staff/pages/" + itoa(id) + rest }

func diffURL(id int64, from, to int) string {
	return pageURL(id, "/diff?from="+strconv.Itoa(from)+"&to="+strconv.Itoa(to))
}

func pageStatusKey(status string) string { return "pages.status." + status }
func pagesKindKey(kind string) string    { return "pages.kind." + kind }

// revisionOptions names each revision for the compare form: 第3版（公開中）.
func revisionOptions(ctx context.Context, revs []db.Revision) []Option {
	opts := make([]Option, len(revs))
	for i, r := range revs {
		opts[i] = Option{Value: strconv.Itoa(r.Number),
			Label: Tf(ctx, "pages.revision_option", map[string]any{"Number": r.Number, "Status": T(ctx, pageStatusKey(r.Status))})}
	}
	return opts
}

func siteOptions(sites []db.Site) []Option {
	opts := make([]Option, len(sites))
	for i, s := range sites {
		opts[i] = Option{Value: itoa(s.ID), Label: s.Name}
	}
	return opts
}

func facilityOptions(fs []db.Facility) []Option {
	opts := make([]Option, len(fs))
	for i, f := range fs {
		opts[i] = Option{Value: itoa(f.ID), Label: f.Name, Note: f.Town}
	}
	return opts
}

// historyAction names a history entry: the scheduler's publication that
// ended a live revision is its replacement (差し替え).
func historyAction(h db.PageHistory) string {
	if h.Action == db.PageActPublish && h.FromStatus == db.RevPublished {
		return "pages.action.replaced"
	}
	return "pages.action." + h.Action
}

// historyComment is what a person wrote with the step: the scheduler's and
// the migration's notes are for the log, not the reader.
func historyComment(h db.PageHistory) string {
	if h.ActorID == nil {
		return ""
	}
	return h.Comment
}

// actorLabel names who took a step and in which role.
func actorLabel(ctx context.Context, h db.PageHistory) string {
	if h.ActorID == nil {
		return T(ctx, "pages.history.system")
	}
	if h.ActorRole == "" {
		return h.ActorName
	}
	return h.ActorName + "（" + T(ctx, "role."+h.ActorRole) + "）"
}
