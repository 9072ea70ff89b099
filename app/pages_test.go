package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
)

// pagesEnv is the official site and a sub-site with two divisions: an
// editor, an approver, a site manager and a moderator of division A on the
// official site, an editor of division B there, an editor of A who works
// on no site, and an editor of A on the sub-site only. Each is signed in
// on a client of its own.
type pagesEnv struct {
	*testEnv
	site, sub  *db.Site
	divA, divB *db.Division
	acc        map[string]*db.Account
	as         map[string]*testEnv
}

func newPagesEnv(t *testing.T) *pagesEnv {
	t.Helper()
	e := newTestEnv(t)
	ctx := context.Background()
	p := &pagesEnv{testEnv: e, acc: map[string]*db.Account{}, as: map[string]*testEnv{}}
	var err error
	if p.site, err = e.db.OfficialSite(ctx); err != nil {
		t.Fatal(err)
	}
	admin := e.staffAccount("pages-admin", db.RoleWardStaff)
	act := db.Actor{Account: admin, Role: db.RoleWardStaff}
	p.divA, p.divB = &db.Division{Code: "kurashi", Name: "くらし推進課"}, &db.Division{Code: "kankyo", Name: "環境課"}
	for _, dv := range []*db.Division{p.divA, p.divB} {
		if err := e.db.CreateDivision(ctx, act, dv); err != nil {
			t.Fatal(err)
		}
	}
	p.sub = &db.Site{Slug: "kankyo", Name: "環境部のサイト", DivisionID: p.divB.ID, LeadDays: 2, Status: db.SiteActive}
	if _, err := e.db.Bun.NewInsert().Model(p.sub).Returning("*").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name, role string
		div        *db.Division
		site       *db.Site
	}{
		{"editor", db.RoleEditor, p.divA, p.site},
		{"editor2", db.RoleEditor, p.divA, p.site},
		{"approver", db.RoleApprover, p.divA, p.site},
		{"manager", db.RoleSiteManager, p.divA, p.site},
		{"moderator", db.RoleModerator, p.divA, p.site},
		{"editorB", db.RoleEditor, p.divB, p.site},
		{"nosite", db.RoleEditor, p.divA, nil},
		{"subeditor", db.RoleEditor, p.divA, p.sub},
	} {
		acc := e.staffAccount("pg-"+strings.ToLower(s.name), s.role)
		if err := e.db.SetStaffDivisions(ctx, act, acc.ID, []int64{s.div.ID}); err != nil {
			t.Fatal(err)
		}
		if s.site != nil {
			if err := e.db.AddSiteStaff(ctx, act, s.site.ID, acc.ID); err != nil {
				t.Fatal(err)
			}
		}
		if s.role == db.RoleApprover {
			if _, err := e.db.Bun.NewUpdate().Model(acc).Set("work_email = ?", "approver@city.example.jp").WherePK().Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		c := e.client()
		c.signIn(acc.LoginID, "staff-password-1").wantStatus(t, http.StatusSeeOther)
		p.acc[s.name], p.as[s.name] = acc, c
	}
	return p
}

// publishIn is a publish date and time lead days from now, on the hour, as the
// form takes them.
func publishIn(days int) (string, string) {
	t := time.Now().In(pagesJST).Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Hour).Add(time.Hour)
	return t.Format("2006-01-02"), t.Format("15:04")
}

var pagesJST = time.FixedZone("JST", 9*3600)

