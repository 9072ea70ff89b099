package db

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"
)

// ExportFilter chooses the members of a staff export; zero fields do not
// filter.
type ExportFilter struct {
	Status     string
	From, To   *time.Time // registered in [From, To)
	Town       string
	Newsletter string // "yes": subscribed to a newsletter list (confirmed), "no": to none
	Joined     string // "yes": confirmed for at least one event, "no": never
	EventID    int64  // signed up (confirmed or waitlisted) for this event
}

// ExportColumn is a column staff may choose for an export.
type ExportColumn struct {
	Key      string // form value, catalogue key export.col.<Key>, audit field name
	SQL      string // a text expression over accounts a and member_profiles p
	Personal bool   // personal data: named in the audit entry's fields
}

// ExportColumns are the columns of a member export, in file order.
var ExportColumns = []ExportColumn{
	{Key: "login_id", SQL: "a.login_id"},
	{Key: "handle", SQL: "a.display_name"},
	{Key: "name", SQL: "p.name", Personal: true},
	{Key: "name_kana", SQL: "p.name_kana", Personal: true},
	{Key: "postal_code", SQL: "p.postal_code", Personal: true},
	{Key: "town", SQL: "p.town", Personal: true},
	{Key: "address", SQL: "p.address", Personal: true},
	{Key: "phone", SQL: "p.phone", Personal: true},
	{Key: "fax", SQL: "p.fax", Personal: true},
	{Key: "email", SQL: "p.email", Personal: true},
	{Key: "status", SQL: "a.status"},
	{Key: "registered_at", SQL: "to_char(a.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY/MM/DD HH24:MI')"},
	{Key: "newsletter", SQL: "CASE WHEN " + subscribedSQL + " THEN '1' ELSE '' END"},
}

// subscribedSQL says the member a holds a confirmed subscription to some
// newsletter list.
const subscribedSQL = "EXISTS (SELECT 1 FROM newsletter_subscribers ns JOIN newsletter_subscriptions ss ON ss.subscriber_id = ns.id" +
	" WHERE ns.account_id = a.id AND ss.status = " + "'" + SubConfirmed + "')"

// ExportColumnKeys are the keys of ExportColumns, in file order.
var ExportColumnKeys = func() []string {
	keys := make([]string, len(ExportColumns))
	for i, c := range ExportColumns {
		keys[i] = c.Key
	}
	return keys
}()

