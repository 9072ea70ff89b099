// Package handover writes and reads the end-of-contract data handover: every
// table the operator holds, one CSV file per table written by PostgreSQL's own
// COPY, and a manifest with the schema version, row counts and SHA-256
// checksums. FORMAT.md describes the format for whoever receives it.
//
// Export reads one consistent snapshot; Import loads a handover into an empty,
// migrated database in one transaction and checks the audit log's hash chain.
package handover

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardportal/portal/db"
)

// FormatVersion is the version of the handover format this package writes
// and the only one it reads. Change it with FORMAT.md.
const FormatVersion = 1

// ManifestFile is the name of the manifest inside a handover directory.
const ManifestFile = "manifest.json"

// excluded are the tables of schema public a handover leaves out:
// schema_migrations is the migrator's bookkeeping (see db/migrate.go; the
// manifest records the applied versions instead); sessions holds login
// sessions and mail_secrets the tokens of password-reset links not yet
// mailed, short-lived credentials rather than data that would let whoever
// holds the handover into members' accounts; rate_events holds the counters
// of the sign-in and mail rate limits, which expire within two days.
var excluded = map[string]bool{
	"schema_migrations": true,
	"sessions":          true,
	"mail_secrets":      true,
	"rate_events":       true,
}

// sessionSettings fix how values are written as text, so the files do not
// depend on the server's or the connection's defaults and an export of an
// imported database is byte for byte the same.
var sessionSettings = []string{
	`SET LOCAL TimeZone = 'UTC'`,
	`SET LOCAL DateStyle = 'ISO, YMD'`,
	`SET LOCAL IntervalStyle = 'postgres'`,
	`SET LOCAL extra_float_digits = 1`,
	`SET LOCAL bytea_output = 'hex'`,
}

// Manifest describes a handover directory. It is written last, so a
// directory without one is an export that did not finish.
type Manifest struct {
	Format     int       `json:"format"`
	CreatedAt  time.Time `json:"created_at"`
	PostgreSQL string    `json:"postgresql"` // server_version of the source
	Migrations []string  `json:"migrations"` // applied schema migrations, in order
	Tables     []Table   `json:"tables"`
}

// Table is one table of the handover and its file.
type Table struct {
	Name       string   `json:"name"`
	File       string   `json:"file"`
	Columns    []Column `json:"columns"`     // in file order
	PrimaryKey []string `json:"primary_key"` // the rows' order in the file; empty when the table has none
	Rows       int64    `json:"rows"`
	SHA256     string   `json:"sha256"` // of the file, hex
}

// Column is one column of a table file, with its PostgreSQL type.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// TotalRows is the number of rows in every table of the handover.
func (m Manifest) TotalRows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// tableInfo is what the catalog says about a table: its handover entry
// without counts, plus what COPY and the sequence reset need.
type tableInfo struct {
	Table
	collatable map[string]bool   // columns of a type with a collation (text and the like)
	sequences  map[string]string // column -> its identity or serial sequence
}

// querier is what both a pool and a transaction offer for reading.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Export writes every table to dir as <table>.csv and then the manifest. dir
// is created (mode 0700) when missing and must otherwise be empty. It writes
// one line per table to progress (nil for none). On failure the files it
// wrote are removed.
func Export(ctx context.Context, d *db.DB, dir string, progress io.Writer) (Manifest, error) {
	if progress == nil {
		progress = io.Discard
	}
	madeDir, err := prepareDir(dir)
	if err != nil {
		return Manifest{}, err
	}
	var written []string
	m, err := exportSnapshot(ctx, d, dir, progress, &written)
	if err == nil {
		err = writeManifest(dir, m, &written)
	}
	if err != nil {
		removeAll(written, dir, madeDir)
		return Manifest{}, err
	}
	return m, nil
}

