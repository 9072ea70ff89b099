package db

// Inquiries (第8条2項3号): a resident asks a division through the portal; the
// division's staff answer from the portal and the answer is mailed. Neither
// side sees the other's e-mail address: only the portal sends. The
// resident's name and contact are personal data, so every staff view of
// them writes an audit entry, and the retention job removes old inquiries.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// RateInquiry counts inquiries sent, per client address.
const RateInquiry = "inquiry"

// Inquiry statuses.
const (
	InquiryNew        = "new"
	InquiryInProgress = "in_progress"
	InquiryAnswered   = "answered"
	InquiryClosed     = "closed"
)

// InquiryStatuses are the statuses in the order of their life.
var InquiryStatuses = []string{InquiryNew, InquiryInProgress, InquiryAnswered, InquiryClosed}

// Kinds of inquiry event.
const (
	InquiryReceived = "received"
	InquiryAssigned = "assigned"
	InquiryStatus   = "status"
	InquiryNote     = "note"   // internal: never mailed
	InquiryAnswer   = "answer" // mailed to the resident
)

// InquiryPersonalFields are the fields a staff view of an inquiry shows and
// the audit entry names. The e-mail address is not among them: the portal
// addresses the answer, and staff never see the address (nor the resident
// theirs).
var InquiryPersonalFields = []string{"name", "phone"}

// ErrRateLimited is returned when a limit on sending has been reached.
var ErrRateLimited = errors.New("rate limited")

// Inquiry is one resident's question to a division.
type Inquiry struct {
	bun.BaseModel `bun:"table:inquiries,alias:iq"`

	ID         int64     `bun:"id,pk,autoincrement"`
	DivisionID int64     `bun:"division_id,nullzero"` // 0 when the inquiry is to a group
	GroupID    *int64    `bun:"group_id"`             // the group whose inbox it is in, else nil
	PageID     *int64    `bun:"page_id"`
	Subject    string    `bun:"subject"`
	Body       string    `bun:"body"`
	Name       string    `bun:"name"`
	Email      string    `bun:"email"`
	Phone      string    `bun:"phone"`
	Status     string    `bun:"status,nullzero,default:'new'"`
	AssigneeID *int64    `bun:"assignee_id"`
	IPHash     string    `bun:"ip_hash"`
	CreatedAt  time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt  time.Time `bun:"updated_at,nullzero,default:now()"`
}

// InquiryEvent is one line of an inquiry's history.
type InquiryEvent struct {
	bun.BaseModel `bun:"table:inquiry_events"`

	ID        int64     `bun:"id,pk,autoincrement"`
	InquiryID int64     `bun:"inquiry_id"`
	Kind      string    `bun:"kind"`
	ActorID   *int64    `bun:"actor_id"`
	Status    string    `bun:"status"`
	Body      string    `bun:"body"`
	At        time.Time `bun:"at,nullzero,default:now()"`
}

// InquiryLimit is the rate limit a new inquiry is held to: at most Max from
// one client address since Since.
type InquiryLimit struct {
	IP    string
	Since time.Time
	Max   int
}

