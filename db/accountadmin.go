package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Account administration by ward staff (and, for members, the operator):
// suspension, password reissue, correction of a member's data and new staff
// accounts. Every change is one transaction that also writes an audit entry
// with the values before and after and a line in the account's own access
// history, so neither record can miss a change that happened.

// ErrOwnAccount is returned when staff try to suspend or disable their own
// account: a second person must, as with roles.
var ErrOwnAccount = errors.New("staff may not suspend their own account")

// Status changes.
const (
	StatusSuspend   = "suspend"
	StatusReinstate = "reinstate"
)

// Audit actions and access-history actions of account administration.
const (
	AuditSuspend        = "account_suspend"
	AuditReinstate      = "account_reinstate"
	AuditPasswordIssue  = "password_issue" // a new initial password, shown once to the staff member
	AuditStaffCreate    = "staff_create"
	ActionSuspend       = "account_suspend"
	ActionReinstate     = "account_reinstate"
	ActionPasswordIssue = "password_issue"
	ActionProfileFix    = "profile_correct" // staff corrected the member's personal data
	ActionStaffCreate   = "staff_create"
)

// StatusChange suspends or reinstates one account of a kind.
type StatusChange struct {
	AccountID int64
	Kind      string // the kind the screen is about: a member's page cannot suspend a staff account
	Change    string // StatusSuspend or StatusReinstate
	Reason    string
	Actor     Actor
}

// ChangeStatus suspends an active account or reinstates a suspended one.
// Suspension moves the session generation on, so every open session of the
// account ends at its next request on any instance (app/auth.go loadUser)
// and stays ended after reinstatement. An account in another state (pending,
// withdrawn, already suspended) is ErrConflict; one's own is ErrOwnAccount.
func (d *DB) ChangeStatus(ctx context.Context, ch StatusChange) (err error) {
	defer wrap(&err, "change account status")
	if ch.AccountID == ch.Actor.Account.ID {
		return ErrOwnAccount
	}
	from, to, audit, action := StatusActive, StatusSuspended, AuditSuspend, ActionSuspend
	switch ch.Change {
	case StatusSuspend:
	case StatusReinstate:
		from, to, audit, action = StatusSuspended, StatusActive, AuditReinstate, ActionReinstate
	default:
		return fmt.Errorf("status change %q: %w", ch.Change, ErrConflict)
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var acc Account
		if err := tx.NewSelect().Model(&acc).Where("id = ? AND kind = ?", ch.AccountID, ch.Kind).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "account")
		}
		if acc.Status != from {
			return fmt.Errorf("account %d is %s: %w", acc.ID, acc.Status, ErrConflict)
		}
		q := tx.NewUpdate().Model((*Account)(nil)).
			Set("status = ?, status_reason = ?, status_changed_at = now(), updated_at = now()", to, ch.Reason).
			Where("id = ?", acc.ID)
		if to == StatusSuspended {
			q = q.Set("session_generation = session_generation + 1")
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		detail := fmt.Sprintf("status: %s → %s; reason: %s", from, to, ch.Reason)
		if err := Audit(ctx, tx, ch.Actor.Entry(audit, &acc.ID, []string{"status"}, detail)); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, subjectLine(acc, action, ch.Reason, ch.Actor))
	})
}

// subjectLine is the line in the subject account's access history for what
// staff did to it: the role, not the person, as with an unlock.
func subjectLine(acc Account, action, detail string, actor Actor) AccessEvent {
	return AccessEvent{AccountID: &acc.ID, LoginID: acc.LoginID, Action: action, Success: true, IP: actor.IP,
		Detail: strings.TrimSpace(detail + " (" + actor.Role + ")")}
}

// IssuePassword gives a group or staff account a new initial password
// (hash), to be changed at its first sign-in: the paper-application route
// for a group that lost its password. Every open session of the account
// ends and reset links still open are voided.
func (d *DB) IssuePassword(ctx context.Context, actor Actor, accountID int64, kind, hash string) (err error) {
	defer wrap(&err, "issue password")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var acc Account
		if err := tx.NewSelect().Model(&acc).Where("id = ? AND kind = ? AND status IN (?, ?)", accountID, kind, StatusActive, StatusSuspended).
			For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "account")
		}
		if _, err := tx.NewUpdate().Model((*Account)(nil)).
			Set("password_hash = ?, must_change_password = true, updated_at = now()", hash).
			Set("session_generation = session_generation + 1").
			Where("id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		if err := voidResets(ctx, tx, acc.ID, time.Now()); err != nil {
			return err
		}
		if err := Audit(ctx, tx, actor.Entry(AuditPasswordIssue, &acc.ID, []string{"password"}, "new initial password issued")); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, subjectLine(acc, ActionPasswordIssue, "", actor))
	})
}

