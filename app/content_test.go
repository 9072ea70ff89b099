package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func TestNoticesPaginateAndHideScheduled(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	p := newPublisher(t, e)
	for i := range db.PageSize + 5 {
		p.publish(pageSpec{kind: db.PageNotice, title: fmt.Sprintf("お知らせ%02d", i), body: "本文"})
	}
	future := p.publish(pageSpec{kind: db.PageNotice, title: "予約掲載のお知らせ", body: "まだ", publish: time.Now().Add(72 * time.Hour)})
	first := e.get("/notices")
	first.wantStatus(t, http.StatusOK)
	if n := first.Doc.Find("main .list > li").Length(); n != db.PageSize {
		t.Fatalf("first page has %d notices", n)
	}
	if strings.Contains(first.Body, "予約掲載") {
		t.Error("a notice scheduled for the future is shown")
	}
	if got := first.Doc.Find("main .list > li a").First().Text(); got != "お知らせ24" {
		t.Errorf("newest first: got %q", got)
	}
	next, ok := first.Doc.Find(`a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatal("no next link")
	}
	second := e.get(next)
	if n := second.Doc.Find("main .list > li").Length(); n != 5 {
		t.Errorf("second page has %d notices", n)
	}
	if second.Doc.Find(`a[rel="next"]`).Length() != 0 {
		t.Error("last page links further")
	}
	// Dates are shown the Japanese way.
	if got := first.Doc.Find("main time").First().Text(); !strings.HasPrefix(got, "令和") {
		t.Errorf("date shown as %q", got)
	}
	e.get(fmt.Sprintf("/notices/%d", future)).wantStatus(t, http.StatusNotFound)
}

func TestStaffCreate(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	env := databaseEnv(url)
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"portal", "staff", "create", "-login", "ward01", "-name", "区民活動課 担当", "-roles", "ward_staff,moderator"}, env, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "initial password: ") {
		t.Fatalf("no password printed: %s", out.String())
	}
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var acc db.Account
	if err := d.Bun.NewSelect().Model(&acc).Where("login_id = 'ward01'").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if acc.Kind != db.KindStaff || !acc.MustChangePassword || len(acc.Roles) != 2 || !strings.HasPrefix(acc.PasswordHash, "$argon2id$") {
		t.Errorf("account %+v", acc)
	}
	errb.Reset()
	if code := Main(context.Background(), []string{"portal", "staff", "create", "-login", "WARD01", "-name", "別の人"}, env, &out, &errb); code == 0 {
		t.Error("duplicate login ID (case-insensitive) accepted")
	}
	if code := Main(context.Background(), []string{"portal", "staff", "create", "-login", "x", "-name", "y", "-roles", "root"}, env, &out, &errb); code == 0 {
		t.Error("unknown role accepted")
	}
}

func TestHomeListsLatestOfEachKind(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	now := time.Now()
	for i := range 7 {
		start := now.Add(time.Duration(i+1) * 24 * time.Hour)
		dbtest.Event(t, e.db, db.Event{Title: fmt.Sprintf("イベント%d", i), Category: "防災", Venue: "四谷区民ホール",
			StartsAt: start, EndsAt: start.Add(time.Hour)})
	}
	dbtest.Event(t, e.db, db.Event{Title: "終わったイベント", Category: "防災", Venue: "x",
		StartsAt: now.Add(-48 * time.Hour), EndsAt: now.Add(-47 * time.Hour)})
	dbtest.Event(t, e.db, db.Event{Title: "下書きイベント", Category: "防災", Venue: "x",
		StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour), Status: db.EventDraft})
	res := e.get("/")
	res.wantStatus(t, http.StatusOK)
	var titles []string
	res.Doc.Find("#home-events").Parent().Parent().Find(".list > li a.title").Each(func(_ int, s *goquery.Selection) {
		titles = append(titles, s.Text())
	})
	want := "イベント0,イベント1,イベント2,イベント3,イベント4"
	if got := strings.Join(titles, ","); got != want {
		t.Errorf("home events = %s, want %s", got, want)
	}
}
