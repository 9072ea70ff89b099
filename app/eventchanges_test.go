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

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// queueItem finds the open queue item whose text has want, as the
// moderator's queue page shows it: its id and version.
func (b *boardEnv) queueItem(c *testEnv, want string) (int64, string, *goquery.Selection) {
	b.t.Helper()
	q := c.get("/moderation")
	item := q.Doc.Find("#queue-open .queue-item").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), want) })
	if item.Length() != 1 {
		b.t.Fatalf("%d queue items with %q: %s", item.Length(), want, q.Doc.Find("main").Text())
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(item.AttrOr("id", ""), "item-"), 10, 64)
	return id, item.Find("input[name=version]").AttrOr("value", ""), item
}

// formValues reads the form selected on the page as a browser would send it.
func formValues(t *testing.T, res *response, selector string) url.Values {
	t.Helper()
	f := res.Doc.Find(selector)
	if f.Length() != 1 {
		t.Fatalf("%d forms %s", f.Length(), selector)
	}
	v := url.Values{}
	f.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		switch goquery.NodeName(s) {
		case "textarea":
			v.Set(name, s.Text())
		case "select":
			v.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		default:
			v.Set(name, s.AttrOr("value", ""))
		}
	})
	return v
}

// TestPublishedGroupEventChange: a group's change to its published event
// waits in the moderation queue as its own kind, with the pre-checks, while
// the public page keeps the published version; a new edit replaces the
// waiting change; approval applies it; a rejection with a reason leaves the
// event as it was and tells the group; every step is in the event's history.
func TestPublishedGroupEventChange(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	ctx := context.Background()
	groupAcc, g := b.groupAccount(dbtest.GroupOptions{Login: "G00002", Name: "野方ウォーキングの会"})
	group := b.client()
	group.signIn("G00002", "group-password-1").wantStatus(t, http.StatusSeeOther)
	capacity := 10
	ev := dbtest.Event(t, b.db, db.Event{GroupID: &g.ID, Title: "秋のウォーキング", Venue: "平和の森公園", Capacity: &capacity,
		CreatedBy: &groupAcc.ID})
	if _, err := b.db.SignUp(ctx, ev.ID, b.aliceAcc, time.Now(), db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/events/%d", ev.ID)
	edit := page + "/edit"
	day := ev.StartsAt.In(pagesJST).Format("2006-01-02")
	fields := func(kv ...string) url.Values {
		v := url.Values{"_csrf": {group.token()}, "title": {"秋のウォーキング"}, "description": {"みんなで歩きます"}, "category": {"健康"},
			"town": {"野方"}, "venue": {"平和の森公園"}, "date": {day}, "start": {"10:00"}, "end": {"12:00"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	public := func() string { return b.client().get(page).Doc.Find("main").Text() }
	changeItems := func() int64 {
		n, err := b.db.Bun.NewSelect().Table("moderation_items").Where("kind = ? AND status = ?", db.ItemEventChange, db.ItemOpen).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The form says the change waits; bad input keeps what was typed.
	form := group.get(edit)
	form.wantStatus(t, http.StatusOK)
	if !strings.Contains(form.Body, "確認のあとで反映") || form.Doc.Find("#f-title").AttrOr("value", "") != "秋のウォーキング" {
		t.Fatalf("the group's edit form: %s", form.Doc.Find("main").Text())
	}
	bad := group.post(edit, fields("venue", "", "title", "秋の健康ウォーキング"))
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	if bad.Doc.Find("#f-venue-error").Length() != 1 || bad.Doc.Find("#f-title").AttrOr("value", "") != "秋の健康ウォーキング" {
		t.Error("an invalid change does not come back with what was typed")
	}

	// A change with a phone number: pending, flagged, the event unchanged.
	group.post(edit, fields("title", "秋の健康ウォーキング", "contact", "代表 03-1234-5678")).wantStatus(t, http.StatusSeeOther)
	if got := public(); strings.Contains(got, "健康ウォーキング") || !strings.Contains(got, "秋のウォーキング") {
		t.Fatalf("the change is public before approval: %s", got)
	}
	if mine := group.get("/account/organised"); !strings.Contains(mine.Body, "確認待ちの変更があります") {
		t.Errorf("the group does not see its change waiting: %s", mine.Doc.Find("main").Text())
	}
	if again := group.get(edit); again.Doc.Find("#f-title").AttrOr("value", "") != "秋の健康ウォーキング" || !strings.Contains(again.Body, "確認待ちの変更があります") {
		t.Error("the edit form does not show the waiting change")
	}
	// Sending again replaces the waiting change: still one item.
	group.post(edit, fields("title", "秋の健康ウォーキング大会", "contact", "代表 03-1234-5678")).wantStatus(t, http.StatusSeeOther)
	if n := changeItems(); n != 1 {
		t.Fatalf("%d open change items, want 1", n)
	}
	id, version, item := b.queueItem(b.mod1, "秋の健康ウォーキング大会")
	if !strings.Contains(item.Text(), "団体のイベントの変更") || !strings.Contains(item.Text(), "イベント名") ||
		item.Find(".flags mark").Text() != "03-1234-5678" {
		t.Errorf("the queue item: %s", item.Text())
	}
	if item.Find(fmt.Sprintf(`a[href="%s"]`, page)).Length() != 1 {
		t.Error("the queue item does not link the published event")
	}
	b.decide(b.mod1, id, version, "action", "approve").wantStatus(t, http.StatusOK)
	if got := public(); !strings.Contains(got, "秋の健康ウォーキング大会") {
		t.Fatalf("the approved change is not public: %s", got)
	}
	var after db.Event
	if err := b.db.Bun.NewSelect().Model(&after).Where("id = ?", ev.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if after.Confirmed != 1 || after.Capacity == nil || *after.Capacity != 10 || after.Status != db.EventPublished {
		t.Errorf("the sign-ups changed with the details: %+v", after)
	}

	// A rejected change: the event stays, the group reads why.
	group.post(edit, fields("title", "冬のウォーキング")).wantStatus(t, http.StatusSeeOther)
	id, version, _ = b.queueItem(b.mod1, "冬のウォーキング")
	b.decide(b.mod1, id, version, "action", "reject", "reason", "other", "message", "日付の変更は参加者に連絡してからにしてください。").
		wantStatus(t, http.StatusOK)
	if got := public(); strings.Contains(got, "冬のウォーキング") || !strings.Contains(got, "秋の健康ウォーキング大会") {
		t.Fatalf("a rejected change reached the event: %s", got)
	}
	mine := group.get("/account/organised")
	if !strings.Contains(mine.Body, "変更は反映されませんでした") || !strings.Contains(mine.Body, "参加者に連絡してから") {
		t.Errorf("the group is not told why: %s", mine.Doc.Find("main").Text())
	}
	// A change escalated to the ward stays as it is under discussion: a new
	// edit is refused with what was typed kept.
	group.post(edit, fields("title", "春のウォーキング")).wantStatus(t, http.StatusSeeOther)
	id, version, _ = b.queueItem(b.mod1, "春のウォーキング")
	b.decide(b.mod1, id, version, "action", "escalate", "note", "日程変更の扱いを区と相談します。").wantStatus(t, http.StatusOK)
	res := group.post(edit, fields("title", "春の健康ウォーキング"))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-title-error").Length() != 1 || res.Doc.Find("#f-title").AttrOr("value", "") != "春の健康ウォーキング" {
		t.Error("an edit of an escalated change is not refused with the form kept")
	}
	if got := public(); !strings.Contains(got, "秋の健康ウォーキング大会") {
		t.Errorf("the event changed while its change is escalated: %s", got)
	}

	// The history since publication, newest first.
	var actions []string
	group.get(edit).Doc.Find(".event-history li strong").Each(func(_ int, s *goquery.Selection) { actions = append(actions, s.Text()) })
	want := []string{"団体が変更を申請", "変更を差し戻し", "団体が変更を申請", "変更を承認して反映", "団体が変更を申請", "団体が変更を申請"}
	if strings.Join(actions, "|") != strings.Join(want, "|") {
		t.Errorf("history %q, want %q", actions, want)
	}
}

// TestEmergencyCorrection: a moderator corrects a published group event at
// once with a required reason (緊急時の変更); the capacity cannot drop below
// the sign-ups; the correction is on the audit log with its fields and
// reason and in the event's history. Groups and ward staff cannot use it.
func TestEmergencyCorrection(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	ctx := context.Background()
	groupAcc, g := b.groupAccount(dbtest.GroupOptions{Login: "G00003", Name: "江古田の森の会"})
	group := b.client()
	group.signIn("G00003", "group-password-1").wantStatus(t, http.StatusSeeOther)
	capacity := 3
	ev := dbtest.Event(t, b.db, db.Event{GroupID: &g.ID, Title: "森の観察会", Description: "森の生きものを観察します", Venue: "江古田の森公園", Capacity: &capacity, WaitlistSize: 1,
		StartsAt:  time.Now().Add(72 * time.Hour).Truncate(time.Hour),
		CreatedBy: &groupAcc.ID})
	for _, m := range []*db.Account{b.aliceAcc, b.bobAcc} {
		if _, err := b.db.SignUp(ctx, ev.ID, m, time.Now(), db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	page := fmt.Sprintf("/events/%d", ev.ID)
	correct := fmt.Sprintf("/moderation/events/%d/correct", ev.ID)
	if !strings.Contains(b.mod1.get(page).Body, correct) {
		t.Error("the event page does not offer the moderator the correction")
	}
	if strings.Contains(group.get(page).Body, correct) || strings.Contains(b.alice.get(page).Body, correct) {
		t.Error("the correction is offered to someone who cannot use it")
	}
	group.get(correct).wantStatus(t, http.StatusForbidden)
	b.ward.get(correct).wantStatus(t, http.StatusForbidden)

	form := b.mod1.get(correct)
	form.wantStatus(t, http.StatusOK)
	if form.Doc.Find("#f-venue").AttrOr("value", "") != "江古田の森公園" || form.Doc.Find("#f-capacity").AttrOr("value", "") != "3" ||
		form.Doc.Find("#f-reason").Length() != 1 {
		t.Fatalf("the correction form: %s", form.Doc.Find("form").Text())
	}
	values := func(kv ...string) url.Values {
		v := formValues(t, form, `form[action="`+correct+`"]`)
		v.Set("_csrf", b.mod1.token())
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// No reason: refused, everything typed kept.
	res := b.mod1.post(correct, values("venue", "平和の森公園"))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-reason-error").Length() != 1 || res.Doc.Find("#f-venue").AttrOr("value", "") != "平和の森公園" {
		t.Error("a correction without a reason is not refused with the form kept")
	}
	// Below the two sign-ups: refused by the seat rules.
	res = b.mod1.post(correct, values("venue", "平和の森公園", "capacity", "1", "reason", "会場の倒木のため"))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-capacity-error").Length() != 1 || res.Doc.Find("#f-reason").Text() != "会場の倒木のため" {
		t.Errorf("capacity below the sign-ups: %s", res.Doc.Find(".error-summary").Text())
	}
	if strings.Contains(b.client().get(page).Body, "平和の森公園") {
		t.Fatal("a refused correction changed the event")
	}
	// A valid one applies at once.
	b.mod1.post(correct, values("venue", "平和の森公園", "capacity", "2", "reason", "江古田の森公園が倒木で閉鎖されたため")).
		wantStatus(t, http.StatusSeeOther)
	var after db.Event
	if err := b.db.Bun.NewSelect().Model(&after).Where("id = ?", ev.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if after.Venue != "平和の森公園" || after.Capacity == nil || *after.Capacity != 2 || after.Confirmed != 2 || after.Status != db.EventPublished {
		t.Fatalf("after the correction: %+v", after)
	}
	if !strings.Contains(b.client().get(page).Body, "平和の森公園") {
		t.Error("the correction is not public")
	}
	var audits []db.AuditEntry
	if err := b.db.Bun.NewSelect().Model(&audits).Where("action = ?", db.AuditEventCorrection).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(audits) != 1 || audits[0].ActorID != b.mod1Acc.ID || audits[0].ActorRole != db.RoleModerator ||
		!strings.Contains(audits[0].Detail, "倒木で閉鎖") || strings.Join(audits[0].Fields, ",") != "venue,capacity" {
		t.Errorf("audit entries: %+v", audits)
	}
	hist := group.get(fmt.Sprintf("/events/%d/edit", ev.ID))
	entry := hist.Doc.Find(".event-history li").First()
	if !strings.Contains(entry.Text(), "管理運営者による緊急修正") || !strings.Contains(entry.Text(), "倒木で閉鎖") ||
		!strings.Contains(entry.Text(), "会場") || !strings.Contains(entry.Text(), "定員") {
		t.Errorf("the event's history: %s", hist.Doc.Find(".event-history").Text())
	}
	// Only a public event is corrected.
	cancelled := dbtest.Event(t, b.db, db.Event{GroupID: &g.ID, Status: db.EventCancelled})
	b.mod1.get(fmt.Sprintf("/moderation/events/%d/correct", cancelled.ID)).wantStatus(t, http.StatusNotFound)
}
