package app

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// signedInMember makes a member and a client signed in as them.
func (e *testEnv) signedInMember(login, handle string) (*testEnv, *db.Account) {
	e.t.Helper()
	acc := e.memberAccount(login, handle)
	c := e.client()
	c.signIn(login, "member-password-1").wantStatus(e.t, http.StatusSeeOther)
	return c, acc
}

// TestEventButtonSaysWhatHappens: 申し込む while there are seats,
// キャンセル待ちに申し込む once only the waitlist has room, 受付終了 when
// neither has; the list shows seats left and the deadline.
func TestEventButtonSaysWhatHappens(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	until := time.Now().Add(48 * time.Hour)
	open := dbtest.Event(t, e.db, db.Event{Title: "空きあり", Capacity: ptr(5), Confirmed: 2, WaitlistSize: 3, ApplyUntil: &until})
	waiting := dbtest.Event(t, e.db, db.Event{Title: "満席", Capacity: ptr(2), Confirmed: 2, WaitlistSize: 3})
	full := dbtest.Event(t, e.db, db.Event{Title: "待ちも満員", Capacity: ptr(2), Confirmed: 2, WaitlistSize: 1, Waitlisted: 1})
	c, _ := e.signedInMember("M4300001", "ボタン確認")
	button := func(ev *db.Event) (string, bool) {
		res := c.get(fmt.Sprintf("/events/%d", ev.ID))
		res.wantStatus(t, http.StatusOK)
		b := res.Doc.Find("#signup button").First()
		_, disabled := b.Attr("disabled")
		return strings.TrimSpace(b.Text()), disabled
	}
	for _, tc := range []struct {
		ev       *db.Event
		label    string
		disabled bool
	}{{open, "申し込む", false}, {waiting, "キャンセル待ちに申し込む", false}, {full, "受付終了", true}} {
		if label, disabled := button(tc.ev); label != tc.label || disabled != tc.disabled {
			t.Errorf("%s: button %q (disabled %v), want %q (%v)", tc.ev.Title, label, disabled, tc.label, tc.disabled)
		}
	}
	// A visitor is told the same, as a sign-in link.
	if got := e.client().get(fmt.Sprintf("/events/%d", waiting.ID)).Doc.Find("#signup a.button").Text(); got != "ログインしてキャンセル待ちに申し込む" {
		t.Errorf("visitor's link on a full event: %q", got)
	}
	list := e.get("/events")
	item := list.Doc.Find(fmt.Sprintf("a[href='/events/%d']", open.ID)).Parent()
	meta := item.Find(".meta").Text()
	if !strings.Contains(meta, "残り3席") || !strings.Contains(item.Find(".deadline").Text(), "申込締切") {
		t.Errorf("list entry of an open event: %q", meta)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCancelAsksOnceMore: cancelling is two steps, without JavaScript (a
// page, then the POST with confirm=1) and with htmx (the box asks in
// place); the step says the seat goes to the next person waiting, whose
// place on the waitlist the page shows and refreshes.
func TestCancelAsksOnceMore(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.publishedEvent(1, 3)
	page := fmt.Sprintf("/events/%d", ev.ID)
	first, _ := e.signedInMember("M4400001", "一番")
	second, _ := e.signedInMember("M4400002", "二番")
	third, _ := e.signedInMember("M4400003", "三番")
	for _, c := range []*testEnv{first, second, third} {
		c.post(page+"/signup", url.Values{"_csrf": {c.token()}}, hx, "true").wantStatus(t, http.StatusOK)
	}
	pos := func(c *testEnv) string {
		return strings.TrimSpace(c.get(page).Doc.Find("#waitlist-position").Text())
	}
	if got := pos(third); got != "あなたはキャンセル待ちの2番目です。" {
		t.Errorf("third's position: %q", got)
	}
	p := third.get(page).Doc.Find("#waitlist-position")
	if p.AttrOr("hx-get", "") != page+"/position" || !strings.Contains(p.AttrOr("hx-trigger", ""), "htmx:sseBeforeMessage") {
		t.Errorf("the position does not refresh from the live stream: %v", p.Nodes[0].Attr)
	}

	// Without JavaScript: the box's cancel is a link to the second step.
	link := first.get(page).Doc.Find("#signup a[href='" + page + "/cancel']")
	if link.Length() != 1 {
		t.Fatal("no cancel link in the box")
	}
	step := first.get(page + "/cancel")
	step.wantStatus(t, http.StatusOK)
	if !strings.Contains(step.Doc.Find(".confirm-step").Text(), "キャンセル待ちの次の方に移ります") {
		t.Errorf("the second step does not say where the seat goes: %s", step.Doc.Find("main").Text())
	}
	if step.Doc.Find(".confirm-step form[method=post] input[name=confirm][value='1']").Length() != 1 {
		t.Error("the second step has no confirming form")
	}
	// A POST that skips the step is shown the step, and cancels nothing.
	first.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	skip := first.post(page+"/cancel", url.Values{"_csrf": {first.token()}})
	if skip.StatusCode != http.StatusSeeOther || skip.Header.Get("Location") != page+"/cancel" {
		t.Errorf("a POST without confirm: %d %s", skip.StatusCode, skip.Header.Get("Location"))
	}
	if first.get(page).Doc.Find("[data-signup-status=confirmed]").Length() != 1 {
		t.Fatal("a POST without confirm cancelled")
	}
	// With htmx the step comes in place of the box.
	frag := first.get(page+"/cancel", hx, "true")
	if frag.Doc.Find("header").Length() != 0 || frag.Doc.Find("section#signup .confirm-step").Length() != 1 {
		t.Errorf("htmx second step: %s", frag.Body)
	}
	done := first.post(page+"/cancel", url.Values{"_csrf": {first.token()}, "confirm": {"1"}})
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != page+"#signup" {
		t.Errorf("confirmed cancel: %d %s", done.StatusCode, done.Header.Get("Location"))
	}
	if second.get(page).Doc.Find("[data-signup-status=confirmed]").Length() != 1 {
		t.Error("the first waiting was not promoted")
	}
	if got := pos(third); got != "あなたはキャンセル待ちの1番目です。" {
		t.Errorf("third's position after the promotion: %q", got)
	}
	// The refresh answer, as the live trigger fetches it.
	res := third.get(page+"/position", hx, "true")
	res.wantStatus(t, http.StatusOK)
	if got := strings.TrimSpace(res.Doc.Find("#waitlist-position").Text()); got != "あなたはキャンセル待ちの1番目です。" {
		t.Errorf("/position: %q", got)
	}
	// A waiting member's step says they give up their place.
	if s := third.get(page + "/cancel").Doc.Find(".confirm-step").Text(); !strings.Contains(s, "キャンセル待ちの順番を手放し") {
		t.Errorf("waiting member's second step: %q", s)
	}
	// Someone with nothing to cancel goes back to the event.
	e.signedInMember("M4400004", "無関係")
	other, _ := e.signedInMember("M4400005", "無関係2")
	other.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if r := other.get(page + "/cancel"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("nothing to cancel: %d", r.StatusCode)
	}
}

// TestCalendarMapAndPhoneLinks: an event offers Google Calendar, Outlook
// (both through /leave), webcal: and the .ics; its venue has a map link
// through /leave; phone numbers in contact blocks are tel: links that do
// not wrap; the private feed page has a copy button.
func TestCalendarMapAndPhoneLinks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := dbtest.Event(t, e.db, db.Event{Contact: "防災課 電話 03-5000-0001（平日）"})
	res := e.get(fmt.Sprintf("/events/%d", ev.ID))
	cal := res.Doc.Find("section.add-calendar")
	var hrefs []string
	cal.Find("a").Each(func(_ int, s *goquery.Selection) { hrefs = append(hrefs, s.AttrOr("href", "")) })
	if len(hrefs) != 4 || hrefs[0] != fmt.Sprintf("/events/%d.ics", ev.ID) || !strings.HasPrefix(hrefs[1], "/leave?") ||
		!strings.HasPrefix(hrefs[2], "/leave?") || !strings.HasPrefix(hrefs[3], "webcal://") || !strings.HasSuffix(hrefs[3], "/events.ics") {
		t.Fatalf("calendar links: %q", hrefs)
	}
	google := leaveTarget(t, hrefs[1])
	if !strings.HasPrefix(google, "https://calendar.google.com/calendar/render?") || !strings.Contains(google, "dates="+ev.StartsAt.UTC().Format("20060102T150405Z")) ||
		!strings.Contains(google, url.QueryEscape("防災訓練")) {
		t.Errorf("Google Calendar link: %s", google)
	}
	if o := leaveTarget(t, hrefs[2]); !strings.HasPrefix(o, "https://outlook.live.com/calendar/") || !strings.Contains(o, "startdt=") {
		t.Errorf("Outlook link: %s", o)
	}
	// The /leave notice shows these as links (they are signed).
	if e.get(hrefs[1]).Doc.Find("main a.button[rel~=noopener]").Length() != 1 {
		t.Error("/leave does not trust the calendar link")
	}
	if m := res.Doc.Find("a.map-link").AttrOr("href", ""); !strings.Contains(leaveTarget(t, m), url.QueryEscape("四谷区民センター")) {
		t.Errorf("venue map link: %s", m)
	}
	tel := res.Doc.Find("a.tel[href='tel:0350000001']")
	if tel.Length() != 1 || tel.Text() != "03-5000-0001" {
		t.Errorf("the contact's phone number is no tel: link: %s", res.Doc.Find("dl.facts").Text())
	}
	css := e.get(e.app.assets.URL("app.css")).Body
	if !strings.Contains(css, `a.tel, a[href^="tel:"] { white-space: nowrap; }`) {
		t.Error("tel: links may wrap")
	}

	c, _ := e.signedInMember("M4500001", "購読者")
	made := c.post("/account/calendar", url.Values{"_csrf": {c.token()}})
	if made.Doc.Find("button[data-copy-from=calendar-url][hidden]").Length() != 1 {
		t.Errorf("no copy button (hidden until share.js shows it) beside the private address: %s", made.Doc.Find("main").Text())
	}
}

// leaveTarget is the destination of a /leave link.
func leaveTarget(t *testing.T, href string) string {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil || u.Path != "/leave" {
		t.Fatalf("not a /leave link: %q", href)
	}
	return u.Query().Get("to")
}

// TestSubsidiesByDeadline: open programmes soonest deadline first with a
// countdown within a week, closed ones apart; the detail page names the
// division once in its facts.
func TestSubsidiesByDeadline(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	p := newPublisher(t, e)
	today := time.Now().In(pagesJST)
	d := func(days int) string { return today.AddDate(0, 0, days).Format("2006-01-02") }
	later := p.publish(pageSpec{kind: db.PageSubsidy, title: "来月締切", body: "a", fields: db.PageFields{ApplyUntil: d(40)}})
	soon := p.publish(pageSpec{kind: db.PageSubsidy, title: "三日後締切", body: "b", fields: db.PageFields{ApplyUntil: d(3)}})
	none := p.publish(pageSpec{kind: db.PageSubsidy, title: "通年受付", body: "c"})
	closed := p.publish(pageSpec{kind: db.PageSubsidy, title: "締切済み", body: "d", fields: db.PageFields{ApplyUntil: d(-2)}})
	todayID := p.publish(pageSpec{kind: db.PageSubsidy, title: "本日締切", body: "e", fields: db.PageFields{ApplyUntil: d(0)}})
	res := e.get("/subsidies")
	res.wantStatus(t, http.StatusOK)
	openList := titles(res.Doc, "main > ul.list > li > a.title")
	if got, want := strings.Join(openList, ","), "本日締切,三日後締切,来月締切,通年受付"; got != want {
		t.Errorf("open subsidies %s, want %s", got, want)
	}
	if got := titles(res.Doc, "section[aria-labelledby=subsidies-closed] a.title"); strings.Join(got, ",") != "締切済み" {
		t.Errorf("closed section: %v", got)
	}
	entry := func(id int64) string {
		return res.Doc.Find(fmt.Sprintf("a[href='/subsidies/%d']", id)).Parent().Find(".meta").Text()
	}
	if m := entry(soon); !strings.Contains(m, "締切まであと3日") || !strings.Contains(m, "締切間近") {
		t.Errorf("three days left: %q", m)
	}
	if m := entry(todayID); !strings.Contains(m, "本日締切") || !strings.Contains(m, "締切間近") {
		t.Errorf("last day: %q", m)
	}
	for _, id := range []int64{later, none, closed} {
		if m := entry(id); strings.Contains(m, "締切間近") {
			t.Errorf("subsidy %d is marked closing soon: %q", id, m)
		}
	}
	detail := e.get(fmt.Sprintf("/subsidies/%d", soon))
	if n := strings.Count(detail.Doc.Find("article").Text(), "防災課"); n != 2 { // the dates line and the contact block
		t.Errorf("the division is named %d times on the subsidy page, want 2", n)
	}
	if detail.Doc.Find("dl.facts dt").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "担当" }).Length() != 0 {
		t.Error("the subsidy page still has the doubled 担当 row")
	}
	if !strings.Contains(detail.Doc.Find("dl.facts").Text(), "締切まであと3日") {
		t.Error("the subsidy page does not count down")
	}
	if tel := detail.Doc.Find(".division-contact a.tel[href='tel:0350000001']"); tel.Length() != 1 {
		t.Error("the division's phone number is no tel: link")
	}
}

