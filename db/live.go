package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// LiveEvent is one row of live_events, the outbox of live updates: something
// readers of a stream should see without reloading. It is written in the
// transaction that causes it (PublishLive) and fanned out to every app
// instance by app/live. Rows are pruned after a day; they only exist so a
// reconnecting client can catch up.
type LiveEvent struct {
	bun.BaseModel `bun:"table:live_events"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Stream    string    `bun:"stream"`     // who listens, e.g. "board" or "moderation"
	Name      string    `bun:"name"`       // what happened, e.g. "post_published"
	SubjectID int64     `bun:"subject_id"` // the row it happened to
	ScopeID   int64     `bun:"scope_id"`   // optional narrowing, e.g. a group; 0 if none
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
}

// LiveChannel is the NOTIFY channel PublishLive signals; the payload is the
// event's id.
const LiveChannel = "portal_live"

// liveLockKey is the pg_advisory_xact_lock key that serialises publishers.
const liveLockKey = 7_204_113_003

// PublishLive records ev in tx and notifies every listening instance when tx
// commits; nothing is seen if it rolls back. Stream and Name are required;
// ID and CreatedAt are filled in.
//
// Publishers take one lock, held until their transaction ends, before they
// draw an id, so ids commit in id order: a reader that has seen id n will
// never later find a smaller one, and "id > last seen" misses nothing. Make
// it the last statement of the transaction so the lock is held briefly.
func PublishLive(ctx context.Context, tx bun.Tx, ev *LiveEvent) (err error) {
	defer wrap(&err, "publish live")
	if ev.Stream == "" || ev.Name == "" {
		return errors.New("publish live event: no stream or name")
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, liveLockKey); err != nil {
		return fmt.Errorf("publish live event: lock: %w", err)
	}
	// Insert and notify in one round trip: the lock is held meanwhile.
	err = tx.NewRaw(`
		WITH ev AS (
			INSERT INTO live_events (stream, name, subject_id, scope_id)
			VALUES (?, ?, ?, ?)
			RETURNING id, created_at
		)
		SELECT id, created_at FROM ev, pg_notify(?, ev.id::text)`,
		ev.Stream, ev.Name, ev.SubjectID, ev.ScopeID, LiveChannel).Scan(ctx, &ev.ID, &ev.CreatedAt)
	if err != nil {
		return fmt.Errorf("publish live event: %w", err)
	}
	return nil
}

// LiveEventsAfter returns up to limit events with an id above after, in id
// order, from the given streams or, with none given, from all.
func (d *DB) LiveEventsAfter(ctx context.Context, after int64, limit int, streams ...string) (_ []LiveEvent, err error) {
	defer wrap(&err, "live events after")
	var evs []LiveEvent
	q := d.Bun.NewSelect().Model(&evs).Where("id > ?", after).Order("id").Limit(int64(limit))
	if len(streams) > 0 {
		q = q.Where("stream IN (?)", bun.List(streams))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("live events after %d: %w", after, err)
	}
	return evs, nil
}

// LastLiveEventID returns the newest committed event's id, 0 if there is
// none. Every event published later has a greater id.
func (d *DB) LastLiveEventID(ctx context.Context) (_ int64, err error) {
	defer wrap(&err, "last live event id")
	var id int64
	if err := d.Bun.NewRaw(`SELECT coalesce(max(id), 0) FROM live_events`).Scan(ctx, &id); err != nil {
		return 0, fmt.Errorf("last live event: %w", err)
	}
	return id, nil
}

// PruneLiveEvents deletes the events created before before and returns how
// many it deleted. Clients that come back after that find them gone.
func (d *DB) PruneLiveEvents(ctx context.Context, before time.Time) (_ int64, err error) {
	defer wrap(&err, "prune live events")
	res, err := d.Bun.NewDelete().Model((*LiveEvent)(nil)).Where("created_at < ?", before).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune live events: %w", err)
	}
	return res.RowsAffected()
}
