package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// boardFixture is a database with a category, two members, a group and staff.
type boardFixture struct {
	d                      *db.DB
	cat                    int64
	alice, bob, group      *db.Account
	club                   *db.Group // the group f.group speaks for
	mod1, mod2, ward, both *db.Account
}

func newBoardFixture(t *testing.T) *boardFixture {
	t.Helper()
	d := dbtest.New(t)
	ctx := context.Background()
	f := &boardFixture{d: d}
	if err := d.SaveBoardCategory(ctx, &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Town"}); err != nil {
		t.Fatal(err)
	}
	cats, err := d.ListBoardCategories(ctx)
	if err != nil || len(cats) != 1 {
		t.Fatal(cats, err)
	}
	f.cat = cats[0].ID
	member := func(login, handle string) *db.Account {
		return dbtest.Member(t, d, dbtest.MemberOptions{Login: login, Handle: handle})
	}
	staff := func(login, name string, roles ...string) *db.Account {
		return dbtest.Staff(t, d, dbtest.StaffOptions{Login: login, Name: name, Roles: roles})
	}
	f.alice = member("M1000001", "ありす")
	f.bob = member("M1000002", "ぼぶ")
	f.group, f.club = dbtest.Group(t, d, dbtest.GroupOptions{Login: "G0001", Name: "新宿こども食堂", Town: "新宿"})
	f.mod1 = staff("mod1", "審査 一郎", db.RoleModerator)
	f.mod2 = staff("mod2", "審査 二郎", db.RoleModerator)
	f.ward = staff("ward1", "区 花子", db.RoleWardStaff)
	f.both = staff("both", "兼務 三郎", db.RoleModerator, db.RoleWardStaff)
	return f
}

func (f *boardFixture) submit(t *testing.T, author *db.Account, title, body string) (*db.BoardPost, *db.QueueEntry) {
	t.Helper()
	p, err := f.d.SubmitPost(context.Background(), author, db.PostInput{CategoryID: f.cat, Title: title, Body: body}, db.AccessEvent{})
	if err != nil {
		t.Fatal(err)
	}
	return p, f.openItem(t, p.ID)
}

func (f *boardFixture) openItem(t *testing.T, postID int64) *db.QueueEntry {
	t.Helper()
	q, err := f.d.ModerationQueue(context.Background(), []string{db.ItemOpen, db.ItemEscalated}, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range q {
		if q[i].Post != nil && q[i].Post.ID == postID {
			return &q[i]
		}
	}
	t.Fatalf("post %d is not in the queue", postID)
	return nil
}

func noMail(db.Outcome) *db.Mail { return nil }

func TestPendingPostIsSeenOnlyByItsAuthor(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	p, e := f.submit(t, f.alice, "公園の清掃", "日曜に清掃します。")
	if p.Status != db.PostPending || e.Item.Origin != db.OriginSubmission || e.Post.AuthorName != "ありす" {
		t.Fatalf("post %+v item %+v", p, e.Item)
	}
	if _, err := f.d.TopicFor(ctx, p.ID, 0); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a visitor sees a pending topic: %v", err)
	}
	if _, err := f.d.TopicFor(ctx, p.ID, f.bob.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another member sees a pending topic: %v", err)
	}
	v, err := f.d.TopicFor(ctx, p.ID, f.alice.ID)
	if err != nil || v.Topic.Status != db.PostPending {
		t.Fatalf("the author does not see their pending topic: %v", err)
	}
	if page, err := f.d.ListTopics(ctx, 0, db.Cursor{}); err != nil || len(page.Items) != 0 {
		t.Errorf("pending topic listed publicly: %d %v", len(page.Items), err)
	}
	if ws, err := f.d.WaitingTopics(ctx, f.alice.ID); err != nil || len(ws) != 1 {
		t.Errorf("waiting topics of the author: %d %v", len(ws), err)
	}

	// Approval publishes it; a reply then waits in the queue, seen in place by its author only.
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod1}}, noMail); err != nil {
		t.Fatal(err)
	}
	r, err := f.d.SubmitPost(ctx, f.group, db.PostInput{TopicID: &p.ID, Body: "手伝います"}, db.AccessEvent{})
	if err != nil || r.CategoryID != f.cat || r.Title != "" {
		t.Fatalf("reply %+v %v", r, err)
	}
	for _, c := range []struct {
		viewer int64
		n      int
	}{{0, 0}, {f.bob.ID, 0}, {f.group.ID, 1}} {
		v, err := f.d.TopicFor(ctx, p.ID, c.viewer)
		if err != nil || len(v.Replies) != c.n {
			t.Errorf("viewer %d sees %d replies, want %d (%v)", c.viewer, len(v.Replies), c.n, err)
		}
	}
}

