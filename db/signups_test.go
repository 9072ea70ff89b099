package db_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// signupFixture is a database with n members and a way to make events.
type signupFixture struct {
	d       *db.DB
	members []*db.Account
	now     time.Time
}

func newSignupFixture(t *testing.T, n int) *signupFixture {
	t.Helper()
	d := dbtest.New(t)
	f := &signupFixture{d: d, now: time.Now()}
	for i := range n {
		f.members = append(f.members, dbtest.Member(t, d, dbtest.MemberOptions{
			Login: fmt.Sprintf("M%07d", 3000000+i), Handle: fmt.Sprintf("参加者%d", i)}))
	}
	return f
}

func (f *signupFixture) event(t *testing.T, capacity *int, waitlist int) *db.Event {
	t.Helper()
	return dbtest.Event(t, f.d, db.Event{StartsAt: f.now.Add(72 * time.Hour), Capacity: capacity, WaitlistSize: waitlist})
}

func intp(n int) *int { return &n }

// counts checks the event's counters against its sign-up rows.
func (f *signupFixture) counts(t *testing.T, eventID int64) (confirmed, waitlisted int) {
	t.Helper()
	ctx := context.Background()
	var e db.Event
	if err := f.d.Bun.NewSelect().Model(&e).Where("id = ?", eventID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := f.d.Bun.NewSelect().Model((*db.Signup)(nil)).Where("event_id = ? AND status = ?", eventID, db.SignupConfirmed).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.d.Bun.NewSelect().Model((*db.Signup)(nil)).Where("event_id = ? AND status = ?", eventID, db.SignupWaitlisted).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int(c) != e.Confirmed || int(w) != e.Waitlisted {
		t.Fatalf("event %d counters %d/%d, rows %d/%d", eventID, e.Confirmed, e.Waitlisted, c, w)
	}
	return int(c), int(w)
}

// TestSignupStormNeverOverbooks fires 200 concurrent sign-ups at an event
// with 10 seats and 5 waitlist places, 50 times: always exactly 10
// confirmed, 5 waitlisted and 185 told it is full.
func TestSignupStormNeverOverbooks(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 200)
	ctx := context.Background()
	for round := range 50 {
		e := f.event(t, intp(10), 5)
		var wg sync.WaitGroup
		got := make([]string, len(f.members))
		errs := make([]error, len(f.members))
		for i, m := range f.members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := f.d.SignUp(ctx, e.ID, m, f.now, db.AccessEvent{}, nil)
				got[i], errs[i] = res.Status, err
			}()
		}
		wg.Wait()
		n := map[string]int{}
		for i := range got {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			n[got[i]]++
		}
		if n[db.SignupConfirmed] != 10 || n[db.SignupWaitlisted] != 5 || n[db.SignupFull] != 185 {
			t.Fatalf("round %d: %v", round, n)
		}
		if c, w := f.counts(t, e.ID); c != 10 || w != 5 {
			t.Fatalf("round %d: stored %d confirmed, %d waitlisted", round, c, w)
		}
	}
}

func TestDoubleSubmitCountsOnce(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 1)
	e := f.event(t, intp(3), 0)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.d.SignUp(context.Background(), e.ID, f.members[0], f.now, db.AccessEvent{}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if c, _ := f.counts(t, e.ID); c != 1 {
		t.Fatalf("ten submits by one member gave %d seats", c)
	}
	res, err := f.d.SignUp(context.Background(), e.ID, f.members[0], f.now, db.AccessEvent{}, nil)
	if err != nil || !res.Already || res.Status != db.SignupConfirmed {
		t.Fatalf("again: %+v %v", res, err)
	}
}

