package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Sign-up statuses. SignupFull is never stored: it is the answer when
// neither a seat nor a waitlist place is left.
const (
	SignupConfirmed  = "confirmed"
	SignupWaitlisted = "waitlisted"
	SignupCancelled  = "cancelled"
	SignupFull       = "full"
)

// The live stream of events: a seat count changed (subject: the event).
const (
	StreamEvents = "events"
	LiveSeats    = "seats"
)

// Access-history actions of sign-ups.
const (
	ActionSignUp       = "event_signup"
	ActionSignUpCancel = "event_signup_cancel"
)

// Signup is a member's application to an event.
type Signup struct {
	bun.BaseModel `bun:"table:event_signups"`

	ID        int64     `bun:"id,pk,autoincrement"`
	EventID   int64     `bun:"event_id"`
	AccountID int64     `bun:"account_id"`
	Status    string    `bun:"status"`
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
	// Place orders the sign-ups of an event as their places were given: it
	// is drawn while the event's row is locked, unlike CreatedAt, which is
	// the start of the transaction. The waitlist is promoted by it.
	Place       int64      `bun:"place,nullzero"`
	StatusAt    time.Time  `bun:"status_at,nullzero,default:now()"`
	CancelledAt *time.Time `bun:"cancelled_at"`
	RemindedAt  *time.Time `bun:"reminded_at"`
}

// ErrNotOpen says why an event takes no sign-ups now.
type ErrNotOpen struct{ Reason string } // "not_published", "not_yet", "ended", "started"

func (e *ErrNotOpen) Error() string { return "event not open for sign-up: " + e.Reason }
func (e *ErrNotOpen) Unwrap() error { return ErrConflict }

// SignupResult is what a sign-up or cancellation did.
type SignupResult struct {
	Event    Event  // the event after the change, counters included
	Status   string // the member's status now: confirmed, waitlisted, full or cancelled
	Already  bool   // the member had already signed up: nothing changed
	Promoted *Promotion
}

// Promotion is a waitlisted member who got a seat.
type Promotion struct {
	AccountID int64
	SignupID  int64
}

// lockEvent locks the event row: every path that changes seats goes
// through it, so sign-ups, cancellations, promotions and capacity changes
// of one event happen one at a time.
func lockEvent(ctx context.Context, tx bun.Tx, id int64) (*Event, error) {
	e := new(Event)
	err := tx.NewSelect().Model(e).Where("id = ?", id).For("UPDATE").Scan(ctx)
	return e, notFound(err, "event")
}

// openFor reports why e takes no sign-ups at now, or nil.
func openFor(e *Event, now time.Time) error {
	switch {
	case e.Status != EventPublished:
		return &ErrNotOpen{Reason: "not_published"}
	case e.ApplyFrom != nil && now.Before(*e.ApplyFrom):
		return &ErrNotOpen{Reason: "not_yet"}
	case e.ApplyUntil != nil && !now.Before(*e.ApplyUntil):
		return &ErrNotOpen{Reason: "ended"}
	case !now.Before(e.StartsAt):
		return &ErrNotOpen{Reason: "started"}
	}
	return nil
}