func TestRepliesNeedAPublishedTopic(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	p, _ := f.submit(t, f.alice, "題", "本文")
	_, err := f.d.SubmitPost(context.Background(), f.bob, db.PostInput{TopicID: &p.ID, Body: "返信"}, db.AccessEvent{})
	if !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("reply to a pending topic: %v", err)
	}
	_, err = f.d.SubmitPost(context.Background(), f.bob, db.PostInput{CategoryID: 9999, Title: "題", Body: "本文"}, db.AccessEvent{})
	if !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("topic in a missing category: %v", err)
	}
}

func TestPrecheckFlagsAreAttached(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	if err := f.d.AddModerationWord(context.Background(), "ばか", f.mod1); err != nil {
		t.Fatal(err)
	}
	_, e := f.submit(t, f.alice, "連絡先", "電話は０３－１２３４－５６７８、mail: a@example.jp。ＢＡＫＡじゃない、ばかだ。https://example.com/x")
	kinds := map[string]bool{}
	for _, fl := range e.Item.Flags {
		kinds[fl.Kind] = true
	}
	for _, k := range []string{db.FlagPhone, db.FlagEmail, db.FlagWord, db.FlagLink} {
		if !kinds[k] {
			t.Errorf("no %s flag in %+v", k, e.Item.Flags)
		}
	}
}

func TestEditWhilePendingMovesTheVersionOn(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	p, e := f.submit(t, f.alice, "題", "古い本文")
	if _, err := f.d.EditPost(ctx, f.bob, p.ID, p.Version, "題", "乗っ取り", db.AccessEvent{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("another member edited the post: %v", err)
	}
	if _, err := f.d.EditPost(ctx, f.alice, p.ID, p.Version, "新しい題", "新しい本文 03-1234-5678", db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.EditPost(ctx, f.alice, p.ID, p.Version, "題", "別タブから", db.AccessEvent{}); !errors.Is(err, db.ErrStale) {
		t.Fatalf("an edit from a stale form: %v", err)
	}
	// The moderator opened the old text: their approval must not publish the new one unseen.
	_, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod1}}, noMail)
	var h *db.ErrHandled
	if !errors.As(err, &h) || h.Item.Status != db.ItemOpen {
		t.Fatalf("approval of a stale version: %v", err)
	}
	e2 := f.openItem(t, p.ID)
	if e2.Item.ID != e.Item.ID || e2.Post.Body != "新しい本文 03-1234-5678" || len(e2.Item.Flags) != 1 {
		t.Fatalf("item after edit: %+v post %+v", e2.Item, e2.Post)
	}
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: e2.Item.ID, Version: e2.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod1}}, noMail); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.EditPost(ctx, f.alice, p.ID, 0, "題", "公開後の変更", db.AccessEvent{}); !errors.Is(err, db.ErrNotEditable) {
		t.Fatalf("edit of a published post: %v", err)
	}
}

func TestRejectThenResubmit(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	p, e := f.submit(t, f.alice, "選挙", "○○候補に投票を")
	var mailed db.Outcome
	_, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActReject,
		Reason: "political_religious", Message: "選挙運動は掲載できません。", Actor: db.Actor{Account: f.mod1}},
		func(o db.Outcome) *db.Mail {
			mailed = o
			return &db.Mail{To: o.Email, Subject: "s", Body: "b", Kind: "post_rejected"}
		})
	if err != nil {
		t.Fatal(err)
	}
	if mailed.Email != "m1000001@example.jp" || mailed.Item.Reason != "political_religious" || mailed.Post.Status != db.PostRejected {
		t.Fatalf("outcome %+v", mailed)
	}
	own, err := f.d.OwnPost(ctx, f.alice.ID, p.ID)
	if err != nil || own.Status != db.PostRejected || own.Reason != "political_religious" || own.Message != "選挙運動は掲載できません。" {
		t.Fatalf("the author's view: %+v %v", own, err)
	}
	if _, err := f.d.EditPost(ctx, f.alice, p.ID, own.Version, "地域の集い", "みんなで集まりましょう", db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}
	e2 := f.openItem(t, p.ID)
	if e2.Item.ID == e.Item.ID || e2.Post.Status != db.PostPending {
		t.Fatalf("resubmission did not make a new item: %+v", e2.Item)
	}
	hist, err := f.d.SubjectHistory(ctx, db.ItemBoardPost, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, h.Action)
	}
	if fmt.Sprint(got) != "[submit reject submit]" || hist[1].ActorName != "審査 一郎" || hist[1].Reason != "political_religious" {
		t.Errorf("history %v %+v", got, hist)
	}
}

