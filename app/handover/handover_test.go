package handover_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/app/handover"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// testHash stands in for a real argon2id hash; nobody signs in here.
const testHash = "$argon2id$v=19$m=65536,t=1,p=2$c2VlZC10ZXN0LXNhbHQ$c2VlZC10ZXN0LWhhc2gtbm90LXJlYWwtc2VlZA"

// extraDDL gives every database of these tests what the portal's schema does
// not have yet but a later migration may add: a generated column (computed
// by the database, so not in the files) and a table without a primary key.
const extraDDL = `
ALTER TABLE page_revisions ADD COLUMN title_length int GENERATED ALWAYS AS (char_length(title)) STORED;
CREATE TABLE handover_test_notes (note text, tags text[], at timestamptz);
`

// newDB returns a fresh, migrated database with extraDDL applied.
func newDB(t *testing.T) *db.DB {
	t.Helper()
	d := dbtest.New(t)
	if _, err := d.Pool.Exec(context.Background(), extraDDL); err != nil {
		t.Fatal(err)
	}
	return d
}

// fill seeds a small database and adds rows to the tables the seed leaves
// empty: audit entries (so the hash chain matters; the first one already
// removed by retention), mail, access history,
// sign-ups, calendar feeds, password resets, a login session and notes with
// NULLs, empty strings, commas, quotes and line breaks.
func fill(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	o := seed.Options{
		Seed: 7, Now: time.Date(2026, 5, 15, 12, 0, 0, 0, time.FixedZone("JST", 9*3600)),
		Members: 150, Groups: 8, Events: 30, Posts: 400, Notices: 6, Subsidies: 3, Articles: 4,
		PasswordHash: testHash,
	}
	if _, err := seed.Run(ctx, d, o, io.Discard); err != nil {
		t.Fatal(err)
	}
	staff, err := d.CreateStaff(ctx, "ward1", "区 花子", []string{db.RoleWardStaff}, testHash)
	if err != nil {
		t.Fatal(err)
	}
	var member int64
	if err := d.Pool.QueryRow(ctx, `SELECT min(account_id) FROM member_profiles`).Scan(&member); err != nil {
		t.Fatal(err)
	}
	entries := []*db.AuditEntry{
		{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditSignIn},
		{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditView, SubjectID: &member,
			Fields: []string{"name", "address"}, Purpose: `問い合わせ対応, "至急"`, IP: "192.0.2.1"},
		{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditEdit, SubjectID: &member,
			Fields: []string{"phone"}, Detail: "電話番号を訂正\n(本人の申し出)"},
		{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditExport, Purpose: "月次報告"},
	}
	for _, e := range entries {
		if err := db.Audit(ctx, d.Bun, e); err != nil {
			t.Fatal(err)
		}
	}
	// Retention has removed the oldest entry: the chain now starts at seq 2,
	// whose prev_hash is the hash of an entry no longer there.
	err = pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL portal.audit_retention = 'on'`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE seq = 1`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO mail_outbox (to_addr, subject, body, kind, account_id)
			SELECT email, '登録のお知らせ', E'こんにちは、\n"ようこそ", ポータルへ。\n', 'welcome', account_id
			FROM member_profiles ORDER BY account_id LIMIT 5`,
		`INSERT INTO access_history (account_id, login_id, action, success, ip, user_agent)
			VALUES (NULL, 'nobody', 'login', false, '198.51.100.7', 'Mozilla/5.0 (X11; Linux)')`,
		`INSERT INTO event_signups (event_id, account_id, status, cancelled_at)
			SELECT (SELECT min(id) FROM events), account_id, 'cancelled', now()
			FROM member_profiles ORDER BY account_id LIMIT 3`,
		`INSERT INTO calendar_feeds (account_id, token_hash)
			SELECT account_id, encode(sha256(account_id::text::bytea), 'hex') FROM member_profiles ORDER BY account_id LIMIT 2`,
		`INSERT INTO password_resets (token_hash, account_id, expires_at)
			SELECT md5(account_id::text), account_id, now() + interval '1 hour' FROM member_profiles ORDER BY account_id LIMIT 2`,
		`INSERT INTO sessions (token, data, expiry) VALUES ('secret-token', '\x00ff', now() + interval '1 day')`,
		// An image attached to a page: bytea with a NUL, 0xff and every
		// other byte value must come back as it was.
		`INSERT INTO pages (site_id, division_id, kind, legacy_id) SELECT id, division_id, 'notice', -1 FROM sites WHERE official`,
		`INSERT INTO attachments (page_id, filename, content_type, size, sha256, data, width, height, alt, data_small, small_type, small_sha256)
			SELECT p.id, '地図,第1版.png', 'image/png', 256, encode(sha256(b.data), 'hex'), b.data, 2, 1, '区役所までの地図, "徒歩5分"',
			       '\x00ff0a0d5c22', 'image/png', repeat('a', 64)
			FROM pages AS p, (SELECT string_agg(set_byte('\x00'::bytea, 0, i), ''::bytea ORDER BY i) AS data FROM generate_series(0, 255) AS i) AS b
			WHERE p.legacy_id = -1`,
		`INSERT INTO handover_test_notes VALUES (NULL, NULL, NULL), ('', '{}', now()), ('a,b', '{"x y",z}', now()), ('a,b', '{"x y",z}', now())`,
	} {
		if _, err := d.Pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

func TestHandover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := newDB(t)
	fill(t, src)
	dir := filepath.Join(t.TempDir(), "handover") // missing: export creates it
	var out bytes.Buffer
	m, err := handover.Export(ctx, src, dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("export:\n%s", out.String())

	t.Run("Manifest", func(t *testing.T) {
		t.Parallel()
		checkManifest(t, src, dir, m, out.String())
	})
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		checkRoundTrip(t, src, dir, m)
	})
	t.Run("ImportRefusesChangedFile", func(t *testing.T) {
		t.Parallel()
		changed := copyDir(t, dir)
		path := filepath.Join(changed, "accounts.csv")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		dst := newDB(t)
		_, err = handover.Import(ctx, dst, changed, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "accounts.csv: checksum mismatch") {
			t.Fatalf("import of a changed file: %v", err)
		}
		wantEmpty(t, dst, m)
	})
	t.Run("ImportRefusesNonEmptyDatabase", func(t *testing.T) {
		t.Parallel()
		dst := newDB(t)
		if _, err := dst.CreateStaff(ctx, "already", "先にいた人", []string{db.RoleModerator}, testHash); err != nil {
			t.Fatal(err)
		}
		_, err := handover.Import(ctx, dst, dir, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "table accounts already has rows") {
			t.Fatalf("import into a database with an account: %v", err)
		}
		if n := count(t, dst, "accounts"); n != 1 {
			t.Errorf("accounts: %d rows after a refused import, want 1", n)
		}
		if n := count(t, dst, "board_posts"); n != 0 {
			t.Errorf("board_posts: %d rows after a refused import, want 0", n)
		}
	})
	t.Run("ImportRefusesOtherSchemaVersion", func(t *testing.T) {
		t.Parallel()
		dst := newDB(t)
		if _, err := dst.Pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		_, err := handover.Import(ctx, dst, dir, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "the database is migrated to") {
			t.Fatalf("import into an older schema: %v", err)
		}
		wantEmpty(t, dst, m)
	})
	t.Run("ExportRefusesNonEmptyDir", func(t *testing.T) {
		t.Parallel()
		busy := t.TempDir()
		if err := os.WriteFile(filepath.Join(busy, "notes.txt"), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := handover.Export(ctx, src, busy, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "is not empty") {
			t.Fatalf("export into a non-empty directory: %v", err)
		}
		entries, err := os.ReadDir(busy)
		if err != nil || len(entries) != 1 {
			t.Fatalf("directory after a refused export: %v, %v", entries, err)
		}
	})
}

// checkManifest compares the manifest with the source database and the files.
func checkManifest(t *testing.T, src *db.DB, dir string, m handover.Manifest, progress string) {
	if m.Format != handover.FormatVersion || len(m.Migrations) == 0 || m.CreatedAt.IsZero() || m.PostgreSQL == "" {
		t.Errorf("manifest header: format %d, migrations %v, created %v, postgresql %q", m.Format, m.Migrations, m.CreatedAt, m.PostgreSQL)
	}
	onDisk, err := handover.Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(onDisk.Tables, m.Tables) {
		t.Error("manifest.json differs from the manifest Export returned")
	}
	var names []string
	for _, tb := range m.Tables {
		names = append(names, tb.Name)
		if n := count(t, src, tb.Name); int64(n) != tb.Rows {
			t.Errorf("%s: manifest says %d rows, the table has %d", tb.Name, tb.Rows, n)
		}
		if !strings.Contains(progress, tb.Name+": ") {
			t.Errorf("no progress line for %s", tb.Name)
		}
		wantMode(t, filepath.Join(dir, tb.File), 0o600)
	}
	wantMode(t, filepath.Join(dir, handover.ManifestFile), 0o600)
	wantMode(t, dir, 0o700|os.ModeDir)
	for _, want := range []string{"accounts", "member_profiles", "audit_log", "board_posts", "mail_outbox", "event_signups", "attachments", "handover_test_notes",
		"divisions", "sites", "pages", "page_revisions", "page_history"} {
		if !slices.Contains(names, want) {
			t.Errorf("table %s is not in the handover (tables: %v)", want, names)
		}
	}
	// The publishing tables carry rows (the seed's pages), so the round trip
	// says something about them.
	for _, tb := range m.Tables {
		if slices.Contains([]string{"divisions", "sites", "pages", "page_revisions", "page_history"}, tb.Name) && tb.Rows == 0 {
			t.Errorf("%s: no rows in the handover", tb.Name)
		}
	}
	for _, unwanted := range []string{"sessions", "schema_migrations"} {
		if slices.Contains(names, unwanted) {
			t.Errorf("table %s is in the handover", unwanted)
		}
		if _, err := os.Stat(filepath.Join(dir, unwanted+".csv")); err == nil {
			t.Errorf("%s.csv was written", unwanted)
		}
	}
	for _, tb := range m.Tables {
		switch tb.Name {
		case "page_revisions":
			if slices.ContainsFunc(tb.Columns, func(c handover.Column) bool { return c.Name == "title_length" }) {
				t.Error("the generated column page_revisions.title_length is in the handover")
			}
		case "accounts":
			if !slices.Equal(tb.PrimaryKey, []string{"id"}) || tb.Columns[0] != (handover.Column{Name: "id", Type: "bigint"}) {
				t.Errorf("accounts: primary key %v, first column %v", tb.PrimaryKey, tb.Columns[0])
			}
		}
	}
}

// checkRoundTrip imports the handover into a new database, exports that
// again and compares; then checks the audit chain and that new rows fit in.
func checkRoundTrip(t *testing.T, src *db.DB, dir string, m handover.Manifest) {
	ctx := context.Background()
	dst := newDB(t)
	var out bytes.Buffer
	if _, err := handover.Import(ctx, dst, dir, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "accounts: ") || !strings.Contains(out.String(), "audit log: ok, 3 entries chained") {
		t.Errorf("import output:\n%s", out.String())
	}
	again := filepath.Join(t.TempDir(), "again")
	m2, err := handover.Export(ctx, dst, again, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m2.Tables, m.Tables) || !slices.Equal(m2.Migrations, m.Migrations) {
		t.Errorf("manifests differ:\nfirst  %+v\nsecond %+v", m.Tables, m2.Tables)
	}
	for _, tb := range m.Tables {
		a, errA := os.ReadFile(filepath.Join(dir, tb.File))
		b, errB := os.ReadFile(filepath.Join(again, tb.File))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs after the round trip (%v, %v)", tb.File, errA, errB)
		}
	}
	if n := count(t, dst, "sessions"); n != 0 {
		t.Errorf("sessions: %d rows imported", n)
	}
	// Attachments' bytes come back as they were.
	var files [2][][]byte
	for i, d := range []*db.DB{src, dst} {
		rows, err := d.Pool.Query(ctx, `SELECT data FROM attachments UNION ALL SELECT data_small FROM attachments`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			files[i] = append(files[i], b)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
	}
	if len(files[0]) != 2 || len(files[0][0]) != 256 || !slices.EqualFunc(files[0], files[1], bytes.Equal) {
		t.Errorf("attachments' bytes after the round trip: %d files, %x\nwant %x", len(files[1]), files[1], files[0])
	}
	var wrong int
	if err := dst.Pool.QueryRow(ctx, `SELECT count(*) FROM page_revisions WHERE title_length IS DISTINCT FROM char_length(title)`).Scan(&wrong); err != nil || wrong != 0 {
		t.Errorf("generated column after import: %d wrong, %v", wrong, err)
	}

	// Live pages point at their revisions (a deferred foreign key, not
	// checked while loading) and the public sees them.
	if err := dst.Pool.QueryRow(ctx, `SELECT count(*) FROM pages p LEFT JOIN page_revisions r ON r.id = p.live_revision_id AND r.page_id = p.id
		WHERE p.live_revision_id IS NOT NULL AND r.id IS NULL`).Scan(&wrong); err != nil || wrong != 0 {
		t.Errorf("live revisions after import: %d dangling, %v", wrong, err)
	}
	if p, err := dst.PublicPages(ctx, db.PageNotice, db.Cursor{}); err != nil || len(p.Items) == 0 {
		t.Errorf("public notices after import: %d, %v", len(p.Items), err)
	}

	// The chain holds, and an entry written after the import joins it.
	check, err := dst.VerifyAudit(ctx)
	if err != nil || check.BrokenSeq != 0 || check.Entries != 3 {
		t.Fatalf("audit after import: %+v, %v", check, err)
	}
	staff, err := dst.CreateStaff(ctx, "ward2", "区 次郎", []string{db.RoleWardStaff}, testHash)
	if err != nil {
		t.Fatalf("new account after import (identity sequence not reset?): %v", err)
	}
	var maxSrc int64
	if err := src.Pool.QueryRow(ctx, `SELECT max(id) FROM accounts`).Scan(&maxSrc); err != nil {
		t.Fatal(err)
	}
	if staff.ID != maxSrc+1 {
		t.Errorf("new account id %d, want %d", staff.ID, maxSrc+1)
	}
	if err := db.Audit(ctx, dst.Bun, &db.AuditEntry{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditView}); err != nil {
		t.Fatal(err)
	}
	check, err = dst.VerifyAudit(ctx)
	if err != nil || check.BrokenSeq != 0 || check.Entries != 4 {
		t.Fatalf("audit after a new entry: %+v, %v", check, err)
	}
}

// copyDir copies a handover directory into a new temporary one.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// wantEmpty fails unless every table of the handover is empty in d.
func wantEmpty(t *testing.T, d *db.DB, m handover.Manifest) {
	t.Helper()
	for _, tb := range m.Tables {
		if n := count(t, d, tb.Name); n != 0 {
			t.Errorf("%s: %d rows after a refused import", tb.Name, n)
		}
	}
}

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}
