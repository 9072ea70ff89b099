package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// publishedEvent stores a published ward event in three days (dbtest.Event)
// with capacity seats and waitlist places on the waiting list.
func (e *testEnv) publishedEvent(capacity, waitlist int) *db.Event {
	e.t.Helper()
	return dbtest.Event(e.t, e.db, db.Event{Capacity: &capacity, WaitlistSize: waitlist})
}

func TestSignUpFromTheEventPage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.publishedEvent(1, 1)
	page := fmt.Sprintf("/events/%d", ev.ID)
	var members []*testEnv
	for i := range 3 {
		login := fmt.Sprintf("M400000%d", i)
		e.memberAccount(login, fmt.Sprintf("参加者%d", i))
		c := e.client()
		c.signIn(login, "member-password-1").wantStatus(t, http.StatusSeeOther)
		members = append(members, c)
	}
	signUp := func(c *testEnv, action string, kv ...string) *response {
		t.Helper()
		v := url.Values{"_csrf": {c.token()}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		res := c.post(page+"/"+action, v, hx, "true")
		res.wantStatus(t, http.StatusOK)
		return res
	}

	// A visitor is invited to sign in; the POST itself needs a member.
	if !strings.Contains(e.client().get(page).Body, "ログインして申し込む") {
		t.Error("a visitor is not invited to sign in")
	}
	e.client().post(page+"/signup", url.Values{}).wantStatus(t, http.StatusForbidden)

	// Confirmed, then the seat count changes in place.
	res := signUp(members[0], "signup")
	if res.Doc.Find("#signup [data-signup-status=confirmed]").Length() != 1 || !strings.Contains(res.Body, "参加を受け付けました") {
		t.Errorf("first sign-up: %s", res.Body)
	}
	if oob := res.Doc.Find("dd#seats[hx-swap-oob]"); !strings.Contains(oob.Text(), "キャンセル待ち") {
		t.Errorf("seat count after the last seat went: %q", oob.Text())
	}
	// A double submit counts once.
	if res := signUp(members[0], "signup"); !strings.Contains(res.Body, "すでに申し込み済み") {
		t.Errorf("double submit: %s", res.Body)
	}
	if res := signUp(members[1], "signup"); res.Doc.Find("[data-signup-status=waitlisted]").Length() != 1 {
		t.Errorf("second sign-up is not waitlisted: %s", res.Body)
	}
	if res := signUp(members[2], "signup"); !strings.Contains(res.Body, "いっぱいのため") || res.Doc.Find("[data-signup-status]").Length() != 0 {
		t.Errorf("third sign-up is not told it is full: %s", res.Body)
	}

	// Cancelling the seat gives it to the waitlisted member; both are mailed.
	signUp(members[0], "cancel", "confirm", "1") // the second step (TestCancelAsksOnceMore)
	if !strings.Contains(members[1].get(page).Body, "参加が確定しています") {
		t.Error("the waitlisted member was not promoted")
	}
	mails, err := e.db.ListMail(context.Background(), db.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range mails.Items {
		kinds = append(kinds, m.Kind)
	}
	if got := strings.Join(kinds, " "); got != "signup_promoted signup_cancelled signup_waitlisted signup_confirmed" {
		t.Errorf("mails, newest first: %s", got)
	}
	if !strings.Contains(members[1].get("/account/events").Body, "防災訓練") {
		t.Error("/account/events does not list the sign-up")
	}
	if home := members[1].get("/account"); home.Doc.Find("#my-signups").Length() != 1 || !strings.Contains(home.Body, "参加確定") {
		t.Error("/account does not list the member's sign-ups")
	}

	// Without JavaScript: a plain POST comes back to the page with the message.
	res = members[0].post(page+"/signup", url.Values{"_csrf": {members[0].token()}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page+"#signup" {
		t.Fatalf("plain sign-up: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if !strings.Contains(members[0].get(page).Body, "キャンセル待ちで受け付けました") {
		t.Error("the flash after a plain sign-up is missing")
	}
}

func TestSignUpPeriodAndWhoMaySignUp(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.publishedEvent(5, 0)
	until := time.Now().Add(-time.Hour)
	if _, err := e.db.Bun.NewUpdate().Model(ev).Set("apply_until = ?", until).WherePK().Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.memberAccount("M4100001", "締切後")
	c := e.client()
	c.signIn("M4100001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	page := fmt.Sprintf("/events/%d", ev.ID)
	if body := c.get(page).Body; !strings.Contains(body, "受付は終了しました") || body != "" && c.get(page).Doc.Find("#signup button[type=submit]").Length() != 0 {
		t.Error("the page offers a sign-up after the application period")
	}
	res := c.post(page+"/signup", url.Values{"_csrf": {c.token()}}, hx, "true")
	if !strings.Contains(res.Body, "受付は終了しました") {
		t.Errorf("a late POST: %s", res.Body)
	}
	// Staff run the site; they do not sign up.
	staff := e.client()
	e.staffAccount("ward9", db.RoleWardStaff)
	staff.signIn("ward9", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	open := e.publishedEvent(5, 0)
	if !strings.Contains(staff.get(fmt.Sprintf("/events/%d", open.ID)).Body, "会員のアカウントでできます") {
		t.Error("staff are not told sign-up is for members")
	}
}

func TestParticipantListIsAudited(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ev := e.publishedEvent(5, 0)
	var ids []int64
	for i := range 2 {
		login := fmt.Sprintf("M420000%d", i)
		acc := e.memberAccount(login, fmt.Sprintf("参加者%d", i))
		ids = append(ids, acc.ID)
		if _, err := e.db.SignUp(ctx, ev.ID, acc, time.Now(), db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ward := e.client()
	wardAcc := e.staffAccount("ward5", db.RoleWardStaff)
	ward.signIn("ward5", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	page := fmt.Sprintf("/events/%d/participants", ev.ID)

	// Only the organiser: a moderator does not see a ward event's list.
	mod := e.client()
	e.staffAccount("mod5", db.RoleModerator)
	mod.signIn("mod5", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	mod.get(page).wantStatus(t, http.StatusForbidden)
	if n, _ := e.db.Bun.NewSelect().Model((*db.AuditEntry)(nil)).Where("action <> ?", db.AuditSignIn).Count(ctx); n != 0 {
		t.Fatalf("a refused look wrote %d audit entries", n)
	}

	res := ward.get(page)
	res.wantStatus(t, http.StatusOK)
	if !strings.Contains(res.Body, "区民 参加者0") || !strings.Contains(res.Body, "m4200001@example.jp") {
		t.Errorf("the list lacks the participants: %s", res.Doc.Find("main").Text())
	}
	if res.Doc.Find(".notice.warning").Length() != 0 {
		t.Error("a warning about Shift_JIS with nothing it cannot hold")
	}
	// A name Shift_JIS cannot hold is said before the download.
	if _, err := e.db.Pool.Exec(ctx, `UPDATE member_profiles SET name = '𠮷 区民 参加者1' WHERE account_id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(strings.Fields(ward.get(page).Doc.Find(".notice.warning").Text()), " "); !strings.Contains(w, "1名") ||
		!strings.Contains(w, "M4200001（𠮷）") {
		t.Errorf("the Shift_JIS warning: %q", w)
	}
	if !strings.Contains(ward.get(fmt.Sprintf("/events/%d", ev.ID)).Body, page) {
		t.Error("the event page does not link its organiser to the list")
	}
	csvRes := ward.get(page + ".csv?enc=utf8")
	if csvRes.Header.Get("Content-Type") != "text/csv; charset=UTF-8" || !strings.HasPrefix(csvRes.Body, "\uFEFF") ||
		!strings.Contains(csvRes.Body, "区民 参加者1") {
		t.Errorf("UTF-8 export: %s %q", csvRes.Header.Get("Content-Type"), csvRes.Body)
	}
	if sj := ward.get(page + ".csv"); sj.Header.Get("Content-Type") != "text/csv; charset=Shift_JIS" || strings.Contains(sj.Body, "区民") {
		t.Errorf("the default export is not Shift_JIS: %s", sj.Header.Get("Content-Type"))
	}
	// One entry per member per view and per export, by whom, in which role.
	var entries []db.AuditEntry
	if err := e.db.Bun.NewSelect().Model(&entries).Where("action <> ?", db.AuditSignIn).OrderExpr("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range entries {
		if a.ActorID != wardAcc.ID || a.ActorRole != db.RoleWardStaff || a.SubjectID == nil {
			t.Errorf("entry %+v", a)
		}
		got = append(got, a.Action)
	}
	if strings.Join(got, " ") != "view view view view export export export export" {
		t.Errorf("audit actions %v", got)
	}
	// Staff sign-ins are in the log too, and the chain holds.
	if n, _ := e.db.Bun.NewSelect().Model((*db.AuditEntry)(nil)).Where("action = ? AND actor_id = ?", db.AuditSignIn, wardAcc.ID).Count(ctx); n != 1 {
		t.Errorf("%d sign-in entries for the ward staff member, want 1", n)
	}
	if c, err := e.db.VerifyAudit(ctx); err != nil || c.BrokenSeq != 0 {
		t.Errorf("audit chain: %+v %v", c, err)
	}
	// Visitors and members are kept out.
	if r := e.client().get(page); r.StatusCode != http.StatusSeeOther {
		t.Errorf("visitor: %d", r.StatusCode)
	}
}

func TestOrganiserManagesSignups(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ev := e.publishedEvent(1, 2)
	for i := range 3 {
		acc := e.memberAccount(fmt.Sprintf("M430000%d", i), fmt.Sprintf("参加者%d", i))
		if _, err := e.db.SignUp(ctx, ev.ID, acc, time.Now(), db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ward := e.client()
	e.staffAccount("ward6", db.RoleWardStaff)
	ward.signIn("ward6", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	manage := fmt.Sprintf("/events/%d/manage", ev.ID)

	// A capacity below the seats given is refused next to the field, keeping the input.
	res := ward.post(manage, url.Values{"_csrf": {ward.token()}, "action": {"capacity"}, "capacity": {"abc"}, "waitlist": {"2"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-capacity-error").Length() != 1 || res.Doc.Find("#f-capacity").AttrOr("value", "") != "abc" {
		t.Errorf("bad capacity: %s", res.Doc.Find("form").Text())
	}
	// Raising it promotes the waitlist in order and mails them.
	ward.post(manage, url.Values{"_csrf": {ward.token()}, "action": {"capacity"}, "capacity": {"３"}, "waitlist": {"2"}}).wantStatus(t, http.StatusSeeOther)
	var got db.Event
	if err := e.db.Bun.NewSelect().Model(&got).Where("id = ?", ev.ID).Scan(ctx); err != nil || got.Confirmed != 3 || got.Waitlisted != 0 {
		t.Fatalf("after raising the capacity: %d confirmed, %d waiting (%v)", got.Confirmed, got.Waitlisted, err)
	}
	// Cancelling tells everyone.
	ward.post(manage, url.Values{"_csrf": {ward.token()}, "action": {"cancelled"}}).wantStatus(t, http.StatusSeeOther)
	n, err := e.db.Bun.NewSelect().Model((*db.Mail)(nil)).Where("kind = 'signup_event_cancelled'").Count(ctx)
	if err != nil || n != 3 {
		t.Fatalf("%d cancellation mails (%v), want 3", n, err)
	}
	n, _ = e.db.Bun.NewSelect().Model((*db.Mail)(nil)).Where("kind = 'signup_promoted'").Count(ctx)
	if n != 2 {
		t.Errorf("%d promotion mails, want 2", n)
	}
	if !strings.Contains(e.client().get(fmt.Sprintf("/events/%d", ev.ID)).Body, "このイベントは中止になりました") {
		t.Error("the event page does not say it is cancelled")
	}
}

func TestDayBeforeReminder(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := e.publishedEvent(5, 0)
	acc := e.memberAccount("M4400001", "明日行く人")
	if _, err := e.db.SignUp(ctx, ev.ID, acc, time.Now(), db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	e.app.now = func() time.Time { return ev.StartsAt.Add(-20 * time.Hour) }
	go e.app.RunReminders(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var m db.Mail
		err := e.db.Bun.NewSelect().Model(&m).Where("kind = 'signup_reminder'").Limit(1).Scan(ctx)
		if err == nil {
			if m.To != "m4400001@example.jp" || !strings.Contains(m.Body, "防災訓練") || !strings.Contains(m.Subject, "明日") {
				t.Errorf("reminder %+v", m)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no reminder queued")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestEventFilters(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	now := time.Now()
	add := func(title, category, town string, days int, capacity *int, confirmed int) {
		dbtest.Event(t, e.db, db.Event{Title: title, Category: category, Town: town, Venue: "区民センター",
			StartsAt: now.AddDate(0, 0, days), Capacity: capacity, Confirmed: confirmed})
	}
	two := 2
	add("親子で防災訓練", "防災", "四谷", 3, nil, 0)
	add("満席の料理教室", "子育て", "四谷", 4, &two, 2)
	add("来月の清掃活動", "環境", "大久保", 40, &two, 0)
	titles := func(path string) string {
		t.Helper()
		res := e.get(path)
		res.wantStatus(t, http.StatusOK)
		var got []string
		res.Doc.Find("main .list a.title").Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
		return strings.Join(got, ",")
	}
	for path, want := range map[string]string{
		"/events": "親子で防災訓練,満席の料理教室,来月の清掃活動",
		"/events?category=" + url.QueryEscape("防災"): "親子で防災訓練",
		"/events?town=" + url.QueryEscape("四谷"):     "親子で防災訓練,満席の料理教室",
		"/events?seats=1":                                            "親子で防災訓練,来月の清掃活動",
		"/events?q=" + url.QueryEscape("清掃"):                         "来月の清掃活動",
		"/events?q=" + url.QueryEscape("100%"):                       "",
		"/events?to=" + now.AddDate(0, 0, 10).Format("2006-01-02"):   "親子で防災訓練,満席の料理教室",
		"/events?from=" + now.AddDate(0, 0, 20).Format("2006-01-02"): "来月の清掃活動",
	} {
		if got := titles(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	res := e.get("/events?from=12%2F01&category=" + url.QueryEscape("防災"))
	if res.Doc.Find("#f-from-error").Length() != 1 || res.Doc.Find("#f-from").AttrOr("value", "") != "12/01" ||
		res.Doc.Find("#f-category option[selected]").Text() != "防災" {
		t.Errorf("a bad date: %s", res.Doc.Find("form").Text())
	}
}

func TestEventMonthCalendar(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	// 2026-12-15 10:00 in Japan; December 2026 starts on a Tuesday.
	start := time.Date(2026, 12, 15, 10, 0, 0, 0, i18n.JST)
	e.app.now = func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, i18n.JST) }
	for _, title := range []string{"年末の清掃", "餅つき大会"} {
		dbtest.Event(t, e.db, db.Event{Title: title, Category: "環境", Venue: "公園", StartsAt: start, EndsAt: start.Add(time.Hour)})
	}
	res := e.get("/events?month=2026-12")
	res.wantStatus(t, http.StatusOK)
	rows := res.Doc.Find("table.calendar tbody tr")
	if rows.Length() != 5 || rows.First().Find("td").Eq(2).Text() != "1" {
		t.Errorf("grid: %d weeks, first row %q", rows.Length(), rows.First().Text())
	}
	cell := res.Doc.Find("table.calendar a[href='#d-15']")
	if cell.Find(".count").Text() != "2" {
		t.Errorf("the 15th: %q", cell.Text())
	}
	if sec := res.Doc.Find("#d-15").Parent(); !strings.Contains(sec.Text(), "餅つき大会") || !strings.Contains(sec.Text(), "12月15日(火)") {
		t.Errorf("the day's list: %q", sec.Text())
	}
	if !strings.Contains(res.Body, "month=2027-01") || !strings.Contains(res.Body, "month=2026-11") {
		t.Error("no links to the neighbouring months")
	}
	e.get("/events?month=2026-13").wantStatus(t, http.StatusNotFound)
}

func TestSeatCountIsLive(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := e.publishedEvent(2, 0)
	page := e.get(fmt.Sprintf("/events/%d", ev.ID))
	src, ok := page.Doc.Find("dl[sse-connect]").Attr("sse-connect")
	if !ok {
		t.Fatal("the event page has no live seat count")
	}
	events := openStream(t, ctx, e.srv.URL+src, "")
	acc := e.memberAccount("M4500001", "見ている人")
	if _, err := e.db.SignUp(ctx, ev.ID, acc, time.Now(), db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	got := nextEvent(t, events)
	if got.name != "seats" || !strings.Contains(got.data, `id="seats"`) || !strings.Contains(got.data, "残り1席") {
		t.Fatalf("live seats %+v", got)
	}
}

func TestGroupEventsAreModerated(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	ctx := context.Background()
	// A group account with its group, as ward staff create them.
	b.groupAccount(dbtest.GroupOptions{Login: "G00001", Name: "四谷こども食堂"})
	group := b.client()
	group.signIn("G00001", "group-password-1").wantStatus(t, http.StatusSeeOther)
	day := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	fields := url.Values{"title": {"こども食堂クリスマス会"}, "description": {"みんなでごはん"}, "category": {"子育て"},
		"town": {"四谷"}, "venue": {"四谷地域センター"}, "date": {day}, "start": {"17:00"}, "end": {"16:00"},
		"capacity": {"20"}, "waitlist": {"5"}}

	// Bad input keeps what was typed, with the error next to the field.
	res := group.post("/events/new", withValues(fields, "_csrf", group.token()))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-end-error").Length() != 1 || res.Doc.Find("#f-description").Text() != "みんなでごはん" {
		t.Fatalf("bad end time: %s", res.Doc.Find("form").Text())
	}
	group.post("/events/new", withValues(fields, "_csrf", group.token(), "end", "19:00")).wantStatus(t, http.StatusSeeOther)
	if strings.Contains(b.client().get("/events").Body, "クリスマス会") {
		t.Fatal("a group's event is public before review")
	}
	if mine := group.get("/account/organised"); !strings.Contains(mine.Body, "クリスマス会") || !strings.Contains(mine.Body, "審査中") {
		t.Errorf("the group does not see its waiting event: %s", mine.Doc.Find("main").Text())
	}
	// The moderator approves it inline; then it is public.
	q := b.mod1.get("/moderation")
	item := q.Doc.Find(".queue-item").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), "クリスマス会") })
	if item.Length() != 1 || !strings.Contains(item.Text(), "団体のイベント") {
		t.Fatalf("the event is not in the queue: %s", q.Doc.Find("main").Text())
	}
	id, _ := item.Attr("id")
	version := item.Find("input[name=version]").AttrOr("value", "")
	itemID, _ := strconv.ParseInt(strings.TrimPrefix(id, "item-"), 10, 64)
	res = b.decide(b.mod1, itemID, version, "action", "approve")
	if !strings.Contains(res.Body, "こども食堂クリスマス会") {
		t.Errorf("approval answer: %s", res.Body)
	}
	if !strings.Contains(b.client().get("/events").Body, "クリスマス会") {
		t.Error("the approved event is not listed")
	}
	// Once published, a group's change waits for the moderators while the
	// published event stays (TestPublishedGroupEventChange has the rest).
	var xmas db.Event
	if err := b.db.Bun.NewSelect().Model(&xmas).Where("title = 'こども食堂クリスマス会'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/events/%d/edit", xmas.ID)
	group.post(edit, withValues(fields, "_csrf", group.token(), "end", "19:00", "title", "変更したい")).wantStatus(t, http.StatusSeeOther)
	if page := b.client().get(fmt.Sprintf("/events/%d", xmas.ID)); strings.Contains(page.Body, "変更したい") || !strings.Contains(page.Body, "クリスマス会") {
		t.Error("a group's change to its published event went live before review")
	}
	b.ward.get(edit).wantStatus(t, http.StatusForbidden)
	// Ward staff publish directly, at a public facility the page links to:
	// one of the link collection, a live facility page.
	newPublisher(t, b.testEnv).publish(pageSpec{kind: db.PageFacility, title: "四谷区民センター",
		fields: db.PageFields{Category: "区民センター", Town: "四谷", URL: "https://www.example.jp/yotsuya"}})
	fac := &db.Facility{}
	if err := b.db.Bun.NewSelect().Model(fac).Where("name = '四谷区民センター'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	res = b.ward.post("/events/new", withValues(fields, "_csrf", b.ward.token(), "end", "19:00", "title", "区の防災講座", "facility", "999999"))
	if res.StatusCode != http.StatusUnprocessableEntity || res.Doc.Find("#f-facility-error").Length() != 1 {
		t.Errorf("an unknown facility: %d", res.StatusCode)
	}
	res = b.ward.post("/events/new", withValues(fields, "_csrf", b.ward.token(), "end", "19:00", "title", "区の防災講座",
		"facility", strconv.FormatInt(fac.ID, 10)))
	res.wantStatus(t, http.StatusSeeOther)
	if !strings.Contains(b.client().get("/events").Body, "区の防災講座") {
		t.Error("a ward event is not published at once")
	}
	wardEvent := res.Header.Get("Location")
	if page := b.client().get(wardEvent); !strings.Contains(page.Body, "/leave?to=https%3A%2F%2Fwww.example.jp%2Fyotsuya") {
		t.Error("the event page does not link its facility through the leaving notice")
	} else {
		// The link is signed: the notice links on to the facility.
		href := page.Doc.Find(`main a[href^="/leave?to=https%3A%2F%2Fwww.example.jp%2Fyotsuya"]`).AttrOr("href", "")
		if got := b.client().get(href).Doc.Find("main a.button").AttrOr("href", ""); got != "https://www.example.jp/yotsuya" {
			t.Errorf("the facility's notice (%s) links to %q", href, got)
		}
	}
	// Staff change their event's details at once; the form comes filled in.
	form := b.ward.get(wardEvent + "/edit")
	if form.Doc.Find("#f-title").AttrOr("value", "") != "区の防災講座" || form.Doc.Find("#f-start").AttrOr("value", "") != "17:00" {
		t.Errorf("the edit form is not filled in: %s", form.Doc.Find("form").Text())
	}
	b.ward.post(wardEvent+"/edit", withValues(fields, "_csrf", b.ward.token(), "end", "19:00", "title", "区の防災講座（会場変更）")).
		wantStatus(t, http.StatusSeeOther)
	if !strings.Contains(b.client().get(wardEvent).Body, "会場変更") {
		t.Error("the change is not on the event page")
	}
	// Members do not add events.
	b.alice.get("/events/new").wantStatus(t, http.StatusForbidden)
}

func TestParticipantsPageShowsWhenTheEventIs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ev := e.publishedEvent(5, 0)
	ward := e.client()
	e.staffAccount("ward7", db.RoleWardStaff)
	ward.signIn("ward7", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	res := ward.get(fmt.Sprintf("/events/%d/participants", ev.ID))
	res.wantStatus(t, http.StatusOK)
	if strings.Contains(res.Body, "@timeTagFull") {
		t.Error("the page shows template source instead of the date")
	}
	when := res.Doc.Find("main h1 + p time")
	if want := i18n.DateTime("ja", ev.StartsAt); when.Length() != 1 || when.Text() != want || when.AttrOr("datetime", "") != i18n.ISO(ev.StartsAt) {
		t.Errorf("the event's date under the title: %q, want %q", when.Text(), want)
	}
}

func TestClosedEventShowsOnlyItsClosedState(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	// Full events with waitlist places free: one open, one past, one past its deadline, one closed early.
	full := func(login string) *db.Event {
		ev := e.publishedEvent(1, 3)
		acc := e.memberAccount(login, "参加者"+login[len(login)-1:])
		if _, err := e.db.SignUp(ctx, ev.ID, acc, time.Now(), db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	open, past, deadline, closed := full("M4400001"), full("M4400002"), full("M4400003"), full("M4400004")
	for _, q := range []struct {
		sql string
		id  int64
	}{
		{`UPDATE events SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = ?`, past.ID},
		{`UPDATE events SET apply_until = now() - interval '1 hour' WHERE id = ?`, deadline.ID},
		{`UPDATE events SET status = 'closed' WHERE id = ?`, closed.ID},
	} {
		if _, err := e.db.Bun.ExecContext(ctx, q.sql, q.id); err != nil {
			t.Fatal(err)
		}
	}
	member := e.client()
	e.memberAccount("M4400009", "みるひと")
	member.signIn("M4400009", "member-password-1").wantStatus(t, http.StatusSeeOther)
	seats := func(c *testEnv, ev *db.Event) (string, string) {
		t.Helper()
		res := c.get(fmt.Sprintf("/events/%d", ev.ID))
		res.wantStatus(t, http.StatusOK)
		return strings.TrimSpace(res.Doc.Find("dd#seats").Text()), strings.Join(strings.Fields(res.Doc.Find("#signup").Text()), " ")
	}
	for _, c := range []*testEnv{e.client(), member} {
		if got, box := seats(c, open); got != "満席（キャンセル待ち受付中）" || !strings.Contains(box, "申し込") {
			t.Errorf("an open full event: seats %q, box %q", got, box)
		}
		for name, ev := range map[string]*db.Event{"past": past, "past its deadline": deadline, "closed early": closed} {
			got, box := seats(c, ev)
			if got != "受付終了" {
				t.Errorf("a %s event shows seats %q, want only 受付終了 (box: %q)", name, got, box)
			}
			if strings.Contains(box, "キャンセル待ち") || strings.Contains(box, "参加を申し込む") {
				t.Errorf("a %s event offers a sign-up: %q", name, box)
			}
		}
	}
	// Nowhere on the page.
	res := e.client().get(fmt.Sprintf("/events/%d", past.ID))
	if strings.Contains(res.Body, "キャンセル待ち受付中") {
		t.Error("the past event's page still offers the waitlist somewhere")
	}
}