func TestRejectionNeedsAReasonAndMessage(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	_, e := f.submit(t, f.alice, "題", "本文")
	_, err := f.d.DecideItem(context.Background(), db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActReject,
		Reason: "privacy", Actor: db.Actor{Account: f.mod1}}, noMail)
	if err == nil {
		t.Fatal("rejected without a message to the author")
	}
	_, err = f.d.DecideItem(context.Background(), db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActReject,
		Reason: "rudeness", Message: "m", Actor: db.Actor{Account: f.mod1}}, noMail)
	if err == nil {
		t.Fatal("rejected with a reason outside the list")
	}
}

func TestTwoModeratorsOneItem(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	_, e := f.submit(t, f.alice, "題", "本文")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, m := range []*db.Account{f.mod1, f.mod2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			action, reason, msg := db.ActApprove, "", ""
			if i == 1 {
				action, reason, msg = db.ActReject, "other", "重複です"
			}
			_, errs[i] = f.d.DecideItem(context.Background(), db.Decision{ItemID: e.Item.ID, Version: e.Item.Version,
				Action: action, Reason: reason, Message: msg, Actor: db.Actor{Account: m}}, noMail)
		}()
	}
	wg.Wait()
	var ok, handled int
	for _, err := range errs {
		var h *db.ErrHandled
		switch {
		case err == nil:
			ok++
		case errors.As(err, &h):
			handled++
			if h.Item.DeciderName == "" || h.Item.Waiting() {
				t.Errorf("the loser is not told who handled it: %+v", h.Item)
			}
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 || handled != 1 {
		t.Fatalf("%d succeeded, %d told it was handled: %v", ok, handled, errs)
	}
}

func TestEscalationGoesToTheWard(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	p, e := f.submit(t, f.alice, "題", "グレーな内容")
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActEscalate, Actor: db.Actor{Account: f.ward}}, noMail); err == nil {
		t.Fatal("ward staff escalated an open item")
	}
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActEscalate,
		Message: "名誉毀損にあたるか判断をお願いします", Actor: db.Actor{Account: f.mod1}}, noMail); err != nil {
		t.Fatal(err)
	}
	esc, err := f.d.ModerationQueue(ctx, []string{db.ItemEscalated}, 10)
	if err != nil || len(esc) != 1 || esc[0].Item.EscalatorName != "審査 一郎" || esc[0].Item.EscalationNote == "" {
		t.Fatalf("escalated queue %+v %v", esc, err)
	}
	if open, _ := f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10); len(open) != 0 {
		t.Fatal("an escalated item is still in the moderators' queue")
	}
	it := esc[0].Item
	var h *db.ErrHandled
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: it.ID, Version: it.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod2}}, noMail); !errors.As(err, &h) {
		t.Fatalf("a moderator decided an escalated item: %v", err)
	}
	out, err := f.d.DecideItem(ctx, db.Decision{ItemID: it.ID, Version: it.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.ward}}, noMail)
	if err != nil || out.Item.DecidedRole != db.RoleWardStaff || out.Post.Status != db.PostPublished {
		t.Fatalf("ward decision %+v %v", out.Item, err)
	}
	if v, err := f.d.TopicFor(ctx, p.ID, 0); err != nil || v.Topic.Status != db.PostPublished {
		t.Fatalf("not public after the ward approved: %v", err)
	}
}

func TestReportBringsAPostBack(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	p, e := f.submit(t, f.alice, "題", "本文")
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod1}}, noMail); err != nil {
		t.Fatal(err)
	}
	if err := f.d.ReportPost(ctx, f.bob, p.ID, "個人の電話番号が載っています", db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}
	if err := f.d.ReportPost(ctx, f.bob, p.ID, "もう一度", db.AccessEvent{}); !errors.Is(err, db.ErrAlreadyReported) {
		t.Fatalf("second report by the same member: %v", err)
	}
	if err := f.d.ReportPost(ctx, f.group, p.ID, "同じく", db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}
	r := f.openItem(t, p.ID)
	if r.Item.Origin != db.OriginReport || r.Item.Reports != 2 || len(r.Reports) != 2 {
		t.Fatalf("report item %+v reports %+v", r.Item, r.Reports)
	}
	// Still public while it is reviewed; rejecting takes it off the board.
	if _, err := f.d.TopicFor(ctx, p.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: r.Item.ID, Version: r.Item.Version, Action: db.ActReject,
		Reason: "privacy", Message: "電話番号を消して再投稿してください", Actor: db.Actor{Account: f.mod2}}, noMail); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.TopicFor(ctx, p.ID, 0); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a rejected report left the post public: %v", err)
	}
	if err := f.d.ReportPost(ctx, f.bob, p.ID, "x", db.AccessEvent{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("reporting an unpublished post: %v", err)
	}
}

