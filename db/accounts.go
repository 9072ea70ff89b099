package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// CreateStaff inserts an active staff account that must change its password
// at first sign-in.
func (d *DB) CreateStaff(ctx context.Context, loginID, name string, roles []string, hash string) (*Account, error) {
	a := &Account{
		Kind: KindStaff, LoginID: loginID, DisplayName: name, Roles: roles,
		PasswordHash: hash, MustChangePassword: true, Status: StatusActive,
	}
	_, err := d.Bun.NewInsert().Model(a).Returning("id, created_at, updated_at").Exec(ctx)
	if IsUniqueViolation(err, "") {
		return nil, fmt.Errorf("login ID %q or name %q is taken: %w", loginID, name, ErrConflict)
	}
	return a, err
}

// FieldConflict says which unique field a registration collided on.
type FieldConflict struct{ Field string }

func (e *FieldConflict) Error() string { return e.Field + " is taken" }
func (e *FieldConflict) Unwrap() error { return ErrConflict }

// Registration is a resident's registration to store.
type Registration struct {
	Account *Account
	Profile *MemberProfile
	Mail    *Mail       // the welcome mail
	Event   AccessEvent // the first line of the new account's access history
	Subject string      // the rate-limit key of the e-mail address (see RateRegister)

	// Taken composes the mail to the owner of the e-mail address when a
	// live account has it already; the mail goes to the address on record.
	Taken func(owner *Account) *Mail
}

// ActionRegisterAttempt is the access-history line on an account whose
// e-mail address someone else tried to register with.
const ActionRegisterAttempt = "register_attempt"

// RegisterMember stores a new resident's account (pending confirmation), their
// personal data, the welcome mail and the first access-history entry in one
// transaction. A taken handle name is a *FieldConflict, and so is a taken
// login ID (Field "login_id": the caller draws a new one). A taken e-mail
// address is not an error the visitor may see — it would tell a stranger who
// is registered — so then nothing of the registration is stored, the owner
// is mailed (r.Taken) with a line in their access history, and taken is true.
// Both outcomes count as one registration against the rate limits, and both
// do the same kind of work: one transaction of a few rows.
func (d *DB) RegisterMember(ctx context.Context, r Registration) (taken bool, err error) {
	acc, p := r.Account, r.Profile
	acc.Kind, acc.Status, acc.MustChangePassword = KindMember, StatusPending, true
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The handle first: a taken handle (public anyway) answers the same
		// whether or not the address is registered.
		if exists, err := tx.NewSelect().Model((*Account)(nil)).Where("display_name = ?", acc.DisplayName).Exists(ctx); err != nil {
			return fmt.Errorf("db: handle taken: %w", err)
		} else if exists {
			return &FieldConflict{Field: "handle"}
		}
		var err error
		if taken, err = emailTaken(ctx, tx, p.Email, 0); err != nil {
			return fmt.Errorf("db: e-mail taken: %w", err)
		}
		if err := RecordRate(ctx, tx, RateRegister, r.Subject, r.Event.IP); err != nil {
			return err
		}
		if taken {
			return tellOwner(ctx, tx, r)
		}
		if _, err := tx.NewInsert().Model(acc).Returning("id, created_at, updated_at").Exec(ctx); err != nil {
			switch {
			case IsUniqueViolation(err, "accounts_display_name_key"):
				return &FieldConflict{Field: "handle"}
			case IsUniqueViolation(err, "accounts_login_id_key"):
				return &FieldConflict{Field: "login_id"}
			}
			return err
		}
		p.AccountID = acc.ID
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		if r.Mail != nil {
			r.Mail.AccountID = &acc.ID
			if err := EnqueueMail(ctx, tx, r.Mail); err != nil {
				return err
			}
		}
		r.Event.AccountID, r.Event.LoginID = &acc.ID, acc.LoginID
		return RecordAccess(ctx, tx, r.Event)
	})
	return taken, err
}

