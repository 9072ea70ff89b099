package app

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// outboundLinks checks that every link in main naming an outside host goes
// through /leave with the portal's signature, and returns the destinations.
// An absolute link to the portal's own base URL (the address to copy and
// share, components/share.templ) is not outbound.
func (e *testEnv) outboundLinks(t *testing.T, doc *goquery.Document) []string {
	t.Helper()
	var dests []string
	doc.Find("main a[href]").Each(func(_ int, s *goquery.Selection) {
		h := s.AttrOr("href", "")
		if strings.HasPrefix(h, e.app.cfg.BaseURL+"/") {
			return
		}
		if strings.HasPrefix(h, "http:") || strings.HasPrefix(h, "https:") || strings.HasPrefix(h, "//") {
			t.Errorf("a direct outbound link: %q", h)
			return
		}
		if !strings.HasPrefix(h, "/leave?") {
			return
		}
		u, err := url.Parse(h)
		if err != nil {
			t.Fatal(err)
		}
		to, sig := u.Query().Get("to"), u.Query().Get("sig")
		if !e.app.validLeaveSig(to, sig) {
			t.Errorf("/leave link %q is not signed by the portal", h)
		}
		dests = append(dests, to)
	})
	return dests
}

// productLinks are the outside services an event page links by design:
// the venue's map, adding to a calendar, sharing on LINE.
var productLinks = []string{"https://www.google.com/maps/search/", "https://calendar.google.com/calendar/render?",
	"https://outlook.live.com/calendar/", "https://social-plugins.line.me/lineit/share?"}

func wantDests(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: outbound links %q, want %q", what, got, want)
	}
}

// User text on the board, events and group profiles links its addresses
// only through a signed /leave (第16条), and stays escaped text otherwise.
func TestOutboundLinksInUserText(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	e := b.testEnv
	ctx := context.Background()

	topic := dbtest.Post(t, e.db, db.BoardPost{CategoryID: b.cat, AuthorID: b.aliceAcc.ID, Title: "清掃の案内",
		Body: "詳しくは「https://www.example.jp/clean?a=1&b=2」をご覧ください。<script>alert(1)</script>"})
	dbtest.Post(t, e.db, db.BoardPost{CategoryID: b.cat, AuthorID: b.bobAcc.ID, TopicID: &topic.ID,
		Body: "地図はこちら https://maps.example.com/x/y. javascript:alert(1) も //evil.example も文字のまま"})
	res := e.get("/board/" + strconv.FormatInt(topic.ID, 10))
	res.wantStatus(t, http.StatusOK)
	wantDests(t, "board topic", e.outboundLinks(t, res.Doc), "https://www.example.jp/clean?a=1&b=2", "https://maps.example.com/x/y")
	if res.Doc.Find("main script").Length() != 0 || !strings.Contains(res.Doc.Find("main").Text(), "<script>alert(1)</script>") {
		t.Error("the post's markup is not shown as escaped text")
	}

	now := time.Now()
	ev := dbtest.Event(t, e.db, db.Event{Title: "防災訓練", Category: "防災", Venue: "区民ホール",
		Description: "申込は https://forms.example.org/bousai から。", Contact: "防災課 https://www.example.jp/bousai/",
		StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(50 * time.Hour)})
	res = e.get("/events/" + strconv.FormatInt(ev.ID, 10))
	res.wantStatus(t, http.StatusOK)
	// Beside the addresses in its text, an event page links the map of its
	// venue, two calendars and LINE sharing (issue 17): through /leave too.
	dests := e.outboundLinks(t, res.Doc)
	var userDests []string
	for _, d := range dests {
		if !slices.ContainsFunc(productLinks, func(p string) bool { return strings.HasPrefix(d, p) }) {
			userDests = append(userDests, d)
		}
	}
	wantDests(t, "event", userDests, "https://www.example.jp/bousai/", "https://forms.example.org/bousai")
	for _, p := range productLinks {
		if !slices.ContainsFunc(dests, func(d string) bool { return strings.HasPrefix(d, p) }) {
			t.Errorf("event: no signed /leave link to %s", p)
		}
	}

	_, g := e.groupAccount(dbtest.GroupOptions{Login: "G00901", Published: true})
	if _, err := e.db.Bun.NewUpdate().Model((*db.Group)(nil)).Where("id = ?", g.ID).
		Set("description = ?", "活動の記録：https://blog.example.net/diary").Set("activity = ?", "毎月第2土曜 http://old.example.com").
		Exec(ctx); err != nil {
		t.Fatal(err)
	}
	res = e.get("/groups/" + strconv.FormatInt(g.ID, 10))
	res.wantStatus(t, http.StatusOK)
	wantDests(t, "group", e.outboundLinks(t, res.Doc), "https://blog.example.net/diary", "http://old.example.com")
}