// SignUp applies member to the event: confirmed while seats remain, then
// waitlisted while the waitlist has room, else full (nothing stored). A
// member who already applied gets their current status back, so a double
// submit counts once. mailFor composes the member's mail (nil: none).
func (d *DB) SignUp(ctx context.Context, eventID int64, member *Account, now time.Time, ev AccessEvent,
	mailFor func(SignupResult) *Mail) (_ SignupResult, err error) {
	defer wrap(&err, "sign up")
	var res SignupResult
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		var existing Signup
		err = tx.NewSelect().Model(&existing).
			Where("event_id = ? AND account_id = ? AND status <> ?", eventID, member.ID, SignupCancelled).Scan(ctx)
		switch {
		case err == nil:
			res = SignupResult{Event: *e, Status: existing.Status, Already: true}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := openFor(e, now); err != nil {
			return err
		}
		switch {
		case e.Capacity == nil || e.Confirmed < *e.Capacity:
			res.Status = SignupConfirmed
			e.Confirmed++
		case e.Waitlisted < e.WaitlistSize:
			res.Status = SignupWaitlisted
			e.Waitlisted++
		default:
			res = SignupResult{Event: *e, Status: SignupFull}
			return nil
		}
		// The place is drawn here, under the event's lock, so places are
		// given in the order the members are told them.
		if _, err := tx.NewInsert().Model(&Signup{EventID: eventID, AccountID: member.ID, Status: res.Status}).
			Value("place", "nextval('event_signups_place_seq')").Exec(ctx); err != nil {
			return fmt.Errorf("db: sign up: %w", err)
		}
		if err := saveCounters(ctx, tx, e); err != nil {
			return err
		}
		res.Event = *e
		ev.AccountID, ev.LoginID, ev.Action, ev.Success = &member.ID, member.LoginID, ActionSignUp, true
		ev.Detail = fmt.Sprintf("event %d: %s", eventID, res.Status)
		if err := RecordAccess(ctx, tx, ev); err != nil {
			return err
		}
		return enqueueFor(ctx, tx, member.ID, mailFor, res)
	})
	return res, err
}

// CancelSignup takes back a member's sign-up. A freed seat goes, in the same
// transaction, to the first on the waitlist (res.Promoted); mailFor is called
// for the member cancelling and again for the promoted one.
func (d *DB) CancelSignup(ctx context.Context, eventID int64, member *Account, ev AccessEvent,
	mailFor func(accountID int64, res SignupResult) *Mail) (_ SignupResult, err error) {
	defer wrap(&err, "cancel signup")
	var res SignupResult
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		var s Signup
		err = tx.NewSelect().Model(&s).
			Where("event_id = ? AND account_id = ? AND status <> ?", eventID, member.ID, SignupCancelled).Scan(ctx)
		if err != nil {
			return notFound(err, "sign-up")
		}
		if err := cancelOne(ctx, tx, e, &s); err != nil {
			return err
		}
		if res.Promoted, err = promote(ctx, tx, e); err != nil {
			return err
		}
		if err := saveCounters(ctx, tx, e); err != nil {
			return err
		}
		res.Event, res.Status = *e, SignupCancelled
		ev.AccountID, ev.LoginID, ev.Action, ev.Success = &member.ID, member.LoginID, ActionSignUpCancel, true
		ev.Detail = fmt.Sprintf("event %d", eventID)
		if err := RecordAccess(ctx, tx, ev); err != nil {
			return err
		}
		if mailFor == nil {
			return nil
		}
		if err := enqueueFor(ctx, tx, member.ID, func(r SignupResult) *Mail { return mailFor(member.ID, r) }, res); err != nil {
			return err
		}
		if res.Promoted != nil {
			promoted := SignupResult{Event: *e, Status: SignupConfirmed}
			return enqueueFor(ctx, tx, res.Promoted.AccountID,
				func(r SignupResult) *Mail { return mailFor(res.Promoted.AccountID, r) }, promoted)
		}
		return nil
	})
	return res, err
}