// MemberCorrection is staff's correction of a member's personal data and
// handle name, normalised as at registration.
type MemberCorrection struct {
	AccountID int64
	Handle    string
	Profile   MemberProfile // Name, NameKana, PostalCode, Town, Address, Phone, Fax, Email
	Actor     Actor
}

// CorrectMember stores a correction and returns the fields it changed. The
// audit entry names those fields with their values before and after; the
// member's access history names the fields (the member knows their own
// data). Nothing changed writes nothing. A handle or address another member
// has is a *FieldConflict; a withdrawn member (no data left) ErrNotFound.
func (d *DB) CorrectMember(ctx context.Context, c MemberCorrection) (changed []string, err error) {
	defer wrap(&err, "correct member")
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var acc Account
		if err := tx.NewSelect().Model(&acc).Where("id = ? AND kind = ?", c.AccountID, KindMember).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "member")
		}
		var old MemberProfile
		if err := tx.NewSelect().Model(&old).Where("account_id = ?", acc.ID).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "member profile")
		}
		p := c.Profile
		pairs := []struct{ field, before, after string }{
			{"handle", acc.DisplayName, c.Handle},
			{"name", old.Name, p.Name}, {"name_kana", old.NameKana, p.NameKana},
			{"postal_code", old.PostalCode, p.PostalCode}, {"address", old.Address, p.Address},
			{"phone", old.Phone, p.Phone}, {"fax", old.Fax, p.Fax}, {"email", old.Email, p.Email},
		}
		var diffs []string
		for _, f := range pairs {
			if f.before != f.after {
				changed = append(changed, f.field)
				diffs = append(diffs, fmt.Sprintf("%s: %q → %q", f.field, f.before, f.after))
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if p.Email != old.Email {
			taken, err := emailTaken(ctx, tx, p.Email, acc.ID)
			if err != nil {
				return err
			}
			if taken {
				return &FieldConflict{Field: "email"}
			}
		}
		if c.Handle != acc.DisplayName {
			if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("display_name = ?, updated_at = now()", c.Handle).
				Where("id = ?", acc.ID).Exec(ctx); err != nil {
				if IsUniqueViolation(err, "accounts_display_name_key") {
					return &FieldConflict{Field: "handle"}
				}
				return err
			}
		}
		p.AccountID = acc.ID
		if _, err := tx.NewUpdate().Model(&p).Column("name", "name_kana", "postal_code", "town", "address", "phone", "fax", "email").
			Where("account_id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		if err := Audit(ctx, tx, c.Actor.Entry(AuditEdit, &acc.ID, changed, strings.Join(diffs, "; "))); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, subjectLine(acc, ActionProfileFix, strings.Join(changed, ", "), c.Actor))
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// NewStaff is a staff account ward staff create from the back office.
type NewStaff struct {
	LoginID     string
	Name        string
	Roles       []string
	DivisionIDs []int64
	Hash        string // of the initial password, changed at first sign-in
}

// CreateStaffAccount creates a staff account with its roles and divisions,
// on record: an audit entry naming them and the first line of the new
// account's access history. A taken login ID or name is a *FieldConflict
// (Field "login_id" or "name"); a division that does not exist ErrNotFound.
func (d *DB) CreateStaffAccount(ctx context.Context, actor Actor, n NewStaff) (_ *Account, err error) {
	defer wrap(&err, "create staff account")
	roles := canonicalRoles(n.Roles)
	if len(roles) == 0 {
		return nil, ErrNoRoles
	}
	acc := &Account{Kind: KindStaff, LoginID: n.LoginID, DisplayName: n.Name, Roles: roles,
		PasswordHash: n.Hash, MustChangePassword: true, Status: StatusActive}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if exists, err := tx.NewSelect().Model((*Account)(nil)).Where("lower(login_id) = lower(?)", n.LoginID).Exists(ctx); err != nil {
			return err
		} else if exists {
			return &FieldConflict{Field: "login_id"}
		}
		if _, err := tx.NewInsert().Model(acc).Returning("id, created_at, updated_at").Exec(ctx); err != nil {
			switch {
			case IsUniqueViolation(err, "accounts_display_name_key"):
				return &FieldConflict{Field: "name"}
			case IsUniqueViolation(err, "accounts_login_id_key"):
				return &FieldConflict{Field: "login_id"}
			}
			return err
		}
		var codes []string
		if len(n.DivisionIDs) > 0 {
			if err := tx.NewRaw(`SELECT code FROM divisions WHERE id IN (?) ORDER BY code`, bun.List(n.DivisionIDs)).Scan(ctx, &codes); err != nil {
				return err
			}
			if len(codes) != len(n.DivisionIDs) {
				return fmt.Errorf("divisions %v: %w", n.DivisionIDs, ErrNotFound)
			}
			if _, err := tx.NewRaw(`INSERT INTO staff_divisions (account_id, division_id) SELECT ?, unnest(?::bigint[])`,
				acc.ID, pgdialect.Array(n.DivisionIDs)).Exec(ctx); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("login %s; roles: %s; divisions: %s", acc.LoginID, strings.Join(roles, ","), strings.Join(codes, ","))
		if err := Audit(ctx, tx, actor.Entry(AuditStaffCreate, &acc.ID, []string{"roles", "divisions"}, detail)); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, subjectLine(*acc, ActionStaffCreate, "roles: "+strings.Join(roles, ","), actor))
	})
	if err != nil {
		return nil, err
	}
	return acc, nil
}

// GroupAccountQuery pages through group accounts, newest first; Text
// matches part of the group's name or login ID.
type GroupAccountQuery struct {
	Text    string // as typed (names are kept as typed)
	Folded  string // the same with widths folded: a login ID, or a name typed in the other width
	AfterID int64  // keyset: the last id shown
}

// likeAny is a LIKE pattern matching s anywhere.
func likeAny(s string) string {
	return "%" + strings.TrimSuffix(likePrefix(s), "%") + "%"
}

// SearchGroupAccounts returns one page of group accounts and the id to ask
// for the next one after (0: none).
func (d *DB) SearchGroupAccounts(ctx context.Context, q GroupAccountQuery) (_ []Account, next int64, err error) {
	defer wrap(&err, "search group accounts")
	var as []Account
	sel := d.Bun.NewSelect().Model(&as).Where("kind = ?", KindGroup).OrderExpr("id DESC").Limit(PageSize + 1)
	if q.Text != "" {
		typed, folded := likeAny(strings.ToLower(q.Text)), likeAny(strings.ToLower(q.Folded))
		sel = sel.Where("(lower(display_name) LIKE ? OR lower(display_name) LIKE ? OR lower(login_id) LIKE ?)", typed, folded, folded)
	}
	if q.AfterID > 0 {
		sel = sel.Where("id < ?", q.AfterID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, 0, err
	}
	if len(as) > PageSize {
		as = as[:PageSize]
		next = as[PageSize-1].ID
	}
	return as, next, nil
}

// AccountOfKind loads an account of one kind: a group's admin page cannot
// open a member by its id.
func (d *DB) AccountOfKind(ctx context.Context, id int64, kind string) (_ *Account, err error) {
	defer wrap(&err, "account of kind")
	a := new(Account)
	err = d.Bun.NewSelect().Model(a).Where("id = ? AND kind = ?", id, kind).Scan(ctx)
	return a, notFound(err, "account")
}

// Work waiting for staff, counted for the back office's start page.

// PendingRegistrationCount counts registrations waiting for side's decision.
func (d *DB) PendingRegistrationCount(ctx context.Context, side string) (n int, err error) {
	defer wrap(&err, "pending registration count")
	c, err := d.Bun.NewSelect().TableExpr("accounts AS a").
		Where("a.status = ? AND a.kind = ?", StatusPending, KindMember).
		Where("NOT EXISTS (SELECT 1 FROM registration_decisions AS rd WHERE rd.account_id = a.id AND rd.side = ?)", side).
		Count(ctx)
	return int(c), err
}

// OpenInquiryCount counts the inquiries new or in progress in the divisions
// acc belongs to.
func (d *DB) OpenInquiryCount(ctx context.Context, acc *Account) (n int, err error) {
	defer wrap(&err, "open inquiry count")
	c, err := d.Bun.NewSelect().TableExpr("inquiries AS iq").
		Where("iq.status IN (?, ?)", InquiryNew, InquiryInProgress).
		Where("iq.division_id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", acc.ID).
		Count(ctx)
	return int(c), err
}

// SignInLock says why sign-in to one login ID (its rate subject) is being
// refused: how many failures in the window, from how many addresses, the
// most from one address, and the latest.
type SignInLock struct {
	Failures    int
	Addresses   int
	MostFromOne int
	Last        *time.Time
}

// SignInLock reads the failed sign-ins of subject since a time.
func (d *DB) SignInLock(ctx context.Context, subject string, since time.Time) (l SignInLock, err error) {
	defer wrap(&err, "sign-in lock")
	err = d.Bun.NewRaw(`SELECT coalesce(sum(n), 0), count(*), coalesce(max(n), 0), max(last)
		FROM (SELECT ip, count(*) AS n, max(at) AS last FROM rate_events
			WHERE kind = ? AND subject = ? AND at >= ? GROUP BY ip) AS s`, RateSignInFailure, subject, since).
		Scan(ctx, &l.Failures, &l.Addresses, &l.MostFromOne, &l.Last)
	return l, err
}
