package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// RetentionLockKey is the pg_try_advisory_lock key that lets one instance at
// a time run the retention job.
const RetentionLockKey = 7_204_113_010

// purgeBatch is how many rows one retention statement removes, so no
// transaction holds its locks for long on a large table.
const purgeBatch = 10_000

// PurgeOlderThan removes access history recorded before cutoff and the
// oldest audit entries: the prefix of the chain up to the last entry written
// before cutoff. Removing a prefix keeps the rest verifiable, its first entry
// becoming the anchor (see VerifyAudit). The newest entry is always kept, so
// the next one still links to it and numbering never starts again. Rows go
// in batches, each in its own transaction.
func (d *DB) PurgeOlderThan(ctx context.Context, cutoff time.Time) (history, audit int64, err error) {
	defer wrap(&err, "purge older than")
	return d.purgeOlderThan(ctx, cutoff, purgeBatch)
}

func (d *DB) purgeOlderThan(ctx context.Context, cutoff time.Time, batch int) (history, audit int64, err error) {
	history, err = d.purgeHistory(ctx, cutoff, batch)
	if err != nil {
		return history, 0, fmt.Errorf("purge access history: %w", err)
	}
	audit, err = d.purgeAudit(ctx, cutoff, batch)
	if err != nil {
		return history, audit, fmt.Errorf("purge audit log: %w", err)
	}
	// The reports shown to staff after their exports go with the entries
	// that record those exports.
	if _, err := d.Bun.ExecContext(ctx, `DELETE FROM member_exports WHERE started_at < ?`, cutoff); err != nil {
		return history, audit, fmt.Errorf("purge export reports: %w", err)
	}
	// Residents' inquiries, with their names and contacts, go when nothing
	// has happened to them for the retention period.
	if _, err := d.purgeInquiries(ctx, cutoff, batch); err != nil {
		return history, audit, fmt.Errorf("purge inquiries: %w", err)
	}
	// Newsletter delivery rows (an address each) once settled that long ago.
	if _, err := d.purgeDeliveries(ctx, cutoff, batch); err != nil {
		return history, audit, fmt.Errorf("purge newsletter deliveries: %w", err)
	}
	return history, audit, nil
}

// purgeHistory deletes access history before cutoff, batch rows at a time.
func (d *DB) purgeHistory(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	return d.purgeBefore(ctx, "access_history", "at", cutoff, batch)
}

// purgeBefore deletes the rows of table whose column is before cutoff, batch
// rows a statement, so no statement holds many locks for long. table and
// column are this package's constants, never input.
func (d *DB) purgeBefore(ctx context.Context, table, column string, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for {
		res, err := d.Bun.ExecContext(ctx, `DELETE FROM `+table+` WHERE id IN
			(SELECT id FROM `+table+` WHERE `+column+` < ? LIMIT ?)`, cutoff, batch)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}

// purgeAudit deletes the chain's prefix up to the last entry before cutoff,
// oldest first, so what is left after any batch is still a whole chain.
func (d *DB) purgeAudit(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var upTo int64
	// least() skips NULLs, hence a coalesce on each side.
	if err := d.Bun.NewRaw(`SELECT least(
			coalesce((SELECT max(seq) FROM audit_log WHERE at < ?), 0),
			coalesce((SELECT max(seq) FROM audit_log), 0) - 1)`, cutoff).Scan(ctx, &upTo); err != nil {
		return 0, err
	}
	var total int64
	for upTo > 0 {
		var n int64
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			// The append-only trigger lets a DELETE through only when the
			// transaction says it is the retention job.
			if _, err := tx.ExecContext(ctx, `SET LOCAL portal.audit_retention = 'on'`); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq IN
				(SELECT seq FROM audit_log WHERE seq <= ? ORDER BY seq LIMIT ?)`, upTo, batch)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
	return total, nil
}

// TryExclusive runs fn while holding the session-level advisory lock key on
// a connection of its own. When another session holds the lock it returns
// at once with ran false and fn not called.
func (d *DB) TryExclusive(ctx context.Context, key int64, fn func(ctx context.Context) error) (ran bool, err error) {
	defer wrap(&err, "try exclusive")
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Release()
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ran); err != nil || !ran {
		return false, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck
	return true, fn(ctx)
}
