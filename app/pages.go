package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/app/textdiff"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// The authoring side of the back office (/staff/pages): editors (and
// moderators, for the operator's articles and facility links) write pages
// of every kind; approvers and site managers follow them. The staff role
// says what one may do, staff_divisions which division's pages and
// site_staff which site's (db.CanAuthor, db.StaffPageState).

// staffPages lists the pages of the staff member's divisions and sites.
func (a *App) staffPages(c echo.Context) error {
	u := currentUser(c)
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	f := db.PageFilter{Status: c.QueryParam("status"), Kind: c.QueryParam("kind")}
	if !slices.Contains(components.PageStatuses, f.Status) {
		f.Status = ""
	}
	if !slices.Contains(db.PageKinds, f.Kind) {
		f.Kind = ""
	}
	p, err := a.db.StaffPages(c.Request().Context(), u, f, after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "pages.title"), components.StaffPages(components.StaffPagesView{
		Page: p, Filter: f, Kinds: db.AuthorKinds(u), Approver: u.HasRole(db.RoleApprover)}))
}

// authorKind reads the kind of a new page: 404 for no kind at all, 403 for
// one the staff member does not write.
func authorKind(u *db.Account, kind string) error {
	if !slices.Contains(db.PageKinds, kind) {
		return fmt.Errorf("page kind %q: %w", kind, db.ErrNotFound)
	}
	if !slices.Contains(db.AuthorKinds(u), kind) {
		return fmt.Errorf("page kind %s: %w", kind, db.ErrForbidden)
	}
	return nil
}

// newPageEditor is the form for a new page with the choices the staff
// member has: their active sites and their divisions.
func (a *App) newPageEditor(c echo.Context, in form.NewPage, errs form.Errors) (components.PageEditor, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	sites, err := a.db.SitesOf(ctx, u.ID)
	if err != nil {
		return components.PageEditor{}, err
	}
	sites = slices.DeleteFunc(sites, func(s db.Site) bool { return s.Status != db.SiteActive })
	divisions, err := a.db.DivisionsOf(ctx, u.ID)
	if err != nil {
		return components.PageEditor{}, err
	}
	e := components.PageEditor{In: in.Page, Site: in.Site, Division: in.Division, Errs: errs, Sites: sites, Divisions: divisions}
	e.LeadDays = 2
	if len(sites) > 0 {
		e.LeadDays = sites[0].LeadDays
		for _, s := range sites {
			if strconv.FormatInt(s.ID, 10) == in.Site {
				e.LeadDays = s.LeadDays
			}
		}
	}
	return e, a.kindChoices(c, &e)
}

// kindChoices adds what the kind's fields offer: for an article, the
// facilities it may link and the names of the groups it links.
func (a *App) kindChoices(c echo.Context, e *components.PageEditor) error {
	if e.In.Kind != db.PageArticle {
		return nil
	}
	ctx := c.Request().Context()
	fs, err := a.db.ListFacilities(ctx)
	if err != nil {
		return err
	}
	e.Facilities = fs
	ids, _ := form.GroupRefs(e.In.Groups)
	e.Groups, err = a.db.GroupsByID(ctx, ids)
	return err
}

// newStaffPage shows the form for a new page of the kind asked for, or the
// choice of kinds.
func (a *App) newStaffPage(c echo.Context) error {
	u := currentUser(c)
	kind := c.QueryParam("kind")
	if kind == "" {
		return a.page(c, a.t(c, "pages.new"), components.NewPageKinds(db.AuthorKinds(u)))
	}
	if err := authorKind(u, kind); err != nil {
		return err
	}
	in := form.NewPage{Page: form.Page{Kind: kind}}
	if kind == db.PageArticle {
		in.ArticleKind = form.ArticleKindArticle
	}
	e, err := a.newPageEditor(c, in, nil)
	if err != nil {
		return err
	}
	if len(e.Sites) > 0 {
		e.Site = strconv.FormatInt(e.Sites[0].ID, 10)
	}
	if len(e.Divisions) > 0 {
		e.Division = strconv.FormatInt(e.Divisions[0].ID, 10)
	}
	e.In.SetPublish(form.DefaultPublishAt(a.now(), e.LeadDays, i18n.JST), i18n.JST)
	a.withEditorScript(c)
	return a.page(c, a.t(c, "pages.new"), components.NewPage(e))
}

