package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
)

// publisher writes pages through the workflow, as staff would: an editor
// and an approver who is also a site manager of one division on the
// official site (so a page may go live at once, on record), and an editor
// of a second division.
type publisher struct {
	t                 *testing.T
	e                 *testEnv
	site              *db.Site
	divA, divB        *db.Division
	editor, editorB   *db.Account
	manager, manager2 *db.Account
}

func newPublisher(t *testing.T, e *testEnv) *publisher {
	t.Helper()
	ctx := context.Background()
	p := &publisher{t: t, e: e}
	var err error
	if p.site, err = e.db.OfficialSite(ctx); err != nil {
		t.Fatal(err)
	}
	staff := func(login string, roles ...string) *db.Account {
		acc, err := e.db.CreateStaff(ctx, login, "職員 "+login, roles, "x")
		if err != nil {
			t.Fatal(err)
		}
		return acc
	}
	admin := staff("pub-admin", db.RoleWardStaff)
	act := db.Actor{Account: admin, Role: db.RoleWardStaff}
	p.divA = &db.Division{Code: "bousai", Name: "防災課", Contact: "本庁舎5階\n電話 03-5000-0001"}
	p.divB = &db.Division{Code: "kosodate", Name: "子ども家庭課", Contact: "本庁舎2階"}
	for _, dv := range []*db.Division{p.divA, p.divB} {
		if err := e.db.CreateDivision(ctx, act, dv); err != nil {
			t.Fatal(err)
		}
	}
	p.editor, p.manager = staff("pub-editor", db.RoleEditor, db.RoleModerator), staff("pub-manager", db.RoleApprover, db.RoleSiteManager)
	p.editorB, p.manager2 = staff("pub-editor2", db.RoleEditor), staff("pub-manager2", db.RoleApprover, db.RoleSiteManager)
	for _, a := range []*db.Account{p.editor, p.manager} {
		if err := e.db.SetStaffDivisions(ctx, act, a.ID, []int64{p.divA.ID}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []*db.Account{p.editorB, p.manager2} {
		if err := e.db.SetStaffDivisions(ctx, act, a.ID, []int64{p.divB.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.AddSiteStaff(ctx, act, p.site.ID, p.editor.ID, p.manager.ID, p.editorB.ID, p.manager2.ID); err != nil {
		t.Fatal(err)
	}
	return p
}

// pageSpec is a page to write; the zero division is A.
type pageSpec struct {
	kind    string
	title   string
	body    string
	fields  db.PageFields
	tags    []string
	inB     bool
	publish time.Time // zero: now
}

func (p *publisher) actors(s pageSpec) (editor, manager *db.Account, division int64) {
	if s.inB {
		return p.editorB, p.manager2, p.divB.ID
	}
	return p.editor, p.manager, p.divA.ID
}

// draft creates the page with its first revision as a draft.
func (p *publisher) draft(s pageSpec) int64 {
	p.t.Helper()
	editor, _, div := p.actors(s)
	if s.publish.IsZero() {
		s.publish = time.Now()
	}
	pg, _, err := p.e.db.CreatePage(context.Background(), db.Actor{Account: editor}, db.NewPage{SiteID: p.site.ID, DivisionID: div,
		Kind: s.kind, PageContent: db.PageContent{Title: s.title, Body: s.body, Fields: s.fields, Tags: s.tags, PublishAt: s.publish}})
	if err != nil {
		p.t.Fatal(err)
	}
	return pg.ID
}

func (p *publisher) submit(id int64, s pageSpec) {
	p.t.Helper()
	editor, _, _ := p.actors(s)
	if err := p.e.db.SubmitPage(context.Background(), db.Transition{PageID: id, Actor: db.Actor{Account: editor}, Now: time.Now()}, nil); err != nil {
		p.t.Fatal(err)
	}
}

// approve approves the submitted revision; one due now is published at
// once, with a site manager's recorded reason.
func (p *publisher) approve(id int64, s pageSpec) {
	p.t.Helper()
	_, manager, _ := p.actors(s)
	t := db.Transition{PageID: id, Actor: db.Actor{Account: manager}, Now: time.Now()}
	if s.publish.IsZero() || s.publish.Before(time.Now().Add(48*time.Hour)) {
		t.Override = "試験のため即時公開"
	}
	if err := p.e.db.ApprovePage(context.Background(), t); err != nil {
		p.t.Fatal(err)
	}
}

// publish writes a page live now and returns its id.
func (p *publisher) publish(s pageSpec) int64 {
	p.t.Helper()
	id := p.draft(s)
	p.submit(id, s)
	p.approve(id, s)
	return id
}

func titles(doc *goquery.Document, sel string) []string {
	var out []string
	doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// TestPublicPagesShowOnlyLiveRevisions: every public list and detail reads
// the live revisions of the official site's pages, and no other state of a
// page ever shows.
func TestPublicPagesShowOnlyLiveRevisions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	p := newPublisher(t, e)

	// One live page of each kind.
	notice := p.publish(pageSpec{kind: db.PageNotice, title: "避難所の開設について", body: "## 開設する避難所\n\n- 四谷小学校\n- [区の地図](https://www.example.jp/map)\n\n<script>alert(1)</script>",
		tags: []string{"防災"}})
	open := p.publish(pageSpec{kind: db.PageSubsidy, title: "防災資器材購入費助成", body: "町会・自治会が購入する資器材の費用を助成します。",
		fields: db.PageFields{Eligibility: "区内の町会・自治会", Amount: "上限30万円", ApplyFrom: "2026-04-01", ApplyUntil: "2099-03-31"}})
	closed := p.publish(pageSpec{kind: db.PageSubsidy, title: "感震ブレーカー設置費助成", body: "受付は終了しました。",
		fields: db.PageFields{Amount: "上限5,000円", ApplyUntil: "2020-03-31"}})
	p.publish(pageSpec{kind: db.PageFacility, title: "四谷地域センター", body: "駐車場はありません。",
		fields: db.PageFields{Category: "地域センター", Town: "四谷", Address: "新宿区内藤町87", Phone: "03-3351-3314", URL: "https://www.example.jp/yotsuya"}})
	var facilityID int64
	if err := e.db.Bun.NewRaw(`SELECT facility_id FROM pages WHERE kind = 'facility'`).Scan(ctx, &facilityID); err != nil || facilityID == 0 {
		t.Fatalf("the live facility page has no facilities row (%v)", err)
	}
	group := &db.Group{Name: "四谷防災の会", Category: "防災", Town: "四谷", Published: true}
	hidden := &db.Group{Name: "非公開の会", Category: "防災", Town: "四谷"}
	for _, g := range []*db.Group{group, hidden} {
		if _, err := e.db.Bun.NewInsert().Model(g).Returning("id").Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	article := p.publish(pageSpec{kind: db.PageArticle, title: "防災訓練に参加してみた", body: "編集部も参加しました。",
		fields: db.PageFields{ArticleKind: "column", AuthorLabel: "編集部 山田", GroupIDs: []int64{group.ID, hidden.ID}, FacilityIDs: []int64{facilityID}}})
	general := p.publish(pageSpec{kind: db.PageGeneral, title: "このサイトについて", body: "区民活動ポータルの案内です。"})

	// Every state but live, each of which must never show.
	never := []string{"下書きのお知らせ", "申請中のお知らせ", "公開待ちのお知らせ", "公開終了のお知らせ", "取り下げたお知らせ", "別サイトのお知らせ"}
	p.draft(pageSpec{kind: db.PageNotice, title: never[0]})
	submitted := pageSpec{kind: db.PageNotice, title: never[1]}
	p.submit(p.draft(submitted), submitted)
	due := pageSpec{kind: db.PageNotice, title: never[2], publish: time.Now().Add(72 * time.Hour)}
	dueID := p.publish(due)
	ended := p.publish(pageSpec{kind: db.PageNotice, title: never[3]})
	if err := e.db.EndPage(ctx, db.Transition{PageID: ended, Actor: db.Actor{Account: p.manager}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	withdrawn := pageSpec{kind: db.PageNotice, title: never[4]}
	wid := p.draft(withdrawn)
	p.submit(wid, withdrawn)
	if err := e.db.WithdrawPage(ctx, db.Transition{PageID: wid, Actor: db.Actor{Account: p.editor}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A live page of a department sub-site is that site's, not the official site's.
	var sub int64
	if err := e.db.Bun.NewRaw(`INSERT INTO sites (slug, name, division_id, status) VALUES ('kosodate', '子育てサイト', ?, 'active') RETURNING id`, p.divA.ID).
		Scan(ctx, &sub); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddSiteStaff(ctx, db.Actor{Account: p.manager}, sub, p.editor.ID, p.manager.ID); err != nil {
		t.Fatal(err)
	}
	pg, _, err := e.db.CreatePage(ctx, db.Actor{Account: p.editor}, db.NewPage{SiteID: sub, DivisionID: p.divA.ID, Kind: db.PageNotice,
		PageContent: db.PageContent{Title: never[5], PublishAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	p.submit(pg.ID, pageSpec{})
	p.approve(pg.ID, pageSpec{})

	if n, _, err := e.db.RunSchedule(ctx, time.Now(), 10); err != nil || n != 0 {
		t.Fatalf("the schedule published %d (%v) before anything was due", n, err)
	}
	for _, path := range []string{"/", "/notices", "/topics/" + url.PathEscape("防災")} {
		res := e.get(path)
		res.wantStatus(t, http.StatusOK)
		for _, title := range never {
			if strings.Contains(res.Body, title) {
				t.Errorf("%s shows %s", path, title)
			}
		}
	}
	if got := titles(e.get("/notices").Doc, "main .list a.title"); !slices.Equal(got, []string{"避難所の開設について"}) {
		t.Errorf("/notices lists %v", got)
	}
	if got := titles(e.get("/").Doc, ".section:has(#home-notices) .list a.title"); !slices.Contains(got, "避難所の開設について") {
		t.Errorf("the home page's notices: %v", got)
	}
	e.get(fmt.Sprintf("/notices/%d", dueID)).wantStatus(t, http.StatusNotFound)
	e.get(fmt.Sprintf("/notices/%d", ended)).wantStatus(t, http.StatusNotFound)
	e.get(fmt.Sprintf("/notices/%d", wid)).wantStatus(t, http.StatusNotFound)
	e.get(fmt.Sprintf("/notices/%d", pg.ID)).wantStatus(t, http.StatusNotFound)
	// A page answers only at its kind's address.
	e.get(fmt.Sprintf("/subsidies/%d", notice)).wantStatus(t, http.StatusNotFound)
	e.get(fmt.Sprintf("/pages/%d", notice)).wantStatus(t, http.StatusNotFound)

	// The notice: its body rendered and sanitised, its tag linking to the
	// topic page, its division's name and contact block under it.
	res := e.get(fmt.Sprintf("/notices/%d", notice))
	res.wantStatus(t, http.StatusOK)
	body := res.Doc.Find("main .page-body")
	// The body's headings sit below the title: ## is an h3.
	if body.Find("h3").Text() != "開設する避難所" || body.Find("li").Length() != 2 || strings.Contains(res.Body, "<script>alert") {
		t.Errorf("notice body rendered as %q", goquery.NewDocumentFromNode(body.Nodes[0]).Text())
	}
	if href := body.Find("a").AttrOr("href", ""); !strings.HasPrefix(href, "/leave?to=") {
		t.Errorf("an outbound link in the body goes to %q, not through /leave", href)
	}
	if href := res.Doc.Find("main .page-tags a").AttrOr("href", ""); href != "/topics/"+url.PathEscape("防災") {
		t.Errorf("the tag links to %q", href)
	}
	contact := res.Doc.Find("main .division-contact")
	if contact.Find(".division-name").Text() != "防災課" || !strings.Contains(contact.Text(), "電話 03-5000-0001") {
		t.Errorf("division block: %q", contact.Text())
	}

	// Subsidies: the open one says so, the one past its deadline says 受付終了.
	res = e.get("/subsidies")
	res.wantStatus(t, http.StatusOK)
	res.Doc.Find("main .list > li").Each(func(_ int, li *goquery.Selection) {
		title, badge := li.Find("a.title").Text(), li.Find(".tag").First().Text()
		switch {
		case title == "感震ブレーカー設置費助成" && badge != "受付終了", title == "防災資器材購入費助成" && badge != "受付中":
			t.Errorf("%s is marked %q", title, badge)
		}
	})
	if n := res.Doc.Find("main .list > li").Length(); n != 2 {
		t.Errorf("%d subsidies listed", n)
	}
	res = e.get(fmt.Sprintf("/subsidies/%d", open))
	res.wantStatus(t, http.StatusOK)
	if facts := res.Doc.Find("main dl.facts").Text(); !strings.Contains(facts, "区内の町会・自治会") || !strings.Contains(facts, "上限30万円") ||
		!strings.Contains(facts, "受付中") || res.Doc.Find("main dl.facts time").Length() != 2 {
		t.Errorf("subsidy facts: %q", facts)
	}
	if facts := e.get(fmt.Sprintf("/subsidies/%d", closed)).Doc.Find("main dl.facts").Text(); !strings.Contains(facts, "受付終了") {
		t.Errorf("closed subsidy facts: %q", facts)
	}

	// The article: a column with its author label, linking its published
	// group and its facility, not the unpublished group.
	res = e.get("/articles")
	if meta := res.Doc.Find("main .list .meta").Text(); !strings.Contains(meta, "コラム") || !strings.Contains(meta, "編集部 山田") {
		t.Errorf("article list meta %q", meta)
	}
	res = e.get(fmt.Sprintf("/articles/%d", article))
	res.wantStatus(t, http.StatusOK)
	if got := titles(res.Doc, "main .links a"); !slices.Equal(got, []string{"四谷防災の会", "四谷地域センター"}) {
		t.Errorf("the article links %v", got)
	}
	facilityHref := res.Doc.Find(`main .links a[href^="/facilities"]`).AttrOr("href", "")

	// Facilities: category, area, address, the phone as a tel: link, the
	// official page through /leave, the body; the article's link lands on it.
	res = e.get("/facilities")
	res.wantStatus(t, http.StatusOK)
	_, anchor, _ := strings.Cut(facilityHref, "#")
	li := res.Doc.Find("main li#" + anchor)
	if li.Length() != 1 {
		t.Fatalf("the article's facility link %q lands on nothing", facilityHref)
	}
	if li.Closest("section").Find("h2").Text() != "地域センター" || !strings.Contains(li.Find(".meta").Text(), "四谷") ||
		!strings.Contains(li.Find(".meta").Text(), "新宿区内藤町87") || strings.TrimSpace(li.Find(".page-body").Text()) != "駐車場はありません。" {
		t.Errorf("facility entry %q", li.Text())
	}
	if href := li.Find(`a[href^="tel:"]`).AttrOr("href", ""); href != "tel:0333513314" {
		t.Errorf("phone link %q", href)
	}
	if href := li.Find("a.title").AttrOr("href", ""); !strings.HasPrefix(href, "/leave?to="+url.QueryEscape("https://www.example.jp/yotsuya")+"&sig=") {
		t.Errorf("official page link %q", href)
	}

	// The general page.
	res = e.get(fmt.Sprintf("/pages/%d", general))
	res.wantStatus(t, http.StatusOK)
	if res.Doc.Find("main h1").Text() != "このサイトについて" || res.Doc.Find("main .page-body p").Text() != "区民活動ポータルの案内です。" {
		t.Errorf("general page: %q", res.Doc.Find("main").Text())
	}
	if href := res.Doc.Find(".inquiry-link a").AttrOr("href", ""); href != fmt.Sprintf("/inquiry?page=%d", general) {
		t.Errorf("general page's inquiry link %q", href)
	}

	// In English too.
	if res := e.get(fmt.Sprintf("/subsidies/%d?lang=en", closed)); !strings.Contains(res.Doc.Find("main dl.facts").Text(), "Closed") {
		t.Errorf("English subsidy facts: %q", res.Doc.Find("main dl.facts").Text())
	}
}

// TestRevisionWhileLiveLeavesThePublicPage: a new revision of a live page
// is written, submitted and approved for later while the public page stays
// as it was; it changes when the revision is published.
func TestRevisionWhileLiveLeavesThePublicPage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	p := newPublisher(t, e)
	s := pageSpec{kind: db.PageNotice, title: "粗大ごみの受付日", body: "月曜日に受け付けます。"}
	id := p.publish(s)
	path := fmt.Sprintf("/notices/%d", id)
	want := func(title, body string) {
		t.Helper()
		res := e.get(path)
		res.wantStatus(t, http.StatusOK)
		if got := res.Doc.Find("main h1").Text(); got != title {
			t.Errorf("title %q, want %q", got, title)
		}
		if got := strings.TrimSpace(res.Doc.Find("main .page-body").Text()); got != body {
			t.Errorf("body %q, want %q", got, body)
		}
		if got := titles(e.get("/notices").Doc, "main .list a.title"); !slices.Equal(got, []string{title}) {
			t.Errorf("list %v, want %s", got, title)
		}
	}
	later := time.Now().Add(72 * time.Hour)
	step := db.Transition{PageID: id, Actor: db.Actor{Account: p.editor}, Now: time.Now()}
	if _, err := e.db.SavePage(ctx, step, db.PageContent{Title: "粗大ごみの受付日（変更）", Body: "火曜日に受け付けます。", PublishAt: later}); err != nil {
		t.Fatal(err)
	}
	want("粗大ごみの受付日", "月曜日に受け付けます。")
	p.submit(id, s)
	want("粗大ごみの受付日", "月曜日に受け付けます。")
	p.approve(id, pageSpec{publish: later})
	want("粗大ごみの受付日", "月曜日に受け付けます。")
	if n, _, err := e.db.RunSchedule(ctx, later, 10); err != nil || n != 1 {
		t.Fatalf("the schedule published %d (%v)", n, err)
	}
	// Visitors' pages come from the page cache, which the publication's
	// live event empties a moment after the commit.
	waitChangesApplied(t, e)
	want("粗大ごみの受付日（変更）", "火曜日に受け付けます。")
}

// TestLegacyAddressesRedirect: an address of a row of the tables before
// the migration leads to its page for good (301) when the id is no page of
// that kind; an id that is a page of the kind is that page's, live or not.
func TestLegacyAddressesRedirect(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	p := newPublisher(t, e)
	notice := p.publish(pageSpec{kind: db.PageNotice, title: "移行したお知らせ"})
	subsidy := p.publish(pageSpec{kind: db.PageSubsidy, title: "移行した助成"})
	article := p.publish(pageSpec{kind: db.PageArticle, title: "移行した記事"})
	draft := p.draft(pageSpec{kind: db.PageNotice, title: "下書き"})
	ended := p.publish(pageSpec{kind: db.PageSubsidy, title: "終わった助成"})
	if err := e.db.EndPage(ctx, db.Transition{PageID: ended, Actor: db.Actor{Account: p.manager}, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	legacy := func(page, old int64) {
		if _, err := e.db.Bun.NewRaw(`UPDATE pages SET legacy_id = ? WHERE id = ?`, old, page).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	legacy(notice, 900) // no page 900
	legacy(subsidy, notice)
	legacy(article, 901)
	legacy(ended, 902)
	for path, want := range map[string]string{
		"/notices/900":                       fmt.Sprintf("/notices/%d", notice),
		fmt.Sprintf("/subsidies/%d", notice): fmt.Sprintf("/subsidies/%d", subsidy), // page `notice` is no subsidy
		"/articles/901":                      fmt.Sprintf("/articles/%d", article),
	} {
		res := e.get(path)
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != want {
			t.Errorf("%s: %d → %q, want 301 → %s", path, res.StatusCode, res.Header.Get("Location"), want)
		}
		e.get(want).wantStatus(t, http.StatusOK)
	}
	// An old id of another kind, one whose page has ended, and an id that
	// is a page of the kind (a draft) while another page has it as its
	// old id: none leads anywhere.
	legacy(article, draft)
	for _, path := range []string{"/subsidies/900", "/notices/901", "/subsidies/902", fmt.Sprintf("/articles/%d", notice+1000),
		fmt.Sprintf("/notices/%d", draft)} {
		if res := e.get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d → %q, want 404", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if _, err := e.db.Bun.NewRaw(`UPDATE pages SET legacy_id = ? WHERE id = ?`, draft, notice).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	e.get(fmt.Sprintf("/notices/%d", draft)).wantStatus(t, http.StatusNotFound)
}

// TestTopicPagesGatherDivisions: a topic page lists the live pages of
// every division and kind with the tag, newest first, paged; tags link
// there, and a tag no live page carries is no page.
func TestTopicPagesGatherDivisions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	p := newPublisher(t, e)
	tag := "子育て 支援/相談" // a space and a slash: the address escapes both
	p.publish(pageSpec{kind: db.PageNotice, title: "防災課のお知らせ", tags: []string{"防災", tag}})
	p.publish(pageSpec{kind: db.PageSubsidy, title: "子ども家庭課の助成", tags: []string{tag}, inB: true})
	article := p.publish(pageSpec{kind: db.PageArticle, title: "子育てひろばを訪ねて", tags: []string{tag}})
	p.publish(pageSpec{kind: db.PageNotice, title: "別の話題", tags: []string{"防災"}})
	p.draft(pageSpec{kind: db.PageNotice, title: "下書きの子育て情報", tags: []string{tag}, inB: true})

	res := e.get(fmt.Sprintf("/articles/%d", article))
	href := res.Doc.Find("main .page-tags a").AttrOr("href", "")
	if href != "/topics/"+url.PathEscape(tag) {
		t.Fatalf("the tag links to %q", href)
	}
	res = e.get(href)
	res.wantStatus(t, http.StatusOK)
	if got := titles(res.Doc, "main .list a.title"); !slices.Equal(got, []string{"子育てひろばを訪ねて", "子ども家庭課の助成", "防災課のお知らせ"}) {
		t.Errorf("topic lists %v", got)
	}
	if h1 := res.Doc.Find("main h1").Text(); !strings.Contains(h1, tag) {
		t.Errorf("heading %q", h1)
	}
	if meta := res.Doc.Find("main .list .meta").Text(); !strings.Contains(meta, "子ども家庭課") || !strings.Contains(meta, "防災課") ||
		!strings.Contains(meta, "補助金・助成金") {
		t.Errorf("topic metas %q", meta)
	}
	var links []string
	res.Doc.Find("main .list a.title").Each(func(_ int, s *goquery.Selection) { links = append(links, s.AttrOr("href", "")) })
	for _, l := range links {
		e.get(l).wantStatus(t, http.StatusOK)
	}
	e.get("/topics/"+url.PathEscape("誰も使わない話題")).wantStatus(t, http.StatusNotFound)
	e.get("/topics/"+strings.Repeat("長", 51)).wantStatus(t, http.StatusNotFound)

	// Paged like every list: 25 more pages with the tag.
	for i := range 25 {
		p.publish(pageSpec{kind: db.PageNotice, title: fmt.Sprintf("防災のお知らせ%02d", i), tags: []string{"防災"}})
	}
	first := e.get("/topics/" + url.PathEscape("防災"))
	if n := first.Doc.Find("main .list > li").Length(); n != db.PageSize {
		t.Errorf("first page has %d", n)
	}
	next, ok := first.Doc.Find(`a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatal("no next link")
	}
	if n := e.get(next).Doc.Find("main .list > li").Length(); n != 27-db.PageSize {
		t.Errorf("second page has %d", n)
	}
}