// tellOwner is RegisterMember's answer to a registered address: the owner
// gets a mail and a line in their access history. The login ID the visitor
// is shown must not be anyone's, as a real registration's could not be.
func tellOwner(ctx context.Context, tx bun.Tx, r Registration) error {
	if exists, err := tx.NewSelect().Model((*Account)(nil)).Where("lower(login_id) = lower(?)", r.Account.LoginID).Exists(ctx); err != nil {
		return fmt.Errorf("db: login ID taken: %w", err)
	} else if exists {
		return &FieldConflict{Field: "login_id"}
	}
	var owner Account
	var email string
	if err := tx.NewRaw(`SELECT a.id, a.login_id, p.email FROM accounts AS a JOIN member_profiles AS p ON p.account_id = a.id
			WHERE lower(p.email) = lower(?) AND a.status IN (?, ?) ORDER BY a.id LIMIT 1`, r.Profile.Email, StatusPending, StatusActive).
		Scan(ctx, &owner.ID, &owner.LoginID, &email); err != nil {
		return fmt.Errorf("db: owner of a registered address: %w", err)
	}
	if r.Taken != nil {
		if m := r.Taken(&owner); m != nil {
			m.To, m.AccountID = email, &owner.ID
			if err := EnqueueMail(ctx, tx, m); err != nil {
				return err
			}
		}
	}
	ev := r.Event
	ev.AccountID, ev.LoginID, ev.Action, ev.Success = &owner.ID, owner.LoginID, ActionRegisterAttempt, false
	if err := RecordAccess(ctx, tx, ev); err != nil {
		return fmt.Errorf("db: record registration attempt: %w", err)
	}
	return nil
}