// readPage reads the editor's form for a page of kind, as typed.
func readPage(c echo.Context, kind string) form.Page {
	f := form.Page{Kind: kind,
		Title: c.FormValue("title"), Body: c.FormValue("body"), Tags: c.FormValue("tags"),
		PublishDate: c.FormValue("publish_date"), PublishTime: c.FormValue("publish_time"),
		EndDate: c.FormValue("end_date"), EndTime: c.FormValue("end_time"),
		Urgent:      c.FormValue("urgent") != "",
		Eligibility: c.FormValue("eligibility"), Amount: c.FormValue("amount"),
		ApplyFrom: c.FormValue("apply_from"), ApplyUntil: c.FormValue("apply_until"),
		ArticleKind: c.FormValue("article_kind"), AuthorLabel: c.FormValue("author_label"), Groups: c.FormValue("groups"),
		Category: c.FormValue("category"), Town: c.FormValue("town"), Address: c.FormValue("address"),
		Phone: c.FormValue("phone"), URL: c.FormValue("url"), SortOrder: c.FormValue("sort_order"),
	}
	if vs, err := c.FormParams(); err == nil {
		f.Facilities = append([]string(nil), vs["facilities"]...)
	}
	return f
}

// checkLinks checks that the groups and facilities an article links to
// exist (the form offers the facilities; groups are typed by number).
func checkLinks(e *components.PageEditor, fields db.PageFields, errs form.Errors) {
	if e.In.Kind != db.PageArticle {
		return
	}
	if len(e.Groups) != len(fields.GroupIDs) {
		errs.Add("groups", "form.err.page_groups_unknown")
	}
	for _, id := range fields.FacilityIDs {
		if !slices.ContainsFunc(e.Facilities, func(f db.Facility) bool { return f.ID == id }) {
			errs.Add("facilities", "form.err.facility")
		}
	}
}

// preview renders what the form says for the preview box.
// with the content checks' findings as the division's page (0: none known).
func (a *App) preview(c echo.Context, in form.Page, divisionID int64) *components.Preview {
	if form.Len(in.Body) > markup.MaxSource {
		return &components.Preview{Title: in.Title, TooLong: true}
	}
	ctx := c.Request().Context()
	return &components.Preview{Title: in.Title, HTML: a.pageHTML(ctx, in.Body),
		Problems: a.pageProblems(ctx, 0, divisionID, in.Kind, in.Title, in.Body), InEditor: true}
}

// withEditorScript adds the script that selects a check finding's words in
// the editor's field (js/checks.js) to a page that shows the editor.
func (a *App) withEditorScript(c echo.Context) {
	a.viewRequest(c).Script = "js/checks.js"
}

// formID is an id typed in a form, 0 when it is none.
func formID(s string) int64 {
	id, _ := form.ID(s)
	return id
}

// createStaffPage stores a new page as a draft (or, with the preview button,
// shows the form again with the preview). Bad input keeps everything typed.
func (a *App) createStaffPage(c echo.Context) error {
	u := currentUser(c)
	kind := c.FormValue("kind")
	if err := authorKind(u, kind); err != nil {
		return err
	}
	in := form.NewPage{Page: readPage(c, kind), Site: c.FormValue("site"), Division: c.FormValue("division")}
	in.Normalize()
	siteID, divisionID, content, errs := in.Validate(a.now(), i18n.JST)
	e, err := a.newPageEditor(c, in, errs)
	if err != nil {
		return err
	}
	a.withEditorScript(c)
	if c.FormValue("action") == "preview" {
		e.Errs, e.Preview = nil, a.preview(c, in.Page, formID(in.Division))
		return a.page(c, a.t(c, "pages.new"), components.NewPage(e))
	}
	checkLinks(&e, content.Fields, errs)
	if errs.Any() {
		e.Preview = a.preview(c, in.Page, formID(in.Division))
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "pages.new"), components.NewPage(e))
	}
	p, _, err := a.db.CreatePage(c.Request().Context(), actorAs(c, actingRole(c)),
		db.NewPage{SiteID: siteID, DivisionID: divisionID, Kind: kind, PageContent: content})
	if err != nil {
		return err
	}
	a.flash(c, "success", "pages.flash.created")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/pages/%d", p.ID))
}