// cancelAllSignups takes back every live sign-up of a withdrawing member,
// event by event in id order (the order every multi-event path locks in),
// promoting from each waitlist.
func cancelAllSignups(ctx context.Context, tx bun.Tx, accountID int64, promotedMail func(e *Event) *Mail) error {
	var ss []Signup
	if err := tx.NewSelect().Model(&ss).Where("account_id = ? AND status <> ?", accountID, SignupCancelled).
		OrderExpr("event_id").Scan(ctx); err != nil {
		return err
	}
	for i := range ss {
		e, err := lockEvent(ctx, tx, ss[i].EventID)
		if err != nil {
			return err
		}
		if err := cancelOne(ctx, tx, e, &ss[i]); err != nil {
			return err
		}
		p, err := promote(ctx, tx, e)
		if err != nil {
			return err
		}
		if err := saveCounters(ctx, tx, e); err != nil {
			return err
		}
		if p != nil && promotedMail != nil {
			if err := enqueueFor(ctx, tx, p.AccountID, func(SignupResult) *Mail { return promotedMail(e) }, SignupResult{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// cancelOne marks a sign-up cancelled and gives its place back to the counters.
func cancelOne(ctx context.Context, tx bun.Tx, e *Event, s *Signup) error {
	if _, err := tx.NewUpdate().Model(s).Set("status = ?, status_at = now(), cancelled_at = now()", SignupCancelled).
		WherePK().Exec(ctx); err != nil {
		return err
	}
	switch s.Status {
	case SignupConfirmed:
		e.Confirmed--
	case SignupWaitlisted:
		e.Waitlisted--
	}
	return nil
}

// promote gives free seats to the waitlist in the order its places were
// given, and returns the first promoted (a cancellation frees one seat; a
// larger capacity may free several).
func promote(ctx context.Context, tx bun.Tx, e *Event) (*Promotion, error) {
	var first *Promotion
	for e.Waitlisted > 0 && (e.Capacity == nil || e.Confirmed < *e.Capacity) {
		var s Signup
		err := tx.NewSelect().Model(&s).Where("event_id = ? AND status = ?", e.ID, SignupWaitlisted).
			OrderExpr("place").Limit(1).Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("waitlist of event %d: %w", e.ID, err)
		}
		if _, err := tx.NewUpdate().Model(&s).Set("status = ?, status_at = now()", SignupConfirmed).WherePK().Exec(ctx); err != nil {
			return nil, err
		}
		e.Waitlisted--
		e.Confirmed++
		if first == nil {
			first = &Promotion{AccountID: s.AccountID, SignupID: s.ID}
		}
	}
	return first, nil
}

// saveCounters stores the event's counters and tells the event's live
// readers the seat count changed.
func saveCounters(ctx context.Context, tx bun.Tx, e *Event) error {
	if _, err := tx.NewUpdate().Model(e).Column("confirmed", "waitlisted").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return err
	}
	return seatsChanged(ctx, tx, e.ID)
}

// seatsChanged publishes a live update of the event's seats, as the last
// statement of the transaction that changed them.
func seatsChanged(ctx context.Context, tx bun.Tx, eventID int64) error {
	return PublishLive(ctx, tx, &LiveEvent{Stream: StreamEvents, Name: LiveSeats, SubjectID: eventID})
}

// enqueueFor mails the account's address, if it is a member with one.
func enqueueFor(ctx context.Context, tx bun.Tx, accountID int64, mailFor func(SignupResult) *Mail, res SignupResult) error {
	if mailFor == nil {
		return nil
	}
	var email string
	err := tx.NewSelect().Model((*MemberProfile)(nil)).Column("email").Where("account_id = ?", accountID).Scan(ctx, &email)
	if errors.Is(err, sql.ErrNoRows) || email == "" {
		return nil
	}
	if err != nil {
		return err
	}
	m := mailFor(res)
	if m == nil {
		return nil
	}
	m.To, m.AccountID = email, &accountID
	return EnqueueMail(ctx, tx, m)
}

// ErrCapacityBelow refuses a capacity below the seats already given or a
// waitlist shorter than the members waiting.
var ErrCapacityBelow = fmt.Errorf("capacity below the sign-ups: %w", ErrConflict)

// SetCapacity changes an event's capacity (nil: unlimited) and waitlist
// size. Capacity never drops below the seats already given; a larger one
// goes to the waitlist at once, and mailFor (nil: none) tells each promoted
// member. It returns the promoted accounts' ids.
func (d *DB) SetCapacity(ctx context.Context, eventID int64, capacity *int, waitlistSize int, mailFor func(e *Event) *Mail) (_ []int64, err error) {
	defer wrap(&err, "set capacity")
	var promoted []int64
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		promoted, err = setCapacity(ctx, tx, e, capacity, waitlistSize, mailFor)
		if err != nil {
			return err
		}
		return seatsChanged(ctx, tx, e.ID)
	})
	return promoted, err
}

// setCapacity is SetCapacity on an event locked by the caller's
// transaction (lockEvent): the one place the seat rules are kept.
func setCapacity(ctx context.Context, tx bun.Tx, e *Event, capacity *int, waitlistSize int, mailFor func(e *Event) *Mail) ([]int64, error) {
	if capacity != nil && *capacity < e.Confirmed {
		return nil, fmt.Errorf("capacity %d below %d confirmed: %w", *capacity, e.Confirmed, ErrCapacityBelow)
	}
	e.Capacity = capacity
	before := map[int64]bool{}
	var waiting []Signup
	if err := tx.NewSelect().Model(&waiting).Column("id").Where("event_id = ? AND status = ?", e.ID, SignupWaitlisted).Scan(ctx); err != nil {
		return nil, err
	}
	for _, s := range waiting {
		before[s.ID] = true
	}
	if _, err := promote(ctx, tx, e); err != nil {
		return nil, err
	}
	if waitlistSize < e.Waitlisted {
		return nil, fmt.Errorf("waitlist size %d below %d waiting: %w", waitlistSize, e.Waitlisted, ErrCapacityBelow)
	}
	e.WaitlistSize = waitlistSize
	if _, err := tx.NewUpdate().Model(e).Column("capacity", "waitlist_size", "confirmed", "waitlisted").
		Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return nil, err
	}
	var now []Signup
	if err := tx.NewSelect().Model(&now).Column("id", "account_id").Where("event_id = ? AND status = ?", e.ID, SignupConfirmed).Scan(ctx); err != nil {
		return nil, err
	}
	var promoted []int64
	for _, s := range now {
		if before[s.ID] {
			promoted = append(promoted, s.AccountID)
		}
	}
	for _, id := range promoted {
		if mailFor == nil {
			break
		}
		if err := enqueueFor(ctx, tx, id, func(SignupResult) *Mail { return mailFor(e) }, SignupResult{}); err != nil {
			return nil, err
		}
	}
	return promoted, nil
}

