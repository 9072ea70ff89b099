package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrationLockKey is the pg_advisory_lock key that serialises migrators of
// every app instance (bun's own migrator lock is a table row, so we take ours).
const migrationLockKey = 7_204_113_001

// Migration is one *.up.sql file.
type Migration struct {
	Version string // file name without .up.sql, e.g. "0001_foundation"
	SQL     string
}

// LoadMigrations reads the *.up.sql files of fsys in name order.
func LoadMigrations(fsys fs.FS) (_ []Migration, err error) {
	defer wrap(&err, "load migrations")
	names, err := fs.Glob(fsys, "*.up.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: strings.TrimSuffix(n, ".up.sql"), SQL: string(b)})
	}
	return out, nil
}

// Checksum identifies a set of migrations; dbtest names its template by it.
func Checksum(ms []Migration) string {
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.Version))
		h.Write([]byte{0})
		h.Write([]byte(m.SQL))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    text PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Pending lists the migrations not yet applied.
func (d *DB) Pending(ctx context.Context, ms []Migration) (_ []Migration, err error) {
	defer wrap(&err, "pending")
	var exists bool
	if err := d.Pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, err
	}
	applied := map[string]bool{}
	if exists {
		rows, err := d.Pool.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return nil, err
		}
		vs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			applied[v] = true
		}
	}
	var pending []Migration
	for _, m := range ms {
		if !applied[m.Version] {
			pending = append(pending, m)
		}
	}
	return pending, nil
}

// Migrate applies the pending migrations, each in its own transaction, while
// holding a session-level advisory lock so concurrent instances wait their turn.
// It returns the versions it applied.
func (d *DB) Migrate(ctx context.Context, ms []Migration) (_ []string, err error) {
	defer wrap(&err, "migrate")
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey) //nolint:errcheck
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return nil, err
	}
	pending, err := d.Pending(ctx, ms)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("migration %s: %w", m.Version, err)
		}
		done = append(done, m.Version)
	}
	// Posts written before 0003 have no search grams yet; an interrupted
	// backfill resumes at the next migrate (the partial index of 0008 makes
	// the check instant).
	if !slices.ContainsFunc(ms, func(m Migration) bool { return m.Version == "0008_grams_backfill" }) {
		return done, nil // migrating to an older schema (tests): no grams column yet
	}
	var missing bool
	if err := d.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM board_posts WHERE search_grams = '{}')`).Scan(&missing); err != nil {
		return done, err
	}
	if missing {
		if _, err := d.BackfillSearchGrams(ctx); err != nil {
			return done, err
		}
	}
	// Groups published before 0020 have a profile but no search grams: the
	// directory's search would never find them. A few thousand rows at most.
	if slices.ContainsFunc(ms, func(m Migration) bool { return m.Version == "0020_group_profiles" }) {
		if err := d.backfillGroupGrams(ctx); err != nil {
			return done, err
		}
	}
	return done, nil
}
