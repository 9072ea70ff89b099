package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db"
)

// pauseBeforeLock holds a sign-up whose context is marked, after its
// transaction has begun and before it asks for the event's row lock.
type pauseBeforeLock struct{ reached, release chan struct{} }

type pauseKey struct{}

func (h *pauseBeforeLock) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	if ctx.Value(pauseKey{}) != nil && strings.Contains(ev.Query, "FOR UPDATE") {
		close(h.reached)
		<-h.release
	}
	return ctx
}

func (h *pauseBeforeLock) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestWaitlistFollowsTheOrderPlacesWereGiven: B's transaction starts first
// but reaches the event's lock after C's, so C is told the first waitlist
// place and B the second. The freed seat goes to C, and the organiser's list
// shows the waitlist in that order, whatever the transactions' start times.
func TestWaitlistFollowsTheOrderPlacesWereGiven(t *testing.T) {
	t.Parallel()
	f := newSignupFixture(t, 3)
	ctx := context.Background()
	a, b, c := f.members[0], f.members[1], f.members[2]
	e := f.event(t, intp(1), 2)
	signUp := func(ctx context.Context, m *db.Account) db.SignupResult {
		res, err := f.d.SignUp(ctx, e.ID, m, f.now, db.AccessEvent{}, nil)
		if err != nil {
			t.Error(err)
		}
		return res
	}
	if res := signUp(ctx, a); res.Status != db.SignupConfirmed {
		t.Fatalf("A: %s", res.Status)
	}

	hold := &pauseBeforeLock{reached: make(chan struct{}), release: make(chan struct{})}
	f.d.Bun = f.d.Bun.WithQueryHook(hold)
	bDone := make(chan db.SignupResult, 1)
	go func() { bDone <- signUp(context.WithValue(ctx, pauseKey{}, true), b) }()
	select {
	case <-hold.reached:
	case <-time.After(30 * time.Second):
		t.Fatal("B's sign-up did not start")
	}
	cRes := signUp(ctx, c)
	close(hold.release)
	bRes := <-bDone
	if cRes.Status != db.SignupWaitlisted || cRes.Event.Waitlisted != 1 || bRes.Status != db.SignupWaitlisted || bRes.Event.Waitlisted != 2 {
		t.Fatalf("C: %s, %d waiting; B: %s, %d waiting", cRes.Status, cRes.Event.Waitlisted, bRes.Status, bRes.Event.Waitlisted)
	}
	var started []time.Time
	if err := f.d.Bun.NewSelect().Model((*db.Signup)(nil)).Column("created_at").
		Where("event_id = ? AND account_id IN (?, ?)", e.ID, b.ID, c.ID).OrderExpr("account_id = ?", c.ID).
		Scan(ctx, &started); err != nil || len(started) != 2 {
		t.Fatal(started, err)
	}
	if !started[0].Before(started[1]) {
		t.Fatalf("B's transaction did not start first: B %s, C %s", started[0], started[1])
	}

	staff, err := f.d.CreateStaff(ctx, "ward9", "区 職員", []string{db.RoleWardStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.d.Participants(ctx, e.ID, staff, db.AuditView, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var order []int64
	for _, p := range list {
		order = append(order, p.AccountID)
	}
	if want := []int64{a.ID, c.ID, b.ID}; !slices.Equal(order, want) {
		t.Errorf("participant list %v, want A, C, B %v", order, want)
	}

	res, err := f.d.CancelSignup(ctx, e.ID, a, db.AccessEvent{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Promoted == nil || res.Promoted.AccountID != c.ID {
		t.Errorf("promoted %+v, want C (%d), who was told the first place; B is %d", res.Promoted, c.ID, b.ID)
	}
	f.counts(t, e.ID)
}
