package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Sides of a registration confirmation: the operator (moderators of the NPO
// council running the site) and the ward (ward staff).
const (
	SideOperator = "operator"
	SideWard     = "ward"
)

// A side's decision on a registration.
const (
	RegistrationConfirm = "confirm"
	RegistrationReject  = "reject"
)

// RegistrationDecision is one side's confirmation or rejection.
type RegistrationDecision struct {
	bun.BaseModel `bun:"table:registration_decisions"`

	ID        int64     `bun:"id,pk,autoincrement"`
	AccountID int64     `bun:"account_id"`
	Side      string    `bun:"side"`
	Decision  string    `bun:"decision"`
	Reason    string    `bun:"reason"`
	ActorID   int64     `bun:"actor_id"`
	DecidedAt time.Time `bun:"decided_at,nullzero,default:now()"`

	ActorName string `bun:"actor_name,scanonly"`
}

// PendingRegistration is a registration waiting for decisions, with the
// personal data staff need to confirm it.
type PendingRegistration struct {
	Account   Account
	Profile   MemberProfile
	Decisions []RegistrationDecision
}

// Decided returns this side's decision, if any.
func (p *PendingRegistration) Decided(side string) *RegistrationDecision {
	for i := range p.Decisions {
		if p.Decisions[i].Side == side {
			return &p.Decisions[i]
		}
	}
	return nil
}

// PendingRegistrations lists registrations waiting for a decision, oldest
// first, and writes one audit entry per member shown: the list shows
// personal data, so looking at it is on record.
func (d *DB) PendingRegistrations(ctx context.Context, actor Actor, limit int) (_ []PendingRegistration, err error) {
	defer wrap(&err, "pending registrations")
	var accs []Account
	if err := d.Bun.NewSelect().Model(&accs).Where("status = ? AND kind = ?", StatusPending, KindMember).
		OrderExpr("created_at, id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	if len(accs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(accs))
	for i := range accs {
		ids[i] = accs[i].ID
	}
	var profiles []MemberProfile
	if err := d.Bun.NewSelect().Model(&profiles).Where("account_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	var decisions []RegistrationDecision
	if err := d.Bun.NewSelect().Model(&decisions).
		ColumnExpr("rd.*, a.display_name AS actor_name").
		ModelTableExpr("registration_decisions AS rd").
		Join("JOIN accounts AS a ON a.id = rd.actor_id").
		Where("rd.account_id IN (?)", bun.List(ids)).OrderExpr("rd.decided_at").Scan(ctx); err != nil {
		return nil, err
	}
	byID := map[int64]*PendingRegistration{}
	out := make([]PendingRegistration, len(accs))
	for i := range accs {
		out[i].Account = accs[i]
		byID[accs[i].ID] = &out[i]
	}
	for _, p := range profiles {
		byID[p.AccountID].Profile = p
	}
	for _, dd := range decisions {
		byID[dd.AccountID].Decisions = append(byID[dd.AccountID].Decisions, dd)
	}
	entries := make([]*AuditEntry, len(out))
	for i := range out {
		entries[i] = actor.Entry(AuditView, &out[i].Account.ID, RegistrationListFields, "registrations")
	}
	return out, Audit(ctx, d.Bun, entries...)
}

// RegistrationListFields are the personal-data fields the registration list shows.
var RegistrationListFields = []string{"name", "name_kana", "postal_code", "address", "phone", "fax", "email"}

// DecisionResult tells the caller what a decision did.
type DecisionResult struct {
	Account   *Account
	Activated bool // both sides have now confirmed
	Rejected  bool
	Email     string
}

// ErrAlreadyDecided means this side has already decided on the registration,
// or it is no longer pending; Decision says who did.
type ErrAlreadyDecided struct{ By *RegistrationDecision }

func (e *ErrAlreadyDecided) Error() string { return "registration already decided" }
func (e *ErrAlreadyDecided) Unwrap() error { return ErrConflict }

// ErrSameActor means the staff member already confirmed for the other side.
type ErrSameActor struct{}

func (e *ErrSameActor) Error() string { return "the same person cannot confirm for both sides" }
func (e *ErrSameActor) Unwrap() error { return ErrConflict }

// PendingRegistration loads one registration with its decisions (whatever
// its status now) and audits the view, for the inline update after a decision.
func (d *DB) PendingRegistration(ctx context.Context, id int64, actor Actor) (_ *PendingRegistration, err error) {
	defer wrap(&err, "pending registration")
	var r PendingRegistration
	if err := d.Bun.NewSelect().Model(&r.Account).Where("id = ? AND kind = ?", id, KindMember).Scan(ctx); err != nil {
		return nil, notFound(err, "registration")
	}
	if err := d.Bun.NewSelect().Model(&r.Profile).Where("account_id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "registration profile")
	}
	if err := d.Bun.NewSelect().Model(&r.Decisions).
		ColumnExpr("rd.*, a.display_name AS actor_name").
		ModelTableExpr("registration_decisions AS rd").
		Join("JOIN accounts AS a ON a.id = rd.actor_id").
		Where("rd.account_id = ?", id).OrderExpr("rd.decided_at").Scan(ctx); err != nil {
		return nil, err
	}
	return &r, Audit(ctx, d.Bun, actor.Entry(AuditView, &id, RegistrationListFields, "registrations"))
}

// RegistrationInput is one side's decision on a registration.
type RegistrationInput struct {
	AccountID int64  // the registering member
	Side      string // SideOperator or SideWard
	Decision  string // RegistrationConfirm or RegistrationReject
	Reason    string // required for a rejection; mailed to the member
	Actor     Actor  // the staff member deciding, in the side's role
}

// DecideRegistration records one side's decision in a transaction that locks
// the account row, so two staff acting at once cannot both decide and an
// account is activated exactly when the second confirmation lands. mailFor
// composes the mail to send (activation or rejection), enqueued in the same
// transaction.
func (d *DB) DecideRegistration(ctx context.Context, in RegistrationInput, mailFor func(r DecisionResult) *Mail) (res DecisionResult, err error) {
	defer wrap(&err, "decide registration")
	if in.Decision != RegistrationConfirm && in.Decision != RegistrationReject {
		return res, fmt.Errorf("decision %q: %w", in.Decision, ErrConflict)
	}
	actor := in.Actor.Account
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		acc := new(Account)
		if err := tx.NewSelect().Model(acc).Where("id = ? AND kind = ?", in.AccountID, KindMember).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "registration")
		}
		if acc.Status != StatusPending {
			return &ErrAlreadyDecided{}
		}
		var prior RegistrationDecision
		err := tx.NewSelect().Model(&prior).ColumnExpr("rd.*, a.display_name AS actor_name").
			ModelTableExpr("registration_decisions AS rd").Join("JOIN accounts AS a ON a.id = rd.actor_id").
			Where("rd.account_id = ? AND rd.side = ?", in.AccountID, in.Side).Scan(ctx)
		switch {
		case err == nil:
			return &ErrAlreadyDecided{By: &prior}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("prior decision: %w", err)
		}
		if in.Decision == RegistrationConfirm {
			// Two confirmations mean two people: whoever confirmed for one
			// side cannot confirm for the other.
			other, err := tx.NewSelect().Model((*RegistrationDecision)(nil)).
				Where("account_id = ? AND actor_id = ? AND side <> ?", in.AccountID, actor.ID, in.Side).Exists(ctx)
			if err != nil {
				return err
			}
			if other {
				return &ErrSameActor{}
			}
		}
		dec := &RegistrationDecision{AccountID: in.AccountID, Side: in.Side, Decision: in.Decision, Reason: in.Reason, ActorID: actor.ID}
		if _, err := tx.NewInsert().Model(dec).Exec(ctx); err != nil {
			return err
		}
		switch in.Decision {
		case RegistrationReject:
			acc.Status = StatusRejected
			res.Rejected = true
		case RegistrationConfirm:
			n, err := tx.NewSelect().Model((*RegistrationDecision)(nil)).
				Where("account_id = ? AND decision = ?", in.AccountID, RegistrationConfirm).Count(ctx)
			if err != nil {
				return err
			}
			if n == 2 {
				acc.Status = StatusActive
				res.Activated = true
			}
		}
		if _, err := tx.NewUpdate().Model(acc).Column("status").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return err
		}
		res.Account = acc
		var email string
		if err := tx.NewSelect().Model((*MemberProfile)(nil)).Column("email").Where("account_id = ?", in.AccountID).Scan(ctx, &email); err != nil {
			return err
		}
		res.Email = email
		action, auditAction := ActionConfirm, AuditConfirm
		if res.Rejected {
			action, auditAction = ActionReject, AuditReject
		}
		if err := Audit(ctx, tx, in.Actor.Entry(auditAction, &in.AccountID, nil, in.Side+": "+in.Reason)); err != nil {
			return err
		}
		if err := RecordAccess(ctx, tx, in.Actor.access(action, acc.LoginID)); err != nil {
			return err
		}
		if mailFor != nil {
			if m := mailFor(res); m != nil {
				m.AccountID = &in.AccountID
				return EnqueueMail(ctx, tx, m)
			}
		}
		return nil
	})
	return res, err
}
