package db

// Consent records (第14条): publishing a person's information beyond the
// scope of 第13条 needs their consent on record — whose information, the
// purpose, the content, the page and the period, and how consent was
// obtained — reported to the division in charge of information disclosure.
// The record names a person, so recording and reading one is audited. When
// the period ends the scheduler ends the page and tells its division once.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// How consent was obtained.
const (
	ConsentWritten    = "written"    // 書面
	ConsentOral       = "oral"       // 口頭
	ConsentEmail      = "email"      // 電子メール
	ConsentElectronic = "electronic" // 電子申請
	ConsentOther      = "other"
)

// ConsentMethods are the ways of obtaining consent, in the form's order.
var ConsentMethods = []string{ConsentWritten, ConsentOral, ConsentEmail, ConsentElectronic, ConsentOther}

// ConsentPersonalFields are what a view of a consent record shows of a person.
var ConsentPersonalFields = []string{"name"}

// Consent filters.
const (
	ConsentFilterAll     = ""
	ConsentFilterActive  = "active"
	ConsentFilterExpired = "expired"
)

// ConsentRecord is one person's consent to publication on one page.
type ConsentRecord struct {
	bun.BaseModel `bun:"table:consent_records,alias:cr"`

	ID          int64      `bun:"id,pk,autoincrement"`
	PageID      int64      `bun:"page_id"`
	DivisionID  int64      `bun:"division_id"`
	SubjectName string     `bun:"subject_name"`
	Purpose     string     `bun:"purpose"`
	Content     string     `bun:"content"`
	StartDate   time.Time  `bun:"start_date,type:date"`
	EndDate     time.Time  `bun:"end_date,type:date"`
	Method      string     `bun:"method"`
	MethodNote  string     `bun:"method_note"`
	RecordedBy  int64      `bun:"recorded_by"`
	CreatedAt   time.Time  `bun:"created_at,nullzero,default:now()"`
	EndedAt     *time.Time `bun:"ended_at"`
	NotifiedAt  *time.Time `bun:"notified_at"`

	PageTitle    string `bun:"page_title,scanonly"`
	DivisionName string `bun:"division_name,scanonly"`
	RecorderName string `bun:"recorder_name,scanonly"`
}

// Live reports whether the consent covers the day of now.
func (r *ConsentRecord) Live(now time.Time) bool {
	day := jstDate(now)
	return r.EndedAt == nil && !r.StartDate.After(day) && !r.EndDate.Before(day)
}

// NewConsent is a consent record to store.
type NewConsent struct {
	PageID      int64
	SubjectName string
	Purpose     string
	Content     string
	StartDate   time.Time
	EndDate     time.Time
	Method      string
	MethodNote  string
}

// mayConsent reports whether acc may record and read consents of the page:
// an editor or approver of its division working on its site.
func mayConsent(ctx context.Context, idb bun.IDB, acc *Account, p *ContentPage) error {
	r, err := loadReach(ctx, idb, acc.ID)
	if err != nil {
		return err
	}
	if r.may(acc, RoleEditor, p.Kind, p.SiteID, p.DivisionID) == "" &&
		r.may(acc, RoleApprover, p.Kind, p.SiteID, p.DivisionID) == "" {
		return fmt.Errorf("consents of page %d: %w", p.ID, ErrForbidden)
	}
	return nil
}

func consentSelect(idb bun.IDB, out any) *bun.SelectQuery {
	return idb.NewSelect().Model(out).
		ColumnExpr("cr.*").
		ColumnExpr("coalesce((SELECT r.title FROM page_revisions r WHERE r.page_id = cr.page_id ORDER BY r.number DESC LIMIT 1), '') AS page_title").
		ColumnExpr("(SELECT d.name FROM divisions d WHERE d.id = cr.division_id) AS division_name").
		ColumnExpr("coalesce((SELECT a.display_name FROM accounts a WHERE a.id = cr.recorded_by), '') AS recorder_name")
}