// CreateInquiry stores an inquiry with its first history line and enqueues
// receipt (addressed here to the inquirer) in one transaction, unless the
// address has reached its limit: then ErrRateLimited and nothing stored.
// Concurrent senders from one address take turns on an advisory lock, so
// the limit holds.
func (d *DB) CreateInquiry(ctx context.Context, inq *Inquiry, receipt *Mail, lim InquiryLimit) (err error) {
	defer wrap(&err, "create inquiry")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(?))`, RateInquiry+":"+lim.IP); err != nil {
			return err
		}
		n, err := CountRate(ctx, tx, RateKey{Kind: RateInquiry, IP: lim.IP}, lim.Since)
		if err != nil {
			return err
		}
		if n >= lim.Max {
			return ErrRateLimited
		}
		if err := RecordRate(ctx, tx, RateInquiry, "", lim.IP); err != nil {
			return err
		}
		inq.Status = InquiryNew
		if _, err := tx.NewInsert().Model(inq).Returning("*").Exec(ctx); err != nil {
			return err
		}
		if err := addInquiryEvent(ctx, tx, &InquiryEvent{InquiryID: inq.ID, Kind: InquiryReceived, Status: InquiryNew}); err != nil {
			return err
		}
		if receipt == nil {
			return nil
		}
		receipt.To = inq.Email
		return EnqueueMail(ctx, tx, receipt)
	})
}

// LivePageDivision returns the division of a published page, for an
// inquiry about it; ErrNotFound when no such page is live.
func (d *DB) LivePageDivision(ctx context.Context, pageID int64) (_ int64, err error) {
	defer wrap(&err, "page division")
	var div int64
	err = d.Bun.NewSelect().Table("pages").Column("division_id").
		Where("id = ? AND live_revision_id IS NOT NULL", pageID).Scan(ctx, &div)
	return div, notFound(err, "page")
}

// Division returns one division.
func (d *DB) Division(ctx context.Context, id int64) (_ *Division, err error) {
	defer wrap(&err, "division")
	dv := new(Division)
	if err := d.Bun.NewSelect().Model(dv).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "division")
	}
	return dv, nil
}

// InquiryRow is a line of a division's inbox: no name, no contact, so the
// list itself needs no audit entry.
type InquiryRow struct {
	ID           int64     `bun:"id"`
	Subject      string    `bun:"subject"`
	Status       string    `bun:"status"`
	DivisionName string    `bun:"division_name"`
	Assignee     string    `bun:"assignee"`
	CreatedAt    time.Time `bun:"created_at"`
}

// InquiryListLimit is how many inquiries the inbox lists.
const InquiryListLimit = 200

// Inquiries lists, newest first, the inquiries of the divisions acc belongs
// to (staff_divisions), those of one status when status is not "".
func (d *DB) Inquiries(ctx context.Context, acc *Account, status string) (_ []InquiryRow, err error) {
	defer wrap(&err, "inquiries")
	var rows []InquiryRow
	q := d.Bun.NewSelect().TableExpr("inquiries AS iq").
		ColumnExpr("iq.id, iq.subject, iq.status, iq.created_at, dv.name AS division_name, coalesce(ac.display_name, '') AS assignee").
		Join("JOIN divisions AS dv ON dv.id = iq.division_id").
		Join("LEFT JOIN accounts AS ac ON ac.id = iq.assignee_id").
		Where("iq.division_id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", acc.ID).
		OrderExpr("iq.id DESC").Limit(InquiryListLimit)
	if status != "" {
		q = q.Where("iq.status = ?", status)
	}
	err = q.Scan(ctx, &rows)
	return rows, err
}

// GroupInquiries is the inbox of acc's group: newest first, those of one
// status when status is not "". Like a division's inbox it shows no name
// and no contact.
func (d *DB) GroupInquiries(ctx context.Context, acc *Account, status string) (_ []InquiryRow, err error) {
	defer wrap(&err, "group inquiries")
	var rows []InquiryRow
	q := d.Bun.NewSelect().TableExpr("inquiries AS iq").
		ColumnExpr("iq.id, iq.subject, iq.status, iq.created_at, g.name AS division_name, '' AS assignee").
		Join("JOIN groups AS g ON g.id = iq.group_id").
		Where("g.account_id = ?", acc.ID).
		OrderExpr("iq.id DESC").Limit(InquiryListLimit)
	if status != "" {
		q = q.Where("iq.status = ?", status)
	}
	err = q.Scan(ctx, &rows)
	return rows, err
}

// inquiryFor loads an inquiry for a staff member of its division (or the
// account of the group whose inbox it is in), locking it for update; anyone
// else gets ErrForbidden.
func inquiryFor(ctx context.Context, tx bun.Tx, id int64, acc *Account) (*Inquiry, error) {
	inq := new(Inquiry)
	if err := tx.NewSelect().Model(inq).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "inquiry")
	}
	var ok bool
	var err error
	if inq.GroupID != nil {
		// A group's inbox: only the group's own account.
		ok, err = tx.NewSelect().Table("groups").Where("id = ? AND account_id = ?", *inq.GroupID, acc.ID).Exists(ctx)
	} else {
		ok, err = tx.NewSelect().Table("staff_divisions").
			Where("account_id = ? AND division_id = ?", acc.ID, inq.DivisionID).Exists(ctx)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("inquiry %d: %w", id, ErrForbidden)
	}
	return inq, nil
}

func addInquiryEvent(ctx context.Context, idb bun.IDB, ev *InquiryEvent) error {
	if _, err := idb.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("inquiry event: %w", err)
	}
	return nil
}

// InquiryDetail is an inquiry as its division's staff see it.
type InquiryDetail struct {
	Inquiry  *Inquiry
	Division *Division // empty for an inquiry to a group
	Group    *Group    // the group, for an inquiry to a group; else nil
	Events   []InquiryEvent
	Names    map[int64]string // display names of the staff in the history and the assignee
}

// ViewInquiry loads an inquiry, its history and the names of the staff in
// it for a member of its division (or the group whose inbox it is in), and
// writes one audit entry saying who saw the inquirer's name and contact, in
// which role, from where.
func (d *DB) ViewInquiry(ctx context.Context, id int64, actor Actor) (_ *InquiryDetail, err error) {
	defer wrap(&err, "view inquiry")
	out := &InquiryDetail{Division: new(Division)}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inq, err := inquiryFor(ctx, tx, id, actor.Account)
		if err != nil {
			return err
		}
		out.Inquiry = inq
		if inq.GroupID != nil {
			out.Group = new(Group)
			if err := tx.NewSelect().Model(out.Group).Column("id", "name", "contact").Where("id = ?", *inq.GroupID).Scan(ctx); err != nil {
				return err
			}
		} else if err := tx.NewSelect().Model(out.Division).Where("id = ?", inq.DivisionID).Scan(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&out.Events).Where("inquiry_id = ?", id).Order("id").Scan(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, actor.Entry(AuditView, nil, InquiryPersonalFields, "inquiry "+strconv.FormatInt(id, 10)))
	})
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	for _, e := range out.Events {
		if e.ActorID != nil {
			ids = append(ids, *e.ActorID)
		}
	}
	if out.Inquiry.AssigneeID != nil {
		ids = append(ids, *out.Inquiry.AssigneeID)
	}
	if out.Names, err = d.StaffNames(ctx, ids); err != nil {
		return nil, err
	}
	if out.Group != nil { // a group's own actions are the group's
		for _, e := range out.Events {
			if e.ActorID != nil && out.Names[*e.ActorID] == "" {
				out.Names[*e.ActorID] = out.Group.Name
			}
		}
	}
	return out, nil
}

// changeInquiry runs fn on an inquiry of the actor's division, sets its
// status when status is not "" and stamps its last activity.
func (d *DB) changeInquiry(ctx context.Context, id int64, actor Actor, fn func(tx bun.Tx, inq *Inquiry) error) error {
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inq, err := inquiryFor(ctx, tx, id, actor.Account)
		if err != nil {
			return err
		}
		if err := fn(tx, inq); err != nil {
			return err
		}
		inq.UpdatedAt = time.Now()
		_, err = tx.NewUpdate().Model(inq).Column("status", "assignee_id", "updated_at").WherePK().Exec(ctx)
		return err
	})
}

// AssignInquiry makes the actor the inquiry's assignee; a new inquiry is
// then in progress.
func (d *DB) AssignInquiry(ctx context.Context, id int64, actor Actor) (err error) {
	defer wrap(&err, "assign inquiry")
	return d.changeInquiry(ctx, id, actor, func(tx bun.Tx, inq *Inquiry) error {
		inq.AssigneeID = &actor.Account.ID
		if inq.Status == InquiryNew {
			inq.Status = InquiryInProgress
		}
		return addInquiryEvent(ctx, tx, &InquiryEvent{InquiryID: id, Kind: InquiryAssigned, ActorID: &actor.Account.ID, Status: inq.Status})
	})
}

// NoteInquiry adds an internal note, seen by the division's staff only.
func (d *DB) NoteInquiry(ctx context.Context, id int64, actor Actor, text string) (err error) {
	defer wrap(&err, "note inquiry")
	return d.changeInquiry(ctx, id, actor, func(tx bun.Tx, inq *Inquiry) error {
		return addInquiryEvent(ctx, tx, &InquiryEvent{InquiryID: id, Kind: InquiryNote, ActorID: &actor.Account.ID, Status: inq.Status, Body: text})
	})
}

// AnswerInquiry records an answer and enqueues it to the inquirer in the
// same transaction: compose builds the mail from the inquiry, and the
// portal addresses it, so the staff member never sees the address and the
// resident never sees the staff member's. The inquiry is then answered.
func (d *DB) AnswerInquiry(ctx context.Context, id int64, actor Actor, text string, compose func(*Inquiry) *Mail) (err error) {
	defer wrap(&err, "answer inquiry")
	return d.changeInquiry(ctx, id, actor, func(tx bun.Tx, inq *Inquiry) error {
		inq.Status = InquiryAnswered
		if err := addInquiryEvent(ctx, tx, &InquiryEvent{InquiryID: id, Kind: InquiryAnswer, ActorID: &actor.Account.ID, Status: inq.Status, Body: text}); err != nil {
			return err
		}
		m := compose(inq)
		m.To = inq.Email
		return EnqueueMail(ctx, tx, m)
	})
}

// CloseInquiry closes an inquiry: nothing more is expected of anyone.
func (d *DB) CloseInquiry(ctx context.Context, id int64, actor Actor) (err error) {
	defer wrap(&err, "close inquiry")
	return d.changeInquiry(ctx, id, actor, func(tx bun.Tx, inq *Inquiry) error {
		inq.Status = InquiryClosed
		return addInquiryEvent(ctx, tx, &InquiryEvent{InquiryID: id, Kind: InquiryStatus, ActorID: &actor.Account.ID, Status: inq.Status})
	})
}

// purgeInquiries deletes inquiries (and their history) whose last activity
// was before cutoff, batch rows at a time.
func (d *DB) purgeInquiries(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	return d.purgeBefore(ctx, "inquiries", "updated_at", cutoff, batch)
}

// InquiryTemplate is a division's answer template.
type InquiryTemplate struct {
	bun.BaseModel `bun:"table:inquiry_templates,alias:it"`

	ID           int64     `bun:"id,pk,autoincrement"`
	DivisionID   int64     `bun:"division_id"`
	Title        string    `bun:"title"`
	Body         string    `bun:"body"`
	CreatedBy    *int64    `bun:"created_by"`
	CreatedAt    time.Time `bun:"created_at,nullzero,default:now()"`
	DivisionName string    `bun:"division_name,scanonly"`
}

// InquiryTemplates lists the answer templates of the divisions acc belongs
// to, or of one division when divisionID is not 0 (still only acc's).
func (d *DB) InquiryTemplates(ctx context.Context, acc *Account, divisionID int64) (_ []InquiryTemplate, err error) {
	defer wrap(&err, "inquiry templates")
	var out []InquiryTemplate
	q := d.Bun.NewSelect().Model(&out).ColumnExpr("it.*, dv.name AS division_name").
		Join("JOIN divisions AS dv ON dv.id = it.division_id").
		Where("it.division_id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", acc.ID).
		Order("dv.code", "it.title", "it.id")
	if divisionID != 0 {
		q = q.Where("it.division_id = ?", divisionID)
	}
	err = q.Scan(ctx)
	return out, err
}

func inDivision(ctx context.Context, idb bun.IDB, acc *Account, divisionID int64) error {
	ok, err := idb.NewSelect().Table("staff_divisions").
		Where("account_id = ? AND division_id = ?", acc.ID, divisionID).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("division %d: %w", divisionID, ErrForbidden)
	}
	return nil
}

// AddInquiryTemplate adds an answer template to one of the actor's divisions.
func (d *DB) AddInquiryTemplate(ctx context.Context, actor Actor, t *InquiryTemplate) (err error) {
	defer wrap(&err, "add inquiry template")
	if err := inDivision(ctx, d.Bun, actor.Account, t.DivisionID); err != nil {
		return err
	}
	t.CreatedBy = &actor.Account.ID
	_, err = d.Bun.NewInsert().Model(t).Exec(ctx)
	return err
}

// DeleteInquiryTemplate removes an answer template of one of the actor's
// divisions.
func (d *DB) DeleteInquiryTemplate(ctx context.Context, actor Actor, id int64) (err error) {
	defer wrap(&err, "delete inquiry template")
	t := new(InquiryTemplate)
	if err := d.Bun.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return notFound(err, "inquiry template")
	}
	if err := inDivision(ctx, d.Bun, actor.Account, t.DivisionID); err != nil {
		return err
	}
	_, err = d.Bun.NewDelete().Model(t).WherePK().Exec(ctx)
	return err
}