// staffPageView loads a page for the staff member with everything its page
// shows; the editor starts from the working revision, or — for a new
// revision — from the newest one with a fresh publish time.
func (a *App) staffPageView(c echo.Context, id int64) (components.StaffPageView, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	s, err := a.db.StaffPageState(ctx, u, id)
	if err != nil {
		return components.StaffPageView{}, err
	}
	v := components.StaffPageView{State: s, Approver: u.HasRole(db.RoleApprover)}
	if v.CanAuthor, err = a.db.CanAuthor(ctx, u, s.Page.Kind, s.Page.SiteID, s.Page.DivisionID); err != nil {
		return v, err
	}
	if v.History, err = a.db.PageHistory(ctx, id); err != nil {
		return v, err
	}
	if v.Revisions, err = a.db.Revisions(ctx, id); err != nil {
		return v, err
	}
	flags, err := a.db.PageLinkFlags(ctx, []int64{id})
	if err != nil {
		return v, err
	}
	v.LinkFlags = flags[id]
	if v.Shown = s.Latest(); v.Shown == nil {
		v.Shown = &v.Revisions[0] // a page always has a revision; none working or live: its newest
	}
	for i := range v.History {
		if h := v.History[i]; h.Action == db.PageActSendBack && s.Working != nil && h.RevisionID == s.Working.ID {
			v.SentBack = &v.History[i]
		}
	}
	e := components.PageEditor{LeadDays: s.Site.LeadDays}
	switch w := s.Working; {
	case w == nil && len(v.Revisions) > 0:
		base := v.Revisions[0].Content()
		e.In = form.PageFromContent(s.Page.Kind, base, i18n.JST)
		e.In.SetPublish(form.DefaultPublishAt(a.now(), s.Site.LeadDays, i18n.JST), i18n.JST)
		if base.EndAt != nil && !base.EndAt.After(a.now()) {
			e.In.EndDate, e.In.EndTime = "", ""
		}
		e.NewRevision, v.Editable = true, true
	case w != nil:
		e.In = form.PageFromContent(s.Page.Kind, w.Content(), i18n.JST)
		e.Version = w.Version
		v.Editable = w.Status == db.RevDraft || w.Status == db.RevSentBack
	}
	e.Preview = &components.Preview{Title: v.Shown.Title, HTML: a.pageHTML(ctx, v.Shown.Body),
		Problems: a.pageProblems(ctx, s.Page.ID, s.Page.DivisionID, s.Page.Kind, v.Shown.Title, v.Shown.Body),
		InEditor: v.Editable && v.CanAuthor}
	v.Editor = e
	a.withEditorScript(c)
	return v, a.kindChoices(c, &v.Editor)
}

// staffPage shows a page: its state, the editor, its revisions, its history.
func (a *App) staffPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := a.staffPageView(c, id)
	if err != nil {
		return err
	}
	return a.page(c, v.Shown.Title, components.StaffPage(v))
}

// formVersion reads the version a form was opened at; anything else is 0,
// which EditPage and WithdrawPage take as "not the current one".
func formVersion(c echo.Context) int {
	n, ok := form.Int(c.FormValue("version"), 1, 1<<30)
	if !ok {
		return 0
	}
	return n
}

// saveStaffPage saves the editor's form as the working revision (a new revision
// of a live page leaves the live one up: 差し替え), and with 保存して申請
// submits it too; the preview button shows the form again with the
// preview. A revision changed by someone else since the form was opened
// is a conflict: the form comes back with everything typed and says so.
func (a *App) saveStaffPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := a.staffPageView(c, id)
	if err != nil {
		return err
	}
	if !v.CanAuthor {
		return fmt.Errorf("page %d: %w", id, db.ErrForbidden)
	}
	in := readPage(c, v.State.Page.Kind)
	in.Normalize()
	typed := func(errs form.Errors) error {
		v.Editor.In, v.Editor.Errs = in, errs
		v.Editor.Version, v.Editor.NewRevision = formVersion(c), c.FormValue("new_revision") != ""
		v.Editable = true
		return a.kindChoices(c, &v.Editor)
	}
	action := c.FormValue("action")
	if action == "preview" {
		if err := typed(nil); err != nil {
			return err
		}
		v.Editor.Preview = a.preview(c, in, v.State.Page.DivisionID)
		return a.page(c, v.Shown.Title, components.StaffPage(v))
	}
	content, errs := in.Validate(a.now(), i18n.JST)
	if err := typed(errs); err != nil {
		return err
	}
	checkLinks(&v.Editor, content.Fields, errs)
	if errs.Any() {
		v.Editor.Preview = a.preview(c, in, v.State.Page.DivisionID)
		return a.render(c, http.StatusUnprocessableEntity, v.Shown.Title, components.StaffPage(v))
	}
	_, err = a.db.EditPage(c.Request().Context(), db.Edit{
		Transition:  db.Transition{PageID: id, Version: v.Editor.Version, Actor: actorAs(c, actingRole(c)), Now: a.now()},
		NewRevision: v.Editor.NewRevision, Content: content, Submit: action == "submit"}, a.pageSubmittedMail)
	if errors.Is(err, db.ErrConflict) {
		return a.staffPageConflict(c, id, func(v *components.StaffPageView) error {
			v.Editor.In, v.Editable = in, true
			v.Editor.Preview = a.preview(c, in, v.State.Page.DivisionID)
			return a.kindChoices(c, &v.Editor)
		})
	}
	if err != nil {
		return err
	}
	if action == "submit" {
		a.flash(c, "success", "pages.flash.submitted")
	} else {
		a.flash(c, "success", "pages.flash.saved")
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/pages/%d", id))
}