// CreateConsent records a consent for a page of the actor's division.
func (d *DB) CreateConsent(ctx context.Context, actor Actor, nc NewConsent) (_ *ConsentRecord, err error) {
	defer wrap(&err, "create consent")
	rec := &ConsentRecord{PageID: nc.PageID, SubjectName: nc.SubjectName, Purpose: nc.Purpose, Content: nc.Content,
		StartDate: nc.StartDate, EndDate: nc.EndDate, Method: nc.Method, MethodNote: nc.MethodNote, RecordedBy: actor.Account.ID}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var p ContentPage
		if err := tx.NewSelect().Model(&p).Where("id = ?", nc.PageID).Scan(ctx); err != nil {
			return notFound(err, "page")
		}
		if err := mayConsent(ctx, tx, actor.Account, &p); err != nil {
			return err
		}
		rec.DivisionID = p.DivisionID
		if _, err := tx.NewInsert().Model(rec).Returning("*").Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, actor.Entry(AuditEdit, nil, ConsentPersonalFields, "consent "+strconv.FormatInt(rec.ID, 10)))
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// ViewConsent loads one record for an editor or approver of its page's
// division, and audits the view.
func (d *DB) ViewConsent(ctx context.Context, actor Actor, id int64) (_ *ConsentRecord, err error) {
	defer wrap(&err, "view consent")
	rec := new(ConsentRecord)
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := consentSelect(tx, rec).Where("cr.id = ?", id).Scan(ctx); err != nil {
			return notFound(err, "consent")
		}
		var p ContentPage
		if err := tx.NewSelect().Model(&p).Where("id = ?", rec.PageID).Scan(ctx); err != nil {
			return err
		}
		if err := mayConsent(ctx, tx, actor.Account, &p); err != nil {
			return err
		}
		return Audit(ctx, tx, actor.Entry(AuditView, nil, ConsentPersonalFields, "consent "+strconv.FormatInt(id, 10)))
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// ConsentQuery selects consent records.
type ConsentQuery struct {
	Filter     string // ConsentFilterActive, ConsentFilterExpired or all
	DivisionID int64  // 0: every division of the actor
	PageID     int64  // 0: every page
	Now        time.Time
}

// Consents lists the records of the actor's divisions, newest first, and
// audits the listing (it shows names). For the report, export is the
// same list audited as an export.
func (d *DB) Consents(ctx context.Context, actor Actor, q ConsentQuery, export bool) (_ []ConsentRecord, err error) {
	defer wrap(&err, "consents")
	var out []ConsentRecord
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := consentSelect(tx, &out).
			Where("cr.division_id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", actor.Account.ID).
			OrderExpr("cr.created_at DESC, cr.id DESC").Limit(2000)
		if q.DivisionID != 0 {
			sel = sel.Where("cr.division_id = ?", q.DivisionID)
		}
		if q.PageID != 0 {
			sel = sel.Where("cr.page_id = ?", q.PageID)
		}
		day := jstDate(q.Now)
		switch q.Filter {
		case ConsentFilterActive:
			sel = sel.Where("cr.ended_at IS NULL AND cr.end_date >= ?", day)
		case ConsentFilterExpired:
			sel = sel.Where("(cr.ended_at IS NOT NULL OR cr.end_date < ?)", day)
		}
		if err := sel.Scan(ctx); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		action, detail := AuditView, "consents"
		if export {
			action, detail = AuditExport, "consents export"
		}
		return Audit(ctx, tx, actor.Entry(action, nil, ConsentPersonalFields, fmt.Sprintf("%s (%d)", detail, len(out))))
	})
	return out, err
}

// ConsentedNames lists the names with a consent covering the day of now for
// the page: the content checker lets them pass.
func (d *DB) ConsentedNames(ctx context.Context, pageID int64, now time.Time) (_ []string, err error) {
	defer wrap(&err, "consented names")
	day := jstDate(now)
	var names []string
	err = d.Bun.NewSelect().Model((*ConsentRecord)(nil)).Distinct().Column("subject_name").
		Where("page_id = ? AND ended_at IS NULL AND start_date <= ? AND end_date >= ?", pageID, day, day).
		Order("subject_name").Scan(ctx, &names)
	return names, err
}

