package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/seed"
)

// firstLoadMax is the product's promise: the first load of any page, the
// page and the CSS and JavaScript it loads, is under 50 KB as it travels
// (gzip-compressed).
const firstLoadMax = 50 * 1024

// weight is what the first load of one page costs on the wire.
type weight struct {
	page   int            // the HTML, compressed as served
	assets map[string]int // each stylesheet and script the page loads, compressed as served
}

func (w weight) total() int {
	n := w.page
	for _, a := range w.assets {
		n += a
	}
	return n
}

// wire fetches path as c (its cookies), asking for gzip, and returns the
// bytes that travelled and the body they decode to. want is the status the
// path must answer.
func (c *testEnv) wire(t *testing.T, path string, want int) (int, []byte, *http.Response) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, c.srv.URL+path, nil)
	// Set by hand, the transport leaves the body compressed: what we read
	// is what travelled.
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d", path, res.StatusCode, want)
	}
	body := raw
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return len(raw), body, res
}

// weigh loads path as a browser would on its first visit: the page, then
// every stylesheet and script it refers to.
func (c *testEnv) weigh(t *testing.T, path string, want int) (weight, *goquery.Document) {
	t.Helper()
	n, body, _ := c.wire(t, path, want)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	w := weight{page: n, assets: map[string]int{}}
	doc.Find(`link[rel="stylesheet"][href], script[src]`).Each(func(_ int, s *goquery.Selection) {
		ref := s.AttrOr("href", s.AttrOr("src", ""))
		if !strings.HasPrefix(ref, "/") {
			t.Errorf("%s loads %s from elsewhere", path, ref)
			return
		}
		an, _, res := c.wire(t, ref, http.StatusOK)
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: served uncompressed", ref)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", ref, cc)
		}
		w.assets[ref] = an
	})
	return w, doc
}