// TestShareMetaFeedsAndSitemap: public pages carry Open Graph and a
// description (the page's own summary on a detail page, never a member's
// name), share links that work as plain links; the feeds parse as Atom
// with a feed parser; the sitemap lists the public addresses.
func TestShareMetaFeedsAndSitemap(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	p := newPublisher(t, e)
	notice := p.publish(pageSpec{kind: db.PageNotice, title: "道路工事のお知らせ", body: "## 期間\n\n**12月**の平日に工事を行います。"})
	p.publish(pageSpec{kind: db.PageSubsidy, title: "省エネ家電の助成", body: "助成します。", fields: db.PageFields{ApplyUntil: "2099-01-31"}})
	p.publish(pageSpec{kind: db.PageArticle, title: "地域の魅力", body: "コラムです。", fields: db.PageFields{ArticleKind: "column"}})
	ev := dbtest.Event(t, e.db, db.Event{Title: "親子で工作", Description: "木工のワークショップです。"})
	_, g := e.groupAccount(dbtest.GroupOptions{Login: "G0000009", Name: "木工クラブ", Published: true})
	member := e.memberAccount("M4600001", "ハンドル名")
	cat := &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Town"}
	if err := e.db.SaveBoardCategory(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	dbtest.Post(t, e.db, db.BoardPost{CategoryID: cat.ID, AuthorID: member.ID, Title: "工作の材料", Body: "木片あります"})

	meta := func(res *response, prop string) string {
		return res.Doc.Find(fmt.Sprintf("meta[property='%s'], meta[name='%s']", prop, prop)).AttrOr("content", "")
	}
	for _, path := range []string{"/", "/events", "/board", "/notices", fmt.Sprintf("/notices/%d", notice), fmt.Sprintf("/events/%d", ev.ID), fmt.Sprintf("/groups/%d", g.ID), "/search?q=" + url.QueryEscape("工作")} {
		res := e.get(path)
		res.wantStatus(t, http.StatusOK)
		for _, prop := range []string{"description", "og:title", "og:description", "og:type", "og:url", "og:image", "og:site_name"} {
			if meta(res, prop) == "" {
				t.Errorf("%s: no %s", path, prop)
			}
		}
		if img := meta(res, "og:image"); !strings.HasPrefix(img, "http") || e.get(strings.TrimPrefix(img, e.app.cfg.BaseURL)).StatusCode != http.StatusOK {
			t.Errorf("%s: og:image %q is not served", path, img)
		}
		for _, private := range []string{"M4600001", "m4600001@example.jp"} {
			if strings.Contains(res.Body, private) {
				t.Errorf("%s shows %q", path, private)
			}
		}
	}
	n := e.get(fmt.Sprintf("/notices/%d", notice))
	if d := meta(n, "og:description"); d != "期間 12月の平日に工事を行います。" || meta(n, "og:type") != "article" {
		t.Errorf("notice description %q, type %q", d, meta(n, "og:type"))
	}
	if u := meta(n, "og:url"); u != e.app.cfg.BaseURL+fmt.Sprintf("/notices/%d", notice) {
		t.Errorf("og:url %q", u)
	}
	share := n.Doc.Find("section.share")
	if share.Find("li[hidden] button[data-share-url]").Length() != 1 {
		t.Error("no Web Share button (hidden until share.js finds the API)")
	}
	if line := share.Find("a").First().AttrOr("href", ""); !strings.HasPrefix(leaveTarget(t, line), "https://social-plugins.line.me/lineit/share?url=") {
		t.Errorf("LINE link %q", line)
	}
	if cp := share.Find("a[data-copy]"); cp.AttrOr("href", "") != meta(n, "og:url") {
		t.Errorf("the copy link is not the page's address: %q", cp.AttrOr("href", ""))
	}
	// Staff and account pages have no card.
	c, _ := e.signedInMember("M4600002", "会員")
	if acc := c.get("/account"); acc.Doc.Find("meta[property='og:title']").Length() != 0 {
		t.Error("/account has Open Graph tags")
	}

	parser := gofeed.NewParser()
	for kind, want := range map[string]string{"notices": "道路工事のお知らせ", "subsidies": "省エネ家電の助成", "articles": "地域の魅力", "events": "親子で工作"} {
		res := e.get("/feeds/" + kind + ".xml")
		res.wantStatus(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
			t.Errorf("%s: content type %q", kind, ct)
		}
		f, err := parser.ParseString(res.Body)
		if err != nil {
			t.Fatalf("%s: %v\n%s", kind, err, res.Body)
		}
		if f.FeedType != "atom" || f.Title == "" || f.UpdatedParsed == nil || len(f.Items) != 1 {
			t.Fatalf("%s: type %s, title %q, updated %v, %d items", kind, f.FeedType, f.Title, f.UpdatedParsed, len(f.Items))
		}
		it := f.Items[0]
		if it.Title != want || !strings.HasPrefix(it.Link, e.app.cfg.BaseURL+"/") || it.GUID == "" || it.UpdatedParsed == nil || it.Description == "" {
			t.Errorf("%s entry: %+v", kind, it)
		}
	}
	e.get("/feeds/members.xml").wantStatus(t, http.StatusNotFound)
	e.get("/feeds/notices").wantStatus(t, http.StatusNotFound)

	sm := e.get("/sitemap.xml")
	sm.wantStatus(t, http.StatusOK)
	var set struct {
		URLs []struct {
			Loc string `xml:"loc"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(sm.Body), &set); err != nil {
		t.Fatal(err)
	}
	locs := map[string]bool{}
	for _, u := range set.URLs {
		locs[strings.TrimPrefix(u.Loc, e.app.cfg.BaseURL)] = true
	}
	for _, want := range []string{"/", "/events", fmt.Sprintf("/notices/%d", notice), fmt.Sprintf("/events/%d", ev.ID), fmt.Sprintf("/groups/%d", g.ID)} {
		if !locs[want] {
			t.Errorf("the sitemap lacks %s", want)
		}
	}
	if strings.Contains(sm.Body, "/account") || strings.Contains(sm.Body, "/staff") {
		t.Error("the sitemap lists private addresses")
	}
}

// TestEventsFiltersAndMainActions: the events' filters sit behind one
// control that counts the active ones; the board leads to its post form
// from the top.
func TestEventsFiltersAndMainActions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dbtest.Event(t, e.db, db.Event{Title: "最初のイベント"})
	res := e.get("/events")
	box := res.Doc.Find("main details.filters-box")
	if box.Length() != 1 || box.Find("form[action='/events'] select[name=category]").Length() != 1 {
		t.Fatal("the filters are not behind one control")
	}
	if _, open := box.Attr("open"); open || box.Find("summary .nav-count").Length() != 0 {
		t.Error("no filter on, yet the control is open or counts some")
	}
	// Only the control stands between the heading and the first event:
	// every field is inside it (the browser test measures the position).
	if res.Doc.Find("main input, main select").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Closest("details.filters-box").Length() == 0
	}).Length() != 0 || res.Doc.Find("main ul.list a.title").First().Text() != "最初のイベント" {
		t.Error("a filter field stands outside the control, or the event is missing")
	}
	on := e.get("/events?q=" + url.QueryEscape("防災") + "&seats=1&town=" + url.QueryEscape("四谷"))
	if got := strings.TrimSpace(on.Doc.Find("details.filters-box summary .nav-count").Text()); got != "3件の条件で絞り込み中" {
		t.Errorf("active filters: %q", got)
	}
	bad := e.get("/events?from=nonsense")
	if _, open := bad.Doc.Find("details.filters-box").Attr("open"); !open {
		t.Error("a filter with an error is hidden in a closed control")
	}
	board := e.get("/board")
	first := board.Doc.Find("main a.button").First()
	if first.AttrOr("href", "") != "#new-topic" || board.Doc.Find("#new-topic").Length() != 1 {
		t.Errorf("the board's first button leads to %q", first.AttrOr("href", ""))
	}
}
