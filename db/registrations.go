package db

import (
	"context"
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
func (d *DB) PendingRegistrations(ctx context.Context, actor *Account, role, ip string, limit int) ([]PendingRegistration, error) {
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
		entries[i] = &AuditEntry{ActorID: actor.ID, ActorRole: role, Action: AuditView, SubjectID: &out[i].Account.ID,
			Fields: RegistrationListFields, Detail: "registrations", IP: ip}
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
func (d *DB) PendingRegistration(ctx context.Context, id int64, actor *Account, role, ip string) (*PendingRegistration, error) {
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
	return &r, Audit(ctx, d.Bun, &AuditEntry{ActorID: actor.ID, ActorRole: role, Action: AuditView, SubjectID: &id,
		Fields: RegistrationListFields, Detail: "registrations", IP: ip})
}

// DecideRegistration records one side's decision in a transaction that locks
// the account row, so two staff acting at once cannot both decide and an
// account is activated exactly when the second confirmation lands. mailFor
// composes the mail to send (activation or rejection), enqueued in the same
// transaction.
func (d *DB) DecideRegistration(ctx context.Context, accountID int64, side, decision, reason string, actor *Account, role, ip string,
	mailFor func(r DecisionResult) *Mail) (DecisionResult, error) {
	var res DecisionResult
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		acc := new(Account)
		if err := tx.NewSelect().Model(acc).Where("id = ? AND kind = ?", accountID, KindMember).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "registration")
		}
		if acc.Status != StatusPending {
			return &ErrAlreadyDecided{}
		}
		var prior RegistrationDecision
		err := tx.NewSelect().Model(&prior).ColumnExpr("rd.*, a.display_name AS actor_name").
			ModelTableExpr("registration_decisions AS rd").Join("JOIN accounts AS a ON a.id = rd.actor_id").
			Where("rd.account_id = ? AND rd.side = ?", accountID, side).Scan(ctx)
		if err == nil {
			return &ErrAlreadyDecided{By: &prior}
		}
		if decision == "confirm" {
			// Two confirmations mean two people: whoever confirmed for one
			// side cannot confirm for the other.
			other, err := tx.NewSelect().Model((*RegistrationDecision)(nil)).
				Where("account_id = ? AND actor_id = ? AND side <> ?", accountID, actor.ID, side).Exists(ctx)
			if err != nil {
				return err
			}
			if other {
				return &ErrSameActor{}
			}
		}
		dec := &RegistrationDecision{AccountID: accountID, Side: side, Decision: decision, Reason: reason, ActorID: actor.ID}
		if _, err := tx.NewInsert().Model(dec).Exec(ctx); err != nil {
			return err
		}
		switch decision {
		case "reject":
			acc.Status = StatusRejected
			res.Rejected = true
		case "confirm":
			n, err := tx.NewSelect().Model((*RegistrationDecision)(nil)).
				Where("account_id = ? AND decision = 'confirm'", accountID).Count(ctx)
			if err != nil {
				return err
			}
			if n == 2 {
				acc.Status = StatusActive
				res.Activated = true
			}
		default:
			return fmt.Errorf("decision %q: %w", decision, ErrConflict)
		}
		if _, err := tx.NewUpdate().Model(acc).Column("status").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return err
		}
		res.Account = acc
		var email string
		if err := tx.NewSelect().Model((*MemberProfile)(nil)).Column("email").Where("account_id = ?", accountID).Scan(ctx, &email); err != nil {
			return err
		}
		res.Email = email
		action, auditAction := ActionConfirm, AuditConfirm
		if res.Rejected {
			action, auditAction = ActionReject, AuditReject
		}
		if err := Audit(ctx, tx, &AuditEntry{ActorID: actor.ID, ActorRole: role, Action: auditAction, SubjectID: &accountID,
			Detail: side + ": " + reason, IP: ip}); err != nil {
			return err
		}
		if err := RecordAccess(ctx, tx, AccessEvent{AccountID: &actor.ID, LoginID: actor.LoginID, Action: action,
			Success: true, IP: ip, Detail: acc.LoginID}); err != nil {
			return err
		}
		if mailFor != nil {
			if m := mailFor(res); m != nil {
				m.AccountID = &accountID
				return EnqueueMail(ctx, tx, m)
			}
		}
		return nil
	})
	return res, err
}
