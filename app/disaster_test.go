package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4/middleware"
	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// disasterEnv is a portal whose official site has a division with an
// editor and a manager (site manager and approver) who may switch disaster
// mode, a sub-site with a manager of its own, and a signed-in client for
// the official manager.
type disasterEnv struct {
	*testEnv
	site    *db.Site
	div     *db.Division
	editor  *db.Account
	manager *db.Account
	subMgr  *db.Account
	mgr     *testEnv // the official site's manager, signed in
}

func newDisasterEnv(t *testing.T, e *testEnv) *disasterEnv {
	t.Helper()
	ctx := context.Background()
	d := &disasterEnv{testEnv: e}
	var err error
	if d.site, err = e.db.OfficialSite(ctx); err != nil {
		t.Fatal(err)
	}
	admin := e.staffAccount("dis-admin", db.RoleWardStaff)
	act := db.Actor{Account: admin, Role: db.RoleWardStaff}
	d.div = &db.Division{Code: "bousai", Name: "防災課"}
	if err := e.db.CreateDivision(ctx, act, d.div); err != nil {
		t.Fatal(err)
	}
	d.editor = e.staffAccount("dis-editor", db.RoleEditor)
	d.manager = e.staffAccount("dis-manager", db.RoleSiteManager, db.RoleApprover)
	d.subMgr = e.staffAccount("dis-submgr", db.RoleSiteManager, db.RoleApprover)
	for _, acc := range []*db.Account{d.editor, d.manager, d.subMgr} {
		if err := e.db.SetStaffDivisions(ctx, act, acc.ID, []int64{d.div.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.AddSiteStaff(ctx, act, d.site.ID, d.editor.ID, d.manager.ID); err != nil {
		t.Fatal(err)
	}
	sub := &db.Site{Slug: "bousai", Name: "防災サイト", DivisionID: d.div.ID, LeadDays: 2, Status: db.SiteActive}
	if _, err := e.db.Bun.NewInsert().Model(sub).Returning("id").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddSiteStaff(ctx, act, sub.ID, d.subMgr.ID); err != nil {
		t.Fatal(err)
	}
	d.mgr = e.client()
	d.mgr.signIn("dis-manager", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	return d
}

// publishNotice publishes a notice at once, through the workflow: the
// editor writes and submits it, the manager approves it inside the lead
// time with a recorded reason (what an urgent notice is).
func (d *disasterEnv) publishNotice(t *testing.T, title, body string, urgent bool) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	p, _, err := d.db.CreatePage(ctx, db.Actor{Account: d.editor}, db.NewPage{SiteID: d.site.ID, DivisionID: d.div.ID,
		Kind: db.PageNotice, PageContent: db.PageContent{Title: title, Body: body, Fields: db.PageFields{Urgent: urgent},
			PublishAt: now.Add(-time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.db.SubmitPage(ctx, db.Transition{PageID: p.ID, Actor: db.Actor{Account: d.editor}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.db.ApprovePage(ctx, db.Transition{PageID: p.ID, Actor: db.Actor{Account: d.manager, Role: db.RoleSiteManager},
		Now: now, Override: "災害対応のため至急掲載"}); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// switchMode switches disaster mode through the page, as the manager would:
// the button, the confirmation, the POST.
func (d *disasterEnv) switchMode(t *testing.T, c *testEnv, mode string) {
	t.Helper()
	page := c.get("/staff/disaster?mode=" + mode)
	page.wantStatus(t, http.StatusOK)
	form := page.Doc.Find(`form[method="post"][action="/staff/disaster"]`)
	if v, _ := form.Find(`input[name="mode"]`).Attr("value"); v != mode {
		t.Fatalf("the confirmation step for %s has no form for it:\n%s", mode, page.Doc.Find("main").Text())
	}
	c.post("/staff/disaster", url.Values{"_csrf": {page.csrfToken(t)}, "mode": {mode}}).wantStatus(t, http.StatusSeeOther)
}

func (d *disasterEnv) auditEntries(t *testing.T) []string {
	t.Helper()
	var out []string
	if err := d.db.Bun.NewSelect().Table("audit_log").Column("detail").
		Where("action = ? AND actor_id = ?", db.AuditDisasterMode, d.manager.ID).OrderExpr("id").Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDisasterModeSwitch(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	d := newDisasterEnv(t, e)

	page := d.mgr.get("/staff/disaster")
	page.wantStatus(t, http.StatusOK)
	if got := page.Doc.Find("main .disaster-state strong").Text(); got != e.app.catalog.T("ja", "disaster.state_off") {
		t.Errorf("state %q, want off", got)
	}
	button := page.Doc.Find(`main form[method="get"][action="/staff/disaster"] button[name="mode"]`)
	if v, _ := button.Attr("value"); v != "on" {
		t.Fatalf("no big button switching on: %q", v)
	}
	if page.Doc.Find(`main form[method="post"]`).Length() != 0 {
		t.Error("the switch posts without a confirmation step")
	}

	// Nobody else switches it: a sub-site's manager sees the state but no
	// button and is refused; an approver and ward staff may not open it.
	sub := e.client()
	sub.signIn("dis-submgr", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	subPage := sub.get("/staff/disaster?mode=on")
	subPage.wantStatus(t, http.StatusOK)
	if subPage.Doc.Find("main form").Length() != 0 {
		t.Error("a sub-site's manager is offered the switch")
	}
	approver, ward := e.client(), e.client()
	e.staffAccount("dis-approver", db.RoleApprover)
	approver.signIn("dis-approver", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	ward.signIn("dis-admin", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	for name, c := range map[string]*testEnv{"sub-site manager": sub, "approver": approver, "ward staff": ward} {
		c.post("/staff/disaster", url.Values{"_csrf": {c.token()}, "mode": {"on"}}).wantStatus(t, http.StatusForbidden)
		if name != "sub-site manager" {
			c.get("/staff/disaster").wantStatus(t, http.StatusForbidden)
		}
	}
	d.mgr.post("/staff/disaster", url.Values{"_csrf": {d.mgr.token()}, "mode": {"toggle"}}).wantStatus(t, http.StatusUnprocessableEntity)
	if e.app.disaster.Load() || len(d.auditEntries(t)) != 0 {
		t.Fatal("disaster mode switched by a refused request")
	}

	d.switchMode(t, d.mgr, "on")
	if !e.app.disaster.Load() {
		t.Fatal("the instance that switched is not in disaster mode")
	}
	page = d.mgr.get("/staff/disaster")
	if got := page.Doc.Find("main .disaster-state strong").Text(); got != e.app.catalog.T("ja", "disaster.state_on") {
		t.Errorf("state %q, want on", got)
	}
	if meta := page.Doc.Find("main .disaster-state .meta").Text(); !strings.Contains(meta, d.manager.DisplayName) {
		t.Errorf("the page does not say who switched: %q", meta)
	}
	if page.Doc.Find(".flash").Text() != e.app.catalog.T("ja", "disaster.switched_on") {
		t.Errorf("flash %q", page.Doc.Find(".flash").Text())
	}
	if v, _ := page.Doc.Find(`main button[name="mode"]`).Attr("value"); v != "off" {
		t.Errorf("the button while on switches to %q, want off", v)
	}
	// Switching on again (a second tab, a double submit) changes nothing.
	d.mgr.post("/staff/disaster", url.Values{"_csrf": {d.mgr.token()}, "mode": {"on"}}).wantStatus(t, http.StatusSeeOther)

	d.switchMode(t, d.mgr, "off")
	if e.app.disaster.Load() {
		t.Fatal("still in disaster mode after switching off")
	}
	if got := d.auditEntries(t); !slices.Equal(got, []string{"disaster mode on", "disaster mode off"}) {
		t.Errorf("audit entries %q, want one per change", got)
	}
	// The audit log names the action in words.
	audit := ward.get("/staff/audit?action=" + db.AuditDisasterMode)
	audit.wantStatus(t, http.StatusOK)
	if !strings.Contains(audit.Doc.Find("main table").Text(), e.app.catalog.T("ja", "audit.action.disaster_mode")) {
		t.Error("the audit log does not show the switch")
	}
}

// urgentBody is a notice of a realistic length, with an image the light
// page must leave out.
const urgentBody = `区内に避難指示が出ています。次の避難所を開設しました。

## 開設した避難所

- 四谷小学校（四谷1-2-3）
- 新宿中学校（新宿2-3-4）
- 戸塚地域センター（高田馬場3-4-5）

![避難所の地図](/files/1/map.png)

飲料水と毛布を用意しています。お薬手帳、常備薬、携帯電話の充電器をお持ちください。
ペットは同行避難できます。ケージとえさをお持ちください。

詳しくは[避難所の一覧](/facilities)をご覧ください。問い合わせ：防災課 03-1234-5678`

func TestDisasterHomePage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	d := newDisasterEnv(t, e)
	d.publishNotice(t, "避難所を開設しました", urgentBody, true)
	d.publishNotice(t, "粗大ごみの受付日変更", "年末年始は休みます。", false)
	d.publishNotice(t, "給水所のご案内", urgentBody, true)
	d.publishNotice(t, "停電の見通し", urgentBody, true)

	visitor := e.client()
	home := visitor.get("/")
	if home.Doc.Find(".disaster-banner").Length() != 0 || home.Doc.Find("article.urgent").Length() != 0 {
		t.Fatal("disaster mode shows before it is switched on")
	}

	d.switchMode(t, d.mgr, "on")
	home = visitor.get("/")
	home.wantStatus(t, http.StatusOK)
	if h1 := home.Doc.Find("h1").Text(); h1 != e.app.catalog.T("ja", "disaster.home_title") {
		t.Errorf("h1 %q, want the urgent notices' title", h1)
	}
	var titles []string
	home.Doc.Find("article.urgent h2").Each(func(_ int, s *goquery.Selection) { titles = append(titles, s.Text()) })
	if want := []string{"停電の見通し", "給水所のご案内", "避難所を開設しました"}; !slices.Equal(titles, want) {
		t.Errorf("urgent notices %q, want exactly %q, newest first", titles, want)
	}
	body := home.Doc.Find("article.urgent .body").First()
	if body.Find("h3").Text() != "開設した避難所" || body.Find("li").Length() != 3 || body.Find(`a[href="/facilities"]`).Length() != 1 {
		t.Errorf("the notice's body is not rendered: %s", body.Text())
	}
	if n := home.Doc.Find("img, script, picture, iframe").Length(); n != 0 {
		t.Errorf("the light page has %d images or scripts", n)
	}
	var sheets []string
	home.Doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) { sheets = append(sheets, s.AttrOr("href", "")) })
	if !slices.Equal(sheets, []string{e.app.assets.URL("css/disaster.css")}) {
		t.Errorf("stylesheets %q, want the light one only", sheets)
	}
	for _, href := range []string{"/notices", "/events", "/facilities"} {
		if home.Doc.Find(`main a[href="`+href+`"]`).Length() == 0 {
			t.Errorf("the light page does not link to %s", href)
		}
	}
	// A few KB on the wire, stylesheet included.
	w, _ := visitor.weigh(t, "/", http.StatusOK)
	if w.total() > 10*1024 {
		t.Errorf("the light page weighs %d bytes compressed (page %d, %v), want under 10 KB", w.total(), w.page, w.assets)
	}
	t.Logf("light home page: %d bytes compressed (page %d + stylesheet %d)", w.total(), w.page, w.total()-w.page)

	// Every other page leads to it, for visitors and staff alike.
	banner := e.app.catalog.T("ja", "disaster.banner")
	for _, c := range []struct {
		who  *testEnv
		path string
	}{{visitor, "/notices"}, {visitor, "/events"}, {visitor, "/facilities"}, {visitor, "/login"}, {visitor, "/no-such-page"}, {d.mgr, "/staff"}} {
		page := c.who.get(c.path)
		if got := page.Doc.Find(`.disaster-banner a[href="/"]`).Text(); got != banner {
			t.Errorf("%s: banner %q, want %q", c.path, got, banner)
		}
	}
	if en := visitor.get("/notices?lang=en"); en.Doc.Find(".disaster-banner a").Text() != e.app.catalog.T("en", "disaster.banner") {
		t.Errorf("English banner %q", en.Doc.Find(".disaster-banner a").Text())
	}

	d.switchMode(t, d.mgr, "off")
	home = e.client().get("/")
	if home.Doc.Find("article.urgent").Length() != 0 || home.Doc.Find(".disaster-banner").Length() != 0 {
		t.Error("the light page or the banner stays after switching off")
	}
	if h1 := home.Doc.Find("h1").Text(); h1 != e.app.catalog.T("ja", "home.title") {
		t.Errorf("home h1 %q after switching off", h1)
	}
}

// TestDisasterModeReachesEveryInstance runs two instances on one database,
// as production does: a switch on one reaches the other through the live
// stream, without a database read per request.
func TestDisasterModeReachesEveryInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := dbtest.NewURL(t)
	open := func() *db.DB {
		d, err := db.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		return d
	}
	one := newTestEnvDB(t, open())
	two := newTestEnvDB(t, open())
	d := newDisasterEnv(t, one)
	d.publishNotice(t, "避難所を開設しました", urgentBody, true)

	agree := func(on bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for one.app.disaster.Load() != on || two.app.disaster.Load() != on {
			if time.Now().After(deadline) {
				t.Fatalf("instances disagree 10 s after the switch: one %v, two %v, want %v",
					one.app.disaster.Load(), two.app.disaster.Load(), on)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	d.switchMode(t, d.mgr, "on")
	agree(true)
	if got := two.client().get("/").Doc.Find("article.urgent h2").Text(); got != "避難所を開設しました" {
		t.Errorf("the other instance's home page shows %q, want the urgent notice", got)
	}

	// And back, switched on the other instance.
	mgr2 := two.client()
	mgr2.signIn("dis-manager", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	d.switchMode(t, mgr2, "off")
	agree(false)
	if one.client().get("/notices").Doc.Find(".disaster-banner").Length() != 0 {
		t.Error("the first instance still shows the banner")
	}

	// A new instance starts in the mode the database says.
	d.switchMode(t, d.mgr, "on")
	agree(true)
	three := newTestEnvDB(t, open())
	if !three.app.disaster.Load() {
		t.Error("an instance started during disaster mode is not in it")
	}
	if three.client().get("/").Doc.Find("article.urgent").Length() != 1 {
		t.Error("an instance started during disaster mode does not show the urgent notices")
	}
}

// queryCounter counts the statements bun sends, but for the live hub's.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	if !strings.Contains(ev.Query, "live_events") {
		q.n.Add(1)
	}
	return ctx
}

func (*queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

func TestPageCacheServesVisitorsFromMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.New(t)
	queries := &queryCounter{}
	store.Bun = store.Bun.WithQueryHook(queries)
	e := newTestEnvDB(t, store)
	d := newDisasterEnv(t, e)
	page := d.publishNotice(t, "避難所を開設しました", urgentBody, true)
	d.switchMode(t, d.mgr, "on")
	// The publication's and the switch's live events drop the cache when
	// they arrive: wait for them, or they drop the page this test keeps.
	waitChangesApplied(t, e)

	visitor := e.client()
	if got := visitor.get("/").Doc.Find("article.urgent h2").Text(); got != "避難所を開設しました" {
		t.Fatalf("home shows %q", got)
	}
	// Behind the app's back: no live event, and the triggers that notify
	// every instance (migration 0025) off, so nothing tells the cache.
	if err := e.db.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Table("page_revisions").Set("title = ?", "避難所を追加しました").
			Where("id = (SELECT live_revision_id FROM pages WHERE id = ?)", page).Exec(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := queries.n.Load()
	for _, c := range []*testEnv{visitor, e.client(), e.client()} {
		res := c.get("/")
		if got := res.Doc.Find("article.urgent h2").Text(); got != "避難所を開設しました" {
			t.Errorf("a visitor got %q, not the page kept in memory", got)
		}
		if res.Header.Get("Set-Cookie") != "" {
			t.Errorf("a kept page sets a cookie: %q", res.Header.Get("Set-Cookie"))
		}
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Request-Id") == "" {
			t.Error("a kept page is served without the security headers or a request id")
		}
	}
	if n := queries.n.Load() - before; n != 0 {
		t.Errorf("visitors served from memory cost %d database statements, want 0", n)
	}
	// Compressed for those who take it, plain for those who do not.
	for _, enc := range []string{"gzip", ""} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/", nil)
		req.Header.Set("Accept-Encoding", enc)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := res.Header.Get("Content-Encoding"); got != enc {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got)
		}
		if enc == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = io.ReadAll(zr)
		}
		if !bytes.Contains(raw, []byte("避難所を開設しました")) {
			t.Errorf("Accept-Encoding %q: not the kept page", enc)
		}
	}

	// A signed-in member is answered afresh, and their page is not kept.
	member := e.client()
	e.memberAccount("M7700001", "ひなんするひと")
	member.signIn("M7700001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	before = queries.n.Load()
	if got := member.get("/").Doc.Find("article.urgent h2").Text(); got != "避難所を追加しました" {
		t.Errorf("a member got %q, want the page as it is now", got)
	}
	if queries.n.Load() == before {
		t.Error("a member's page was answered without the database")
	}
	if got := visitor.get("/").Doc.Find("article.urgent h2").Text(); got != "避難所を開設しました" {
		t.Errorf("a member's page replaced the kept one: a visitor got %q", got)
	}

	// Publishing any page drops what is kept, on every instance: the live
	// event reaches this one a moment after the commit.
	d.publishNotice(t, "粗大ごみの受付日変更", "年末年始は休みます。", false)
	deadline := time.Now().Add(10 * time.Second)
	for visitor.get("/").Doc.Find("article.urgent h2").Text() != "避難所を追加しました" {
		if time.Now().After(deadline) {
			t.Fatal("the kept page is still served 10 s after a page was published")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPageCacheKeepsNothingPersonal opens the public pages in disaster mode
// as new visitors of every kind and checks that nothing the cache keeps
// sets a cookie or carries a CSRF token.
func TestPageCacheKeepsNothingPersonal(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	d := newDisasterEnv(t, e)
	d.publishNotice(t, "避難所を開設しました", urgentBody, true)
	ev := e.publishedEvent(10, 2)
	d.switchMode(t, d.mgr, "on")

	paths := []string{"/", "/?lang=en", "/notices", "/events", fmt.Sprintf("/events/%d", ev.ID), "/facilities", "/board",
		"/groups", "/subsidies", "/articles", "/login", "/register", "/events/new", "/no-such-page"}
	// A browser that sends Sec-Fetch-Site (echo then sets no CSRF cookie
	// on a GET), one that does not (it gets the cookie), one that comes
	// back with its cookies, and one asking in English.
	kinds := [][]string{{"Sec-Fetch-Site", "none"}, {}, {"Sec-Fetch-Site", "same-origin"}}
	for _, headers := range kinds {
		c := e.client()
		for range 2 {
			for _, p := range paths {
				res := c.get(p, headers...)
				if p == "/login" || p == "/register" {
					if res.Doc.Find(`input[name="_csrf"]`).AttrOr("value", "") == "" {
						t.Errorf("%s with %v: the form has no CSRF token", p, headers)
					}
				}
			}
		}
	}
	entries, _ := e.app.pages.Len()
	if entries < 8 {
		t.Errorf("only %d pages kept: the walk did not reach the cache", entries)
	}
	e.app.pages.mu.Lock()
	defer e.app.pages.mu.Unlock()
	for key, el := range e.app.pages.entries {
		p := el.Value.(*pageEntry).page
		if len(p.header.Values("Set-Cookie")) > 0 {
			t.Errorf("%s kept with Set-Cookie %q", key, p.header.Values("Set-Cookie"))
		}
		body := p.body
		if p.gzipped {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		}
		for _, bad := range []string{"_csrf", "X-CSRF-Token", "hx-headers", middleware.CSRFUsingSecFetchSite} {
			if bytes.Contains(body, []byte(bad)) {
				t.Errorf("%s kept with %q in it", key, bad)
			}
		}
		for _, path := range []string{"/login", "/register", "/events/new", "/no-such-page"} {
			if strings.HasPrefix(key, path+"?") {
				t.Errorf("%s kept: it is not a public page", key)
			}
		}
	}
}

func TestPageCacheBounds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	pc := newPageCache(30*time.Second, 3, 100, func() time.Time { return now })
	page := func(n int) *cachedPage { return &cachedPage{header: http.Header{}, body: bytes.Repeat([]byte("x"), n)} }

	gen := pc.Generation()
	for _, k := range []string{"a", "b", "c"} {
		if !pc.Put(k, gen, page(10)) {
			t.Fatalf("%s not kept", k)
		}
	}
	pc.Get("a") // a is used: b is the least recently used
	pc.Put("d", gen, page(10))
	if _, ok := pc.Get("b"); ok {
		t.Error("more entries than allowed")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := pc.Get(k); !ok {
			t.Errorf("%s evicted instead of the least recently used", k)
		}
	}
	pc.Put("e", gen, page(60)) // 3×11 + 61 > 100: the oldest go
	if n, size := pc.Len(); size > 100 || n > 3 {
		t.Errorf("%d entries, %d bytes: over the bounds", n, size)
	}
	if pc.Put("f", gen, page(200)) {
		t.Error("a page larger than the cache was kept")
	}

	// A render that began before an invalidation is not kept after it.
	pc.Invalidate()
	if n, _ := pc.Len(); n != 0 {
		t.Errorf("%d entries after Invalidate", n)
	}
	if pc.Put("g", gen, page(10)) {
		t.Error("a page rendered before the invalidation was kept")
	}
	gen = pc.Generation()
	pc.Put("g", gen, page(10))
	now = now.Add(29 * time.Second)
	if _, ok := pc.Get("g"); !ok {
		t.Error("expired early")
	}
	now = now.Add(2 * time.Second)
	if _, ok := pc.Get("g"); ok {
		t.Error("served after its time to live")
	}
}

func TestSharedPaths(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"/": true, "/notices": true, "/notices/3": true, "/pages/12": true, "/facilities": true, "/events": true,
		"/events/5": true, "/s/bousai/pages/1": true,
		"/events/5/live": false, "/board/live": false, "/staff": false, "/staff/disaster": false, "/account": false,
		"/login": false, "/register": false, "/noticesx": false, "/lang": false, "/leave": false,
	} {
		if got := sharedPath(path); got != want {
			t.Errorf("sharedPath(%q) = %v, want %v", path, got, want)
		}
	}
}

// waitChangesApplied waits until the app has applied every live event of
// the pages and settings streams written so far.
func waitChangesApplied(t *testing.T, e *testEnv) {
	t.Helper()
	var last int64
	if err := e.db.Bun.NewSelect().Table("live_events").ColumnExpr("coalesce(max(id), 0)").
		Where("stream IN (?)", bun.List([]string{db.StreamPages, db.StreamSettings})).Scan(context.Background(), &last); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.app.changesSeen.Load() < last {
		if time.Now().After(deadline) {
			t.Fatalf("the app has applied changes up to %d, not %d", e.app.changesSeen.Load(), last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
