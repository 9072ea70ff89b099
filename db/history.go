package db

import (
	"bytes"
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Access-history actions (アクセス履歴).
const (
	ActionRegister       = "register"
	ActionLogin          = "login"
	ActionLogout         = "logout"
	ActionPasswordChange = "password_change"
	ActionPasswordReset  = "password_reset"
	ActionResetRequest   = "password_reset_request"
	ActionProfileUpdate  = "profile_update"
	ActionWithdraw       = "withdraw"
	ActionConfirm        = "registration_confirm"
	ActionReject         = "registration_reject"
	ActionCreateGroup    = "group_create"
	ActionPostSubmit     = "post_submit"
	ActionPostEdit       = "post_edit"
	ActionPostWithdraw   = "post_withdraw"
	ActionPostReport     = "post_report"
	ActionModerate       = "moderation_decision"
	ActionDataDownload   = "data_download" // the member downloaded their data (/account/data)
)

// AccessEvent is one line of an account's access history: sign-ins
// (successful and failed), sign-outs, password changes and other significant
// actions, with time, address and browser.
type AccessEvent struct {
	bun.BaseModel `bun:"table:access_history"`

	ID        int64     `bun:"id,pk,autoincrement"`
	AccountID *int64    `bun:"account_id"`
	LoginID   string    `bun:"login_id"`
	Action    string    `bun:"action"`
	Success   bool      `bun:"success"`
	IP        string    `bun:"ip"`
	UserAgent string    `bun:"user_agent"`
	Detail    string    `bun:"detail"`
	At        time.Time `bun:"at,nullzero,default:now()"`
}

// RecordAccess appends to the access history, inside the caller's transaction.
func RecordAccess(ctx context.Context, idb bun.IDB, ev AccessEvent) (err error) {
	defer wrap(&err, "record access")
	if len(ev.UserAgent) > 300 {
		ev.UserAgent = ev.UserAgent[:300]
	}
	_, err = idb.NewInsert().Model(&ev).Exec(ctx)
	return err
}

// RecordAccess appends to the access history on its own, for a request that
// records nothing else.
func (d *DB) RecordAccess(ctx context.Context, ev AccessEvent) error {
	return RecordAccess(ctx, d.Bun, ev)
}

// AccessHistory pages through one account's history, newest first.
func (d *DB) AccessHistory(ctx context.Context, accountID int64, after Cursor) (_ Page[AccessEvent], err error) {
	defer wrap(&err, "access history")
	var rows []AccessEvent
	q := d.Bun.NewSelect().Model(&rows).Where("account_id = ?", accountID).
		OrderExpr("at DESC, id DESC").Limit(PageSize + 1)
	if !after.IsZero() {
		q = q.Where("(at, id) < (?, ?)", after.At, after.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return Page[AccessEvent]{}, err
	}
	return paginate(rows, PageSize, func(e *AccessEvent) Cursor { return Cursor{e.At, e.ID} }), nil
}

// AuditEntry records a staff member looking at, changing or exporting a
// member's personal data, and registration decisions.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID        int64     `bun:"id,pk,autoincrement"`
	At        time.Time `bun:"at,nullzero,default:now()"`
	ActorID   int64     `bun:"actor_id"`
	ActorRole string    `bun:"actor_role"`
	Action    string    `bun:"action"`
	SubjectID *int64    `bun:"subject_id"`
	Fields    []string  `bun:"fields,array,nullzero,default:'{}'"`
	Purpose   string    `bun:"purpose"`
	Detail    string    `bun:"detail"`
	IP        string    `bun:"ip"`
}

// Audit actions.
const (
	AuditView    = "view"
	AuditEdit    = "edit"
	AuditExport  = "export"
	AuditConfirm = "confirm"
	AuditReject  = "reject"
	AuditSignIn  = "sign_in" // a staff member signed in
)

// Audit appends entries, inside the caller's transaction when idb is one.
func Audit(ctx context.Context, idb bun.IDB, entries ...*AuditEntry) (err error) {
	defer wrap(&err, "audit")
	if len(entries) == 0 {
		return nil
	}
	_, err = idb.NewInsert().Model(&entries).Exec(ctx)
	return err
}

// Audit appends entries on their own, for a staff action that writes
// nothing else (a view, an export).
func (d *DB) Audit(ctx context.Context, entries ...*AuditEntry) error {
	return Audit(ctx, d.Bun, entries...)
}

// AuditFor lists the audit entries about one member, newest first.
func (d *DB) AuditFor(ctx context.Context, subjectID int64, limit int) (_ []AuditEntry, err error) {
	defer wrap(&err, "audit for")
	var es []AuditEntry
	err = d.Bun.NewSelect().Model(&es).Where("subject_id = ?", subjectID).OrderExpr("at DESC, id DESC").Limit(int64(limit)).Scan(ctx)
	return es, err
}

// AuditCheck is the outcome of VerifyAudit.
type AuditCheck struct {
	Entries   int64 // entries checked
	BrokenSeq int64 // the first entry whose hash or link does not hold; 0 when the chain is whole
	BrokenID  int64
}

// VerifyAudit walks the audit log in the order it was written and recomputes
// each entry's hash from its content and the hash before it. The first
// entry kept is the anchor (older ones may have been removed by retention).
func (d *DB) VerifyAudit(ctx context.Context) (_ AuditCheck, err error) {
	defer wrap(&err, "verify audit")
	var c AuditCheck
	rows, err := d.Pool.Query(ctx, `SELECT seq, id, prev_hash, hash,
			sha256(prev_hash || convert_to(audit_entry_text(a), 'UTF8')) = hash AS self_ok,
			lag(hash) OVER (ORDER BY seq) AS prev
		FROM audit_log AS a ORDER BY seq`)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq, id        int64
			prevHash, hash []byte
			selfOK         bool
			previous       []byte
		)
		if err := rows.Scan(&seq, &id, &prevHash, &hash, &selfOK, &previous); err != nil {
			return c, err
		}
		c.Entries++
		linked := c.Entries == 1 || bytes.Equal(prevHash, previous)
		if (!selfOK || !linked) && c.BrokenSeq == 0 {
			c.BrokenSeq, c.BrokenID = seq, id
		}
	}
	return c, rows.Err()
}

