package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// sitesEnv is the official site and two department sub-sites: A (division
// kurashi) run by mgrA, B (division kankyo) run by mgrB. prMgr manages the
// official site; editorA works on A, editorB on B.
type sitesEnv struct {
	*testEnv
	ctx                    context.Context
	official, siteA, siteB *db.Site
	divA, divB             *db.Division
	ward, prMgr            *db.Account
	mgrA, mgrB             *db.Account
	editorA, editorB       *db.Account
}

func newSitesEnv(t *testing.T) *sitesEnv {
	t.Helper()
	e := &sitesEnv{testEnv: newTestEnv(t), ctx: context.Background()}
	var err error
	if e.official, err = e.db.OfficialSite(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.ward = e.staffAccount("ward-s", db.RoleWardStaff)
	setup := db.Actor{Account: e.ward, Role: db.RoleWardStaff}
	e.divA, e.divB = &db.Division{Code: "kurashi", Name: "くらし推進課", Contact: "区役所3階 くらし推進係\n電話 03-0000-0001"},
		&db.Division{Code: "kankyo", Name: "環境課"}
	for _, dv := range []*db.Division{e.divA, e.divB} {
		if err := e.db.CreateDivision(e.ctx, setup, dv); err != nil {
			t.Fatal(err)
		}
	}
	place := func(acc *db.Account, div *db.Division) *db.Account {
		if err := e.db.SetStaffDivisions(e.ctx, setup, acc.ID, []int64{div.ID}); err != nil {
			t.Fatal(err)
		}
		return acc
	}
	e.prMgr = place(e.staffAccount("pr-mgr", db.RoleSiteManager), e.divA)
	if err := e.db.AddSiteStaff(e.ctx, setup, e.official.ID, e.prMgr.ID); err != nil {
		t.Fatal(err)
	}
	e.mgrA = place(e.staffAccount("mgr-a", db.RoleSiteManager, db.RoleEditor, db.RoleApprover), e.divA)
	e.mgrB = place(e.staffAccount("mgr-b", db.RoleSiteManager, db.RoleEditor, db.RoleApprover), e.divB)
	e.editorA = place(e.staffAccount("editor-a", db.RoleEditor), e.divA)
	e.editorB = place(e.staffAccount("editor-b", db.RoleEditor), e.divB)
	open := func(by *db.Account, slug, name string, div *db.Division, editor *db.Account) *db.Site {
		s, err := e.db.ApplySite(e.ctx, db.Actor{Account: by, Role: db.RoleSiteManager},
			db.SiteApplication{Slug: slug, Name: name, Purpose: "事業の案内", DivisionID: div.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.DecideSite(e.ctx, db.SiteDecision{SiteID: s.ID, Approve: true, Actor: db.Actor{Account: e.prMgr, Role: db.RoleSiteManager}, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := e.db.AddSiteStaff(e.ctx, setup, s.ID, editor.ID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	e.siteA = open(e.mgrA, "kurashi", "くらしのサイト", e.divA, e.editorA)
	e.siteB = open(e.mgrB, "kankyo", "環境のサイト", e.divB, e.editorB)
	return e
}

// as is a browser signed in as acc.
func (e *sitesEnv) as(acc *db.Account) *testEnv {
	e.t.Helper()
	c := e.client()
	c.signIn(acc.LoginID, "staff-password-1").wantStatus(e.t, http.StatusSeeOther)
	return c
}

// publishPage writes, submits and approves a page of site (of its
// division) by author, an editor, approver and site manager there: with
// the override a site manager may give, it is live at once.
func publishPage(t *testing.T, d *db.DB, site *db.Site, author *db.Account, title, body string) int64 {
	t.Helper()
	return publishPageOf(t, d, site, site.DivisionID, author, title, body)
}

func publishPageOf(t *testing.T, d *db.DB, site *db.Site, divisionID int64, author *db.Account, title, body string) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	act := db.Actor{Account: author, Role: db.RoleEditor}
	p, _, err := d.CreatePage(ctx, act, db.NewPage{SiteID: site.ID, DivisionID: divisionID, Kind: db.PageGeneral,
		PageContent: db.PageContent{Title: title, Body: body, PublishAt: now}})
	if err != nil {
		t.Fatal(err)
	}
	step := db.Transition{PageID: p.ID, Actor: act, Now: now}
	if err := d.SubmitPage(ctx, step, nil); err != nil {
		t.Fatal(err)
	}
	step.Override = "テストのため即日公開"
	if err := d.ApprovePage(ctx, step); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// subSiteFixture opens, for the hostile walk, a sub-site run by mgr (a site
// manager, editor and approver, who also joins the official site's staff)
// with one published page, and leaves an application of mgr's waiting.
func (e *testEnv) subSiteFixture(mgr *db.Account, active, applied string) (*db.Site, int64) {
	e.t.Helper()
	ctx := context.Background()
	act := db.Actor{Account: mgr, Role: db.RoleSiteManager}
	div := &db.Division{Code: "div-" + active, Name: active + " 課"}
	if err := e.db.CreateDivision(ctx, act, div); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.SetStaffDivisions(ctx, act, mgr.ID, []int64{div.ID}); err != nil {
		e.t.Fatal(err)
	}
	official, err := e.db.OfficialSite(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.AddSiteStaff(ctx, act, official.ID, mgr.ID); err != nil {
		e.t.Fatal(err)
	}
	s, err := e.db.ApplySite(ctx, act, db.SiteApplication{Slug: active, Name: active, Purpose: "案内", DivisionID: div.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.DecideSite(ctx, db.SiteDecision{SiteID: s.ID, Approve: true, Actor: act, Now: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
	page := publishPage(e.t, e.db, s, mgr, "サブサイトのページ", "## 見出し\n\n本文です。")
	if _, err := e.db.ApplySite(ctx, act, db.SiteApplication{Slug: applied, Name: applied, Purpose: "案内", DivisionID: div.ID}); err != nil {
		e.t.Fatal(err)
	}
	return s, page
}

func (e *sitesEnv) site(t *testing.T, id int64) *db.SiteOverview {
	t.Helper()
	s, _, err := e.db.SiteDetail(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// auditDetails lists the details of the audit entries of action, oldest first.
func (e *sitesEnv) auditDetails(t *testing.T, action string) string {
	t.Helper()
	var ds []string
	if err := e.db.Bun.NewSelect().Table("audit_log").Column("detail").Where("action = ?", action).Order("id").Scan(e.ctx, &ds); err != nil {
		t.Fatal(err)
	}
	return strings.Join(ds, "\n")
}

func TestSubSiteApplicationIsDecidedByTheOfficialSite(t *testing.T) {
	t.Parallel()
	e := newSitesEnv(t)
	editor := e.as(e.editorA)

	// The form offers the editor's own divisions; empty, it says what is
	// missing next to each field and keeps what was typed.
	page := editor.get("/staff/sites")
	page.wantStatus(t, http.StatusOK)
	if opts := page.Doc.Find(`#f-division option`); opts.Length() != 1 || opts.AttrOr("value", "") != fmt.Sprint(e.divA.ID) {
		t.Fatalf("division choices: %d", opts.Length())
	}
	res := editor.post("/staff/sites", url.Values{"_csrf": {editor.token()}, "division": {fmt.Sprint(e.divA.ID)},
		"slug": {"Kosodate Shien"}, "name": {"子育て支援"}, "host": {"not a host"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	for field, want := range map[string]string{"slug": "英小文字", "purpose": "目的", "host": "ホスト名"} {
		if got := fieldError(res, field); !strings.Contains(got, want) {
			t.Errorf("%s: error %q, want %q", field, got, want)
		}
	}
	if v := res.Doc.Find("#f-name").AttrOr("value", ""); v != "子育て支援" {
		t.Errorf("the name typed is lost: %q", v)
	}
	// Another division's id is not the editor's to apply for.
	res = editor.post("/staff/sites", url.Values{"_csrf": {editor.token()}, "division": {fmt.Sprint(e.divB.ID)},
		"slug": {"kosodate"}, "name": {"子育て支援"}, "purpose": {"相談窓口の案内"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := fieldError(res, "division"); got == "" {
		t.Error("applying for another division: no error at the division")
	}
	// A taken address.
	res = editor.post("/staff/sites", url.Values{"_csrf": {editor.token()}, "division": {fmt.Sprint(e.divA.ID)},
		"slug": {"kankyo"}, "name": {"子育て支援"}, "purpose": {"相談窓口の案内"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := fieldError(res, "slug"); !strings.Contains(got, "ほかのサイト") {
		t.Errorf("a taken slug: %q", got)
	}
	apply := func(slug string) *db.SiteOverview {
		t.Helper()
		editor.post("/staff/sites", url.Values{"_csrf": {editor.token()}, "division": {fmt.Sprint(e.divA.ID)},
			"slug": {slug}, "name": {"子育て支援"}, "purpose": {"相談窓口の案内"}, "host": {strings.ToUpper(slug) + ".City.Example.JP"}}).
			wantStatus(t, http.StatusSeeOther)
		for _, s := range e.sites(t) {
			if s.Slug == slug {
				return &s
			}
		}
		t.Fatalf("no site %s after applying", slug)
		return nil
	}
	app := apply("kosodate")
	if app.Status != db.SiteApplied || app.Host == nil || *app.Host != "kosodate.city.example.jp" || *app.AppliedBy != e.editorA.ID {
		t.Fatalf("the application: %+v", app.Site)
	}
	// Not served while applied for.
	e.get("/s/kosodate").wantStatus(t, http.StatusNotFound)
	if _, err := e.db.Bun.NewUpdate().Model(e.editorA).Set("work_email = 'editor-a@city.example.jp'").WherePK().Exec(e.ctx); err != nil {
		t.Fatal(err)
	}

	// Only a site manager of the official site decides: not a sub-site's
	// manager, not an approver, not the applicant.
	decision := func(c *testEnv, id int64, decision, comment string) *response {
		return c.post(fmt.Sprintf("/staff/sites/%d/decision", id), url.Values{"_csrf": {c.token()}, "decision": {decision}, "comment": {comment}})
	}
	for _, acc := range []*db.Account{e.mgrA, e.mgrB, e.editorA} {
		decision(e.as(acc), app.ID, "approve", "").wantStatus(t, http.StatusForbidden)
	}
	if s := e.site(t, app.ID); s.Status != db.SiteApplied {
		t.Fatalf("after refused decisions the site is %s", s.Status)
	}
	// The official site's manager sees the decision forms.
	pr := e.as(e.prMgr)
	list := pr.get("/staff/sites")
	if n := list.Doc.Find(fmt.Sprintf(`#site-%d form button[name="decision"]`, app.ID)).Length(); n != 2 {
		t.Errorf("the official manager sees %d decision buttons, want approve and refuse", n)
	}
	if n := editor.get("/staff/sites").Doc.Find(`button[name="decision"]`).Length(); n != 0 {
		t.Errorf("the editor sees %d decision buttons", n)
	}
	// A refusal needs a reason, said next to the comment field.
	res = decision(pr, app.ID, "refuse", "")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := strings.TrimSpace(res.Doc.Find(fmt.Sprintf("#f-comment-%d-error", app.ID)).Text()); !strings.Contains(got, "理由") {
		t.Errorf("a refusal without a reason: %q", got)
	}
	decision(pr, app.ID, "refuse", "公式サイトの子育てページで足ります。").wantStatus(t, http.StatusSeeOther)
	if s := e.site(t, app.ID); s.Status != db.SiteRefused || s.Decision != "公式サイトの子育てページで足ります。" || *s.DecidedBy != e.prMgr.ID {
		t.Fatalf("refused: %+v", s.Site)
	}
	decision(pr, app.ID, "approve", "").wantStatus(t, http.StatusConflict)

	// Approved: live at its address, the applicant on its staff.
	app2 := apply("kosodate2")
	decision(pr, app2.ID, "approve", "").wantStatus(t, http.StatusSeeOther)
	if s := e.site(t, app2.ID); s.Status != db.SiteActive {
		t.Fatalf("approved: %s", s.Status)
	}
	if rights, err := e.db.SiteRights(e.ctx, e.editorA); err != nil || rights.ManagesAny() {
		t.Errorf("an editor applicant manages no site: %+v %v", rights, err)
	}
	_, staff, _ := e.db.SiteDetail(e.ctx, app2.ID)
	if len(staff) != 1 || staff[0].ID != e.editorA.ID {
		t.Errorf("staff of the approved site: %+v", staff)
	}
	e.get("/s/kosodate2").wantStatus(t, http.StatusOK)
	// The applicant was told each decision at their work address.
	var mails []db.Mail
	if err := e.db.Bun.NewSelect().Model(&mails).Where("to_addr = 'editor-a@city.example.jp'").Order("id").Scan(e.ctx); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 2 || mails[0].Kind != "site_refused" || !strings.Contains(mails[0].Body, "公式サイトの子育てページで足ります。") ||
		mails[1].Kind != "site_approved" || !strings.Contains(mails[1].Body, "/s/kosodate2") || *mails[1].AccountID != e.editorA.ID {
		t.Errorf("mails to the applicant: %+v", mails)
	}
	log := e.auditDetails(t, db.AuditSiteChange)
	for _, want := range []string{"site kosodate applied for: 相談窓口の案内", "site kosodate refused: 公式サイトの子育てページで足ります。",
		"site kosodate2 active", fmt.Sprintf("added to site %d", app2.ID)} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %q:\n%s", want, log)
		}
	}
}

func (e *sitesEnv) sites(t *testing.T) []db.SiteOverview {
	t.Helper()
	ss, err := e.db.SiteOverviews(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func TestSubSiteSettingsAndStaffByItsManagers(t *testing.T) {
	t.Parallel()
	e := newSitesEnv(t)
	mgrA := e.as(e.mgrA)
	pathA, pathB := fmt.Sprintf("/staff/sites/%d", e.siteA.ID), fmt.Sprintf("/staff/sites/%d", e.siteB.ID)
	page := mgrA.get(pathA)
	page.wantStatus(t, http.StatusOK)
	if page.Doc.Find(`form[action="`+pathA+`/settings"]`).Length() != 1 {
		t.Fatal("A's manager sees no settings form for A")
	}
	settings := func(c *testEnv, path string, kv ...string) *response {
		v := url.Values{"_csrf": {c.token()}, "name": {"くらしのサイト"}, "lead_days": {"2"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return c.post(path+"/settings", v)
	}

	// The lead time is a number of days from 0 to 30, said next to the field.
	for _, bad := range []string{"31", "-1", "二日", "3000000000", ""} {
		res := settings(mgrA, pathA, "lead_days", bad)
		res.wantStatus(t, http.StatusUnprocessableEntity)
		if got := fieldError(res, "lead_days"); !strings.Contains(got, "0〜30") {
			t.Errorf("lead days %q: error %q", bad, got)
		}
		if v := res.Doc.Find("#f-lead_days").AttrOr("value", "?"); v != bad {
			t.Errorf("lead days %q: the field shows %q", bad, v)
		}
	}
	// Navigation: a row half filled, an outside address, a protocol-relative one.
	res := settings(mgrA, pathA, "nav_label_0", "イベント", "nav_label_1", "外部", "nav_target_1", "https://evil.example/",
		"nav_label_2", "外部2", "nav_target_2", "//evil.example/x")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	for _, f := range []string{"nav_target_0", "nav_target_1", "nav_target_2"} {
		if fieldError(res, f) == "" {
			t.Errorf("%s: no error", f)
		}
	}
	if e.site(t, e.siteA.ID).LeadDays != 2 {
		t.Fatal("a refused form changed the site")
	}
	settings(mgrA, pathA, "name", "くらしと住まい", "lead_days", "５", "nav_label_0", "イベント", "nav_target_0", "/events",
		"nav_label_1", "ごあいさつ", "nav_target_1", "12").wantStatus(t, http.StatusSeeOther)
	s := e.site(t, e.siteA.ID)
	if s.Name != "くらしと住まい" || s.LeadDays != 5 || len(s.Nav) != 2 || s.Nav[0] != (db.NavLink{Label: "イベント", Path: "/events"}) ||
		s.Nav[1] != (db.NavLink{Label: "ごあいさつ", PageID: 12}) {
		t.Fatalf("settings saved: %+v", s.Site)
	}
	if log := e.auditDetails(t, db.AuditSiteChange); !strings.Contains(log, "site kurashi: name \"くらしのサイト\" → \"くらしと住まい\"; lead days 2 → 5; navigation 0 → 2 links") {
		t.Errorf("audit log:\n%s", log)
	}

	// A's manager may look at B but change nothing of it.
	pageB := mgrA.get(pathB)
	pageB.wantStatus(t, http.StatusOK)
	if n := pageB.Doc.Find("main form").Length(); n != 0 {
		t.Errorf("A's manager sees %d forms on B's page", n)
	}
	settings(mgrA, pathB, "lead_days", "7").wantStatus(t, http.StatusForbidden)
	for _, p := range []string{"/staff", "/staff/remove"} {
		mgrA.post(pathB+p, url.Values{"_csrf": {mgrA.token()}, "account": {fmt.Sprint(e.editorB.ID)}}).wantStatus(t, http.StatusForbidden)
	}
	mgrA.post(pathB+"/close", url.Values{"_csrf": {mgrA.token()}}).wantStatus(t, http.StatusForbidden)
	if s := e.site(t, e.siteB.ID); s.LeadDays != 2 || s.Status != db.SiteActive || s.StaffCount != 2 {
		t.Fatalf("B changed by A's manager: %+v", s)
	}
	// An editor of A cannot either (the guard: site managers only).
	settings(e.as(e.editorA), pathA, "lead_days", "7").wantStatus(t, http.StatusForbidden)
	// The official site's manager may manage every site.
	pr := e.as(e.prMgr)
	settings(pr, pathB, "name", "環境のサイト", "lead_days", "0").wantStatus(t, http.StatusSeeOther)
	if s := e.site(t, e.siteB.ID); s.LeadDays != 0 {
		t.Errorf("the official manager's change to B: %d", s.LeadDays)
	}

	// Staff: A's manager adds B's editor to A and takes them off again.
	addForm := mgrA.get(pathA).Doc.Find(`form[action="` + pathA + `/staff"] select[name="account"] option[value="` + fmt.Sprint(e.editorB.ID) + `"]`)
	if addForm.Length() != 1 {
		t.Fatal("B's editor is not offered for A's staff")
	}
	res = mgrA.post(pathA+"/staff", url.Values{"_csrf": {mgrA.token()}, "account": {""}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if fieldError(res, "account") == "" {
		t.Error("adding nobody: no error at the field")
	}
	mgrA.post(pathA+"/staff", url.Values{"_csrf": {mgrA.token()}, "account": {fmt.Sprint(e.editorB.ID)}}).wantStatus(t, http.StatusSeeOther)
	if s := e.site(t, e.siteA.ID); s.StaffCount != 3 {
		t.Fatalf("staff of A after adding: %d", s.StaffCount)
	}
	mgrA.post(pathA+"/staff/remove", url.Values{"_csrf": {mgrA.token()}, "account": {fmt.Sprint(e.editorB.ID)}}).wantStatus(t, http.StatusSeeOther)
	if s := e.site(t, e.siteA.ID); s.StaffCount != 2 {
		t.Fatalf("staff of A after removing: %d", s.StaffCount)
	}
	// Sent twice (a double tap, another tab): nothing more to remove or record.
	mgrA.post(pathA+"/staff/remove", url.Values{"_csrf": {mgrA.token()}, "account": {fmt.Sprint(e.editorB.ID)}}).wantStatus(t, http.StatusSeeOther)
	for _, want := range []string{fmt.Sprintf("added to site %d", e.siteA.ID), fmt.Sprintf("removed from site %d", e.siteA.ID)} {
		var n int
		if err := e.db.Bun.NewSelect().Table("audit_log").ColumnExpr("count(*)").
			Where("action = ? AND subject_id = ? AND actor_id = ? AND detail = ?", db.AuditSiteChange, e.editorB.ID, e.mgrA.ID, want).
			Scan(e.ctx, &n); err != nil || n != 1 {
			t.Errorf("audit log has %q for B's editor by A's manager %d times (%v), want once", want, n, err)
		}
	}
	// The official site keeps a site manager.
	offPath := fmt.Sprintf("/staff/sites/%d", e.official.ID)
	res = pr.post(offPath+"/staff/remove", url.Values{"_csrf": {pr.token()}, "account": {fmt.Sprint(e.prMgr.ID)}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Doc.Find(`main [role="alert"]`).Text(), "サイト管理者が1人もいなくなる") {
		t.Error("removing the last official manager: no message")
	}

	// Closing: A's address and list stop serving it.
	publishPage(t, e.db, e.siteA, e.mgrA, "閉鎖前のページ", "本文")
	e.get("/s/kurashi").wantStatus(t, http.StatusOK)
	mgrA.post(pathA+"/close", url.Values{"_csrf": {mgrA.token()}, "reason": {"公式サイトに統合"}}).wantStatus(t, http.StatusSeeOther)
	e.get("/s/kurashi").wantStatus(t, http.StatusNotFound)
	if s := e.site(t, e.siteA.ID); s.Status != db.SiteClosed {
		t.Fatalf("closed: %s", s.Status)
	}
	if n := mgrA.get(pathA).Doc.Find(`form[action="` + pathA + `/settings"]`).Length(); n != 0 {
		t.Error("a closed site still offers its settings")
	}
	if !strings.Contains(e.auditDetails(t, db.AuditSiteChange), "site kurashi closed: 公式サイトに統合") {
		t.Error("closing is not on record")
	}
}

func TestSubSiteServesItsOwnLivePages(t *testing.T) {
	t.Parallel()
	e := newSitesEnv(t)
	live := publishPage(t, e.db, e.siteA, e.mgrA, "ごみの出し方", "## 出す日\n\n燃やすごみは**月曜と木曜**です。\n\n<script>alert(1)</script>")
	// A new revision in the works: the live one stays what is shown.
	if _, err := e.db.SavePage(e.ctx, db.Transition{PageID: live, Actor: db.Actor{Account: e.mgrA, Role: db.RoleEditor}, Now: time.Now()},
		db.PageContent{Title: "ごみの出し方（改訂中）", Body: "作業中", PublishAt: time.Now().Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// A draft of A, a page of B, a page of the official site.
	if _, _, err := e.db.CreatePage(e.ctx, db.Actor{Account: e.editorA, Role: db.RoleEditor}, db.NewPage{SiteID: e.siteA.ID,
		DivisionID: e.divA.ID, Kind: db.PageGeneral, PageContent: db.PageContent{Title: "下書きのページ", PublishAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	pageB := publishPage(t, e.db, e.siteB, e.mgrB, "環境のページ", "本文")
	if err := e.db.AddSiteStaff(e.ctx, db.Actor{Account: e.ward, Role: db.RoleWardStaff}, e.official.ID, e.mgrA.ID); err != nil {
		t.Fatal(err)
	}
	official := publishPageOf(t, e.db, e.official, e.divA.ID, e.mgrA, "公式サイトのページ", "本文")
	if err := e.db.UpdateSiteSettings(e.ctx, db.Actor{Account: e.mgrA}, e.siteA.ID, db.SiteSettings{Name: "くらしのサイト", LeadDays: 2,
		Nav: []db.NavLink{{Label: "イベント", Path: "/events"}, {Label: "ごみの出し方", PageID: live}}}); err != nil {
		t.Fatal(err)
	}

	home := e.get("/s/kurashi/")
	if home.StatusCode == http.StatusMovedPermanently {
		home = e.get(home.Header.Get("Location"))
	}
	home.wantStatus(t, http.StatusOK)
	if h := home.Doc.Find("main h1").Text(); h != "くらしのサイト" {
		t.Errorf("home heading %q", h)
	}
	var titles []string
	home.Doc.Find("main .list .title").Each(func(_ int, s *goquery.Selection) { titles = append(titles, s.Text()) })
	if strings.Join(titles, "|") != "ごみの出し方" {
		t.Errorf("pages listed: %q, want the live revision of A's one published page", titles)
	}
	var nav []string
	home.Doc.Find("main nav.subsite-nav a").Each(func(_ int, s *goquery.Selection) { nav = append(nav, s.Text()+" "+s.AttrOr("href", "")) })
	if want := fmt.Sprintf("イベント /events|ごみの出し方 /s/kurashi/pages/%d", live); strings.Join(nav, "|") != want {
		t.Errorf("navigation %q, want %q", nav, want)
	}

	res := e.get(fmt.Sprintf("/s/kurashi/pages/%d", live))
	res.wantStatus(t, http.StatusOK)
	if h := res.Doc.Find("main h1").Text(); h != "ごみの出し方" {
		t.Errorf("page heading %q", h)
	}
	body := res.Doc.Find("main .page-body")
	if body.Find("strong").Text() != "月曜と木曜" || body.Find("h3").Length() != 1 || body.Find("script").Length() != 0 {
		t.Errorf("page body rendered as %q", strings.TrimSpace(body.Text()))
	}
	if !strings.Contains(res.Doc.Find("main").Text(), "電話 03-0000-0001") {
		t.Error("the division's contact is not under the page")
	}
	if href := res.Doc.Find(".inquiry-link a").AttrOr("href", ""); href != fmt.Sprintf("/inquiry?page=%d", live) {
		t.Errorf("sub-site page's inquiry link %q", href)
	}
	if about := e.get(fmt.Sprintf("/inquiry?page=%d", live)); about.StatusCode != http.StatusOK {
		t.Errorf("the inquiry form about a sub-site page: %d", about.StatusCode)
	}
	// A page of another site, or of the official one, or not live, is not here.
	for _, p := range []string{fmt.Sprintf("/s/kurashi/pages/%d", pageB), fmt.Sprintf("/s/kurashi/pages/%d", official),
		fmt.Sprintf("/s/kankyo/pages/%d", live), "/s/official", "/s/unknown", "/s/Kurashi", "/s/kurashi/pages/999999"} {
		e.get(p).wantStatus(t, http.StatusNotFound)
	}

	// Newest first, twenty to a page.
	for i := range db.PageSize + 3 {
		publishPage(t, e.db, e.siteB, e.mgrB, fmt.Sprintf("環境のお知らせ%02d", i), "本文")
	}
	first := e.get("/s/kankyo")
	if n := first.Doc.Find("main .list > li").Length(); n != db.PageSize {
		t.Fatalf("first page lists %d", n)
	}
	if top := first.Doc.Find("main .list .title").First().Text(); top != fmt.Sprintf("環境のお知らせ%02d", db.PageSize+2) {
		t.Errorf("newest first: %q", top)
	}
	next, ok := first.Doc.Find(`main a[rel="next"]`).Attr("href")
	if !ok || !strings.HasPrefix(next, "/s/kankyo?after=") {
		t.Fatalf("next link %q", next)
	}
	if n := e.get(next).Doc.Find("main .list > li").Length(); n != 4 {
		t.Errorf("second page lists %d, want 4", n)
	}
}

// hostGet fetches path from the test server as if addressed to host.
func (e *testEnv) hostGet(host, path string) *response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, e.srv.URL+path, nil)
	req.Host = host
	return e.do(req)
}

func TestSubSiteOnItsOwnHostName(t *testing.T) {
	t.Parallel()
	e := newSitesEnv(t)
	live := publishPage(t, e.db, e.siteA, e.mgrA, "ごみの出し方", "本文")
	pageB := publishPage(t, e.db, e.siteB, e.mgrB, "環境のページ", "本文")
	const host = "kurashi.city.example.jp"
	// Unknown host names are the portal's own.
	if h := e.hostGet(host, "/").Doc.Find("main h1").Text(); h == "くらしのサイト" {
		t.Fatal("served the sub-site before it has a host name")
	}
	mgr := e.as(e.mgrA)
	res := mgr.post(fmt.Sprintf("/staff/sites/%d/settings", e.siteA.ID), url.Values{"_csrf": {mgr.token()}, "name": {"くらしのサイト"},
		"lead_days": {"2"}, "host": {"Kurashi.City.Example.JP"}, "nav_label_0": {"ごみの出し方"}, "nav_target_0": {fmt.Sprint(live)}})
	res.wantStatus(t, http.StatusSeeOther)
	// The portal's own host name is not a sub-site's.
	res = mgr.post(fmt.Sprintf("/staff/sites/%d/settings", e.siteB.ID), url.Values{"_csrf": {mgr.token()}, "name": {"x"}, "lead_days": {"2"}, "host": {"localhost"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("A's manager setting B's host: %d", res.StatusCode)
	}
	pr := e.as(e.prMgr)
	res = pr.post(fmt.Sprintf("/staff/sites/%d/settings", e.siteB.ID), url.Values{"_csrf": {pr.token()}, "name": {"x"}, "lead_days": {"2"}, "host": {"localhost"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(fieldError(res, "host"), "ポータル自身") {
		t.Errorf("the portal's host for B: %q", fieldError(res, "host"))
	}

	home := e.hostGet(host, "/")
	home.wantStatus(t, http.StatusOK)
	if h := home.Doc.Find("main h1").Text(); h != "くらしのサイト" {
		t.Fatalf("%s/ serves %q, want the sub-site's home", host, h)
	}
	// Its links start at / on its own host name.
	if href := home.Doc.Find("main .list .title").AttrOr("href", ""); href != fmt.Sprintf("/pages/%d", live) {
		t.Errorf("page link %q", href)
	}
	if href := home.Doc.Find("main nav.subsite-nav a").AttrOr("href", ""); href != fmt.Sprintf("/pages/%d", live) {
		t.Errorf("navigation link %q", href)
	}
	// The same security headers and host-only cookies as everywhere.
	if csp := home.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP on the sub-site's host: %q", csp)
	}
	for _, c := range home.Header.Values("Set-Cookie") {
		if strings.Contains(strings.ToLower(c), "domain=") {
			t.Errorf("a cookie for other hosts: %s", c)
		}
	}
	// A visitor's page comes from the page cache: it carries no token and
	// offers the languages as links.
	if home.Doc.Find(`input[name="_csrf"]`).Length() != 0 || home.Doc.Find(`.lang-switch a[hreflang="en"]`).Length() != 1 {
		t.Error("the sub-site's home for a visitor is not the shared page (no token, languages as links)")
	}
	page := e.hostGet(host, fmt.Sprintf("/pages/%d", live))
	page.wantStatus(t, http.StatusOK)
	if h := page.Doc.Find("main h1").Text(); h != "ごみの出し方" {
		t.Errorf("the page on its host: %q", h)
	}
	e.hostGet(host+":8080", fmt.Sprintf("/pages/%d", live)).wantStatus(t, http.StatusOK)
	e.hostGet(host, fmt.Sprintf("/pages/%d", pageB)).wantStatus(t, http.StatusNotFound)
	// Everything else on that host is the portal's own: assets, sign-in.
	e.hostGet(host, "/login").wantStatus(t, http.StatusOK)
	css := home.Doc.Find(`link[rel="stylesheet"]`).AttrOr("href", "")
	e.hostGet(host, css).wantStatus(t, http.StatusOK)
	// The portal's own host is not the sub-site.
	if h := e.get("/").Doc.Find("main h1").Text(); h == "くらしのサイト" {
		t.Error("the portal's home serves the sub-site")
	}
	// Closed, the host name no longer serves it.
	mgr.post(fmt.Sprintf("/staff/sites/%d/close", e.siteA.ID), url.Values{"_csrf": {mgr.token()}}).wantStatus(t, http.StatusSeeOther)
	if h := e.hostGet(host, "/").Doc.Find("main h1").Text(); h == "くらしのサイト" {
		t.Error("a closed site is still served on its host name")
	}
}

func TestDivisionsAndStaffPlacement(t *testing.T) {
	t.Parallel()
	e := newSitesEnv(t)
	ward := e.as(e.ward)
	if ward.get("/staff").Doc.Find(`main a[href="/staff/divisions"]`).Length() != 1 {
		t.Error("no link to the divisions from the back office's start page")
	}
	page := ward.get("/staff/divisions")
	page.wantStatus(t, http.StatusOK)
	if !strings.Contains(page.Doc.Find("main").Text(), "くらし推進課") {
		t.Error("the divisions are not listed")
	}
	res := ward.post("/staff/divisions", url.Values{"_csrf": {ward.token()}, "code": {"Bousai Ka"}, "name": {""}, "contact": {"区役所2階"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if fieldError(res, "code") == "" || fieldError(res, "name") == "" {
		t.Errorf("errors: code %q name %q", fieldError(res, "code"), fieldError(res, "name"))
	}
	if res.Doc.Find("#f-contact").Text() != "区役所2階" {
		t.Error("the contact typed is lost")
	}
	res = ward.post("/staff/divisions", url.Values{"_csrf": {ward.token()}, "code": {"kurashi"}, "name": {"重複"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(fieldError(res, "code"), "使われています") {
		t.Errorf("a taken code: %q", fieldError(res, "code"))
	}
	ward.post("/staff/divisions", url.Values{"_csrf": {ward.token()}, "code": {"ＢＯＵＳＡＩ"}, "name": {"防災課"},
		"contact": {"区役所2階 防災係"}}).wantStatus(t, http.StatusSeeOther)
	divs, err := e.db.Divisions(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var bousai *db.Division
	for i := range divs {
		if divs[i].Code == "bousai" {
			bousai = &divs[i]
		}
	}
	if bousai == nil || bousai.Name != "防災課" || bousai.Contact != "区役所2階 防災係" {
		t.Fatalf("the new division: %+v", bousai)
	}

	// Placement: divisions and the work address, on record; from the staff
	// accounts page too.
	path := fmt.Sprintf("/staff/divisions/accounts/%d", e.editorA.ID)
	if ward.get("/staff/accounts").Doc.Find(`main a[href="`+path+`"]`).Length() != 1 {
		t.Error("the staff accounts page does not lead to the account's divisions")
	}
	form := ward.get(path)
	form.wantStatus(t, http.StatusOK)
	if !form.Doc.Find(fmt.Sprintf(`input[name="divisions"][value="%d"]`, e.divA.ID)).Is("[checked]") {
		t.Error("the account's division is not ticked")
	}
	for _, bad := range []url.Values{
		{"divisions": {"999999"}, "work_email": {""}},
		{"divisions": {fmt.Sprint(e.divA.ID)}, "work_email": {"editor-a@"}},
	} {
		bad.Set("_csrf", ward.token())
		ward.post(path, bad).wantStatus(t, http.StatusUnprocessableEntity)
	}
	ward.post(path, url.Values{"_csrf": {ward.token()}, "divisions": {fmt.Sprint(bousai.ID), fmt.Sprint(e.divA.ID)},
		"work_email": {"Editor-A@City.Example.JP"}}).wantStatus(t, http.StatusSeeOther)
	got, err := e.db.StaffPlacementOf(e.ctx, e.editorA.ID)
	if err != nil || len(got.DivisionIDs) != 2 || got.WorkEmail != "Editor-A@city.example.jp" {
		t.Fatalf("placement: %+v %v", got, err)
	}
	var entry db.AuditEntry
	if err := e.db.Bun.NewSelect().Model(&entry).Where("action = ? AND subject_id = ? AND actor_id = ?", db.AuditDivisionChange, e.editorA.ID, e.ward.ID).
		Order("id DESC").Limit(1).Scan(e.ctx); err != nil {
		t.Fatal(err)
	}
	if entry.Detail != `divisions: kurashi → bousai,kurashi; work e-mail: "" → "Editor-A@city.example.jp"` ||
		entry.ActorRole != db.RoleWardStaff || strings.Join(entry.Fields, ",") != "divisions,work_email" {
		t.Errorf("audit entry: %+v", entry)
	}
	if !strings.Contains(e.auditDetails(t, db.AuditDivisionChange), "division bousai created") {
		t.Error("creating a division is not on record")
	}
	// Nobody changes their own.
	own := fmt.Sprintf("/staff/divisions/accounts/%d", e.ward.ID)
	if ward.get(own).Doc.Find(`main form[action="`+own+`"]`).Length() != 0 {
		t.Error("the own placement form is shown")
	}
	ward.post(own, url.Values{"_csrf": {ward.token()}, "divisions": {fmt.Sprint(e.divA.ID)}}).wantStatus(t, http.StatusForbidden)
	// The audit log names the new actions.
	if log := ward.get("/staff/audit"); !strings.Contains(log.Doc.Find("main").Text(), "所属の変更") {
		t.Error("the audit log does not name division changes")
	}
	// Members are not staff: no placement for them.
	m := e.memberAccount("M9300001", "くみんさん")
	ward.get(fmt.Sprintf("/staff/divisions/accounts/%d", m.ID)).wantStatus(t, http.StatusNotFound)
}

// TestStaffCreatePlacesTheFirstSiteManager: a new portal's first manager of
// the official site is made on the command line, in a division and on the
// official site's staff; names that do not exist create nobody.
func TestStaffCreatePlacesTheFirstSiteManager(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.NewURL(t)
	env := databaseEnv(dbURL)
	var out, errb bytes.Buffer
	run := func(args ...string) int {
		out.Reset()
		errb.Reset()
		return Main(context.Background(), append([]string{"portal", "staff", "create"}, args...), env, &out, &errb)
	}
	if code := run("-login", "pr01", "-name", "広報 一郎", "-roles", "site_manager", "-divisions", "no-such-division", "-sites", "official"); code == 0 {
		t.Fatal("an unknown division was accepted")
	}
	if code := run("-login", "pr01", "-name", "広報 一郎", "-roles", "site_manager", "-divisions", "public-relations", "-sites", "official,nowhere"); code == 0 {
		t.Fatal("an unknown site was accepted")
	}
	if code := run("-login", "pr01", "-name", "広報 一郎", "-roles", "site_manager,approver", "-divisions", "public-relations", "-sites", "official"); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	d, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var n int
	if err := d.Bun.NewSelect().Table("accounts").ColumnExpr("count(*)").Where("kind = ?", db.KindStaff).Scan(ctx, &n); err != nil || n != 1 {
		t.Fatalf("%d staff accounts (%v), want only the one placed", n, err)
	}
	acc, err := d.AccountByLogin(ctx, "pr01")
	if err != nil {
		t.Fatal(err)
	}
	rights, err := d.SiteRights(ctx, acc)
	if err != nil || !rights.OfficialManager {
		t.Errorf("the new account is no manager of the official site: %+v %v", rights, err)
	}
	if divs, err := d.DivisionsOf(ctx, acc.ID); err != nil || len(divs) != 1 || divs[0].Code != "public-relations" {
		t.Errorf("divisions: %+v %v", divs, err)
	}
}
