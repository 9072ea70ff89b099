package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// searchFixture is one thing of every kind that holds 防災 (and one that
// holds 祭), published, beside things that hold them but are not public.
type searchFixture struct {
	e                                         *testEnv
	notice, subsidy, facility, general, draft int64
	event, pastEvent, group, hiddenGroup      int64
	topic                                     int64
}

func newSearchFixture(t *testing.T) *searchFixture {
	t.Helper()
	e := newTestEnv(t)
	p := newPublisher(t, e)
	f := &searchFixture{e: e}
	f.notice = p.publish(pageSpec{kind: db.PageNotice, title: "防災の日のお知らせ", body: "## 日時\n\n9月1日に**区役所**で行います。"})
	f.subsidy = p.publish(pageSpec{kind: db.PageSubsidy, title: "家具転倒防止器具の助成", body: "防災のための器具を助成します。",
		fields: db.PageFields{Amount: "上限1万円", ApplyUntil: "2099-03-31"}})
	f.facility = p.publish(pageSpec{kind: db.PageFacility, title: "防災センター", body: "展示と体験。",
		fields: db.PageFields{Category: "防災", Town: "四谷", Address: "四谷1-1-1"}})
	f.general = p.publish(pageSpec{kind: db.PageGeneral, title: "区の防災計画", body: "計画の概要です。"})
	f.draft = p.draft(pageSpec{kind: db.PageNotice, title: "防災（下書き）", body: "まだ公開しません。"})
	f.event = dbtest.Event(t, e.db, db.Event{Title: "秋の防災訓練", Description: "起震車の体験があります。"}).ID
	f.pastEvent = dbtest.Event(t, e.db, db.Event{Title: "春の防災訓練", StartsAt: time.Now().Add(-72 * time.Hour)}).ID
	_, g := e.groupAccount(dbtest.GroupOptions{Login: "G0000001", Name: "四谷防災ボランティアの会", Published: true})
	f.group = g.ID
	_, hg := e.groupAccount(dbtest.GroupOptions{Login: "G0000002", Name: "非公開の防災クラブ"})
	f.hiddenGroup = hg.ID
	cat := &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Town"}
	if err := e.db.SaveBoardCategory(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	author := e.memberAccount("M2000001", "ぼうさい好き")
	f.topic = dbtest.Post(t, e.db, db.BoardPost{CategoryID: cat.ID, AuthorID: author.ID, Title: "防災グッズを交換しませんか", Body: "夏祭りのあとに。"}).ID
	return f
}

func searchPath(q string, kv ...string) string {
	v := url.Values{"q": {q}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "/search?" + v.Encode()
}

// TestSiteSearchFindsEveryKind: a two-character word finds the public
// things of every kind, grouped by kind with counts, and nothing that is
// not public; one character works too; the HX-Request answer is the
// fragment; a kind alone lists more of it.
func TestSiteSearchFindsEveryKind(t *testing.T) {
	f := newSearchFixture(t)
	e := f.e
	res := e.get(searchPath("防災"))
	res.wantStatus(t, http.StatusOK)
	want := map[string]string{
		"notice":   "/notices/" + idStr(f.notice),
		"subsidy":  "/subsidies/" + idStr(f.subsidy),
		"facility": "/facilities#facility-" + idStr(f.facility),
		"page":     "/pages/" + idStr(f.general),
		"event":    "/events/" + idStr(f.event),
		"group":    "/groups/" + idStr(f.group),
		"board":    "/board/" + idStr(f.topic),
	}
	for kind, href := range want {
		sec := res.Doc.Find("section#results-" + kind + ", section[aria-labelledby=results-" + kind + "]")
		if sec.Length() != 1 {
			t.Errorf("no section of kind %s:\n%s", kind, res.Doc.Find("main").Text())
			continue
		}
		links := sec.Find("a.title")
		if links.Length() != 1 || links.AttrOr("href", "") != href {
			t.Errorf("kind %s: links %d, first %q; want one to %s", kind, links.Length(), links.AttrOr("href", ""), href)
		}
		if got := strings.TrimSpace(sec.Find("h2 .count").Text()); got != "1件" {
			t.Errorf("kind %s: count %q, want 1件", kind, got)
		}
	}
	if res.Doc.Find("section#results-article, section[aria-labelledby=results-article]").Length() != 0 {
		t.Error("a kind without matches has a section")
	}
	if got := res.Doc.Find(".search-kinds li").Length(); got != len(want) {
		t.Errorf("%d kinds in the counts, want %d", got, len(want))
	}
	for _, hidden := range []string{"下書き", "春の防災訓練", "非公開の防災クラブ", "ぼうさい好き", "M2000001"} {
		if strings.Contains(res.Body, hidden) {
			t.Errorf("the results show %q", hidden)
		}
	}
	// The Markdown of a page is shown as text.
	if snip := res.Doc.Find("section[aria-labelledby=results-notice] .snippet").Text(); strings.ContainsAny(snip, "#*") || !strings.Contains(snip, "区役所") {
		t.Errorf("notice snippet %q", snip)
	}
	// The header's box shows the words again.
	if v := res.Doc.Find("header #site-q").AttrOr("value", ""); v != "防災" {
		t.Errorf("header search box holds %q", v)
	}

	// One character, and hiragana finding katakana, as on the board.
	one := e.get(searchPath("祭"))
	if one.Doc.Find("section[aria-labelledby=results-board] a.title").Length() != 1 {
		t.Errorf("祭 does not find the topic whose body holds 夏祭り")
	}
	kana := e.get(searchPath("ぐっず"))
	if kana.Doc.Find("section[aria-labelledby=results-board] a.title").Length() != 1 {
		t.Errorf("ぐっず does not find グッズ")
	}
	none := e.get(searchPath("存在しない言葉"))
	none.wantStatus(t, http.StatusOK)
	if none.Doc.Find("section.search-kind").Length() != 0 || !strings.Contains(none.Doc.Find(".search-summary").Text(), "0件") {
		t.Errorf("a word nobody wrote: %s", none.Doc.Find("main").Text())
	}

	// htmx: the fragment only.
	frag := e.get(searchPath("防災"), "HX-Request", "true")
	frag.wantStatus(t, http.StatusOK)
	if frag.Doc.Find("header").Length() != 0 || frag.Doc.Find("section.search-kind").Length() != len(want) {
		t.Errorf("HX-Request answer is not the results fragment")
	}
	if !strings.Contains(strings.Join(frag.Header.Values("Vary"), ","), "HX-Request") {
		t.Error("no Vary: HX-Request")
	}

	// One kind; the board's "all" is the board's own search.
	kind := e.get(searchPath("防災", "kind", "event"))
	if kind.Doc.Find("section.search-kind").Length() != 1 || kind.Doc.Find(`input[type=hidden][name=kind]`).AttrOr("value", "") != "event" {
		t.Errorf("kind=event: %s", kind.Doc.Find("main").Text())
	}
	e.get(searchPath("防災", "kind", "nothing")).wantStatus(t, http.StatusNotFound)
	e.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	board := e.get(searchPath("防災", "kind", "board"))
	board.wantStatus(t, http.StatusSeeOther)
	if loc := board.Header.Get("Location"); loc != "/board?q="+url.QueryEscape("防災") {
		t.Errorf("kind=board goes to %q", loc)
	}

	// An empty query is the form alone.
	empty := e.get("/search")
	empty.wantStatus(t, http.StatusOK)
	if empty.Doc.Find("main form[action='/search'] input[name=q]").Length() != 1 || empty.Doc.Find(".search-summary").Length() != 0 {
		t.Error("/search without words is not the bare form")
	}
}

// TestSiteSearchKeepsUpWithWrites: an event edited to other words is found
// by them and no longer by the old ones (the grams follow every write).
func TestSiteSearchKeepsUpWithWrites(t *testing.T) {
	e := newTestEnv(t)
	ev := dbtest.Event(t, e.db, db.Event{Title: "盆踊り大会"})
	ctx := context.Background()
	find := func(q string) int {
		gs, err := e.db.SiteSearch(ctx, q, []string{db.SearchEvents}, time.Now(), 5)
		if err != nil {
			t.Fatal(err)
		}
		return gs[0].Count
	}
	if find("盆踊") != 1 {
		t.Fatal("the new event is not found")
	}
	ev.Title = "餅つき大会"
	if _, err := e.db.Bun.NewUpdate().Model(ev).Column("title", "search_grams").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if find("盆踊") != 0 || find("餅") != 1 {
		t.Errorf("after the edit: 盆踊 %d, 餅 %d; want 0, 1", find("盆踊"), find("餅"))
	}
}

// TestHeaderMenuAndSearchOnEveryPage: the menu is a disclosure (closed,
// so the header stays small) and the search box is in every page's header;
// the 404 page offers the search.
func TestHeaderMenuAndSearchOnEveryPage(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/", "/events", "/board", "/notices", "/login"} {
		res := e.get(path)
		res.wantStatus(t, http.StatusOK)
		d := res.Doc.Find("header details.site-menu")
		if d.Length() != 1 || d.Find("summary").Length() != 1 || d.Find("nav a[href='/events']").Length() != 1 {
			t.Errorf("%s: no menu disclosure", path)
		}
		if _, open := d.Attr("open"); open {
			t.Errorf("%s: the menu starts open", path)
		}
		if res.Doc.Find("header form[action='/search'][method=get] input#site-q[name=q]").Length() != 1 {
			t.Errorf("%s: no search box in the header", path)
		}
		if res.Doc.Find("label[for=site-q]").Length() != 1 {
			t.Errorf("%s: the header's search box has no label", path)
		}
	}
	nf := e.get("/no/such/page")
	nf.wantStatus(t, http.StatusNotFound)
	if nf.Doc.Find("main form[action='/search'] input[name=q]").Length() != 1 {
		t.Error("the 404 page does not offer the search")
	}
}