func TestWithdrawClosesTheItem(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	p, _ := f.submit(t, f.alice, "題", "本文")
	if err := f.d.WithdrawPost(ctx, f.bob, p.ID, db.AccessEvent{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("another member withdrew the post: %v", err)
	}
	if err := f.d.WithdrawPost(ctx, f.alice, p.ID, db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10); len(q) != 0 {
		t.Fatal("a withdrawn post is still in the queue")
	}
	if own, err := f.d.PostsBy(ctx, f.alice.ID, db.Cursor{}); err != nil || len(own.Items) != 0 {
		t.Fatalf("withdrawn post in the author's list: %v", err)
	}
}

func TestApprovalPublishesALiveEvent(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	before, err := f.d.LastLiveEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, e := f.submit(t, f.alice, "題", "本文")
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.both}}, noMail); err != nil {
		t.Fatal(err)
	}
	evs, err := f.d.LiveEventsAfter(ctx, before, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%s/%s/%d", ev.Stream, ev.Name, ev.SubjectID))
	}
	want := fmt.Sprintf("[moderation/item/%d board/topic/%d moderation/item/%d]", e.Item.ID, p.ID, e.Item.ID)
	if fmt.Sprint(got) != want {
		t.Fatalf("live events %v, want %s", got, want)
	}
}

func TestWithdrawalTakesBackWaitingPosts(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	pub, e := f.submit(t, f.alice, "公開済み", "本文")
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: e.Item.ID, Version: e.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod1}}, noMail); err != nil {
		t.Fatal(err)
	}
	f.submit(t, f.alice, "審査中", "本文")
	if err := f.d.Withdraw(ctx, f.alice.ID, time.Now(), db.AccessEvent{AccountID: &f.alice.ID, Action: db.ActionWithdraw}, nil); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10); len(q) != 0 {
		t.Fatalf("a withdrawn member's post is still in the queue: %+v", q[0].Post)
	}
	v, err := f.d.TopicFor(ctx, pub.ID, 0)
	if err != nil || v.Topic.AuthorStatus != db.StatusWithdrawn {
		t.Fatalf("the published topic should stay under a neutral label: %v", err)
	}
}

func TestGroupEventSentBackAndResubmitted(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	start := time.Now().Add(72 * time.Hour)
	e := &db.Event{OrganiserKind: "group", GroupID: &f.club.ID, Title: "食堂の会", Description: "電話03-1234-5678", Category: "子育て",
		Town: "新宿", Venue: "新宿センター", StartsAt: start, EndsAt: start.Add(time.Hour)}
	if err := f.d.CreateEvent(ctx, e, f.group, db.AccessEvent{}); err != nil || e.Status != "review" {
		t.Fatalf("create: %v %s", err, e.Status)
	}
	q, err := f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10)
	if err != nil || len(q) != 1 || q[0].Event == nil || len(q[0].Item.Flags) != 1 {
		t.Fatalf("queue %+v %v", q, err)
	}
	out, err := f.d.DecideItem(ctx, db.Decision{ItemID: q[0].Item.ID, Version: q[0].Item.Version, Action: db.ActReject,
		Reason: "privacy", Message: "個人の電話番号は載せられません", Actor: db.Actor{Account: f.mod1}}, noMail)
	if err != nil || out.Event.Status != "draft" {
		t.Fatalf("reject: %v %+v", err, out.Event)
	}
	e.Description = "申し込みは団体の窓口へ"
	if err := f.d.UpdateEvent(ctx, e, f.group, db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}
	q, err = f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10)
	if err != nil || len(q) != 1 || q[0].Item.ID == out.Item.ID || q[0].Event.Status != "review" || len(q[0].Item.Flags) != 0 {
		t.Fatalf("resubmission %+v %v", q, err)
	}
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: q[0].Item.ID, Version: q[0].Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod2}}, noMail); err != nil {
		t.Fatal(err)
	}
	// Once published, an edit waits as an event change; the event stays.
	changed := *e
	changed.Title = "食堂の会（会場変更）"
	if err := f.d.UpdateEvent(ctx, &changed, f.group, db.AccessEvent{}); err != nil {
		t.Fatalf("a group edits its published event: %v", err)
	}
	q, err = f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10)
	if err != nil || len(q) != 1 || q[0].Item.Kind != db.ItemEventChange || q[0].Change == nil ||
		q[0].Change.Title != changed.Title || q[0].Change.Event.Title != "食堂の会" {
		t.Fatalf("the change in the queue: %+v %v", q, err)
	}
	if live, err := f.d.EventAnyStatus(ctx, e.ID); err != nil || live.Title != "食堂の会" || live.Status != db.EventPublished {
		t.Fatalf("the published event changed before approval: %+v %v", live, err)
	}
}