// TestCancellationsPromoteTheWaitlist interleaves sign-ups and cancellations
// and checks after each step that no seat is free while someone waits.
func TestCancellationsPromoteTheWaitlist(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 60)
	ctx := context.Background()
	e := f.event(t, intp(8), 10)
	r := rand.New(rand.NewPCG(1, 2))
	var wg sync.WaitGroup
	for worker := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for step := range 60 {
				m := f.members[(worker*10+step+r.IntN(60))%len(f.members)]
				if step%3 == 2 {
					_, err := f.d.CancelSignup(ctx, e.ID, m, db.AccessEvent{}, nil)
					if err != nil && !errors.Is(err, db.ErrNotFound) {
						t.Error(err)
					}
				} else if _, err := f.d.SignUp(ctx, e.ID, m, f.now, db.AccessEvent{}, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	c, w := f.counts(t, e.ID)
	if w > 0 && c < 8 {
		t.Fatalf("%d seats free while %d wait", 8-c, w)
	}
	// And in order: cancel one confirmed, the longest waiting gets the seat.
	if w > 0 {
		var first db.Signup
		if err := f.d.Bun.NewSelect().Model(&first).Where("event_id = ? AND status = ?", e.ID, db.SignupWaitlisted).
			OrderExpr("created_at, id").Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		var seat db.Signup
		if err := f.d.Bun.NewSelect().Model(&seat).Where("event_id = ? AND status = ?", e.ID, db.SignupConfirmed).Limit(1).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := f.d.CancelSignup(ctx, e.ID, &db.Account{ID: seat.AccountID}, db.AccessEvent{}, nil)
		if err != nil || res.Promoted == nil || res.Promoted.SignupID != first.ID {
			t.Fatalf("promotion %+v %v, want sign-up %d", res.Promoted, err, first.ID)
		}
	}
}

func TestSignupRules(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 4)
	ctx := context.Background()
	e := f.event(t, intp(1), 1)
	var mailed []string
	mail := func(r db.SignupResult) *db.Mail {
		mailed = append(mailed, r.Status)
		return &db.Mail{Subject: r.Status, Body: "b", Kind: "signup_" + r.Status}
	}
	for i, want := range []string{db.SignupConfirmed, db.SignupWaitlisted, db.SignupFull} {
		res, err := f.d.SignUp(ctx, e.ID, f.members[i], f.now, db.AccessEvent{}, mail)
		if err != nil || res.Status != want {
			t.Fatalf("member %d: %+v %v, want %s", i, res, err, want)
		}
	}
	if fmt.Sprint(mailed) != "[confirmed waitlisted]" {
		t.Errorf("mails %v", mailed)
	}
	// Cancelling the seat promotes the waitlisted member; both are mailed.
	var cancelMails []int64
	res, err := f.d.CancelSignup(ctx, e.ID, f.members[0], db.AccessEvent{}, func(id int64, r db.SignupResult) *db.Mail {
		cancelMails = append(cancelMails, id)
		return &db.Mail{Subject: r.Status, Body: "b", Kind: "signup_" + r.Status}
	})
	if err != nil || res.Promoted == nil || res.Promoted.AccountID != f.members[1].ID || len(cancelMails) != 2 {
		t.Fatalf("cancel: %+v %v mails %v", res, err, cancelMails)
	}
	// A larger capacity promotes at once; a smaller one than the seats given is refused.
	if _, err := f.d.SignUp(ctx, e.ID, f.members[2], f.now, db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	promoted, err := f.d.SetCapacity(ctx, e.ID, intp(2), 1, nil)
	if err != nil || len(promoted) != 1 || promoted[0] != f.members[2].ID {
		t.Fatalf("capacity 2: %v %v", promoted, err)
	}
	if _, err := f.d.SetCapacity(ctx, e.ID, intp(1), 1, nil); !errors.Is(err, db.ErrConflict) {
		t.Fatalf("capacity below the seats given: %v", err)
	}
	// The application period and the event's status are enforced.
	closed := f.event(t, intp(5), 0)
	until := f.now.Add(-time.Minute)
	if _, err := f.d.Bun.NewUpdate().Model(closed).Set("apply_until = ?", until).WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var notOpen *db.ErrNotOpen
	if _, err := f.d.SignUp(ctx, closed.ID, f.members[3], f.now, db.AccessEvent{}, nil); !errors.As(err, &notOpen) || notOpen.Reason != "ended" {
		t.Fatalf("after the application period: %v", err)
	}
	if mine, err := f.d.SignupsOf(ctx, f.members[1].ID, f.now); err != nil || len(mine) != 1 || mine[0].Status != db.SignupConfirmed {
		t.Fatalf("the member's sign-ups: %+v %v", mine, err)
	}
}

func TestWithdrawalCancelsSignups(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 2)
	ctx := context.Background()
	e := f.event(t, intp(1), 1)
	for _, m := range f.members {
		if _, err := f.d.SignUp(ctx, e.ID, m, f.now, db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var promoted []string
	if err := f.d.Withdraw(ctx, f.members[0].ID, f.now, db.AccessEvent{AccountID: &f.members[0].ID, Action: db.ActionWithdraw},
		func(e *db.Event) *db.Mail {
			promoted = append(promoted, e.Title)
			return &db.Mail{Subject: "席", Body: e.Title, Kind: "signup_promoted"}
		}); err != nil {
		t.Fatal(err)
	}
	if c, w := f.counts(t, e.ID); c != 1 || w != 0 {
		t.Fatalf("after the withdrawal %d confirmed, %d waiting", c, w)
	}
	if s, err := f.d.SignupOf(ctx, e.ID, f.members[1].ID); err != nil || s.Status != db.SignupConfirmed {
		t.Fatalf("the waitlisted member was not promoted: %+v %v", s, err)
	}
	if len(promoted) != 1 {
		t.Fatalf("the promoted member was mailed %d times", len(promoted))
	}
}

func TestCloseAndCancelEvent(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 3)
	ctx := context.Background()
	e := f.event(t, intp(5), 0)
	for _, m := range f.members[:2] {
		if _, err := f.d.SignUp(ctx, e.ID, m, f.now, db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.d.EndSignups(ctx, e.ID, db.EventClosed, nil); err != nil {
		t.Fatal(err)
	}
	var notOpen *db.ErrNotOpen
	if _, err := f.d.SignUp(ctx, e.ID, f.members[2], f.now, db.AccessEvent{}, nil); !errors.As(err, &notOpen) {
		t.Fatalf("sign-up after closing: %v", err)
	}
	told, err := f.d.EndSignups(ctx, e.ID, db.EventCancelled, func(e *db.Event) *db.Mail {
		return &db.Mail{Subject: "中止", Body: e.Title, Kind: "event_cancelled"}
	})
	if err != nil || told != 2 {
		t.Fatalf("cancel told %d: %v", told, err)
	}
	if _, err := f.d.EndSignups(ctx, e.ID, db.EventClosed, nil); !errors.Is(err, db.ErrConflict) {
		t.Fatalf("closing a cancelled event: %v", err)
	}
}

func TestRemindersGoOnceTheDayBefore(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 2)
	ctx := context.Background()
	soon := f.event(t, intp(1), 1) // starts in 72 h
	for _, m := range f.members {
		if _, err := f.d.SignUp(ctx, soon.ID, m, f.now, db.AccessEvent{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	mail := func(e *db.Event) *db.Mail { return &db.Mail{Subject: "明日", Body: e.Title, Kind: "signup_reminder"} }
	if n, err := f.d.SendReminders(ctx, f.now, mail); err != nil || n != 0 {
		t.Fatalf("three days before: %d reminders, %v", n, err)
	}
	dayBefore := soon.StartsAt.Add(-20 * time.Hour)
	if n, err := f.d.SendReminders(ctx, dayBefore, mail); err != nil || n != 1 {
		t.Fatalf("the day before: %d reminders (only the confirmed member), %v", n, err)
	}
	if n, err := f.d.SendReminders(ctx, dayBefore.Add(time.Hour), mail); err != nil || n != 0 {
		t.Fatalf("again: %d reminders, %v", n, err)
	}
}

// TestFullDoesNotWaitForTheSeatLock: while another transaction holds the
// event's lock (a sign-up or cancellation in the middle of its commit), a
// member of a full event is told "full" and one already signed up their
// status, without waiting for it; a sign-up that may get a place waits its
// turn.
func TestFullDoesNotWaitForTheSeatLock(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 3)
	ctx := context.Background()
	ev := f.event(t, intp(1), 0)
	if res, err := f.d.SignUp(ctx, ev.ID, f.members[0], f.now, db.AccessEvent{}, nil); err != nil || res.Status != db.SignupConfirmed {
		t.Fatalf("first sign-up: %+v, %v", res, err)
	}
	open := f.event(t, intp(5), 0)

	tx, err := f.d.Bun.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := tx.ExecContext(ctx, `SELECT id FROM events WHERE id IN (?, ?) FOR UPDATE`, ev.ID, open.ID); err != nil {
		t.Fatal(err)
	}
	// Were these to wait for the lock, the context would end first.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := f.d.SignUp(wctx, ev.ID, f.members[1], f.now, db.AccessEvent{}, nil)
	if err != nil || res.Status != db.SignupFull {
		t.Errorf("full event while its lock is held: %+v, %v; want full at once", res.Status, err)
	}
	res, err = f.d.SignUp(wctx, ev.ID, f.members[0], f.now, db.AccessEvent{}, nil)
	if err != nil || !res.Already || res.Status != db.SignupConfirmed {
		t.Errorf("signed up already while the lock is held: %+v, %v", res, err)
	}
	// A place may be free: that one waits for the lock.
	sctx, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer scancel()
	if _, err := f.d.SignUp(sctx, open.ID, f.members[2], f.now, db.AccessEvent{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a sign-up with seats left did not wait for the lock: %v", err)
	}
}