// TestPageWeight weighs the first load of every page type, filled with
// seeded data, for the account that sees it, against the promise, and logs
// each page's weight.
func TestPageWeight(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	hash, err := auth.HashPassword(seed.Password)
	if err != nil {
		t.Fatal(err)
	}
	o := seed.Defaults()
	o.Members, o.Groups, o.Events, o.Posts = 300, 20, 150, 1500
	o.PasswordHash, o.Now = hash, time.Now()
	if _, err := seed.Run(ctx, e.db, o, io.Discard); err != nil {
		t.Fatal(err)
	}

	// Who sees what: a visitor, a member with posts waiting or sent back, a
	// group with events, a moderator and ward staff.
	var member struct {
		Login string `bun:"login_id"`
		Post  int64  `bun:"post"`
	}
	if err := e.db.Bun.NewSelect().TableExpr("board_posts AS p").Join("JOIN accounts AS a ON a.id = p.author_id").
		ColumnExpr("a.login_id, p.id AS post").
		Where("a.kind = ? AND a.status = ? AND p.status IN (?, ?)", db.KindMember, db.StatusActive, db.PostPending, db.PostRejected).
		OrderExpr("p.id").Limit(1).Scan(ctx, &member); err != nil {
		t.Fatalf("a member with a post to edit: %v", err)
	}
	var group struct {
		Login string `bun:"login_id"`
		Event int64  `bun:"event"`
	}
	if err := e.db.Bun.NewSelect().TableExpr("events AS e").Join("JOIN groups AS g ON g.id = e.group_id").
		Join("JOIN accounts AS a ON a.id = g.account_id").ColumnExpr("a.login_id, e.id AS event").
		Where("e.status = ? AND e.starts_at > now() AND e.capacity IS NOT NULL", db.EventPublished).
		OrderExpr("e.starts_at").Limit(1).Scan(ctx, &group); err != nil {
		t.Fatalf("a group with an upcoming event: %v", err)
	}
	visitor := e.client()
	resident, grp, mod, ward := e.client(), e.client(), e.client(), e.client()
	resident.signIn(member.Login, seed.Password).wantStatus(t, http.StatusSeeOther)
	grp.signIn(group.Login, seed.Password).wantStatus(t, http.StatusSeeOther)
	e.staffAccount("weight-mod", db.RoleModerator)
	mod.signIn("weight-mod", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	e.staffAccount("weight-ward", db.RoleWardStaff)
	ward.signIn("weight-ward", "staff-password-1").wantStatus(t, http.StatusSeeOther)

	// What the seed does not make: a sign-up (the resident's list, the
	// group's participants), an event the group submitted (its list, the
	// queue), a registration with its mail, an item escalated to the ward.
	resident.post(fmt.Sprintf("/events/%d/signup", group.Event), url.Values{"_csrf": {resident.token()}}).
		wantStatus(t, http.StatusSeeOther)
	grp.post("/events/new", url.Values{"_csrf": {grp.token()}, "title": {"こども食堂クリスマス会"}, "description": {"みんなでごはんを食べましょう。"},
		"category": {"子育て"}, "town": {"四谷"}, "venue": {"四谷地域センター"}, "date": {time.Now().AddDate(0, 0, 10).Format("2006-01-02")},
		"start": {"17:00"}, "end": {"19:00"}, "capacity": {"20"}, "waitlist": {"5"}}).wantStatus(t, http.StatusSeeOther)
	e.client().register(validRegistration)
	q, err := e.db.ModerationQueue(ctx, []string{db.ItemOpen}, 1)
	if err != nil || len(q) == 0 {
		t.Fatalf("no open item in the seeded queue: %v", err)
	}
	mod.post(fmt.Sprintf("/moderation/items/%d", q[0].Item.ID), url.Values{"_csrf": {mod.token()},
		"version": {strconv.Itoa(q[0].Item.Version)}, "action": {db.ActEscalate}, "note": {"判断をお願いします"}}).
		wantStatus(t, http.StatusSeeOther)

	// Detail pages: the first item each list links to, so the test follows
	// the app's own visibility rules.
	first := func(c *testEnv, path, sel string) string {
		t.Helper()
		_, body, _ := c.wire(t, path, http.StatusOK)
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		href, ok := doc.Find(sel).First().Attr("href")
		if !ok {
			t.Fatalf("%s links to nothing matching %s", path, sel)
		}
		return href
	}
	var reported int64
	if err := e.db.Bun.NewSelect().TableExpr("board_posts AS p").Join("JOIN accounts AS a ON a.id = p.author_id").
		Column("p.id").Where("p.status = ? AND a.login_id <> ?", db.PostPublished, member.Login).
		OrderExpr("p.id").Limit(1).Scan(ctx, &reported); err != nil {
		t.Fatal(err)
	}

	var general int64
	if err := e.db.Bun.NewSelect().Table("pages").Column("id").Where("kind = ? AND live_revision_id IS NOT NULL", db.PageGeneral).
		OrderExpr("id").Limit(1).Scan(ctx, &general); err != nil {
		t.Fatalf("a live general page: %v", err)
	}

	pages := []struct {
		name  string
		who   *testEnv
		path  string
		items string // what the page lists, which seeded data must fill
	}{
		{"home", visitor, "/", "main li"},
		{"notices", visitor, "/notices", "main a.title"},
		{"notice", visitor, first(visitor, "/notices", `main a.title[href^="/notices/"]`), ""},
		{"subsidies", visitor, "/subsidies", "main a.title"},
		{"subsidy", visitor, first(visitor, "/subsidies", `main a.title[href^="/subsidies/"]`), ""},
		{"articles", visitor, "/articles", "main a.title"},
		{"article", visitor, first(visitor, "/articles", `main a.title[href^="/articles/"]`), ""},
		{"groups", visitor, "/groups", "main a.title"},
		{"group", visitor, first(visitor, "/groups", `main a.title[href^="/groups/"]`), ""},
		{"events", visitor, "/events", "main a.title"},
		{"events month", visitor, "/events?month=" + time.Now().Format("2006-01"), "main a[href^='/events/']"},
		{"event", visitor, first(visitor, "/events", `main a.title[href^="/events/"]`), ""},
		{"board", visitor, "/board", "#topics li"},
		{"board search", visitor, "/board?q=" + url.QueryEscape("清掃"), "main ul.list li"},
		{"topic", visitor, first(visitor, "/board", `#topics a.title[href^="/board/"]`), ""},
		{"facilities", visitor, "/facilities", "main li"},
		{"tag topic", visitor, first(visitor, "/facilities", `main .page-tags a[href^="/topics/"]`), "main a.title"},
		{"general page", visitor, fmt.Sprintf("/pages/%d", general), "main .page-body table"},
		{"leave", visitor, "/leave?to=" + url.QueryEscape("https://www.example.jp/"), ""},
		{"register", visitor, "/register", ""},
		{"login", visitor, "/login", ""},
		{"password forgot", visitor, "/password/forgot", ""},
		{"privacy", visitor, "/privacy", "main table tbody tr"},
		{"accessibility", visitor, "/accessibility", ""},
		{"terms", visitor, "/terms", ""},
		{"site map", visitor, "/sitemap", "main li"},
		{"reading settings", visitor, "/reading", ""},
		{"notices en", visitor, "/notices?lang=en", "main a.title"},

		{"account", resident, "/account", ""},
		{"account profile", resident, "/account/profile", ""},
		{"account password", resident, "/account/password", ""},
		{"account history", resident, "/account/history", "main tbody tr"},
		{"account events", resident, "/account/events", "main li"},
		{"account posts", resident, "/account/posts", "main li[id^='own-']"},
		{"account calendar", resident, "/account/calendar", ""},
		{"account withdraw", resident, "/account/withdraw", ""},
		{"board new topic", resident, "/board/new", ""},
		{"board edit post", resident, fmt.Sprintf("/board/posts/%d/edit", member.Post), ""},
		{"board report", resident, fmt.Sprintf("/board/posts/%d/report", reported), ""},

		{"event new", grp, "/events/new", ""},
		{"event edit", grp, fmt.Sprintf("/events/%d/edit", group.Event), ""},
		{"organised events", grp, "/account/organised", "main li"},
		{"participants", grp, fmt.Sprintf("/events/%d/participants", group.Event), "main tbody tr"},

		{"moderation", mod, "/moderation", "#queue-open li.queue-item"},
		{"moderation (ward)", ward, "/moderation", "#queue-escalated li.queue-item"},
		{"staff", ward, "/staff", ""},
		{"staff board", mod, "/staff/board", ""},
		{"staff registrations", ward, "/staff/registrations", ""},
		{"staff members", ward, "/staff/members", "main tbody tr"},
		{"staff member", ward, first(ward, "/staff/members", `main a[href^="/staff/members/"]:not([href$="/export"])`), ""},
		{"staff export", ward, "/staff/members/export", ""},
		{"staff groups", ward, "/staff/groups", "main ul.list li"},
		{"staff mail", ward, "/staff/mail", "main tbody tr"},
		{"staff mail message", ward, first(ward, "/staff/mail", `main a[href^="/staff/mail/"]`), ""},
		{"staff audit", ward, "/staff/audit", "main tbody tr"},
		{"staff accounts", ward, "/staff/accounts", "main ul.list li"},
	}
	// Every page carries the stylesheet and htmx: a page that did not would
	// weigh less and work worse.
	needed := []string{e.app.assets.URL("app.css"), e.app.assets.URL("lib/htmx.min.js")}
	var report strings.Builder
	fmt.Fprintf(&report, "first load, gzip as served (promise: %d bytes):\n", firstLoadMax)
	for _, pg := range pages {
		w, doc := pg.who.weigh(t, pg.path, http.StatusOK)
		if doc.Find("main h1").Length() == 0 {
			t.Errorf("%s (%s): no heading: is it the page it should be?", pg.name, pg.path)
		}
		for _, u := range needed {
			if _, ok := w.assets[u]; !ok {
				t.Errorf("%s (%s) does not load %s", pg.name, pg.path, u)
			}
		}
		listed := ""
		if pg.items != "" {
			n := doc.Find(pg.items).Length()
			if n == 0 {
				t.Errorf("%s (%s): nothing matches %s: the weight is of an empty page", pg.name, pg.path, pg.items)
			}
			listed = fmt.Sprintf(" (%d listed)", n)
		}
		fmt.Fprintf(&report, "  %-20s %6d = page %6d + assets %6d  %s%s\n", pg.name, w.total(), w.page, w.total()-w.page, pg.path, listed)
		if w.total() > firstLoadMax {
			t.Errorf("%s (%s): first load %d bytes compressed, over %d (page %d, %v)", pg.name, pg.path, w.total(), firstLoadMax, w.page, w.assets)
		}
	}
	t.Log(report.String())
}