// pageValues is a valid form for a page of kind, with kv replacing fields.
func (p *pagesEnv) pageValues(c *testEnv, kind string, kv ...string) url.Values {
	date, clock := publishIn(3)
	v := url.Values{"_csrf": {c.token()}, "kind": {kind}, "site": {idStr(p.site.ID)}, "division": {idStr(p.divA.ID)},
		"title": {"年末年始の窓口のご案内"}, "body": {"## 受付時間\n\n平日の9時から17時までです。"}, "tags": {"年末年始"},
		"publish_date": {date}, "publish_time": {clock}, "action": {"save"}}
	switch kind {
	case db.PageSubsidy:
		v.Set("amount", "上限5万円")
		v.Set("apply_until", "2099-02-28")
	case db.PageArticle:
		v.Set("article_kind", "column")
	case db.PageFacility:
		v.Set("category", "図書館")
		v.Set("town", "四谷")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func idStr(n int64) string { return strconv.FormatInt(n, 10) }

var pagePath = regexp.MustCompile(`^/staff/pages/(\d+)$`)

// create makes a page through the form as who and returns its id.
func (p *pagesEnv) create(t *testing.T, who, kind string, kv ...string) int64 {
	t.Helper()
	c := p.as[who]
	res := c.post("/staff/pages/new", p.pageValues(c, kind, kv...))
	res.wantStatus(t, http.StatusSeeOther)
	m := pagePath.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("created page: redirected to %q", res.Header.Get("Location"))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func (p *pagesEnv) state(t *testing.T, id int64) *db.PageState {
	t.Helper()
	s, err := p.db.PageState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pageEditorForm reads the editor's form on the page as who sees it: its values
// as a browser would send them.
func pageEditorForm(t *testing.T, res *response) url.Values {
	t.Helper()
	f := res.Doc.Find(`form.page-form`)
	if f.Length() != 1 {
		t.Fatalf("%s: %d editor forms", res.Request.URL.Path, f.Length())
	}
	v := url.Values{}
	f.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		switch {
		case goquery.NodeName(s) == "textarea":
			v.Set(name, s.Text())
		case goquery.NodeName(s) == "select":
			v.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		case s.AttrOr("type", "") == "checkbox" || s.AttrOr("type", "") == "radio":
			if _, ok := s.Attr("checked"); ok {
				v.Add(name, s.AttrOr("value", ""))
			}
		default:
			v.Set(name, s.AttrOr("value", ""))
		}
	})
	return v
}

func TestPagesCreateSaveSubmitWithdraw(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ed := p.as["editor"]

	// The back office links to authoring; the new-page form starts with
	// the site's lead time, rounded up to the hour, in Japan time.
	if ed.get("/staff").Doc.Find(`a[href="/staff/pages"]`).Text() != "ページ作成・管理" {
		t.Error("the back office does not link to ページ作成・管理")
	}
	form := ed.get("/staff/pages/new?kind=notice")
	form.wantStatus(t, http.StatusOK)
	wantDate := time.Now().In(pagesJST).AddDate(0, 0, p.site.LeadDays).Truncate(time.Hour).Add(time.Hour)
	if d, c := form.Doc.Find("#f-publish_date").AttrOr("value", ""), form.Doc.Find("#f-publish_time").AttrOr("value", ""); d+" "+c != wantDate.Format("2006-01-02 15:04") {
		t.Errorf("default publish time %s %s, want %s", d, c, wantDate.Format("2006-01-02 15:04"))
	}
	if form.Doc.Find(`input[name="urgent"]`).Length() != 1 || form.Doc.Find(`[name="amount"]`).Length() != 0 {
		t.Error("a notice's form does not have exactly the notice's own fields")
	}

	id := p.create(t, "editor", db.PageNotice, "urgent", "1")
	s := p.state(t, id)
	if s.Working == nil || s.Working.Status != db.RevDraft || !s.Working.Fields.Urgent || s.Page.DivisionID != p.divA.ID {
		t.Fatalf("created: %+v", s.Working)
	}
	page := ed.get(fmt.Sprintf("/staff/pages/%d", id))
	page.wantStatus(t, http.StatusOK)
	if !strings.Contains(page.Doc.Find(".flash").Text(), "下書きを保存しました") {
		t.Error("no message after creating")
	}
	v := pageEditorForm(t, page)
	if v.Get("version") != strconv.Itoa(s.Working.Version) || v.Get("title") != "年末年始の窓口のご案内" || v.Get("urgent") != "1" {
		t.Fatalf("editor form: %v", v)
	}

	// Save a change: the same revision, a new version.
	v.Set("_csrf", ed.token())
	v.Set("title", "年末年始の窓口（変更）")
	v.Set("action", "save")
	ed.post(fmt.Sprintf("/staff/pages/%d", id), v).wantStatus(t, http.StatusSeeOther)
	s2 := p.state(t, id)
	if s2.Working.Number != 1 || s2.Working.Title != "年末年始の窓口（変更）" || s2.Working.Version != s.Working.Version+1 {
		t.Fatalf("saved: %+v", s2.Working)
	}

	// Save and submit: the approver of the division is mailed.
	v = pageEditorForm(t, ed.get(fmt.Sprintf("/staff/pages/%d", id)))
	v.Set("_csrf", ed.token())
	v.Set("action", "submit")
	ed.post(fmt.Sprintf("/staff/pages/%d", id), v).wantStatus(t, http.StatusSeeOther)
	if s3 := p.state(t, id); s3.Working.Status != db.RevSubmitted {
		t.Fatalf("submitted: %s", s3.Working.Status)
	}
	var mails []db.Mail
	if err := p.db.Bun.NewSelect().Model(&mails).Where("kind = ?", "page_submitted").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "approver@city.example.jp" || !strings.Contains(mails[0].Body, fmt.Sprintf("/staff/approvals#approval-%d", id)) ||
		!strings.Contains(mails[0].Subject, "年末年始の窓口（変更）") {
		t.Fatalf("mails: %+v", mails)
	}
	page = ed.get(fmt.Sprintf("/staff/pages/%d", id))
	if page.Doc.Find("form.page-form").Length() != 0 || page.Doc.Find(`form.withdraw button`).Length() != 1 ||
		!strings.Contains(page.Doc.Find(".page-state").Text(), "申請中") {
		t.Fatalf("a submitted page shows no withdraw button or still the editor:\n%s", page.Doc.Find("main").Text())
	}
	// The approver sees it, read only, with a way to the queue.
	ap := p.as["approver"].get(fmt.Sprintf("/staff/pages/%d", id))
	ap.wantStatus(t, http.StatusOK)
	if ap.Doc.Find("form.page-form, form.withdraw").Length() != 0 || ap.Doc.Find(`a[href="/staff/approvals"]`).Length() == 0 {
		t.Error("the approver's view is not read only with a link to the queue")
	}

	// Withdraw: the submission stops; the next save starts revision 2.
	tok := page.csrfToken(t)
	ver := page.Doc.Find(`form.withdraw input[name="version"]`).AttrOr("value", "")
	ed.post(fmt.Sprintf("/staff/pages/%d/withdraw", id), url.Values{"_csrf": {tok}, "version": {ver}}).wantStatus(t, http.StatusSeeOther)
	if s4 := p.state(t, id); s4.Working != nil || s4.Live != nil {
		t.Fatalf("withdrawn: %+v", s4)
	}
	page = ed.get(fmt.Sprintf("/staff/pages/%d", id))
	v = pageEditorForm(t, page)
	if v.Get("new_revision") != "1" || v.Get("title") != "年末年始の窓口（変更）" {
		t.Fatalf("after withdrawing, the editor does not start a new revision from the last: %v", v)
	}
	v.Set("_csrf", ed.token())
	v.Set("action", "save")
	ed.post(fmt.Sprintf("/staff/pages/%d", id), v).wantStatus(t, http.StatusSeeOther)
	if s5 := p.state(t, id); s5.Working == nil || s5.Working.Number != 2 || s5.Working.Status != db.RevDraft {
		t.Fatalf("new revision: %+v", s5.Working)
	}

	// The history says who did what, in which role.
	hist := ed.get(fmt.Sprintf("/staff/pages/%d", id)).Doc.Find("ol.history > li")
	var steps []string
	hist.Each(func(_ int, li *goquery.Selection) {
		steps = append(steps, strings.Join(strings.Fields(li.Find(".title").Text()), " "))
	})
	want := []string{"作成 第2版", "取り下げ 第1版", "承認を申請 第1版", "保存 第1版", "保存 第1版", "作成 第1版"}
	if strings.Join(steps, "|") != strings.Join(want, "|") {
		t.Errorf("history %q, want %q", steps, want)
	}
	if !strings.Contains(hist.First().Text(), "職員 pg-editor（作成者）") {
		t.Errorf("history does not name the editor and role: %q", hist.First().Text())
	}

	// The list shows it with its status, and filters.
	list := ed.get("/staff/pages?status=draft&kind=notice")
	if list.Doc.Find(fmt.Sprintf(`a[href="/staff/pages/%d"]`, id)).Length() != 1 {
		t.Error("the list filtered by draft notices misses the page")
	}
	if ed.get("/staff/pages?status=submitted").Doc.Find(fmt.Sprintf(`a[href="/staff/pages/%d"]`, id)).Length() != 0 {
		t.Error("the list filtered by submitted shows a draft")
	}
	if ed.get("/staff/pages?kind=subsidy").Doc.Find(fmt.Sprintf(`a[href="/staff/pages/%d"]`, id)).Length() != 0 {
		t.Error("the list filtered by subsidies shows a notice")
	}
}

func TestPagesListPagesAndReach(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ctx := context.Background()
	for i := range db.PageSize + 2 {
		if _, _, err := p.db.CreatePage(ctx, db.Actor{Account: p.acc["editor"]}, db.NewPage{SiteID: p.site.ID, DivisionID: p.divA.ID,
			Kind: db.PageGeneral, PageContent: db.PageContent{Title: fmt.Sprintf("ページ%02d", i), PublishAt: time.Now().Add(72 * time.Hour)}}); err != nil {
			t.Fatal(err)
		}
	}
	b := p.create(t, "editorB", db.PageNotice, "division", idStr(p.divB.ID), "title", "環境課のお知らせ")
	art := p.create(t, "moderator", db.PageArticle, "title", "運営の記事")

	first := p.as["editor"].get("/staff/pages")
	titles := first.Doc.Find("ul.pages > li .title")
	if titles.Length() != db.PageSize || titles.First().Text() != "運営の記事" {
		t.Fatalf("first page: %d items, first %q", titles.Length(), titles.First().Text())
	}
	next, ok := first.Doc.Find(`.pager a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatal("no next page")
	}
	second := p.as["editor"].get(next).Doc.Find("ul.pages > li .title")
	if second.Length() != 3 || second.Last().Text() != "ページ00" {
		t.Errorf("second page: %d items, last %q", second.Length(), second.Last().Text())
	}
	if strings.Contains(first.Body+p.as["editor"].get(next).Body, "環境課のお知らせ") {
		t.Error("division A's editor sees division B's page")
	}
	// A moderator sees the operator's kinds only; a site manager the whole site.
	if mod := p.as["moderator"].get("/staff/pages").Doc.Find("ul.pages > li .title"); mod.Length() != 1 || mod.Text() != "運営の記事" {
		t.Errorf("moderator's list: %d items", mod.Length())
	}
	mgr := p.as["manager"].get("/staff/pages?kind=notice")
	if mgr.Doc.Find(fmt.Sprintf(`a[href="/staff/pages/%d"]`, b)).Length() != 1 {
		t.Error("the site manager does not see division B's page on the site")
	}
	p.as["manager"].get(fmt.Sprintf("/staff/pages/%d", art)).wantStatus(t, http.StatusOK)
	if p.as["nosite"].get("/staff/pages").Doc.Find("ul.pages > li").Length() != 0 {
		t.Error("an editor on no site sees pages")
	}
	// The kinds one may create: a moderator the operator's two.
	var kinds []string
	p.as["moderator"].get("/staff/pages").Doc.Find(`#f-new-kind option`).Each(func(_ int, o *goquery.Selection) {
		kinds = append(kinds, o.AttrOr("value", ""))
	})
	if strings.Join(kinds, ",") != "article,facility" {
		t.Errorf("a moderator may create %v", kinds)
	}
	if p.as["approver"].get("/staff/pages").Doc.Find(`#f-new-kind`).Length() != 0 {
		t.Error("an approver is offered to create pages")
	}
}

func TestPagesRefusals(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	id := p.create(t, "editor", db.PageNotice)
	path := fmt.Sprintf("/staff/pages/%d", id)

	// Wrong role: a moderator writes no notices; an approver edits nothing.
	p.as["moderator"].get("/staff/pages/new?kind=notice").wantStatus(t, http.StatusForbidden)
	mod := p.as["moderator"]
	mod.post("/staff/pages/new", p.pageValues(mod, db.PageNotice)).wantStatus(t, http.StatusForbidden)
	mod.get(path).wantStatus(t, http.StatusForbidden)
	ap := p.as["approver"]
	ap.get("/staff/pages/new?kind=notice").wantStatus(t, http.StatusForbidden)
	v := pageEditorForm(t, p.as["editor"].get(path))
	v.Set("_csrf", ap.token())
	ap.post(path, v).wantStatus(t, http.StatusForbidden)
	ap.post(path+"/withdraw", url.Values{"_csrf": {ap.token()}, "version": {v.Get("version")}}).wantStatus(t, http.StatusForbidden)

	// Wrong division: division B's editor neither sees nor changes A's page,
	// nor writes for division A.
	eb := p.as["editorB"]
	eb.get(path).wantStatus(t, http.StatusForbidden)
	eb.get(path+"/diff").wantStatus(t, http.StatusForbidden)
	v.Set("_csrf", eb.token())
	eb.post(path, v).wantStatus(t, http.StatusForbidden)
	eb.post(path+"/withdraw", url.Values{"_csrf": {eb.token()}, "version": {v.Get("version")}}).wantStatus(t, http.StatusForbidden)
	eb.post("/staff/pages/new", p.pageValues(eb, db.PageNotice)).wantStatus(t, http.StatusForbidden)

	// Wrong site: an editor of division A on the official site only writes
	// nothing on the sub-site, and the sub-site's editor nothing on the
	// official one.
	ed := p.as["editor"]
	ed.post("/staff/pages/new", p.pageValues(ed, db.PageNotice, "site", idStr(p.sub.ID))).wantStatus(t, http.StatusForbidden)
	sub := p.as["subeditor"]
	sub.get(path).wantStatus(t, http.StatusForbidden)
	sub.post("/staff/pages/new", p.pageValues(sub, db.PageNotice)).wantStatus(t, http.StatusForbidden)
	subPage := p.create(t, "subeditor", db.PageNotice, "site", idStr(p.sub.ID))
	ed.get(fmt.Sprintf("/staff/pages/%d", subPage)).wantStatus(t, http.StatusForbidden)

	// An editor on no site is told why there is no form.
	ns := p.as["nosite"].get("/staff/pages/new?kind=notice")
	if ns.StatusCode != http.StatusOK || ns.Doc.Find("form.page-form").Length() != 0 || !strings.Contains(ns.Doc.Find("main").Text(), "サイト管理者に") {
		t.Errorf("an editor on no site: %d, form %d", ns.StatusCode, ns.Doc.Find("form.page-form").Length())
	}
	if s := p.state(t, id); s.Working.Version != 1 {
		t.Errorf("a refused request changed the page: version %d", s.Working.Version)
	}
	p.as["editor"].get("/staff/pages/new?kind=blog").wantStatus(t, http.StatusNotFound)
}

func TestPagesStaleVersionIsAConflict(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	id := p.create(t, "editor", db.PageSubsidy)
	path := fmt.Sprintf("/staff/pages/%d", id)
	mine := pageEditorForm(t, p.as["editor"].get(path))
	theirs := pageEditorForm(t, p.as["editor2"].get(path))

	theirs.Set("_csrf", p.as["editor2"].token())
	theirs.Set("amount", "上限10万円")
	p.as["editor2"].post(path, theirs).wantStatus(t, http.StatusSeeOther)

	ed := p.as["editor"]
	mine.Set("_csrf", ed.token())
	mine.Set("amount", "上限3万円")
	res := ed.post(path, mine)
	res.wantStatus(t, http.StatusConflict)
	if !strings.Contains(res.Doc.Find(`[role="alert"]`).Text(), "他の人が更新しました") {
		t.Errorf("no conflict message: %q", res.Doc.Find(`[role="alert"]`).Text())
	}
	kept := pageEditorForm(t, res)
	if kept.Get("amount") != "上限3万円" || kept.Get("version") != strconv.Itoa(p.state(t, id).Working.Version) {
		t.Errorf("the conflict form keeps %q at version %s", kept.Get("amount"), kept.Get("version"))
	}
	if p.state(t, id).Working.Fields.Amount != "上限10万円" {
		t.Fatal("a stale form overwrote the newer revision")
	}
	// Sent again, knowingly, it saves.
	kept.Set("_csrf", ed.token())
	ed.post(path, kept).wantStatus(t, http.StatusSeeOther)
	if p.state(t, id).Working.Fields.Amount != "上限3万円" {
		t.Fatal("saving after the conflict did not save")
	}

	// A withdrawal from an old page is a conflict too, and so is a new
	// revision begun meanwhile by someone else.
	res = ed.post(path+"/withdraw", url.Values{"_csrf": {ed.token()}, "version": {mine.Get("version")}})
	res.wantStatus(t, http.StatusConflict)
	ed.post(path+"/withdraw", url.Values{"_csrf": {ed.token()}, "version": {strconv.Itoa(p.state(t, id).Working.Version)}}).
		wantStatus(t, http.StatusSeeOther)
	fresh1 := pageEditorForm(t, ed.get(path))
	fresh2 := pageEditorForm(t, p.as["editor2"].get(path))
	fresh2.Set("_csrf", p.as["editor2"].token())
	p.as["editor2"].post(path, fresh2).wantStatus(t, http.StatusSeeOther)
	fresh1.Set("_csrf", ed.token())
	fresh1.Set("title", "私の新しい版")
	res = ed.post(path, fresh1)
	res.wantStatus(t, http.StatusConflict)
	if pageEditorForm(t, res).Get("title") != "私の新しい版" || p.state(t, id).Working.Title == "私の新しい版" {
		t.Error("a new revision begun meanwhile was overwritten, or the typed title lost")
	}
}

func TestPagesValidationPerKind(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ed, mod := p.as["editor"], p.as["moderator"]
	for _, tc := range []struct {
		who, kind string
		kv        []string
		errs      []string // fields with an error
	}{
		{"editor", db.PageNotice, []string{"title", "", "publish_date", "2001-01-01"}, []string{"title", "publish_date"}},
		{"editor", db.PageNotice, []string{"end_date", "2001-01-01", "end_time", "09:00"}, []string{"end_date"}},
		{"editor", db.PageSubsidy, []string{"apply_from", "2099-03-01", "apply_until", "2099-02-01", "amount", strings.Repeat("円", 101)},
			[]string{"apply_until", "amount"}},
		{"moderator", db.PageArticle, []string{"article_kind", "", "groups", "/events/1"}, []string{"article_kind", "groups"}},
		{"moderator", db.PageArticle, []string{"groups", "999999"}, []string{"groups"}},
		{"moderator", db.PageFacility, []string{"category", "", "phone", "12-34", "url", "ftp://example.jp/", "body", ""},
			[]string{"category", "phone", "url"}},
		{"editor", db.PageGeneral, []string{"body", "", "tags", strings.Repeat("長", 21)}, []string{"body", "tags"}},
	} {
		c := ed
		if tc.who == "moderator" {
			c = mod
		}
		v := p.pageValues(c, tc.kind, tc.kv...)
		res := c.post("/staff/pages/new", v)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s %v: status %d, want 422", tc.kind, tc.kv, res.StatusCode)
			continue
		}
		for _, f := range tc.errs {
			if res.Doc.Find("#f-"+f+"-error").Length() == 0 && res.Doc.Find(fmt.Sprintf(`#f-%s[aria-invalid="true"], #f-%s .error`, f, f)).Length() == 0 {
				t.Errorf("%s %v: no error next to %s", tc.kind, tc.kv, f)
			}
		}
		if n := res.Doc.Find(".error-summary li").Length(); n != len(tc.errs) {
			t.Errorf("%s %v: %d errors in the summary, want %d", tc.kind, tc.kv, n, len(tc.errs))
		}
		kept := pageEditorForm(t, res)
		for i := 0; i+1 < len(tc.kv); i += 2 {
			if got := kept.Get(tc.kv[i]); got != tc.kv[i+1] && tc.kv[i] != "tags" {
				t.Errorf("%s: %s shown as %q, typed %q", tc.kind, tc.kv[i], got, tc.kv[i+1])
			}
		}
		if kept.Get("title") != v.Get("title") && v.Get("title") != "" {
			t.Errorf("%s: the title typed is lost", tc.kind)
		}
	}
	var n int
	if err := p.db.Bun.NewSelect().Table("pages").ColumnExpr("count(*)").Scan(context.Background(), &n); err != nil || n != 0 {
		t.Errorf("invalid forms stored %d pages (%v)", n, err)
	}
}

