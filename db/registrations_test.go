package db_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// A failure reading the side's earlier decision is a failure, not "no
// decision yet": the decision must not go ahead as if the side were free.
func TestDecideRegistrationReportsAFailedLookup(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	if _, err := f.d.Bun.NewUpdate().Model(f.alice).Set("status = ?", db.StatusPending).WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	in := db.RegistrationInput{AccountID: f.alice.ID, Side: db.SideOperator, Decision: db.RegistrationConfirm,
		Actor: db.Actor{Account: f.mod1, Role: db.RoleModerator, IP: "192.0.2.1"}}
	// bun refuses a column its model does not know, so once a decision
	// is there, reading it fails.
	if _, err := f.d.Bun.ExecContext(ctx, `ALTER TABLE registration_decisions ADD COLUMN unknown_to_bun text`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.DecideRegistration(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	in.Actor.Account = f.mod2
	_, err := f.d.DecideRegistration(ctx, in, nil)
	switch {
	case err == nil:
		t.Fatal("a second decision for the same side succeeded")
	case db.IsUniqueViolation(err, ""):
		t.Fatalf("the failed lookup was ignored and the insert ran: %v", err)
	case !strings.Contains(err.Error(), "unknown_to_bun"):
		t.Fatalf("err = %v, want the lookup's failure", err)
	case !strings.HasPrefix(err.Error(), "db: decide registration: "):
		t.Errorf("err = %q, want it to name the operation", err)
	}
}

// Every error leaving db names the operation that failed, so a 5xx log
// line says what; the sentinels and the driver's errors still match.
func TestErrorsLeavingDBNameTheirOperation(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	actor := db.Actor{Account: f.ward, Role: db.RoleWardStaff, IP: "192.0.2.1"}

	_, err := f.d.DecideRegistration(ctx, db.RegistrationInput{AccountID: 999999, Side: db.SideWard,
		Decision: db.RegistrationConfirm, Actor: actor}, nil)
	if !errors.Is(err, db.ErrNotFound) || !strings.HasPrefix(err.Error(), "db: decide registration: ") {
		t.Errorf("DecideRegistration of no one: %v", err)
	}
	_, err = f.d.EventAnyStatus(ctx, 999999)
	if !errors.Is(err, db.ErrNotFound) || !strings.HasPrefix(err.Error(), "db: event any status: ") {
		t.Errorf("EventAnyStatus of no event: %v", err)
	}

	// With the request gone every call fails in the driver; each says
	// which call it was, and the cause still matches.
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		op   string
		call func() error
	}{
		{"pending registrations", func() error { _, err := f.d.PendingRegistrations(ctx, actor, 10); return err }},
		{"moderation queue", func() error { _, err := f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10); return err }},
		{"signups of", func() error { _, err := f.d.SignupsOf(ctx, f.alice.ID, f.alice.CreatedAt); return err }},
		{"events created by", func() error { _, err := f.d.EventsCreatedBy(ctx, f.group.ID); return err }},
		{"access history", func() error { _, err := f.d.AccessHistory(ctx, f.alice.ID, db.Cursor{}); return err }},
		{"list mail", func() error { _, err := f.d.ListMail(ctx, db.Cursor{}, 10); return err }},
		{"list staff", func() error { _, err := f.d.ListStaff(ctx); return err }},
		{"search posts", func() error { _, err := f.d.SearchPosts(ctx, "公園", 0, db.Cursor{}); return err }},
	}
	for _, c := range cases {
		err := c.call()
		if err == nil || !strings.HasPrefix(err.Error(), "db: "+c.op+": ") {
			t.Errorf("%s: err = %v, want it to start with %q", c.op, err, "db: "+c.op+": ")
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v no longer matches context.Canceled", c.op, err)
		}
	}
}

// The named statuses, kinds, sides and decisions are exactly the values the
// schema's CHECKs allow: a constant the database refuses could never be
// stored, and a value it allows without a constant would be written as a
// bare literal somewhere.
func TestNamedValuesMatchTheSchema(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	cases := []struct {
		table, column string
		want          []string
	}{
		{"events", "status", []string{db.EventDraft, db.EventReview, db.EventPublished, db.EventClosed, db.EventCancelled}},
		{"events", "organiser_kind", []string{db.OrganiserGroup, db.OrganiserWard, db.OrganiserOperator}},
		{"registration_decisions", "side", []string{db.SideOperator, db.SideWard}},
		{"registration_decisions", "decision", []string{db.RegistrationConfirm, db.RegistrationReject}},
	}
	for _, c := range cases {
		var def string
		if err := d.Pool.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid = $1::regclass AND contype = 'c' AND pg_get_constraintdef(oid) ~ ('^CHECK \(+' || $2 || ' = ANY')`,
			c.table, c.column).Scan(&def); err != nil {
			t.Fatalf("%s.%s: %v", c.table, c.column, err)
		}
		var allowed []string
		for i, part := range strings.Split(def, "'") {
			if i%2 == 1 {
				allowed = append(allowed, part)
			}
		}
		slices.Sort(allowed)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(allowed, want) {
			t.Errorf("%s.%s: the schema allows %v (%s), db names %v", c.table, c.column, allowed, def, want)
		}
	}
}
