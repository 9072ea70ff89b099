package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

type calendarFixture struct {
	d   *db.DB
	now time.Time
}

func (f *calendarFixture) member(t *testing.T, n int) *db.Account {
	t.Helper()
	return dbtest.Member(t, f.d, dbtest.MemberOptions{Login: fmt.Sprintf("M%07d", 4000000+n), Handle: fmt.Sprintf("暦%d", n)})
}

func (f *calendarFixture) event(t *testing.T, title, status string, startsIn time.Duration, capacity *int, waitlist int) *db.Event {
	t.Helper()
	return dbtest.Event(t, f.d, db.Event{Title: title, Category: "culture", StartsAt: f.now.Add(startsIn),
		Capacity: capacity, WaitlistSize: waitlist, Status: status})
}

func hashOf(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func TestCalendarEventsPublishedInWindow(t *testing.T) {
	t.Parallel()
	f := &calendarFixture{d: dbtest.New(t), now: time.Now().Truncate(time.Minute)}
	ctx := t.Context()
	later := f.event(t, "後の会", "published", 48*time.Hour, nil, 0)
	sooner := f.event(t, "先の会", "published", 24*time.Hour, nil, 0)
	f.event(t, "昨日の会", "published", -24*time.Hour, nil, 0)
	f.event(t, "下書き", "draft", 24*time.Hour, nil, 0)
	f.event(t, "審査中", "review", 24*time.Hour, nil, 0)
	f.event(t, "中止", "cancelled", 24*time.Hour, nil, 0)
	f.event(t, "遠い先", "published", 200*24*time.Hour, nil, 0)

	es, err := f.d.CalendarEvents(ctx, f.now, f.now.Add(180*24*time.Hour), 500)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, e := range es {
		got = append(got, e.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint([]int64{sooner.ID, later.ID}) {
		t.Fatalf("feed events %v, want %v", got, []int64{sooner.ID, later.ID})
	}
	if es[0].Title != "先の会" || es[0].Venue == "" || es[0].UpdatedAt.IsZero() {
		t.Errorf("event read without its calendar fields: %+v", es[0])
	}
	if es, _ := f.d.CalendarEvents(ctx, f.now, f.now.Add(180*24*time.Hour), 1); len(es) != 1 {
		t.Errorf("limit 1 gave %d events", len(es))
	}
}

func TestCalendarFeedLifecycle(t *testing.T) {
	t.Parallel()
	f := &calendarFixture{d: dbtest.New(t), now: time.Now()}
	ctx := t.Context()
	alice, bob := f.member(t, 1), f.member(t, 2)
	seat := 1
	small := f.event(t, "小さな会", "published", 72*time.Hour, &seat, 2)
	open := f.event(t, "大きな会", "published", 96*time.Hour, nil, 0)
	dropped := f.event(t, "やめた会", "published", 120*time.Hour, nil, 0)
	for _, s := range []struct {
		e *db.Event
		m *db.Account
	}{{small, bob}, {small, alice}, {open, alice}, {dropped, alice}, {open, bob}} {
		if _, err := f.d.SignUp(ctx, s.e.ID, s.m, f.now, db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.d.CancelSignup(ctx, dropped.ID, alice, db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	// The organiser calls off the big one: it stays in the feed, cancelled.
	if _, err := f.d.Bun.NewUpdate().Model((*db.Event)(nil)).Set("status = 'cancelled'").Where("id = ?", open.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	if _, err := f.d.MemberCalendar(ctx, hashOf("nothing"), f.now, 500); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := f.d.LiveCalendarFeed(ctx, alice.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("feed before any was made: %v", err)
	}
	ev := db.AccessEvent{AccountID: &alice.ID, LoginID: alice.LoginID, IP: "192.0.2.1"}
	first, err := f.d.NewCalendarFeed(ctx, alice.ID, hashOf("first"), f.now, ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.d.MemberCalendar(ctx, hashOf("first"), f.now, 500)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("%d waitlisted published", small.ID), fmt.Sprintf("%d confirmed cancelled", open.ID)}
	if len(got) != len(want) {
		t.Fatalf("alice's feed has %d entries: %+v", len(got), got)
	}
	for i, s := range got {
		if have := fmt.Sprintf("%d %s %s", s.Event.ID, s.Status, s.Event.Status); have != want[i] {
			t.Errorf("entry %d = %s, want %s", i, have, want[i])
		}
	}

	// A new address revokes the old one.
	second, err := f.d.NewCalendarFeed(ctx, alice.ID, hashOf("second"), f.now, ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.MemberCalendar(ctx, hashOf("first"), f.now, 500); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("old address still works: %v", err)
	}
	if live, err := f.d.LiveCalendarFeed(ctx, alice.ID); err != nil || live.ID != second.ID || live.ID == first.ID {
		t.Errorf("live feed %+v, %v; want id %d", live, err, second.ID)
	}
	if err := f.d.RevokeCalendarFeed(ctx, alice.ID, f.now, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.MemberCalendar(ctx, hashOf("second"), f.now, 500); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("revoked address still works: %v", err)
	}
	if err := f.d.RevokeCalendarFeed(ctx, alice.ID, f.now, ev); err != nil {
		t.Errorf("second revoke: %v", err)
	}
	var actions []string
	if err := f.d.Bun.NewSelect().Model((*db.AccessEvent)(nil)).Column("action").Where("account_id = ? AND action LIKE 'calendar%'", alice.ID).
		OrderExpr("id").Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(actions) != "[calendar_feed_create calendar_feed_create calendar_feed_revoke]" {
		t.Errorf("access history %v", actions)
	}

	// Bob's feed is his alone, and ends when his account does.
	if _, err := f.d.NewCalendarFeed(ctx, bob.ID, hashOf("bob"), f.now, db.AccessEvent{AccountID: &bob.ID}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.d.MemberCalendar(ctx, hashOf("bob"), f.now, 500); err != nil || len(got) != 2 || got[0].Status != db.SignupConfirmed {
		t.Errorf("bob's feed %+v, %v", got, err)
	}
	if _, err := f.d.Bun.NewUpdate().Model((*db.Account)(nil)).Set("status = ?", db.StatusSuspended).Where("id = ?", bob.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.MemberCalendar(ctx, hashOf("bob"), f.now, 500); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("suspended member's feed: %v", err)
	}
	if _, err := f.d.NewCalendarFeed(ctx, bob.ID, hashOf("bob2"), f.now, db.AccessEvent{}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("suspended member made a feed: %v", err)
	}
}

// TestCalendarFeedDoubleSubmit: ten submits at once leave exactly one live
// feed, and every submit succeeds.
func TestCalendarFeedDoubleSubmit(t *testing.T) {
	t.Parallel()
	f := &calendarFixture{d: dbtest.New(t), now: time.Now()}
	m := f.member(t, 1)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Go(func() {
			_, err := f.d.NewCalendarFeed(context.Background(), m.ID, hashOf(fmt.Sprint("tok", i)), f.now, db.AccessEvent{AccountID: &m.ID})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	n, err := f.d.Bun.NewSelect().Model((*db.CalendarFeed)(nil)).Where("account_id = ? AND revoked_at IS NULL", m.ID).Count(t.Context())
	if err != nil || n != 1 {
		t.Errorf("%d live feeds (%v)", n, err)
	}
}
