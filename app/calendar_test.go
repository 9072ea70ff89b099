package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// calendarEvent stores an event starting days from now at 10:00 Japan time.
func (e *testEnv) calendarEvent(title, status string, days int) *db.Event {
	e.t.Helper()
	d := time.Now().In(i18n.JST).AddDate(0, 0, days)
	start := time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, i18n.JST)
	return dbtest.Event(e.t, e.db, db.Event{Title: title, Description: "どなたでも参加できます。", Category: "culture",
		StartsAt: start, EndsAt: start.Add(150 * time.Minute), Contact: "03-5555-0101 shomu@example.jp",
		Status: status, Capacity: new(1), WaitlistSize: 1})
}

// getICS fetches an iCalendar file, checks what every file must be (type,
// CRLF lines of at most 75 octets, whole UTF-8 characters on every line, no
// cookie) and parses it with the library.
func (e *testEnv) getICS(path string) (*response, *ics.Calendar) {
	e.t.Helper()
	res := e.get(path)
	res.wantStatus(e.t, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		e.t.Errorf("%s: Content-Type %q", path, ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.HasSuffix(cd, ".ics") {
		e.t.Errorf("%s: Content-Disposition %q", path, cd)
	}
	if !strings.HasSuffix(res.Body, "END:VCALENDAR\r\n") {
		e.t.Errorf("%s: does not end with END:VCALENDAR CRLF", path)
	}
	for i, line := range strings.Split(strings.TrimSuffix(res.Body, "\r\n"), "\r\n") {
		if len(line) > 75 || strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
			e.t.Errorf("%s: line %d (%d octets) breaks RFC 5545: %q", path, i+1, len(line), line)
		}
	}
	cal, err := ics.ParseCalendar(strings.NewReader(res.Body))
	if err != nil {
		e.t.Fatalf("%s does not parse: %v\n%s", path, err, res.Body)
	}
	return res, cal
}

// unfold joins folded lines the way RFC 5545 §3.1 says: a CRLF followed by
// one space or tab is removed.
func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	return strings.ReplaceAll(s, "\r\n\t", "")
}