// SignupOf returns the member's live sign-up for the event, or nil.
func (d *DB) SignupOf(ctx context.Context, eventID, accountID int64) (_ *Signup, err error) {
	defer wrap(&err, "signup of")
	s := new(Signup)
	err = d.Bun.NewSelect().Model(s).Where("event_id = ? AND account_id = ? AND status <> ?", eventID, accountID, SignupCancelled).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return s, err
}

// MySignup is one of a member's sign-ups with its event.
type MySignup struct {
	Signup `bun:",extend"`

	Title       string    `bun:"title,scanonly"`
	StartsAt    time.Time `bun:"starts_at,scanonly"`
	Venue       string    `bun:"venue,scanonly"`
	EventStatus string    `bun:"event_status,scanonly"`
}

// SignupsOf lists a member's live sign-ups, soonest event first, from now on.
func (d *DB) SignupsOf(ctx context.Context, accountID int64, now time.Time) (_ []MySignup, err error) {
	defer wrap(&err, "signups of")
	var out []MySignup
	err = d.Bun.NewSelect().Model(&out).
		ColumnExpr("s.*, e.title, e.starts_at, e.venue, e.status AS event_status").
		ModelTableExpr("event_signups AS s").
		Join("JOIN events AS e ON e.id = s.event_id").
		Where("s.account_id = ? AND s.status <> ? AND e.ends_at >= ?", accountID, SignupCancelled, now).
		OrderExpr("e.starts_at, e.id").Limit(200).Scan(ctx)
	return out, err
}

