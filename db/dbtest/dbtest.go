// Package dbtest gives each test a throwaway PostgreSQL database cloned from a
// migrated template, so tests run in parallel against the real thing.
//
// The template is named after a checksum of the migrations, created once under
// an advisory lock (test binaries of several packages run at the same time)
// and reused until the migrations change.
//
// Its fixtures (Member, Group, Staff, Event, Post) are the rows tests start
// from; see fixtures.go.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/migrations"
)

// AdminURL is the server tests create their databases on:
// PORTAL_TEST_DATABASE_URL, else DATABASE_URL, else the local server.
func AdminURL() string {
	for _, k := range []string{"PORTAL_TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// WithDatabase returns url pointing at database name.
func WithDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

const templateLockKey = 7_204_113_002

// New returns an open connection to a fresh, migrated database that is dropped
// when the test ends.
func New(t testing.TB) *db.DB {
	t.Helper()
	url := NewURL(t)
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

// NewURL creates a fresh, migrated database and returns its URL; it is
// dropped when the test ends (after cleanups registered later have run).
func NewURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin := AdminURL()
	tmpl, err := Template(ctx)
	if err != nil {
		t.Fatalf("dbtest: template: %v", err)
	}
	name := "portal_test_" + randomSuffix()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("dbtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	// Concurrent clones of one template can collide with its brief use by
	// another clone; retry a few times.
	for i := 0; ; i++ {
		_, err = conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl))
		if err == nil || i == 20 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() { _ = Drop(name) })
	return WithDatabase(admin, name)
}

// Drop removes a database, disconnecting whoever still uses it.
func Drop(name string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, pgx.Identifier{name}.Sanitize()))
	return err
}

// Template makes sure the migrated template database exists and returns its name.
func Template(ctx context.Context) (string, error) {
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		return "", err
	}
	name := "portal_tmpl_" + db.Checksum(ms)
	admin := AdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, templateLockKey); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, templateLockKey) //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
		return "", err
	}
	d, err := db.Open(ctx, WithDatabase(admin, name))
	if err != nil {
		return "", err
	}
	_, err = d.Migrate(ctx, ms)
	d.Close()
	if err != nil {
		return "", err
	}
	// Marking it a template both documents it and lets us tell a finished
	// template from one a crashed run left half-migrated.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s WITH is_template true`, name)); err != nil {
		return "", err
	}
	return name, nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