// emailTaken reports whether a live account other than except uses email.
// E-mail is unique among live accounts, which no single index can say (the
// status is in another table), so it takes a transaction-level lock on the
// address first: two registrations with one address run one after the other.
func emailTaken(ctx context.Context, tx bun.Tx, email string, except int64) (bool, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(lower(?)))`, email); err != nil {
		return false, err
	}
	return tx.NewSelect().TableExpr("member_profiles AS p").
		Join("JOIN accounts AS a ON a.id = p.account_id").
		Where("lower(p.email) = lower(?) AND p.account_id <> ?", email, except).
		Where("a.status IN (?, ?)", StatusPending, StatusActive).Exists(ctx)
}

// AccountByID loads an account.
func (d *DB) AccountByID(ctx context.Context, id int64) (*Account, error) {
	a := new(Account)
	err := d.Bun.NewSelect().Model(a).Where("id = ?", id).Scan(ctx)
	return a, notFound(err, "account")
}

// AccountByLogin loads an account by its login ID, ignoring case.
func (d *DB) AccountByLogin(ctx context.Context, loginID string) (*Account, error) {
	a := new(Account)
	err := d.Bun.NewSelect().Model(a).Where("lower(login_id) = lower(?)", loginID).Scan(ctx)
	return a, notFound(err, "account")
}

// Profile loads a member's personal data. Callers that are staff must write
// an audit entry (see AuditView); the member themself need not.
func (d *DB) Profile(ctx context.Context, accountID int64) (*MemberProfile, error) {
	p := new(MemberProfile)
	err := d.Bun.NewSelect().Model(p).Where("account_id = ?", accountID).Scan(ctx)
	return p, notFound(err, "profile")
}

// ResetTarget returns the account with login ID loginID that may reset its
// password — an active member — with the address on record; ErrNotFound
// when there is none. One query, whatever the answer, so a reset request
// costs the same for an ID that exists as for one that does not.
func (d *DB) ResetTarget(ctx context.Context, loginID string) (*Account, string, error) {
	acc := &Account{Kind: KindMember, Status: StatusActive}
	var email string
	err := d.Bun.NewRaw(`SELECT a.id, a.login_id, p.email FROM accounts AS a JOIN member_profiles AS p ON p.account_id = a.id
		WHERE lower(a.login_id) = lower(?) AND a.kind = ? AND a.status = ?`, loginID, KindMember, StatusActive).
		Scan(ctx, &acc.ID, &acc.LoginID, &email)
	if err != nil {
		return nil, "", notFound(err, "reset target")
	}
	return acc, email, nil
}

// RecordLoginSuccess notes the sign-in and forgets the failed sign-ins of
// this login ID (subject) from this address — the owner's own typos — but
// not those from elsewhere; a staff member's sign-in also goes into the
// audit log, which ward staff review.
func (d *DB) RecordLoginSuccess(ctx context.Context, acc *Account, now time.Time, ev AccessEvent, subject string) error {
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := clearRate(ctx, tx, RateKey{Kind: RateSignInFailure, Subject: subject, IP: ev.IP}); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Account)(nil)).
			Set("last_login_at = ?", now).
			Where("id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		ev.Success = true
		if err := RecordAccess(ctx, tx, ev); err != nil {
			return err
		}
		if acc.Kind != KindStaff {
			return nil
		}
		return Audit(ctx, tx, &AuditEntry{ActorID: acc.ID, ActorRole: strings.Join(acc.Roles, ","), Action: AuditSignIn, IP: ev.IP})
	})
}

// SetPassword stores a new hash, clears the must-change flag, records it and
// returns the account's new session generation: every session signed in
// before is over, and the caller's own carries on only if it takes the new
// generation. Reset links still outstanding are voided, so a link in a
// mailbox cannot undo the change.
func (d *DB) SetPassword(ctx context.Context, id int64, hash string, now time.Time, ev AccessEvent) (generation int64, err error) {
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if generation, err = storePassword(ctx, tx, id, hash, now); err != nil {
			return err
		}
		if err := voidResets(ctx, tx, id, now); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, ev)
	})
	if err != nil {
		return 0, fmt.Errorf("db: set password: %w", err)
	}
	return generation, nil
}

// storePassword sets a new password hash and moves the session generation on.
func storePassword(ctx context.Context, tx bun.Tx, id int64, hash string, now time.Time) (int64, error) {
	var generation int64
	err := tx.NewUpdate().Model((*Account)(nil)).
		Set("password_hash = ?, must_change_password = false, password_changed_at = ?, updated_at = ?", hash, now, now).
		Set("session_generation = session_generation + 1").
		Where("id = ?", id).Returning("session_generation").Scan(ctx, &generation)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("account %d: %w", id, ErrNotFound)
	}
	return generation, err
}

// voidResets ends every reset link of the account that is still open: their
// expiry is brought forward to now (the rows stay, as a record of the
// requests).
func voidResets(ctx context.Context, tx bun.Tx, accountID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE password_resets SET expires_at = ?
		WHERE account_id = ? AND used_at IS NULL AND expires_at > ?`, now, accountID, now)
	return err
}

// UpdateProfile changes a member's own personal data and handle name.
func (d *DB) UpdateProfile(ctx context.Context, acc *Account, p *MemberProfile, ev AccessEvent) error {
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		taken, err := emailTaken(ctx, tx, p.Email, acc.ID)
		if err != nil {
			return err
		}
		if taken {
			return &FieldConflict{Field: "email"}
		}
		if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("display_name = ?, updated_at = now()", acc.DisplayName).
			Where("id = ?", acc.ID).Exec(ctx); err != nil {
			if IsUniqueViolation(err, "accounts_display_name_key") {
				return &FieldConflict{Field: "handle"}
			}
			return err
		}
		if _, err := tx.NewUpdate().Model(p).Column("name", "name_kana", "postal_code", "town", "address", "phone", "fax", "email").
			Where("account_id = ?", acc.ID).Exec(ctx); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, ev)
	})
}

// WithdrawnLabel is the display name a withdrawn member's account keeps: unique,
// meaningless, and replaced by a neutral label wherever it would show.
func WithdrawnLabel(id int64) string { return fmt.Sprintf("withdrawn-%d", id) }

