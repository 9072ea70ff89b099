package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// changeAfterCorrection is a published group event, its group signed in,
// and the forms a group and a moderator send about it.
type changeAfterCorrection struct {
	b     *boardEnv
	group *testEnv
	ev    *db.Event
	page  string
}

func newChangeAfterCorrection(t *testing.T, login string) *changeAfterCorrection {
	b := newBoardEnv(t)
	groupAcc, g := b.groupAccount(dbtest.GroupOptions{Login: login, Name: "中野の森の会"})
	group := b.client()
	group.signIn(login, "group-password-1").wantStatus(t, http.StatusSeeOther)
	capacity := 10
	ev := dbtest.Event(t, b.db, db.Event{GroupID: &g.ID, Title: "森の観察会", Description: "森の生きものを観察します", Venue: "江古田の森公園",
		Capacity: &capacity, StartsAt: time.Now().Add(96 * time.Hour).Truncate(time.Hour), CreatedBy: &groupAcc.ID})
	return &changeAfterCorrection{b: b, group: group, ev: ev, page: fmt.Sprintf("/events/%d", ev.ID)}
}

// edit sends the group's edit form as it reads now, with kv changed.
func (f *changeAfterCorrection) edit(t *testing.T, kv ...string) *response {
	t.Helper()
	edit := f.page + "/edit"
	v := formValues(t, f.group.get(edit), `form[action="`+edit+`"]`)
	v.Set("_csrf", f.group.token())
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return f.group.post(edit, v)
}

// correct sends the moderator's correction form as it reads now, with kv
// changed.
func (f *changeAfterCorrection) correct(t *testing.T, kv ...string) {
	t.Helper()
	correct := fmt.Sprintf("/moderation/events/%d/correct", f.ev.ID)
	v := formValues(t, f.b.mod1.get(correct), `form[action="`+correct+`"]`)
	v.Set("_csrf", f.b.mod1.token())
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	f.b.mod1.post(correct, v).wantStatus(t, http.StatusSeeOther)
}

