package db_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// TestUnavailable classifies errors PostgreSQL and the driver really give:
// an unreachable or overloaded database is unavailable (a 503, worth waiting
// for at start); an answer about the request or the configuration is not.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw := dbtest.NewURL(t)
	d, err := db.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	withURL := func(f func(u *url.URL)) string {
		u, _ := url.Parse(raw)
		f(u)
		return u.String()
	}
	connect := func(u string) error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(cctx, u)
		if err == nil {
			c.Close(ctx)
		}
		return err
	}

	// Nothing listens on a port we just gave back.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().String()
	ln.Close()
	refused := connect(withURL(func(u *url.URL) { u.Host = closedPort }))

	// A role allowed no connections gets "too many connections" (53300).
	role := fmt.Sprintf("portal_limited_%d", time.Now().UnixNano())
	if _, err := d.Bun.ExecContext(ctx, `CREATE ROLE `+role+` LOGIN CONNECTION LIMIT 0`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = d.Bun.ExecContext(context.Background(), `DROP ROLE IF EXISTS `+role) })
	tooMany := connect(withURL(func(u *url.URL) { u.User = url.User(role) }))

	// A backend ended by an administrator (pg_terminate_backend: 57P01).
	victim, err := pgx.Connect(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close(ctx)
	if _, err := d.Bun.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, victim.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	_, terminated := victim.Exec(ctx, `SELECT 1`)

	// Answers about the request or the configuration.
	missingDB := connect(withURL(func(u *url.URL) { u.Path = "/portal_no_such_database" }))
	_, syntax := d.Bun.ExecContext(ctx, `SELEKT 1`)
	_, divZero := d.Bun.ExecContext(ctx, `SELECT 1/0`)
	_, notFound := d.PublicEvent(ctx, 999999)

	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"too many connections", tooMany, true},
		{"terminated by an administrator", terminated, true},
		{"missing database", missingDB, false},
		{"syntax error", syntax, false},
		{"division by zero", divZero, false},
		{"not found", notFound, false},
	} {
		if c.err == nil {
			t.Errorf("%s: no error happened", c.name)
			continue
		}
		if got := db.Unavailable(fmt.Errorf("wrapped: %w", c.err)); got != c.want {
			t.Errorf("%s: Unavailable = %v, want %v (%v)", c.name, got, c.want, c.err)
		}
	}
	if db.Unavailable(nil) {
		t.Error("nil is unavailable")
	}
	if !errors.Is(notFound, db.ErrNotFound) {
		t.Errorf("not found: %v", notFound)
	}
}