// Withdraw erases a member's personal data (the profile row goes), keeps
// their published posts under a neutral label, takes back the ones still
// waiting for review, cancels their event sign-ups (promoting from the
// waitlists) and records the withdrawal.
//
// promotedMail (nil: none) composes the mail for a member who gets a seat the
// withdrawing member gave up.
func (d *DB) Withdraw(ctx context.Context, id int64, now time.Time, ev AccessEvent, promotedMail func(e *Event) *Mail) error {
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Account)(nil)).
			Set("status = ?, withdrawn_at = ?, display_name = ?, password_hash = '', updated_at = ?", StatusWithdrawn, now, WithdrawnLabel(id), now).
			Where("id = ? AND kind = ? AND status <> ?", id, KindMember, StatusWithdrawn).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("withdraw account %d: %w", id, ErrNotFound)
		}
		if _, err := tx.NewDelete().Model((*MemberProfile)(nil)).Where("account_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		// Mail not yet sent to the address that is being erased goes too;
		// the record of mail already sent keeps only that it was sent.
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE account_id = ? AND sent_at IS NULL AND failed_at IS NULL`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET to_addr = '', body = '', last_error = '' WHERE account_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE account_id = ?`, id); err != nil {
			return err
		}
		if err := RecordAccess(ctx, tx, ev); err != nil {
			return err
		}
		if err := cancelAllSignups(ctx, tx, id, promotedMail); err != nil {
			return err
		}
		return withdrawWaitingPosts(ctx, tx, id)
	})
}

// CreateGroup creates a group account from a paper application: group name,
// login ID and password only — no personal data.
func (d *DB) CreateGroup(ctx context.Context, name, loginID, hash string, actor *Account, ip string) (*Account, error) {
	acc := &Account{Kind: KindGroup, LoginID: loginID, DisplayName: name, PasswordHash: hash,
		MustChangePassword: true, Status: StatusActive}
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(acc).Returning("id, created_at, updated_at").Exec(ctx); err != nil {
			switch {
			case IsUniqueViolation(err, "accounts_display_name_key"):
				return &FieldConflict{Field: "name"}
			case IsUniqueViolation(err, "accounts_login_id_key"):
				return &FieldConflict{Field: "login_id"}
			}
			return err
		}
		g := &Group{AccountID: &acc.ID, Name: name, Category: "", Town: "", Published: false}
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			if IsUniqueViolation(err, "groups_name_key") {
				return &FieldConflict{Field: "name"}
			}
			return err
		}
		return RecordAccess(ctx, tx, AccessEvent{AccountID: &actor.ID, LoginID: actor.LoginID, Action: ActionCreateGroup,
			Success: true, IP: ip, Detail: loginID})
	})
	return acc, err
}

// CreatePasswordReset stores a reset token's hash and enqueues its mail.
func (d *DB) CreatePasswordReset(ctx context.Context, acc *Account, hash string, expires time.Time, mail *Mail, ev AccessEvent) error {
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES (?, ?, ?)`,
			hash, acc.ID, expires); err != nil {
			return err
		}
		mail.AccountID = &acc.ID
		if err := EnqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, ev)
	})
}

// PasswordResetAccount returns the account of an unused, unexpired token.
func (d *DB) PasswordResetAccount(ctx context.Context, hash string, now time.Time) (*Account, error) {
	acc := new(Account)
	err := d.Bun.NewSelect().Model(acc).
		Where("id = (SELECT account_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?)", hash, now).
		Where("status = ?", StatusActive).Scan(ctx)
	return acc, notFound(err, "password reset")
}

// UsePasswordReset sets the new password and spends the token, once: a
// second use finds it spent and fails with ErrNotFound. Every other link of
// the account still open is voided, and every session of the account ends
// (the session generation moves on; the one resetting is not signed in).
func (d *DB) UsePasswordReset(ctx context.Context, hash string, accountID int64, pwHash string, now time.Time, ev AccessEvent) error {
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND account_id = ? AND used_at IS NULL AND expires_at > ?`,
			now, hash, accountID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("password reset: %w", ErrNotFound)
		}
		if _, err := storePassword(ctx, tx, accountID, pwHash, now); err != nil {
			return err
		}
		if err := voidResets(ctx, tx, accountID, now); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("db: use password reset: %w", err)
	}
	return nil
}
