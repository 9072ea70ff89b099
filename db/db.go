// Package db is the data layer: bun over a pgx pool, the models and their
// queries, transactions and the sentinel errors handlers map to HTTP statuses.
// It never imports echo, templ or the app package.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Sentinel errors. Callers test them with errors.Is; the HTTP layer maps them.
// A full event is not among them: a sign-up with no seat and no waitlist place
// left is an answer (SignupFull), not a failure.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// DB bundles the pgx pool (for LISTEN/NOTIFY and COPY) and bun on top of it.
type DB struct {
	Pool *pgxpool.Pool
	Bun  *bun.DB
	// Precheck, when set, replaces CheckText as the pre-check of board posts
	// and events sent to moderation (the app sets it to its checker
	// framework, app/check); it gets the text and the moderators' dictionary.
	Precheck func(text string, words []string) []Flag
}

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string) (_ *DB, err error) {
	defer wrap(&err, "open")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	// pgxpool's default (4 on a small machine) queues requests that each
	// need a connection for a few milliseconds; 16 keeps a 2-core app busy
	// without crowding PostgreSQL. pool_max_conns in the URL overrides it.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", redact(cfg), err)
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	return &DB{Pool: pool, Bun: bun.NewDB(sqldb, pgdialect.New())}, nil
}

func redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Close releases every connection.
func (d *DB) Close() {
	_ = d.Bun.Close()
	d.Pool.Close()
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) (err error) {
	defer wrap(&err, "ping")
	return d.Pool.Ping(ctx)
}

// ErrOutcomeUnknown is a transaction whose COMMIT was sent but whose answer
// never came (the connection was cut or timed out on the way): the server
// may have committed it or not. The caller must not say the write failed —
// a person who sends it again could do it twice — but that it could not be
// confirmed.
var ErrOutcomeUnknown = errors.New("commit sent, outcome unknown")

// InTx runs fn in a transaction, committing when fn returns nil. A commit
// whose answer was lost returns ErrOutcomeUnknown; any other error means
// nothing of fn was committed.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) (err error) {
	tx, err := d.Bun.BeginTx(ctx, &sql.TxOptions{})
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback() // fn panicked
		}
	}()
	if err := fn(ctx, tx); err != nil {
		done = true
		_ = tx.Rollback()
		return err
	}
	done = true
	// database/sql refuses to commit once ctx has ended and rolls back:
	// that is a plain failure. Past that point COMMIT is on its way.
	if ctx.Err() != nil {
		_ = tx.Rollback()
		return ctx.Err()
	}
	if err := tx.Commit(); err != nil {
		if Unavailable(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		return err
	}
	return nil
}

// notFound turns sql.ErrNoRows into ErrNotFound and wraps anything else.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// wrap names the operation on an error leaving db, so that a 5xx log line
// says what failed: every exported function that can fail defers it, with its
// error result named err. An error already named by an inner db operation
// keeps that name after the outer one ("db: sign up: record access: …"),
// and sentinels and typed errors still match through errors.Is and errors.As.
func wrap(err *error, op string) {
	if *err != nil {
		*err = &opError{op: op, err: *err}
	}
}

type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return "db: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "db: ")
}

func (e *opError) Unwrap() error { return e.err }

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation,
// optionally on the named constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// lit is a status or kind constant as an SQL literal, for fixed statement
// texts: the planner sees the value itself, so partial indexes on it match.
func lit(s string) string { return "'" + s + "'" }