// Event statuses. A group's event waits in review until a moderator
// approves it; an organiser closes or cancels a published one.
const (
	EventDraft     = "draft"     // a group's event sent back by a moderator
	EventReview    = "review"    // a group's event waiting in the moderation queue
	EventPublished = "published" // public, open for sign-ups
	EventClosed    = "closed"    // no more sign-ups; the event still takes place
	EventCancelled = "cancelled" // the event will not take place; everyone signed up is told
)

// PublicEventStatuses are the statuses in which an event is on public pages.
var PublicEventStatuses = []string{EventPublished, EventCancelled, EventClosed}

// EndSignups closes an event to sign-ups early or cancels it. On a
// cancellation mailFor is called for every member still signed up, in the
// same transaction. It returns how many were told.
func (d *DB) EndSignups(ctx context.Context, eventID int64, status string, mailFor func(e *Event) *Mail) (_ int, err error) {
	defer wrap(&err, "end signups")
	if status != EventClosed && status != EventCancelled {
		return 0, fmt.Errorf("event status %q: %w", status, ErrConflict)
	}
	told := 0
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if e.Status != EventPublished && !(e.Status == EventClosed && status == EventCancelled) {
			return fmt.Errorf("event %d is %s: %w", eventID, e.Status, ErrConflict)
		}
		e.Status = status
		if _, err := tx.NewUpdate().Model(e).Column("status").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return err
		}
		if status != EventCancelled || mailFor == nil {
			return seatsChanged(ctx, tx, e.ID)
		}
		var ss []Signup
		if err := tx.NewSelect().Model(&ss).Where("event_id = ? AND status <> ?", eventID, SignupCancelled).Scan(ctx); err != nil {
			return err
		}
		for _, s := range ss {
			if err := enqueueFor(ctx, tx, s.AccountID, func(SignupResult) *Mail { return mailFor(e) }, SignupResult{}); err != nil {
				return err
			}
			told++
		}
		return seatsChanged(ctx, tx, e.ID)
	})
	return told, err
}

// ReminderWindow is how long before an event its participants are reminded.
const ReminderWindow = 24 * time.Hour

// SendReminders mails every confirmed participant of a published event
// starting within ReminderWindow of now who has not been reminded, once,
// through the outbox (mailFor composes each mail). Instances may run it at
// the same time: rows are claimed with SKIP LOCKED. It returns how many
// reminders it queued.
func (d *DB) SendReminders(ctx context.Context, now time.Time, mailFor func(e *Event) *Mail) (_ int, err error) {
	defer wrap(&err, "send reminders")
	n := 0
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var due []struct {
			SignupID  int64 `bun:"signup_id"`
			AccountID int64 `bun:"account_id"`
			EventID   int64 `bun:"event_id"`
		}
		err := tx.NewSelect().TableExpr("event_signups AS s").
			ColumnExpr("s.id AS signup_id, s.account_id, s.event_id").
			Join("JOIN events AS e ON e.id = s.event_id").
			Where("s.status = ? AND s.reminded_at IS NULL", SignupConfirmed).
			Where("e.status = ? AND e.starts_at > ? AND e.starts_at <= ?", EventPublished, now, now.Add(ReminderWindow)).
			OrderExpr("s.id").Limit(500).For("UPDATE OF s SKIP LOCKED").Scan(ctx, &due)
		if err != nil {
			return err
		}
		events := map[int64]*Event{}
		for _, r := range due {
			e := events[r.EventID]
			if e == nil {
				e = new(Event)
				if err := tx.NewSelect().Model(e).Where("id = ?", r.EventID).Scan(ctx); err != nil {
					return err
				}
				events[r.EventID] = e
			}
			if err := enqueueFor(ctx, tx, r.AccountID, func(SignupResult) *Mail { return mailFor(e) }, SignupResult{}); err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Model((*Signup)(nil)).Set("reminded_at = ?", now).Where("id = ?", r.SignupID).Exec(ctx); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
