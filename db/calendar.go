package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// Access-history actions of private calendar feeds: the address gives read
// access to the member's sign-ups, so making and revoking it is on record.
const (
	ActionCalendarFeedCreate = "calendar_feed_create"
	ActionCalendarFeedRevoke = "calendar_feed_revoke"
)

// CalendarFeed is a member's private calendar address. Only the hash of its
// token is stored.
type CalendarFeed struct {
	bun.BaseModel `bun:"table:calendar_feeds"`

	ID        int64      `bun:"id,pk,autoincrement"`
	AccountID int64      `bun:"account_id"`
	TokenHash string     `bun:"token_hash"`
	CreatedAt time.Time  `bun:"created_at,nullzero,default:now()"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// CalendarEvents returns the published events starting in [from, to),
// soonest first, at most limit: the public feed.
func (d *DB) CalendarEvents(ctx context.Context, from, to time.Time, limit int) (_ []Event, err error) {
	defer wrap(&err, "calendar events")
	var es []Event
	err = d.Bun.NewSelect().Model(&es).
		Column("id", "title", "description", "town", "venue", "starts_at", "ends_at", "status", "updated_at").
		Where("status = ?", EventPublished).
		Where("starts_at >= ? AND starts_at < ?", from, to).
		OrderExpr("starts_at, id").Limit(int64(limit)).
		Scan(ctx)
	return es, err
}

// LiveCalendarFeed returns the member's feed that is not revoked.
func (d *DB) LiveCalendarFeed(ctx context.Context, accountID int64) (_ *CalendarFeed, err error) {
	defer wrap(&err, "live calendar feed")
	f := new(CalendarFeed)
	err = d.Bun.NewSelect().Model(f).Where("account_id = ? AND revoked_at IS NULL", accountID).Scan(ctx)
	return f, notFound(err, "calendar feed")
}

// lockMember locks an active member's account row against concurrent feed
// changes. NO KEY UPDATE leaves sign-ups free to reference the row.
func lockMember(ctx context.Context, tx bun.Tx, accountID int64) error {
	var id int64
	err := tx.NewSelect().Model((*Account)(nil)).Column("id").
		Where("id = ? AND kind = ? AND status = ?", accountID, KindMember, StatusActive).
		For("NO KEY UPDATE").Scan(ctx, &id)
	return notFound(err, "member")
}

// NewCalendarFeed gives the member a new feed under tokenHash, revoking the
// one they had: the old address stops working at once. Two submits at the
// same moment run one after the other, and the later one's address is live.
func (d *DB) NewCalendarFeed(ctx context.Context, accountID int64, tokenHash string, now time.Time, ev AccessEvent) (_ *CalendarFeed, err error) {
	defer wrap(&err, "new calendar feed")
	f := &CalendarFeed{AccountID: accountID, TokenHash: tokenHash, CreatedAt: now}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lockMember(ctx, tx, accountID); err != nil {
			return err
		}
		if _, err := revokeFeeds(ctx, tx, accountID, now); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(f).Returning("id").Exec(ctx); err != nil {
			return err
		}
		ev.Action, ev.Success = ActionCalendarFeedCreate, true
		return RecordAccess(ctx, tx, ev)
	})
	return f, err
}

// RevokeCalendarFeed stops the member's feed. Revoking when there is none
// (a second click) changes nothing and records nothing.
func (d *DB) RevokeCalendarFeed(ctx context.Context, accountID int64, now time.Time, ev AccessEvent) (err error) {
	defer wrap(&err, "revoke calendar feed")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lockMember(ctx, tx, accountID); err != nil {
			return err
		}
		n, err := revokeFeeds(ctx, tx, accountID, now)
		if err != nil || n == 0 {
			return err
		}
		ev.Action, ev.Success = ActionCalendarFeedRevoke, true
		return RecordAccess(ctx, tx, ev)
	})
}

func revokeFeeds(ctx context.Context, tx bun.Tx, accountID int64, now time.Time) (int64, error) {
	res, err := tx.NewUpdate().Model((*CalendarFeed)(nil)).Set("revoked_at = ?", now).
		Where("account_id = ? AND revoked_at IS NULL", accountID).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CalendarSignup is one event of a member's private feed.
type CalendarSignup struct {
	Event  Event
	Status string // SignupConfirmed or SignupWaitlisted
}

const feedOwner = `
SELECT f.account_id
FROM calendar_feeds AS f
JOIN accounts AS a ON a.id = f.account_id
WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND a.kind = $2 AND a.status = $3`

// The feed reads straight through pgx: it joins into a pair bun has no
// model for.
var memberFeedSignups = `
SELECT e.id, e.title, e.description, e.town, e.venue, e.starts_at, e.ends_at, e.status, e.updated_at, s.status
FROM event_signups AS s
JOIN events AS e ON e.id = s.event_id
WHERE s.account_id = $1 AND s.status IN (` + lit(SignupConfirmed) + `, ` + lit(SignupWaitlisted) + `)
  AND e.status IN (` + lit(EventPublished) + `, ` + lit(EventCancelled) + `, ` + lit(EventClosed) + `) AND e.starts_at >= $2
ORDER BY e.starts_at, e.id
LIMIT $3`

// MemberCalendar returns the live sign-ups (confirmed and waitlisted) of
// the owner of the feed whose token hashes to tokenHash, for events starting
// from from on, at most limit. A cancelled event stays in, so the calendar
// shows it cancelled. ErrNotFound when the feed is unknown or revoked, or
// its owner is no longer an active member (withdrawn, suspended): account
// rows outlive withdrawal, the feed must not.
func (d *DB) MemberCalendar(ctx context.Context, tokenHash string, from time.Time, limit int) (_ []CalendarSignup, err error) {
	defer wrap(&err, "member calendar")
	var accountID int64
	err = d.Pool.QueryRow(ctx, feedOwner, tokenHash, KindMember, StatusActive).Scan(&accountID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("calendar feed: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	rows, _ := d.Pool.Query(ctx, memberFeedSignups, accountID, from, limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (CalendarSignup, error) {
		var s CalendarSignup
		e := &s.Event
		err := row.Scan(&e.ID, &e.Title, &e.Description, &e.Town, &e.Venue, &e.StartsAt, &e.EndsAt, &e.Status, &e.UpdatedAt, &s.Status)
		return s, err
	})
}