// prepareDir creates dir or checks that it is empty, and restricts it to its
// owner: a handover is personal data. It reports whether it created dir.
func prepareDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, err
		}
		return true, nil
	case err != nil:
		return false, err
	case len(entries) > 0:
		return false, fmt.Errorf("%s is not empty: export-all writes only into a new or empty directory", dir)
	}
	return false, os.Chmod(dir, 0o700)
}

// removeAll undoes a failed export.
func removeAll(files []string, dir string, madeDir bool) {
	for _, f := range files {
		_ = os.Remove(f)
	}
	if madeDir {
		_ = os.Remove(dir)
	}
}

// exportSnapshot copies every table out of one REPEATABLE READ READ ONLY
// transaction, so all files show the database at the same moment. It appends
// the paths it creates to written.
func exportSnapshot(ctx context.Context, d *db.DB, dir string, progress io.Writer, written *[]string) (Manifest, error) {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return Manifest{}, err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Manifest{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if err := applySettings(ctx, tx); err != nil {
		return Manifest{}, err
	}
	m := Manifest{Format: FormatVersion, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if err := tx.QueryRow(ctx, `SHOW server_version`).Scan(&m.PostgreSQL); err != nil {
		return Manifest{}, err
	}
	if m.Migrations, err = appliedMigrations(ctx, tx); err != nil {
		return Manifest{}, err
	}
	tables, err := describeTables(ctx, tx)
	if err != nil {
		return Manifest{}, err
	}
	for _, ti := range tables {
		path := filepath.Join(dir, ti.File)
		*written = append(*written, path)
		t, err := exportTable(ctx, tx.Conn().PgConn(), path, ti)
		if err != nil {
			return Manifest{}, fmt.Errorf("export %s: %w", ti.Name, err)
		}
		m.Tables = append(m.Tables, t)
		fmt.Fprintf(progress, "%s: %d rows\n", t.Name, t.Rows)
	}
	return m, tx.Commit(ctx)
}

// applySettings sets the session settings of sessionSettings for the
// transaction.
func applySettings(ctx context.Context, tx pgx.Tx) error {
	for _, s := range sessionSettings {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// exportTable streams one table into a new file at path, hashing and
// counting as it goes.
func exportTable(ctx context.Context, pg *pgconn.PgConn, path string, ti tableInfo) (Table, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Table{}, err
	}
	defer f.Close()
	h := sha256.New()
	buf := bufio.NewWriterSize(f, 1<<16)
	sql := fmt.Sprintf(`COPY (SELECT %s FROM %s ORDER BY %s) TO STDOUT WITH (FORMAT csv, HEADER true)`,
		columnList(ti.Columns), table(ti.Name), orderBy(ti))
	tag, err := pg.CopyTo(ctx, io.MultiWriter(buf, h), sql)
	if err != nil {
		return Table{}, err
	}
	if err := buf.Flush(); err != nil {
		return Table{}, err
	}
	if err := f.Sync(); err != nil {
		return Table{}, err
	}
	if err := f.Close(); err != nil {
		return Table{}, err
	}
	t := ti.Table
	t.Rows = tag.RowsAffected()
	t.SHA256 = hex.EncodeToString(h.Sum(nil))
	return t, nil
}

// orderBy is the ORDER BY list that makes a table's file reproducible: its
// primary key, or every column as text for a table without one. Text is
// compared byte by byte (collation "C"), whatever the server's locale.
func orderBy(ti tableInfo) string {
	if len(ti.PrimaryKey) == 0 {
		var keys []string
		for _, c := range ti.Columns {
			keys = append(keys, quote(c.Name)+`::text COLLATE "C"`)
		}
		return strings.Join(keys, ", ")
	}
	keys := make([]string, len(ti.PrimaryKey))
	for i, name := range ti.PrimaryKey {
		keys[i] = quote(name)
		if ti.collatable[name] {
			keys[i] += ` COLLATE "C"`
		}
	}
	return strings.Join(keys, ", ")
}

// writeManifest writes the manifest under a temporary name and renames it,
// so manifest.json exists only complete.
func writeManifest(dir string, m Manifest, written *[]string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	tmp := filepath.Join(dir, ManifestFile+".tmp")
	final := filepath.Join(dir, ManifestFile)
	*written = append(*written, tmp, final)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// appliedMigrations lists the schema versions the database is migrated to.
func appliedMigrations(ctx context.Context, q querier) ([]string, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('public.schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, errors.New("the database is not migrated (no schema_migrations table): run `portal migrate`")
	}
	rows, err := q.Query(ctx, `SELECT version FROM public.schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// describeTables lists the base tables of schema public, less the excluded
// ones, in name order, with their columns (generated columns left out: the
// database computes them), primary keys and sequences.
func describeTables(ctx context.Context, q querier) ([]tableInfo, error) {
	rows, err := q.Query(ctx, `SELECT c.oid, c.relname
		FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	type rel struct {
		oid  uint32
		name string
	}
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		err := r.Scan(&x.oid, &x.name)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	var out []tableInfo
	for _, r := range rels {
		if excluded[r.name] {
			continue
		}
		ti, err := describeTable(ctx, q, r.oid, r.name)
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", r.name, err)
		}
		out = append(out, ti)
	}
	return out, nil
}

// describeTable reads one table's columns, primary key and sequences.
func describeTable(ctx context.Context, q querier, oid uint32, name string) (tableInfo, error) {
	ti := tableInfo{
		Table:      Table{Name: name, File: name + ".csv", PrimaryKey: []string{}},
		collatable: map[string]bool{},
		sequences:  map[string]string{},
	}
	rows, err := q.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attcollation <> 0,
			coalesce(pg_get_serial_sequence(a.attrelid::regclass::text, a.attname), '')
		FROM pg_attribute AS a
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
		ORDER BY a.attnum`, oid)
	if err != nil {
		return ti, err
	}
	var (
		c          Column
		collatable bool
		sequence   string
	)
	_, err = pgx.ForEachRow(rows, []any{&c.Name, &c.Type, &collatable, &sequence}, func() error {
		ti.Columns = append(ti.Columns, c)
		ti.collatable[c.Name] = collatable
		if sequence != "" {
			ti.sequences[c.Name] = sequence
		}
		return nil
	})
	if err != nil {
		return ti, err
	}
	rows, err = q.Query(ctx, `SELECT a.attname
		FROM pg_index AS i
		CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1 AND i.indisprimary
		ORDER BY k.ord`, oid)
	if err != nil {
		return ti, err
	}
	pk, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return ti, err
	}
	ti.PrimaryKey = append(ti.PrimaryKey, pk...)
	return ti, nil
}

// Verify reads the manifest of a handover directory and checks every file
// against its checksum, without touching a database.
func Verify(dir string) (Manifest, error) {
	m, err := readManifest(dir)
	if err != nil {
		return m, err
	}
	for _, t := range m.Tables {
		sum, err := fileSHA256(filepath.Join(dir, t.File))
		if err != nil {
			return m, err
		}
		if sum != t.SHA256 {
			return m, fmt.Errorf("%s: checksum mismatch (manifest %s, file %s): the file was changed or damaged",
				t.File, t.SHA256, sum)
		}
	}
	return m, nil
}

// readManifest reads and sanity-checks manifest.json.
func readManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("%s has no %s: not a handover directory, or an export that did not finish", dir, ManifestFile)
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if m.Format != FormatVersion {
		return m, fmt.Errorf("%s: format %d, but this portal reads format %d", ManifestFile, m.Format, FormatVersion)
	}
	seen := map[string]bool{}
	for _, t := range m.Tables {
		if t.Name == "" || seen[t.Name] || len(t.Columns) == 0 {
			return m, fmt.Errorf("%s: table %q is missing, repeated or has no columns", ManifestFile, t.Name)
		}
		if t.File != filepath.Base(t.File) || t.File == ManifestFile || !strings.HasSuffix(t.File, ".csv") {
			return m, fmt.Errorf("%s: table %s names file %q, not a .csv file of the directory", ManifestFile, t.Name, t.File)
		}
		seen[t.Name] = true
	}
	return m, nil
}

// fileSHA256 returns the hex SHA-256 of a file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Import loads a handover directory into d, which must be migrated to the
// same schema version and hold no rows in any of the handover's tables. It
// loads every table in one transaction, so a failure leaves nothing behind,
// then checks the audit log's hash chain. It writes one line per table to
// progress (nil for none).
func Import(ctx context.Context, d *db.DB, dir string, progress io.Writer) (Manifest, error) {
	if progress == nil {
		progress = io.Discard
	}
	m, err := Verify(dir)
	if err != nil {
		return m, fmt.Errorf("%w; nothing was imported", err)
	}
	if err := load(ctx, d, dir, m, progress); err != nil {
		return m, err
	}
	if err := analyze(ctx, d, m); err != nil {
		return m, err
	}
	check, err := d.VerifyAudit(ctx)
	if err != nil {
		return m, fmt.Errorf("check the audit log: %w", err)
	}
	if check.BrokenSeq != 0 {
		return m, fmt.Errorf("imported, but the audit log chain is broken at entry %d (id %d) of %d",
			check.BrokenSeq, check.BrokenID, check.Entries)
	}
	fmt.Fprintf(progress, "audit log: ok, %d entries chained\n", check.Entries)
	return m, nil
}

// load copies every file into its table in one transaction. Triggers are
// off for the transaction (session_replication_role = replica): the audit
// log keeps the hash chain it was exported with, no trigger writes rows of
// its own, and foreign keys are not checked, so the order of the tables does
// not matter.
func load(ctx context.Context, d *db.DB, dir string, m Manifest, progress io.Writer) error {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return fmt.Errorf("turn triggers off (import needs a superuser connection): %w", err)
	}
	if err := applySettings(ctx, tx); err != nil {
		return err
	}
	targets, err := checkTarget(ctx, tx, m)
	if err != nil {
		return err
	}
	for _, t := range m.Tables {
		if err := loadTable(ctx, tx.Conn().PgConn(), filepath.Join(dir, t.File), t); err != nil {
			return fmt.Errorf("import %s: %w", t.Name, err)
		}
		if err := resetSequences(ctx, tx, targets[t.Name]); err != nil {
			return fmt.Errorf("import %s: %w", t.Name, err)
		}
		fmt.Fprintf(progress, "%s: %d rows\n", t.Name, t.Rows)
	}
	return tx.Commit(ctx)
}

// checkTarget refuses a database at another schema version, without one of
// the handover's tables or columns, or with rows in any of its tables. It
// returns the target's tables by name.
func checkTarget(ctx context.Context, tx pgx.Tx, m Manifest) (map[string]tableInfo, error) {
	applied, err := appliedMigrations(ctx, tx)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(applied, m.Migrations) {
		return nil, fmt.Errorf("the database is migrated to %s, the handover to %s: import with the portal version that exported it, then migrate",
			lastOf(applied), lastOf(m.Migrations))
	}
	tables, err := describeTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	byName := map[string]tableInfo{}
	for _, ti := range tables {
		byName[ti.Name] = ti
	}
	var notEmpty []string
	for _, t := range m.Tables {
		ti, ok := byName[t.Name]
		if !ok {
			return nil, fmt.Errorf("table %s of the handover does not exist in the database", t.Name)
		}
		if err := sameColumns(t, ti); err != nil {
			return nil, err
		}
		var rows bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table(t.Name)+`)`).Scan(&rows); err != nil {
			return nil, err
		}
		if rows {
			notEmpty = append(notEmpty, t.Name)
		}
	}
	if len(notEmpty) == 1 {
		return nil, fmt.Errorf("the database is not empty: table %s already has rows; import-all loads only into an empty database", notEmpty[0])
	}
	if len(notEmpty) > 1 {
		return nil, fmt.Errorf("the database is not empty: tables %s already have rows; import-all loads only into an empty database",
			strings.Join(notEmpty, ", "))
	}
	return byName, nil
}

// sameColumns checks that the handover's columns are the target's, by name
// and type, in any order.
func sameColumns(t Table, target tableInfo) error {
	want := map[string]string{}
	for _, c := range target.Columns {
		want[c.Name] = c.Type
	}
	for _, c := range t.Columns {
		typ, ok := want[c.Name]
		if !ok {
			return fmt.Errorf("table %s: column %s of the handover does not exist in the database", t.Name, c.Name)
		}
		if typ != c.Type {
			return fmt.Errorf("table %s: column %s is %s in the handover but %s in the database", t.Name, c.Name, c.Type, typ)
		}
		delete(want, c.Name)
	}
	if len(want) > 0 {
		missing := slices.Sorted(maps.Keys(want))
		return fmt.Errorf("table %s: column %s of the database is not in the handover", t.Name, strings.Join(missing, ", "))
	}
	return nil
}

// lastOf names the latest of the migration versions, for messages.
func lastOf(versions []string) string {
	if len(versions) == 0 {
		return "nothing"
	}
	return versions[len(versions)-1]
}

// loadTable copies one file into its table and checks the row count. The
// file is hashed again as it is read, in case it changed since Verify.
func loadTable(ctx context.Context, pg *pgconn.PgConn, path string, t Table) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	// HEADER MATCH: PostgreSQL checks the file's header line against the
	// column list.
	sql := fmt.Sprintf(`COPY %s (%s) FROM STDIN WITH (FORMAT csv, HEADER MATCH)`, table(t.Name), columnList(t.Columns))
	tag, err := pg.CopyFrom(ctx, io.TeeReader(bufio.NewReaderSize(f, 1<<16), h), sql)
	if err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != t.SHA256 {
		return fmt.Errorf("%s changed while it was imported", t.File)
	}
	if n := tag.RowsAffected(); n != t.Rows {
		return fmt.Errorf("%s: loaded %d rows, the manifest says %d", t.File, n, t.Rows)
	}
	return nil
}

// resetSequences moves each identity or serial sequence of a table to the
// highest value loaded, so new rows do not collide with imported ones. A
// table loaded empty keeps its sequence as it is.
func resetSequences(ctx context.Context, tx pgx.Tx, ti tableInfo) error {
	for column, seq := range ti.sequences {
		sql := fmt.Sprintf(`SELECT setval($1::regclass, m) FROM (SELECT max(%s) AS m FROM %s) AS x WHERE m IS NOT NULL`,
			quote(column), table(ti.Name))
		if _, err := tx.Exec(ctx, sql, seq); err != nil {
			return fmt.Errorf("reset sequence %s: %w", seq, err)
		}
	}
	return nil
}

// analyze refreshes the planner's statistics of the loaded tables, so the
// first queries after an import get good plans.
func analyze(ctx context.Context, d *db.DB, m Manifest) error {
	names := make([]string, len(m.Tables))
	for i, t := range m.Tables {
		names[i] = table(t.Name)
	}
	if len(names) == 0 {
		return nil
	}
	_, err := d.Pool.Exec(ctx, `ANALYZE `+strings.Join(names, ", "))
	return err
}

// columnList is the quoted, comma-separated list of the columns.
func columnList(cols []Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quote(c.Name)
	}
	return strings.Join(names, ", ")
}

// quote quotes a column name for SQL.
func quote(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// table quotes the name of a table of schema public for SQL, independent of
// the connection's search_path.
func table(name string) string {
	return pgx.Identifier{"public", name}.Sanitize()
}