func prop(ev *ics.VEvent, p ics.ComponentProperty) string {
	if v := ev.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func summaries(cal *ics.Calendar) []string {
	var out []string
	for _, ev := range cal.Events() {
		out = append(out, prop(ev, ics.ComponentPropertySummary))
	}
	return out
}

func TestCalendarEventFile(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	title := "春祭り, 子ども; 広場\\入口\n二行目"
	desc := strings.Repeat("四谷の春祭りです。模擬店、盆踊り、子ども向けの工作コーナーがあります。", 4) + "\r\n持ち物：飲み物, タオル; 雨天中止"
	ev := e.calendarEvent(title, "published", 10)
	if _, err := e.db.Bun.NewUpdate().Model(ev).Set("description = ?", desc).WherePK().Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/events/%d.ics", ev.ID)
	res, cal := e.getICS(path)
	if cd := res.Header.Get("Content-Disposition"); cd != fmt.Sprintf("attachment; filename=event-%d.ics", ev.ID) {
		t.Errorf("Content-Disposition %q", cd)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d VEVENTs in %s", len(events), path)
	}
	vev := events[0]
	page := fmt.Sprintf("http://localhost:8080/events/%d", ev.ID)
	for p, want := range map[ics.ComponentProperty]string{
		ics.ComponentPropertyUniqueId:    fmt.Sprintf("event-%d@localhost", ev.ID),
		ics.ComponentPropertySummary:     title,
		ics.ComponentPropertyDescription: strings.ReplaceAll(desc, "\r\n", "\n") + "\n\n" + page,
		ics.ComponentPropertyLocation:    "四谷区民センター（四谷）",
		ics.ComponentPropertyUrl:         page,
		ics.ComponentPropertyStatus:      "CONFIRMED",
		ics.ComponentPropertyDtStart:     ev.StartsAt.In(i18n.JST).Format("20060102") + "T100000",
		ics.ComponentPropertyDtEnd:       ev.StartsAt.In(i18n.JST).Format("20060102") + "T123000",
	} {
		if got := prop(vev, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if tz := vev.GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"]; len(tz) != 1 || tz[0] != "Asia/Tokyo" {
		t.Errorf("DTSTART TZID %v", tz)
	}
	if start, err := vev.GetStartAt(); err != nil || !start.Equal(ev.StartsAt) {
		t.Errorf("DTSTART reads as %v (%v), want %v", start, err, ev.StartsAt)
	}
	if end, err := vev.GetEndAt(); err != nil || !end.Equal(ev.EndsAt) {
		t.Errorf("DTEND reads as %v (%v), want %v", end, err, ev.EndsAt)
	}
	if stamp := prop(vev, ics.ComponentPropertyDtstamp); !strings.HasSuffix(stamp, "Z") || len(stamp) != 16 {
		t.Errorf("DTSTAMP %q is not a UTC date-time", stamp)
	}
	if tzs := cal.Timezones(); len(tzs) != 1 || !strings.Contains(res.Body, "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\n") ||
		!strings.Contains(res.Body, "TZOFFSETTO:+0900\r\n") {
		t.Errorf("no VTIMEZONE for Asia/Tokyo:\n%s", res.Body)
	}

	// The raw text, independently of the library: escaping as RFC 5545
	// §3.3.11 says, and the folded description unfolds to the escaped text.
	raw := unfold(res.Body)
	if !strings.Contains(raw, "\r\nSUMMARY:春祭り\\, 子ども\\; 広場\\\\入口\\n二行目\r\n") {
		t.Errorf("SUMMARY not escaped as RFC 5545 says:\n%s", res.Body)
	}
	wantDesc := "\r\nDESCRIPTION:" + strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`).Replace(desc) + `\n\n` + page + "\r\n"
	if !strings.Contains(raw, wantDesc) {
		t.Errorf("DESCRIPTION does not unfold to %q:\n%s", wantDesc, res.Body)
	}
	if strings.Count(res.Body, "\r\n ") < 3 {
		t.Errorf("long description was not folded:\n%s", res.Body)
	}
	// Nothing beyond what the page needs: the contact stays on the page.
	if strings.Contains(raw, "03-5555-0101") || strings.Contains(raw, "example.jp") {
		t.Errorf("calendar file carries the contact:\n%s", res.Body)
	}

	// The event page itself still works, and other states answer as PublicEvent does.
	e.get(fmt.Sprintf("/events/%d", ev.ID)).wantStatus(t, http.StatusOK)
	cancelled := e.calendarEvent("中止になった会", "cancelled", 5)
	if _, cal := e.getICS(fmt.Sprintf("/events/%d.ics", cancelled.ID)); prop(cal.Events()[0], ics.ComponentPropertyStatus) != "CANCELLED" {
		t.Error("cancelled event is not STATUS:CANCELLED")
	}
	for _, p := range []string{
		fmt.Sprintf("/events/%d.ics", e.calendarEvent("下書き", "draft", 5).ID),
		fmt.Sprintf("/events/%d.ics", e.calendarEvent("審査中", "review", 5).ID),
		"/events/0.ics", "/events/-1.ics", "/events/abc.ics", "/events/.ics", "/events/99999.ics",
	} {
		if res := e.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
	}
}

func TestICSFeedListsUpcomingPublishedEvents(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.calendarEvent("二番目の会", "published", 20)
	e.calendarEvent("一番目の会", "published", 3)
	e.calendarEvent("今日の会", "published", 0)
	e.calendarEvent("昨日の会", "published", -1)
	e.calendarEvent("下書きの会", "draft", 4)
	e.calendarEvent("審査中の会", "review", 4)
	e.calendarEvent("中止の会", "cancelled", 4)
	e.calendarEvent("遠い先の会", "published", feedDays+10)

	res, cal := e.getICS("/events.ics")
	if got, want := strings.Join(summaries(cal), "|"), "今日の会|一番目の会|二番目の会"; got != want {
		t.Errorf("feed lists %s, want %s", got, want)
	}
	if !strings.Contains(res.Body, "\r\nX-WR-CALNAME:区民活動ポータル イベント\r\n") {
		t.Errorf("no Japanese calendar name:\n%s", res.Body)
	}
	if len(res.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("feed sets cookies: %v", res.Header.Values("Set-Cookie"))
	}
	for _, ev := range cal.Events() {
		if !strings.HasPrefix(prop(ev, ics.ComponentPropertyUrl), "http://localhost:8080/events/") {
			t.Errorf("event %q has no link back", prop(ev, ics.ComponentPropertySummary))
		}
	}
	if res, _ := e.getICS("/events.ics?lang=en"); !strings.Contains(res.Body, "\r\nX-WR-CALNAME:Community Activity Portal events\r\n") {
		t.Errorf("no English calendar name:\n%s", res.Body)
	}
}

func TestCalendarPrivateFeed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	aliceAcc, bobAcc := e.memberAccount("M6000001", "ありす"), e.memberAccount("M6000002", "ぼぶ")
	full := e.calendarEvent("満席の講座", "published", 7) // one seat, one waitlist place
	walk := e.calendarEvent("朝の散歩会", "published", 3)
	bobs := e.calendarEvent("ぼぶだけの会", "published", 5)
	dropped := e.calendarEvent("やめた会", "published", 6)
	for _, s := range []struct {
		ev *db.Event
		m  *db.Account
	}{{full, bobAcc}, {full, aliceAcc}, {walk, aliceAcc}, {bobs, bobAcc}, {dropped, aliceAcc}} {
		if _, err := e.db.SignUp(ctx, s.ev.ID, s.m, time.Now(), db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.CancelSignup(ctx, dropped.ID, aliceAcc, db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}

	alice := e.client()
	alice.signIn("M6000001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	page := alice.get("/account/calendar")
	page.wantStatus(t, http.StatusOK)
	if page.Doc.Find("#calendar-url").Length() != 0 || page.Doc.Find(`form[action="/account/calendar/revoke"]`).Length() != 0 {
		t.Fatal("a member without a feed sees an address or a revoke button")
	}
	made := alice.post("/account/calendar", url.Values{"_csrf": {page.csrfToken(t)}})
	made.wantStatus(t, http.StatusOK)
	feedURL, _ := made.Doc.Find("#calendar-url").Attr("value")
	if !strings.HasPrefix(feedURL, "http://localhost:8080/calendar/") || !strings.HasSuffix(feedURL, ".ics") {
		t.Fatalf("address %q", feedURL)
	}
	feedPath := strings.TrimPrefix(feedURL, "http://localhost:8080")

	// Anyone with the address (a calendar app: no session) gets Alice's
	// live sign-ups, soonest first, and nobody else's.
	visitor := e.client()
	res, cal := visitor.getICS(feedPath)
	if got, want := strings.Join(summaries(cal), "|"), "朝の散歩会|【キャンセル待ち】満席の講座"; got != want {
		t.Errorf("alice's feed lists %s, want %s", got, want)
	}
	for _, ev := range cal.Events() {
		want := "CONFIRMED"
		if strings.HasPrefix(prop(ev, ics.ComponentPropertySummary), "【キャンセル待ち】") {
			want = "TENTATIVE"
		}
		if got := prop(ev, ics.ComponentPropertyStatus); got != want {
			t.Errorf("%s: STATUS %s, want %s", prop(ev, ics.ComponentPropertySummary), got, want)
		}
	}
	if !strings.Contains(res.Body, "\r\nX-WR-CALNAME:区民活動ポータル 申し込んだイベント\r\n") ||
		res.Header.Get("Cache-Control") != "private, no-store" || len(res.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("private feed headers %v, body:\n%s", res.Header, res.Body)
	}
	if strings.Contains(res.Body, "ありす") || strings.Contains(res.Body, "M6000001") {
		t.Error("the feed names its owner")
	}
	visitor.get(strings.TrimSuffix(feedPath, ".ics")).wantStatus(t, http.StatusNotFound)
	visitor.get("/calendar/not-a-token.ics").wantStatus(t, http.StatusNotFound)

	// Later the page knows there is a feed but cannot show its address again.
	page = alice.get("/account/calendar")
	if page.Doc.Find("#calendar-url").Length() != 0 || strings.Contains(page.Body, feedURL) {
		t.Error("the address is shown again")
	}
	// A new address revokes the old one.
	remade := alice.post("/account/calendar", url.Values{"_csrf": {page.csrfToken(t)}})
	remade.wantStatus(t, http.StatusOK)
	newURL, _ := remade.Doc.Find("#calendar-url").Attr("value")
	newPath := strings.TrimPrefix(newURL, "http://localhost:8080")
	if newPath == feedPath {
		t.Fatal("the new address is the old one")
	}
	visitor.get(feedPath).wantStatus(t, http.StatusNotFound)
	visitor.getICS(newPath)

	// Revoking: 303 back to the page, and the address answers 404.
	revoked := alice.post("/account/calendar/revoke", url.Values{"_csrf": {remade.csrfToken(t)}})
	revoked.wantStatus(t, http.StatusSeeOther)
	if loc := revoked.Header.Get("Location"); loc != "/account/calendar" {
		t.Errorf("revoke redirects to %q", loc)
	}
	visitor.get(newPath).wantStatus(t, http.StatusNotFound)
	if page := alice.get("/account/calendar"); page.Doc.Find(`form[action="/account/calendar/revoke"]`).Length() != 0 {
		t.Error("revoke button still shown after revoking")
	}
	var actions []string
	if err := e.db.Bun.NewSelect().Model((*db.AccessEvent)(nil)).Column("action").
		Where("account_id = ? AND action LIKE 'calendar%'", aliceAcc.ID).OrderExpr("id").Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(actions) != "[calendar_feed_create calendar_feed_create calendar_feed_revoke]" {
		t.Errorf("access history %v", actions)
	}

	// In English, the address asks for an English feed.
	page = alice.get("/account/calendar?lang=en")
	enURL, _ := alice.post("/account/calendar", url.Values{"_csrf": {page.csrfToken(t)}}).Doc.Find("#calendar-url").Attr("value")
	if !strings.HasSuffix(enURL, ".ics?lang=en") {
		t.Errorf("English address %q", enURL)
	}
	res, cal = visitor.getICS(strings.TrimPrefix(enURL, "http://localhost:8080"))
	if got := strings.Join(summaries(cal), "|"); got != "朝の散歩会|[Waitlisted] 満席の講座" ||
		!strings.Contains(res.Body, "\r\nX-WR-CALNAME:Community Activity Portal: my events\r\n") {
		t.Errorf("English feed lists %s:\n%s", got, res.Body)
	}

	// Bob's feed ends when he withdraws: the account row stays, the feed does not.
	bob := e.client()
	bob.signIn("M6000002", "member-password-1").wantStatus(t, http.StatusSeeOther)
	bobURL, _ := bob.post("/account/calendar", url.Values{"_csrf": {bob.get("/account/calendar").csrfToken(t)}}).Doc.Find("#calendar-url").Attr("value")
	bobPath := strings.TrimPrefix(bobURL, "http://localhost:8080")
	if _, cal := visitor.getICS(bobPath); strings.Join(summaries(cal), "|") != "ぼぶだけの会|満席の講座" {
		t.Errorf("bob's feed lists %v", summaries(cal))
	}
	if err := e.db.Withdraw(ctx, bobAcc.ID, time.Now(), db.AccessEvent{AccountID: &bobAcc.ID, Action: db.ActionWithdraw, Success: true}, nil); err != nil {
		t.Fatal(err)
	}
	visitor.get(bobPath).wantStatus(t, http.StatusNotFound)
}

// TestCalendarMessagesExist covers the ids built at run time or passed with
// data, which the catalogue test's scan does not see.
func TestCalendarMessagesExist(t *testing.T) {
	t.Parallel()
	c := i18n.MustLoad()
	for _, id := range []string{"calendar.public_name", "calendar.private_name", "calendar.waitlisted", "calendar.active",
		"history." + db.ActionCalendarFeedCreate, "history." + db.ActionCalendarFeedRevoke} {
		for _, lang := range i18n.Languages {
			if !c.Has(lang, id) {
				t.Errorf("message %q missing from %s", id, lang)
			}
		}
	}
}

// TestICSFoldingRoundTrip writes awkward titles and descriptions and reads
// them back: lines stay within 75 octets without splitting a character, and
// the text comes back as it went in (line breaks as LF, control characters
// gone).
func TestICSFoldingRoundTrip(t *testing.T) {
	t.Parallel()
	a := &App{cfg: testConfig(), now: time.Now}
	for _, text := range []string{
		strings.Repeat("あ", 100),
		strings.Repeat("x", 300),
		strings.Repeat("🎉絵文字", 40),
		strings.Repeat("区民 祭り, 参加; 自由\\ ", 12),
		"一行目\r\n二行目\rさんぎょうめ\n\n\tタブ\x07ベル",
		"a" + strings.Repeat("，、。！？「」", 20),
	} {
		cal := a.newCalendar("名前")
		a.addEvent(cal, &db.Event{ID: 7, Title: text, Description: text, Venue: text, Town: "四谷",
			StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour), Status: "published"}, "", "")
		var b strings.Builder
		if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(line) > 75 || !utf8.ValidString(line) || strings.ContainsAny(line, "\r\n") {
				t.Errorf("line of %d octets: %q", len(line), line)
			}
		}
		parsed, err := ics.ParseCalendar(strings.NewReader(out))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x07", "").Replace(text)
		ev := parsed.Events()[0]
		if got := prop(ev, ics.ComponentPropertySummary); got != want {
			t.Errorf("SUMMARY %q, want %q", got, want)
		}
		if got := prop(ev, ics.ComponentPropertyDescription); got != want+"\n\nhttp://localhost:8080/events/7" {
			t.Errorf("DESCRIPTION %q", got)
		}
		if got := prop(ev, ics.ComponentPropertyLocation); got != want+"（四谷）" {
			t.Errorf("LOCATION %q", got)
		}
		escaped := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(want)
		if !strings.Contains(unfold(out), "\r\nSUMMARY:"+escaped+"\r\n") {
			t.Errorf("SUMMARY does not unfold to %q:\n%s", escaped, out)
		}
	}
}