// EndPagesWithExpiredConsent ends the live revision of every page with a
// consent whose period ended before the day of now (a submitted or approved
// revision waiting to go live is sent back, so it cannot publish the name
// later), and mails the page's
// division editors with a work address (mailFor composes it), once per
// record: each record is claimed under a row lock (SKIP LOCKED) and marked.
// It returns how many records it handled.
func (d *DB) EndPagesWithExpiredConsent(ctx context.Context, now time.Time,
	mailFor func(to *Account, rec *ConsentRecord, s *PageState) *Mail) (n int, err error) {
	defer wrap(&err, "end pages with expired consent")
	day := jstDate(now)
	for {
		var did bool
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var due []ConsentRecord
			if err := tx.NewSelect().Model(&due).Where("ended_at IS NULL AND end_date < ?", day).
				OrderExpr("id").Limit(1).For("UPDATE SKIP LOCKED").Scan(ctx); err != nil {
				return err
			}
			if len(due) == 0 {
				return nil
			}
			did = true
			rec := &due[0]
			s, err := pageState(ctx, tx, rec.PageID, true)
			if err != nil {
				return err
			}
			why := "consent " + strconv.FormatInt(rec.ID, 10) + " expired"
			if s.Live != nil && s.Live.Status == RevPublished {
				if err := end(ctx, tx, s.Live, now, nil, "", why); err != nil {
					return err
				}
			}
			// A submitted or approved revision would put the name up again:
			// it goes back to its author (差し戻し) with the reason.
			if s.Working != nil && (s.Working.Status == RevSubmitted || s.Working.Status == RevApproved) {
				if _, err := step(ctx, tx, s, Transition{PageID: s.Page.ID, Comment: why, Now: now}, "", PageActSendBack, RevSentBack,
					[]string{RevSubmitted, RevApproved}, func(q *bun.UpdateQuery) *bun.UpdateQuery {
						return q.Set("decided_by = NULL, decided_at = ?, comment = ?", now, why)
					}); err != nil {
					return err
				}
			}
			if _, err := tx.NewUpdate().Model(rec).Set("ended_at = ?, notified_at = ?", now, now).WherePK().Exec(ctx); err != nil {
				return err
			}
			if mailFor == nil {
				return nil
			}
			var editors []Account
			if err := tx.NewSelect().Model(&editors).
				Where("kind = ? AND status = ? AND ? = ANY(roles)", KindStaff, StatusActive, RoleEditor).
				Where("work_email <> ''").
				Where("id IN (SELECT account_id FROM staff_divisions WHERE division_id = ?)", rec.DivisionID).
				Order("id").Scan(ctx); err != nil {
				return err
			}
			for i := range editors {
				m := mailFor(&editors[i], rec, s)
				if m == nil {
					continue
				}
				m.To, m.AccountID = editors[i].WorkEmail, &editors[i].ID
				if err := EnqueueMail(ctx, tx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		if !did {
			return n, nil
		}
		n++
	}
}

// ConsentPage is a page a consent may be recorded for: its id and title.
type ConsentPage struct {
	ID    int64  `bun:"id"`
	Title string `bun:"title"`
}

// ConsentPages lists the pages of acc's divisions on its sites, newest
// first: the choices of the consent form (CreateConsent checks again).
func (d *DB) ConsentPages(ctx context.Context, acc *Account) (_ []ConsentPage, err error) {
	defer wrap(&err, "consent pages")
	var out []ConsentPage
	err = d.Bun.NewSelect().TableExpr("pages AS p").
		ColumnExpr("p.id").
		ColumnExpr("coalesce((SELECT r.title FROM page_revisions r WHERE r.page_id = p.id ORDER BY r.number DESC LIMIT 1), '') AS title").
		Where("p.division_id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", acc.ID).
		Where("p.site_id IN (SELECT site_id FROM site_staff WHERE account_id = ?)", acc.ID).
		OrderExpr("p.id DESC").Limit(500).Scan(ctx, &out)
	return out, err
}