// ExportColumnsFor returns the known columns among keys, in file order.
func ExportColumnsFor(keys []string) []ExportColumn {
	var out []ExportColumn
	for _, c := range ExportColumns {
		for _, k := range keys {
			if k == c.Key {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// where builds the filter's WHERE clause with numbered parameters.
func (f ExportFilter) where() (string, []any) {
	conds := []string{"a.kind = 'member'"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		conds = append(conds, "a.status = "+arg(f.Status))
	}
	if f.From != nil {
		conds = append(conds, "a.created_at >= "+arg(*f.From))
	}
	if f.To != nil {
		conds = append(conds, "a.created_at < "+arg(*f.To))
	}
	if f.Town != "" {
		conds = append(conds, "p.town = "+arg(f.Town))
	}
	switch f.Newsletter {
	case "yes":
		conds = append(conds, subscribedSQL)
	case "no":
		conds = append(conds, "NOT "+subscribedSQL)
	}
	joined := "EXISTS (SELECT 1 FROM event_signups s WHERE s.account_id = a.id AND s.status = " + lit(SignupConfirmed) + ")"
	switch f.Joined {
	case "yes":
		conds = append(conds, joined)
	case "no":
		conds = append(conds, "NOT "+joined)
	}
	if f.EventID > 0 {
		conds = append(conds, "EXISTS (SELECT 1 FROM event_signups s WHERE s.account_id = a.id AND s.event_id = "+
			arg(f.EventID)+" AND s.status <> "+lit(SignupCancelled)+")")
	}
	return strings.Join(conds, " AND "), args
}

// Describe is the filter in words for the audit log: key=value pairs.
func (f ExportFilter) Describe() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("status", f.Status)
	if f.From != nil {
		add("registered_from", f.From.In(jst).Format("2006-01-02"))
	}
	if f.To != nil {
		add("registered_before", f.To.In(jst).Format("2006-01-02"))
	}
	add("town", f.Town)
	add("newsletter", f.Newsletter)
	add("joined_events", f.Joined)
	if f.EventID > 0 {
		add("event", strconv.FormatInt(f.EventID, 10))
	}
	if len(parts) == 0 {
		return "all members"
	}
	return strings.Join(parts, " ")
}

// MemberTowns lists the towns members live in, for the export form to offer.
func (d *DB) MemberTowns(ctx context.Context) ([]string, error) {
	var towns []string
	err := d.Bun.NewSelect().TableExpr("member_profiles").ColumnExpr("DISTINCT town").OrderExpr("town").Scan(ctx, &towns)
	return towns, err
}

// MemberExportQuery is the SELECT of an export, for it and for comparing it
// with COPY in the benchmark.
func MemberExportQuery(f ExportFilter, cols []ExportColumn) (string, []any) {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = c.SQL
	}
	where, args := f.where()
	return "SELECT " + strings.Join(exprs, ", ") + exportFrom + where + " ORDER BY a.id", args
}

// exportFrom joins the tables an export's columns and filter read.
const exportFrom = " FROM accounts a JOIN member_profiles p ON p.account_id = a.id WHERE "

// MemberExport reads the members of an export from one snapshot: Count and
// the rows Each streams agree even while members register.
type MemberExport struct {
	conn  *pgxpool.Conn
	tx    pgx.Tx
	query string
	args  []any
	Count int64
}

// OpenMemberExport starts an export's read-only snapshot and counts the
// members it will hold. Close it when done. Filtered by an event, the list
// is that event's participants, so only its organiser (OrganiserRole) may
// have it: anyone else gets ErrNotOrganiser.
func (d *DB) OpenMemberExport(ctx context.Context, f ExportFilter, cols []ExportColumn, actor *Account) (*MemberExport, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("export: no columns")
	}
	if f.EventID > 0 {
		if _, err := d.ParticipantsRole(ctx, f.EventID, actor); err != nil {
			return nil, fmt.Errorf("db: member export: %w", err)
		}
	}
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		conn.Release()
		return nil, err
	}
	e := &MemberExport{conn: conn, tx: tx}
	e.query, e.args = MemberExportQuery(f, cols)
	where, args := f.where()
	err = tx.QueryRow(ctx, "SELECT count(*)"+exportFrom+where, args...).Scan(&e.Count)
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Each calls fn with every row's cells as text, in member order, and
// returns how many rows it passed. The cells are only valid during the call.
func (e *MemberExport) Each(ctx context.Context, fn func(cells [][]byte) error) (int64, error) {
	rows, err := e.tx.Query(ctx, e.query, e.args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if err := fn(rows.RawValues()); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// Close ends the snapshot and returns the connection.
func (e *MemberExport) Close() {
	e.tx.Rollback(context.Background())
	e.conn.Release()
}

// ExportRecord is one export a staff member ran.
type ExportRecord struct {
	ID           int64           `bun:"id"`
	Token        string          `bun:"token"`
	Format       string          `bun:"format"`
	Purpose      string          `bun:"purpose"`
	Matched      int64           `bun:"matched"`
	Written      *int64          `bun:"written"`
	Problems     []ExportProblem `bun:"unrepresentable"`
	ProblemCells int64           `bun:"unrepresentable_cells"`
	Error        string          `bun:"error"`
	StartedAt    time.Time       `bun:"started_at"`
	FinishedAt   *time.Time      `bun:"finished_at"`
}

// StartMemberExport writes the export's audit entry (filter, columns, row
// count, format and purpose) and its record, before any row leaves.
func (d *DB) StartMemberExport(ctx context.Context, token, format, purpose string, f ExportFilter, cols []ExportColumn,
	count int64, actor *Account, role, ip string) error {
	fields := make([]string, len(cols))
	for i, c := range cols {
		fields[i] = c.Key
	}
	detail := fmt.Sprintf("member list export: %d rows, %s; filter: %s", count, format, f.Describe())
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_exports (token, actor_id, format, purpose, matched) VALUES (?, ?, ?, ?, ?)`,
			token, actor.ID, format, purpose, count); err != nil {
			return err
		}
		return Audit(ctx, tx, &AuditEntry{ActorID: actor.ID, ActorRole: role, Action: AuditExport, Fields: fields,
			Purpose: purpose, Detail: detail, IP: ip})
	})
}

// ExportProblem is a cell whose characters the file's encoding lacks.
type ExportProblem struct {
	Row    int64  `json:"row"` // data row; the file's line or sheet row is Row+1
	Column string `json:"column"`
	Chars  string `json:"chars"`
}

// FinishMemberExport records how an export ended: rows written, the cells
// the format could not hold, and the error that cut it short, if any.
func (d *DB) FinishMemberExport(ctx context.Context, token string, written int64, problemCells int64, problems []ExportProblem, failure string) error {
	if problems == nil {
		problems = []ExportProblem{}
	}
	b, err := json.Marshal(problems)
	if err != nil {
		return err
	}
	_, err = d.Pool.Exec(ctx, `UPDATE member_exports SET written = $2, unrepresentable = $3, unrepresentable_cells = $4,
		error = $5, finished_at = now() WHERE token = $1`, token, written, b, problemCells, failure)
	return err
}

// exportRecords selects the member_exports columns an ExportRecord holds.
func (d *DB) exportRecords() *bun.SelectQuery {
	return d.Bun.NewSelect().TableExpr("member_exports").ColumnExpr("id, token, format, purpose, matched, written, " +
		"unrepresentable, unrepresentable_cells, error, started_at, finished_at")
}

// MemberExportByToken returns one of actor's exports.
func (d *DB) MemberExportByToken(ctx context.Context, actorID int64, token string) (*ExportRecord, error) {
	var r ExportRecord
	err := d.exportRecords().Where("actor_id = ? AND token = ?", actorID, token).Scan(ctx, &r)
	if err != nil {
		return nil, notFound(err, "export")
	}
	return &r, nil
}

// RecentMemberExports lists actor's latest exports, newest first.
func (d *DB) RecentMemberExports(ctx context.Context, actorID int64, limit int) ([]ExportRecord, error) {
	var rs []ExportRecord
	err := d.exportRecords().Where("actor_id = ?", actorID).OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx, &rs)
	return rs, err
}