// AuditQuery filters the audit log for review; zero fields do not filter.
type AuditQuery struct {
	Actor     string // the actor's login ID
	Role      string
	Subject   string // the member's login ID
	Action    string
	From, To  *time.Time
	BeforeSeq int64 // keyset: entries written before this one
}

// AuditRow is one entry as the review page shows it.
type AuditRow struct {
	AuditEntry `bun:",extend"`

	Seq          int64  `bun:"seq,scanonly"`
	Hash         []byte `bun:"hash,scanonly"`
	ActorLogin   string `bun:"actor_login,scanonly"`
	ActorName    string `bun:"actor_name,scanonly"`
	SubjectLogin string `bun:"subject_login,scanonly"`
}

// AuditPage is how many entries the review page shows at once.
const AuditPage = 50

// auditSelect is the audit log joined with the accounts it names, filtered by q.
func (d *DB) auditSelect(q AuditQuery) *bun.SelectQuery {
	sel := d.Bun.NewSelect().
		ColumnExpr("l.id, l.at, l.actor_id, l.actor_role, l.action, l.subject_id, l.fields, l.purpose, l.detail, l.ip, l.seq, l.hash").
		ColumnExpr("act.login_id AS actor_login, act.display_name AS actor_name, coalesce(sub.login_id, '') AS subject_login").
		ModelTableExpr("audit_log AS l").
		Join("JOIN accounts AS act ON act.id = l.actor_id").
		Join("LEFT JOIN accounts AS sub ON sub.id = l.subject_id")
	if q.Actor != "" {
		sel = sel.Where("lower(act.login_id) = lower(?)", q.Actor)
	}
	if q.Role != "" {
		sel = sel.Where("l.actor_role = ?", q.Role)
	}
	if q.Subject != "" {
		sel = sel.Where("lower(sub.login_id) = lower(?)", q.Subject)
	}
	if q.Action != "" {
		sel = sel.Where("l.action = ?", q.Action)
	}
	if q.From != nil {
		sel = sel.Where("l.at >= ?", *q.From)
	}
	if q.To != nil {
		sel = sel.Where("l.at < ?", *q.To)
	}
	if q.BeforeSeq > 0 {
		sel = sel.Where("l.seq < ?", q.BeforeSeq)
	}
	return sel
}

// ReviewAudit returns a page of entries, newest first, and the seq to
// continue before (0 on the last page).
func (d *DB) ReviewAudit(ctx context.Context, q AuditQuery) (_ []AuditRow, _ int64, err error) {
	defer wrap(&err, "review audit")
	var rows []AuditRow
	if err := d.auditSelect(q).Model(&rows).OrderExpr("l.seq DESC").Limit(AuditPage + 1).Scan(ctx); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(rows) > AuditPage {
		rows = rows[:AuditPage]
		next = rows[AuditPage-1].Seq
	}
	return rows, next, nil
}

// EachAudit calls fn with every entry q selects, in the order they were
// written, reading them as it goes.
func (d *DB) EachAudit(ctx context.Context, q AuditQuery, fn func(*AuditRow) error) (_ int64, err error) {
	defer wrap(&err, "each audit")
	rows, err := d.auditSelect(q).OrderExpr("l.seq").Rows(ctx)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var r AuditRow
		if err := d.Bun.ScanRow(ctx, rows, &r); err != nil {
			return n, err
		}
		if err := fn(&r); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// AuditSummaryRow counts one person's entries of one action in a month.
type AuditSummaryRow struct {
	ActorLogin string `bun:"actor_login"`
	ActorName  string `bun:"actor_name"`
	Action     string `bun:"action"`
	Entries    int    `bun:"entries"`
	Members    int    `bun:"members"`
}

// AuditSummary is the ward's regular check of the operator: per moderator
// and action, how many entries and how many distinct members in [from, to).
func (d *DB) AuditSummary(ctx context.Context, from, to time.Time) (_ []AuditSummaryRow, err error) {
	defer wrap(&err, "audit summary")
	var out []AuditSummaryRow
	err = d.Bun.NewSelect().TableExpr("audit_log AS l").
		ColumnExpr("act.login_id AS actor_login, act.display_name AS actor_name, l.action").
		ColumnExpr("count(*) AS entries, count(DISTINCT l.subject_id) AS members").
		Join("JOIN accounts AS act ON act.id = l.actor_id").
		Where("l.at >= ? AND l.at < ? AND l.actor_role LIKE ?", from, to, "%"+RoleModerator+"%").
		GroupExpr("act.login_id, act.display_name, l.action").
		OrderExpr("act.login_id, l.action").Scan(ctx, &out)
	return out, err
}