func (f *changeAfterCorrection) event(t *testing.T) db.Event {
	t.Helper()
	var e db.Event
	if err := f.b.db.Bun.NewSelect().Model(&e).Where("id = ?", f.ev.ID).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestChangeAfterCorrectionMerges: a group's change to other details than
// a moderator's later correction is approved over the corrected event: the
// group's details are applied and the correction stays; the queue says so
// beforehand and the history names only the group's details.
func TestChangeAfterCorrectionMerges(t *testing.T) {
	t.Parallel()
	f := newChangeAfterCorrection(t, "G00011")
	f.edit(t, "title", "森の観察会（親子向け）", "fee", "100円").wantStatus(t, http.StatusSeeOther)
	f.correct(t, "venue", "平和の森公園", "reason", "江古田の森公園が倒木で閉鎖されたため")

	id, version, item := f.b.queueItem(f.b.mod1, "森の観察会（親子向け）")
	if !strings.Contains(item.Text(), "別の項目で訂正されています") || strings.Contains(item.Text(), "承認できません") {
		t.Errorf("the queue item does not say the change applies over the correction: %s", item.Text())
	}
	if got := item.Find(".meta").Text(); !strings.Contains(got, "イベント名") || !strings.Contains(got, "参加費") || strings.Contains(got, "会場") {
		t.Errorf("the queue item's changed details: %s", got)
	}
	f.b.decide(f.b.mod1, id, version, "action", "approve").wantStatus(t, http.StatusOK)
	e := f.event(t)
	if e.Title != "森の観察会（親子向け）" || e.Fee != "100円" || e.Venue != "平和の森公園" {
		t.Fatalf("after approval: title %q fee %q venue %q; want the group's title and fee over the corrected venue", e.Title, e.Fee, e.Venue)
	}
	hist, err := f.b.db.EventHistoryOf(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if hist[0].Action != db.EventHistChangeApproved || strings.Join(hist[0].Fields, ",") != "title,fee" {
		t.Errorf("the approval's history: %+v", hist[0])
	}
}

// TestChangeAfterCorrectionCollides: a group's change to a detail that a
// moderator corrected afterwards is not approved: the queue names the
// colliding details before and after the attempt, the event keeps the
// correction, the item stays open; the group's form shows the corrected
// details with its own other edits and asks it to resubmit, and the
// resubmitted change is approved over the correction.
func TestChangeAfterCorrectionCollides(t *testing.T) {
	t.Parallel()
	f := newChangeAfterCorrection(t, "G00012")
	ctx := context.Background()
	f.edit(t, "title", "森の観察会（雨天決行）", "venue", "江古田の森公園 南口").wantStatus(t, http.StatusSeeOther)
	f.correct(t, "venue", "平和の森公園", "reason", "江古田の森公園が倒木で閉鎖されたため")

	id, version, item := f.b.queueItem(f.b.mod1, "森の観察会（雨天決行）")
	if got := item.Find(".notice").Text(); !strings.Contains(got, "同じ項目（会場）") {
		t.Errorf("the queue item does not name the collision: %s", item.Text())
	}
	res := f.b.decide(f.b.mod1, id, version, "action", "approve")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := res.Doc.Find(`.error-summary[role="alert"]`).Text(); !strings.Contains(got, "承認できませんでした") || !strings.Contains(got, "会場") {
		t.Errorf("the refused approval: %s", res.Doc.Text())
	}
	// Without htmx the same refusal is a page.
	v := url.Values{"_csrf": {f.b.mod1.token()}, "version": {version}, "action": {"approve"}}
	page := f.b.mod1.post(fmt.Sprintf("/moderation/items/%d", id), v)
	page.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(page.Doc.Find("main").Text(), "承認できませんでした") {
		t.Error("the refused approval without htmx does not say why")
	}
	if e := f.event(t); e.Venue != "平和の森公園" || e.Title != "森の観察会" {
		t.Fatalf("a refused approval changed the event: %q at %q", e.Title, e.Venue)
	}
	var it db.ModerationItem
	if err := f.b.db.Bun.NewSelect().Model(&it).Where("id = ?", id).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if it.Status != db.ItemOpen {
		t.Errorf("the refused item is %s, want still open", it.Status)
	}

	// The group is told and its form reads the corrected venue with its
	// own title; resubmitted, the change is approved over the correction.
	form := f.group.get(f.page + "/edit")
	if !strings.Contains(form.Doc.Find(".notice").Text(), "訂正と同じ項目（会場）") ||
		form.Doc.Find("#f-venue").AttrOr("value", "") != "平和の森公園" || form.Doc.Find("#f-title").AttrOr("value", "") != "森の観察会（雨天決行）" {
		t.Fatalf("the group's form after the collision: %s", form.Doc.Find("main").Text())
	}
	f.edit(t, "venue", "平和の森公園 野球場側").wantStatus(t, http.StatusSeeOther)
	id, version, item = f.b.queueItem(f.b.mod1, "森の観察会（雨天決行）")
	if strings.Contains(item.Text(), "承認できません") {
		t.Errorf("the resubmitted change still collides: %s", item.Text())
	}
	f.b.decide(f.b.mod1, id, version, "action", "approve").wantStatus(t, http.StatusOK)
	if e := f.event(t); e.Venue != "平和の森公園 野球場側" || e.Title != "森の観察会（雨天決行）" {
		t.Errorf("the resubmitted change: %q at %q", e.Title, e.Venue)
	}
}

// TestParticipantsToldOfMove: when a correction or an approved change moves
// an event's time or place, each member signed up or waiting gets exactly
// one mail through the outbox, in the language their account reads the
// site in (Japanese by default), with the detail before and after and the
// event's page; cancelled members, members of other events and changes of
// other details send nothing.
func TestParticipantsToldOfMove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newChangeAfterCorrection(t, "G00013")
	b := f.b
	capacity := 1
	if _, err := b.db.SetCapacity(ctx, f.ev.ID, &capacity, 2, nil); err != nil {
		t.Fatal(err)
	}
	carolAcc := b.memberAccount("M2000013", "きゃろる")
	other := dbtest.Event(t, b.db, db.Event{Title: "別のイベント"})
	for _, s := range []struct {
		acc   *db.Account
		event int64
	}{{b.aliceAcc, f.ev.ID}, {b.bobAcc, f.ev.ID}, {carolAcc, f.ev.ID}, {carolAcc, other.ID}} {
		if _, err := b.db.SignUp(ctx, s.event, s.acc, time.Now(), db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.db.CancelSignup(ctx, f.ev.ID, carolAcc, db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Bun.NewUpdate().Table("accounts").Set("lang = 'en'").Where("id = ?", b.aliceAcc.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	mails := func() map[int64][]db.Mail {
		var ms []db.Mail
		if err := b.db.Bun.NewSelect().Model(&ms).Where("kind = ?", "event_moved").Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		out := map[int64][]db.Mail{}
		for _, m := range ms {
			out[*m.AccountID] = append(out[*m.AccountID], m)
		}
		return out
	}
	// A correction of the description only: nobody is mailed.
	f.correct(t, "description", "森の生きものと木の実を観察します", "reason", "説明の誤記の訂正")
	if n := len(mails()); n != 0 {
		t.Fatalf("%d participants mailed for a description", n)
	}
	// A correction of the venue: Alice (signed up, English) and Bob
	// (waiting, Japanese), once each.
	f.correct(t, "venue", "平和の森公園", "reason", "江古田の森公園が倒木で閉鎖されたため")
	got := mails()
	if len(got) != 2 || len(got[b.aliceAcc.ID]) != 1 || len(got[b.bobAcc.ID]) != 1 {
		t.Fatalf("mails after the venue correction: %+v", got)
	}
	alice, bob := got[b.aliceAcc.ID][0], got[b.bobAcc.ID][0]
	if alice.To != "m2000001@example.jp" || !strings.Contains(alice.Subject, "Your event has changed") ||
		!strings.Contains(alice.Body, "Where: 江古田の森公園") || !strings.Contains(alice.Body, "→ 平和の森公園") ||
		!strings.Contains(alice.Body, f.page) || strings.Contains(alice.Body, "When:") {
		t.Errorf("Alice's mail (English):\n%s\n%s", alice.Subject, alice.Body)
	}
	if !strings.Contains(bob.Subject, "イベントが変更されました") || !strings.Contains(bob.Body, "会場：江古田の森公園") ||
		!strings.Contains(bob.Body, "→ 平和の森公園") || !strings.Contains(bob.Body, f.page) {
		t.Errorf("Bob's mail (Japanese):\n%s\n%s", bob.Subject, bob.Body)
	}

	// An approved change of the time: one more mail each, the time
	// before and after.
	day := f.ev.StartsAt.In(pagesJST).Format("2006-01-02")
	f.edit(t, "date", day, "start", "13:00", "end", "15:00").wantStatus(t, http.StatusSeeOther)
	id, version, _ := b.queueItem(b.mod1, "森の観察会")
	b.decide(b.mod1, id, version, "action", "approve").wantStatus(t, http.StatusOK)
	got = mails()
	if len(got) != 2 || len(got[b.aliceAcc.ID]) != 2 || len(got[b.bobAcc.ID]) != 2 {
		t.Fatalf("mails after the approved time change: %+v", got)
	}
	alice, bob = got[b.aliceAcc.ID][1], got[b.bobAcc.ID][1]
	if !strings.Contains(alice.Body, "When: ") || !strings.Contains(alice.Body, "13:00") || strings.Contains(alice.Body, "Where:") {
		t.Errorf("Alice's mail of the time change:\n%s", alice.Body)
	}
	if !strings.Contains(bob.Body, "日時：") || !strings.Contains(bob.Body, "13:00") || !strings.Contains(bob.Body, "→") {
		t.Errorf("Bob's mail of the time change:\n%s", bob.Body)
	}
	// A rejected change sends nothing.
	f.edit(t, "venue", "中野区役所").wantStatus(t, http.StatusSeeOther)
	id, version, _ = b.queueItem(b.mod1, "森の観察会")
	b.decide(b.mod1, id, version, "action", "reject", "reason", "other", "message", "会場は区役所では受けられません。").wantStatus(t, http.StatusOK)
	got = mails()
	if n := len(got[b.aliceAcc.ID]) + len(got[b.bobAcc.ID]); n != 4 || len(got) != 2 {
		t.Errorf("mails after a rejected change: %+v", got)
	}
}