// staffPageConflict shows the page as it is now with a 409 and what happened:
// someone else saved, submitted, withdrew or decided it meanwhile. keep
// puts back what the editor typed, so nothing is lost; saving again then
// writes over the newer revision knowingly (the form carries its version).
func (a *App) staffPageConflict(c echo.Context, id int64, keep func(*components.StaffPageView) error) error {
	v, err := a.staffPageView(c, id)
	if err != nil {
		return err
	}
	v.Conflict = "pages.conflict"
	if w := v.State.Working; w != nil && w.Status != db.RevDraft && w.Status != db.RevSentBack {
		v.Conflict = "pages.conflict_locked"
	}
	if keep != nil && v.CanAuthor {
		if err := keep(&v); err != nil {
			return err
		}
	}
	return a.render(c, http.StatusConflict, v.Shown.Title, components.StaffPage(v))
}

// withdrawStaffPage takes the working revision back: a submission or an
// approval stops, a draft is dropped; a live revision stays up.
func (a *App) withdrawStaffPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	err = a.db.WithdrawPage(c.Request().Context(), db.Transition{PageID: id, Version: formVersion(c),
		Actor: actorAs(c, actingRole(c)), Now: a.now()})
	if errors.Is(err, db.ErrConflict) {
		return a.staffPageConflict(c, id, nil)
	}
	if err != nil {
		return err
	}
	a.flash(c, "success", "pages.flash.withdrawn")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/pages/%d", id))
}

// previewStaffPage renders the title and body an editor is typing: the htmx
// preview swapped in under the form, exactly the HTML that will be published.
func (a *App) previewStaffPage(c echo.Context) error {
	in := form.Page{Kind: c.FormValue("kind"), Title: form.Text(c.FormValue("title")), Body: form.Markdown(c.FormValue("body"))}
	divisionID := formID(form.Fold(c.FormValue("division")))
	if pageID := formID(c.FormValue("page")); pageID != 0 {
		// The page's own division and kind: the editor of an existing
		// page sends neither. The contact block is public, so loading
		// it for any page id shows nothing a caller could not read.
		if s, err := a.db.PageState(c.Request().Context(), pageID); err == nil {
			divisionID, in.Kind = s.Page.DivisionID, s.Page.Kind
		}
	}
	return a.render(c, http.StatusOK, a.t(c, "pages.preview_heading"), components.PagePreview(a.preview(c, in, divisionID)))
}

// staffPageDiff compares two revisions of a page (by default the newest with
// the one before it), field by field and character by character.
func (a *App) staffPageDiff(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	s, err := a.db.StaffPageState(ctx, currentUser(c), id)
	if err != nil {
		return err
	}
	revs, err := a.db.Revisions(ctx, id)
	if err != nil {
		return err
	}
	to, from := revs[0].Number, revs[0].Number-1
	for _, p := range []struct {
		name string
		n    *int
	}{{"from", &from}, {"to", &to}} {
		if v := c.QueryParam(p.name); v != "" {
			n, ok := form.Int(v, 1, 1<<30)
			if !ok {
				return fmt.Errorf("revision %q: %w", v, db.ErrNotFound)
			}
			*p.n = n
		}
	}
	byNumber := func(n int) (*db.Revision, error) {
		for i := range revs {
			if revs[i].Number == n {
				return &revs[i], nil
			}
		}
		return nil, fmt.Errorf("revision %d of page %d: %w", n, id, db.ErrNotFound)
	}
	if from < 1 {
		from = to
	}
	fr, err := byNumber(from)
	if err != nil {
		return err
	}
	tr, err := byNumber(to)
	if err != nil {
		return err
	}
	shown := s.Latest()
	if shown == nil {
		shown = &revs[0]
	}
	v := components.PageDiffView{State: s, Shown: shown, From: fr, To: tr, Revisions: revs, Fields: a.diffFields(c, s.Page.Kind, fr, tr)}
	return a.page(c, a.t(c, "pages.diff"), components.PageDiff(v))
}