func TestPagesPreviewIsWhatIsPublished(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ed := p.as["editor"]
	body := "## 申請方法\n\n区役所の窓口か[区の公式サイト](https://www.city.example.jp/apply)で。\n\n| 区分 | 金額 |\n|---|--:|\n| 一般 | 5万円 |\n\n<script>alert(1)</script>"
	// The app's renderer: the same Markdown with outbound links signed.
	render := p.app.markup.Render
	// The body is Japanese content, marked lang="ja" (the English interface
	// reads it in Japanese), on the preview and the public page alike.
	want := `<div class="page-body" lang="ja">` + render(body) + `</div>`
	if !strings.Contains(render(body), "/leave?to=") || !strings.Contains(render(body), "&amp;sig=") || strings.Contains(render(body), "<script") {
		t.Fatal("the sample does not exercise the renderer")
	}

	// As one types (htmx): the fragment alone, the body exactly as rendered.
	res := ed.post("/staff/pages/preview", url.Values{"_csrf": {ed.token()}, "title": {"申請のご案内"}, "body": {body}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	if !strings.Contains(res.Body, want) || strings.Contains(res.Body, "<html") || !strings.Contains(res.Body, "申請のご案内") {
		t.Fatalf("htmx preview is not the rendered body:\n%s", res.Body)
	}
	// The fields that send it say so.
	form := ed.get("/staff/pages/new?kind=subsidy")
	for _, f := range []string{"#f-title", "#f-body"} {
		s := form.Doc.Find(f)
		if s.AttrOr("hx-post", "") != "/staff/pages/preview" || s.AttrOr("hx-trigger", "") != "input changed delay:500ms" || s.AttrOr("hx-target", "") != "#page-preview" {
			t.Errorf("%s does not send the preview as one types", f)
		}
	}

	// Without JavaScript: the preview button shows the form again, every
	// value kept, with the same preview.
	v := p.pageValues(ed, db.PageSubsidy, "body", body, "action", "preview", "eligibility", "区内に住む方", "title", "")
	res = ed.post("/staff/pages/new", v)
	res.wantStatus(t, http.StatusOK)
	if !strings.Contains(res.Body, want) {
		t.Fatalf("the no-JavaScript preview is not the rendered body")
	}
	kept := pageEditorForm(t, res)
	for _, f := range []string{"body", "eligibility", "amount", "apply_until", "publish_date", "tags"} {
		if kept.Get(f) != v.Get(f) {
			t.Errorf("preview lost %s: %q, typed %q", f, kept.Get(f), v.Get(f))
		}
	}
	if res.Doc.Find(".error-summary").Length() != 0 {
		t.Error("the preview shows errors for a form not yet sent")
	}

	// On a page: the saved body, and the preview of an edit, both as rendered.
	id := p.create(t, "editor", db.PageSubsidy, "body", body)
	page := ed.get(fmt.Sprintf("/staff/pages/%d", id))
	if !strings.Contains(page.Body, want) {
		t.Error("the page's preview is not its rendered body")
	}
	ev := pageEditorForm(t, page)
	ev.Set("_csrf", ed.token())
	ev.Set("action", "preview")
	ev.Set("body", "**変更**した本文")
	res = ed.post(fmt.Sprintf("/staff/pages/%d", id), ev)
	res.wantStatus(t, http.StatusOK)
	if !strings.Contains(res.Body, `<div class="page-body" lang="ja">`+render("**変更**した本文")+`</div>`) || pageEditorForm(t, res).Get("body") != "**変更**した本文" {
		t.Error("the edit's preview is not its rendered body, or the body typed is lost")
	}
	if p.state(t, id).Working.Body != body {
		t.Error("preview saved the page")
	}
}

func TestPagesNewRevisionWhileLive(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ctx := context.Background()
	id := p.create(t, "editor", db.PageNotice, "title", "粗大ごみの受付")
	s := p.state(t, id)
	now := time.Now()
	step := func(acc string) db.Transition {
		return db.Transition{PageID: id, Actor: db.Actor{Account: p.acc[acc]}, Now: now}
	}
	if err := p.db.SubmitPage(ctx, step("editor"), nil); err != nil {
		t.Fatal(err)
	}
	if err := p.db.ApprovePage(ctx, step("approver")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.db.RunSchedule(ctx, s.Working.PublishAt, 10); err != nil {
		t.Fatal(err)
	}
	if s = p.state(t, id); s.Live == nil || s.Working != nil {
		t.Fatalf("not live: %+v", s)
	}

	ed := p.as["editor"]
	page := ed.get(fmt.Sprintf("/staff/pages/%d", id))
	if !strings.Contains(page.Doc.Find("#editor-heading").Text(), "新しい版を作成") || !strings.Contains(page.Doc.Find(".page-state").Text(), "公開中の版：第1版") {
		t.Fatalf("a live page does not offer a new revision:\n%s", strings.Join(strings.Fields(page.Doc.Find("main").Text()), " "))
	}
	v := pageEditorForm(t, page)
	if v.Get("new_revision") != "1" || v.Get("title") != "粗大ごみの受付" {
		t.Fatalf("new revision form: %v", v)
	}
	v.Set("_csrf", ed.token())
	v.Set("title", "粗大ごみの受付（訂正）")
	v.Set("action", "submit")
	ed.post(fmt.Sprintf("/staff/pages/%d", id), v).wantStatus(t, http.StatusSeeOther)
	s = p.state(t, id)
	if s.Live == nil || s.Live.Number != 1 || s.Live.Title != "粗大ごみの受付" || s.Working == nil || s.Working.Number != 2 ||
		s.Working.Status != db.RevSubmitted {
		t.Fatalf("while revision 2 waits, revision 1 must stay live: live %+v working %+v", s.Live, s.Working)
	}
}

func TestPagesSentBackAndDiffInJapanese(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ctx := context.Background()
	ed := p.as["editor"]
	id := p.create(t, "editor", db.PageSubsidy, "body", "申請期限は12月28日です")
	path := fmt.Sprintf("/staff/pages/%d", id)
	now := time.Now()
	if err := p.db.SubmitPage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: p.acc["editor"]}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.db.SendBackPage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: p.acc["approver"]}, Now: now,
		Comment: "期限が年末年始に重なります。1月10日にしてください。"}); err != nil {
		t.Fatal(err)
	}
	page := ed.get(path)
	if got := page.Doc.Find(".sent-back .sent-back-comment").Text(); got != "期限が年末年始に重なります。1月10日にしてください。" {
		t.Errorf("sent-back comment shown as %q", got)
	}
	if !strings.Contains(page.Doc.Find(".sent-back").Text(), "職員 pg-approver（承認者）") {
		t.Error("the send-back does not say who")
	}
	if !strings.Contains(page.Doc.Find("ol.history").Text(), "期限が年末年始に重なります") {
		t.Error("the history does not keep the approver's comment")
	}

	// The editor answers: withdraw and write revision 2.
	v := pageEditorForm(t, page)
	ed.post(path+"/withdraw", url.Values{"_csrf": {ed.token()}, "version": {v.Get("version")}}).wantStatus(t, http.StatusSeeOther)
	v = pageEditorForm(t, ed.get(path))
	v.Set("_csrf", ed.token())
	v.Set("body", "申請期限は1月10日です")
	v.Set("action", "save")
	ed.post(path, v).wantStatus(t, http.StatusSeeOther)

	// The revisions list links each to what changed; the diff marks only
	// the characters that changed, named for screen readers.
	page = ed.get(path)
	if page.Doc.Find(`a[href="`+path+`/diff?from=1&to=2"]`).Length() != 1 {
		t.Error("revision 2 does not link to its diff")
	}
	res := ed.get(path + "/diff?from=1&to=2")
	res.wantStatus(t, http.StatusOK)
	bodyDiff := res.Doc.Find(".diff-field").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Find("h2").Text() == "本文" })
	var ins, del, same []string
	bodyDiff.Find(".diff > *").Each(func(_ int, s *goquery.Selection) {
		label := s.Find(".visually-hidden").Text()
		text := strings.TrimPrefix(s.Text(), label)
		switch goquery.NodeName(s) {
		case "ins":
			ins = append(ins, text)
			if label != "追加:" {
				t.Errorf("insertion labelled %q", label)
			}
		case "del":
			del = append(del, text)
			if label != "削除:" {
				t.Errorf("deletion labelled %q", label)
			}
		default:
			same = append(same, text)
		}
	})
	if strings.Join(del, "|") != "2月28" || strings.Join(ins, "|") != "月10" || strings.Join(same, "|") != "申請期限は1|日です" {
		t.Errorf("body diff: same %q, deleted %q, inserted %q", same, del, ins)
	}
	title := res.Doc.Find(".diff-field").First()
	if title.Find("ins, del").Length() != 0 || !strings.Contains(title.Text(), "変更はありません") {
		t.Error("the unchanged title is marked as changed")
	}
	// Any two revisions, in either order; an unknown one is not found.
	ed.get(path+"/diff?from=2&to=1").wantStatus(t, http.StatusOK)
	ed.get(path+"/diff").wantStatus(t, http.StatusOK)
	ed.get(path+"/diff?from=9&to=1").wantStatus(t, http.StatusNotFound)
	ed.get(path+"/diff?from=x").wantStatus(t, http.StatusNotFound)
}
