package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// The kinds the queue knows are the kinds the schema lets into it: a kind in
// the table that the CHECK refuses could never be submitted, and a kind the
// CHECK allows without an entry could not be loaded or decided.
func TestItemKindsMatchTheSchema(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	want := []string{"board_post", "event", "event_change", "group_profile"}
	if got := db.ItemKindNames(); !slices.Equal(got, want) {
		t.Errorf("ItemKindNames() = %v, want %v", got, want)
	}
	var def string
	if err := f.d.Pool.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conname = 'moderation_items_kind_check'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	var allowed []string
	for _, part := range strings.Split(def, "'")[1:] {
		if !strings.ContainsAny(part, " (),:") {
			allowed = append(allowed, part)
		}
	}
	slices.Sort(allowed)
	if !slices.Equal(allowed, db.ItemKindNames()) {
		t.Errorf("the schema allows kinds %v (%s), the queue knows %v", allowed, def, db.ItemKindNames())
	}
}

// One queue holding every kind loads each item's content through its kind,
// names it, and a decision tells the caller which mails its author gets.
func TestQueueLoadsAndDecidesEveryKind(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	topic, te := f.submit(t, f.alice, "公園の清掃", "日曜に清掃します。")
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: te.Item.ID, Version: te.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod1}}, noMail); err != nil {
		t.Fatal(err)
	}
	reply, err := f.d.SubmitPost(ctx, f.bob, db.PostInput{TopicID: &topic.ID, Body: "参加します。軍手は持っていったほうがよいですか？"}, db.AccessEvent{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(72 * time.Hour)
	ev := &db.Event{OrganiserKind: "group", GroupID: &f.club.ID, Title: "食堂の会", Description: "どなたでも", Category: "子育て",
		Town: "新宿", Venue: "新宿センター", StartsAt: start, EndsAt: start.Add(time.Hour)}
	if err := f.d.CreateEvent(ctx, ev, f.group, db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}

	q, err := f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10)
	if err != nil || len(q) != 2 {
		t.Fatalf("queue %+v %v", q, err)
	}
	byKind := map[string]*db.QueueEntry{}
	for i := range q {
		byKind[q[i].Item.Kind] = &q[i]
	}
	pe, ee := byKind[db.ItemBoardPost], byKind[db.ItemEvent]
	if pe == nil || pe.Post == nil || pe.Post.ID != reply.ID || pe.Post.TopicTitle != "公園の清掃" || pe.Post.AuthorName != "ぼぶ" || pe.Event != nil {
		t.Fatalf("the reply's entry: %+v", pe)
	}
	if ee == nil || ee.Event == nil || ee.Event.ID != ev.ID || ee.Post != nil {
		t.Fatalf("the event's entry: %+v", ee)
	}
	if got := pe.Label(); got != "参加します。軍手は持っていったほうがよい…" {
		t.Errorf("a reply is named %q", got)
	}
	if got := ee.Label(); got != "食堂の会" {
		t.Errorf("an event is named %q", got)
	}

	out, err := f.d.DecideItem(ctx, db.Decision{ItemID: pe.Item.ID, Version: pe.Item.Version, Action: db.ActApprove, Actor: db.Actor{Account: f.mod1}}, noMail)
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind.AuthorMail != "post" || out.Kind.AuthorPage != "/account/posts" || out.Post == nil || out.Post.Status != db.PostPublished ||
		out.Label() != "参加します。軍手は持っていったほうがよい…" || out.Email != "m1000002@example.jp" {
		t.Errorf("the reply's outcome: kind %+v post %+v label %q email %q", out.Kind, out.Post, out.Label(), out.Email)
	}
	out, err = f.d.DecideItem(ctx, db.Decision{ItemID: ee.Item.ID, Version: ee.Item.Version, Action: db.ActReject,
		Reason: "other", Message: "日時を確かめてください", Actor: db.Actor{Account: f.mod1}}, noMail)
	if err != nil {
		t.Fatal(err)
	}
	// A group account holds no address: nothing to mail it.
	if out.Kind.AuthorMail != "" || out.Event == nil || out.Event.Status != db.EventDraft || out.Label() != "食堂の会" || out.Email != "" {
		t.Errorf("the event's outcome: kind %+v event %+v label %q email %q", out.Kind, out.Event, out.Label(), out.Email)
	}
}