// diffField is one field of a revision as text, for comparing.
type diffField struct {
	key  string
	long bool
	text func(r *db.Revision) string
}

// diffFields compares what the two revisions say, field by field: the
// text every kind has, then the fields of the page's kind.
func (a *App) diffFields(c echo.Context, kind string, from, to *db.Revision) []components.FieldDiff {
	lang := a.viewRequest(c).Lang
	fields := []diffField{
		{titleField(kind), false, func(r *db.Revision) string { return r.Title }},
		{"pages.field.body", true, func(r *db.Revision) string { return r.Body }},
		{"pages.field.tags", false, func(r *db.Revision) string { return strings.Join(r.Tags, "、") }},
		{"pages.field.publish", false, func(r *db.Revision) string { return i18n.DateTime(lang, r.PublishAt) }},
		{"pages.field.end", false, func(r *db.Revision) string {
			if r.EndAt == nil {
				return ""
			}
			return i18n.DateTime(lang, *r.EndAt)
		}},
	}
	switch kind {
	case db.PageNotice:
		fields = append(fields, diffField{"pages.field.urgent_legend", false, func(r *db.Revision) string {
			if r.Fields.Urgent {
				return a.t(c, "pages.field.urgent")
			}
			return ""
		}})
	case db.PageSubsidy:
		fields = append(fields,
			diffField{"pages.field.eligibility", true, func(r *db.Revision) string { return r.Fields.Eligibility }},
			diffField{"pages.field.amount", false, func(r *db.Revision) string { return r.Fields.Amount }},
			diffField{"pages.field.apply_from", false, func(r *db.Revision) string { return r.Fields.ApplyFrom }},
			diffField{"pages.field.apply_until", false, func(r *db.Revision) string { return r.Fields.ApplyUntil }})
	case db.PageArticle:
		fields = append(fields,
			diffField{"pages.field.article_kind", false, func(r *db.Revision) string {
				if r.Fields.ArticleKind == "" {
					return ""
				}
				return a.t(c, "pages.article_kind."+r.Fields.ArticleKind)
			}},
			diffField{"pages.field.author_label", false, func(r *db.Revision) string { return r.Fields.AuthorLabel }},
			diffField{"pages.field.groups", false, func(r *db.Revision) string { return ids(r.Fields.GroupIDs) }},
			diffField{"pages.field.facilities", false, func(r *db.Revision) string { return ids(r.Fields.FacilityIDs) }})
	case db.PageFacility:
		fields = append(fields,
			diffField{"pages.field.category", false, func(r *db.Revision) string { return r.Fields.Category }},
			diffField{"pages.field.town", false, func(r *db.Revision) string { return r.Fields.Town }},
			diffField{"pages.field.address", false, func(r *db.Revision) string { return r.Fields.Address }},
			diffField{"pages.field.phone", false, func(r *db.Revision) string { return r.Fields.Phone }},
			diffField{"pages.field.url", false, func(r *db.Revision) string { return r.Fields.URL }},
			diffField{"pages.field.sort_order", false, func(r *db.Revision) string {
				if r.Fields.SortOrder == 0 {
					return ""
				}
				return strconv.Itoa(r.Fields.SortOrder)
			}})
	}
	out := make([]components.FieldDiff, len(fields))
	for i, f := range fields {
		out[i] = components.FieldDiff{LabelKey: f.key, Long: f.long, Segments: textdiff.Chars(f.text(from), f.text(to))}
	}
	return out
}

func titleField(kind string) string {
	if kind == db.PageFacility {
		return "pages.field.facility_name"
	}
	return "pages.field.title"
}

func ids(list []int64) string {
	s := make([]string, len(list))
	for i, id := range list {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}
