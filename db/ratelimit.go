package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Kinds of rate event: each row counts one request against the limits of
// sign-in, registration and password reset, or one warning mail sent.
const (
	RateSignInFailure  = "signin_failure"  // a refused sign-in (wrong password, unknown ID, not yet confirmed)
	RateRegister       = "register"        // a registration that reached the database, new address or not
	RateResetRequest   = "reset_request"   // a password-reset request, matching or not
	RateAttackMail     = "attack_mail"     // the owner was mailed about failed sign-ins
	RateRegisterNotice = "register_notice" // the owner was mailed that someone registered with their address
)

// RateEventsKeptFor is how long rate events are kept: longer than any window
// that counts them (the longest is a day).
const RateEventsKeptFor = 48 * time.Hour

// RateEvent is one counted request. Subject is a keyed hash of the login ID
// or e-mail address the request named (the caller computes it), never the
// value itself; IP is the client address.
type RateEvent struct {
	bun.BaseModel `bun:"table:rate_events"`

	ID      int64     `bun:"id,pk,autoincrement"`
	Kind    string    `bun:"kind"`
	Subject string    `bun:"subject"`
	IP      string    `bun:"ip"`
	At      time.Time `bun:"at,nullzero,default:now()"`
}

// RateKey selects the events a limit counts: one kind, and the subject,
// the address or both ("" matches any).
type RateKey struct {
	Kind, Subject, IP string
}

// RecordRate adds one event, inside the caller's transaction when idb is one.
func RecordRate(ctx context.Context, idb bun.IDB, kind, subject, ip string) error {
	if _, err := idb.NewInsert().Model(&RateEvent{Kind: kind, Subject: subject, IP: ip}).Exec(ctx); err != nil {
		return fmt.Errorf("db: record rate event: %w", err)
	}
	return nil
}

// CountRate counts the events of k since a time.
func CountRate(ctx context.Context, idb bun.IDB, k RateKey, since time.Time) (int, error) {
	q := idb.NewSelect().Model((*RateEvent)(nil)).Where("kind = ? AND at >= ?", k.Kind, since)
	if k.Subject != "" {
		q = q.Where("subject = ?", k.Subject)
	}
	if k.IP != "" {
		q = q.Where("ip = ?", k.IP)
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: count rate events: %w", err)
	}
	return int(n), nil
}

// CountRate counts the events of k since a time.
func (d *DB) CountRate(ctx context.Context, k RateKey, since time.Time) (int, error) {
	return CountRate(ctx, d.Bun, k, since)
}

// CountRateBySubject counts the events of one kind since a time for each of
// several subjects, in one query; subjects without events are left out.
func (d *DB) CountRateBySubject(ctx context.Context, kind string, subjects []string, since time.Time) (map[string]int, error) {
	out := map[string]int{}
	if len(subjects) == 0 {
		return out, nil
	}
	var rows []struct {
		Subject string `bun:"subject"`
		N       int    `bun:"n"`
	}
	err := d.Bun.NewSelect().Model((*RateEvent)(nil)).ColumnExpr("subject, count(*) AS n").
		Where("kind = ? AND at >= ? AND subject IN (?)", kind, since, bun.List(subjects)).
		Group("subject").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("db: count rate events by subject: %w", err)
	}
	for _, r := range rows {
		out[r.Subject] = r.N
	}
	return out, nil
}

// RecordRate adds one event.
func (d *DB) RecordRate(ctx context.Context, kind, subject, ip string) error {
	return RecordRate(ctx, d.Bun, kind, subject, ip)
}

// ClearRate removes the events of k (subject and address as RateKey says):
// a sign-in that succeeds forgets its own address's failures.
func (d *DB) ClearRate(ctx context.Context, k RateKey) (int64, error) {
	return clearRate(ctx, d.Bun, k)
}

func clearRate(ctx context.Context, idb bun.IDB, k RateKey) (int64, error) {
	q := idb.NewDelete().Model((*RateEvent)(nil)).Where("kind = ?", k.Kind)
	if k.Subject != "" {
		q = q.Where("subject = ?", k.Subject)
	}
	if k.IP != "" {
		q = q.Where("ip = ?", k.IP)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: clear rate events: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PruneRateEvents removes events older than RateEventsKeptFor before now.
func (d *DB) PruneRateEvents(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.Bun.NewDelete().Model((*RateEvent)(nil)).Where("at < ?", now.Add(-RateEventsKeptFor)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: prune rate events: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// SignInCounts are the failed sign-ins in the current window that the
// sign-in limits look at.
type SignInCounts struct {
	Address int // from this address, whatever login ID
	Pair    int // for this login ID from this address
	Subject int // for this login ID, from any address
}

// SignInCounts counts the failed sign-ins since a time for one login ID
// (its subject) and one address. It runs the same queries whether or not an
// account has that ID.
func (d *DB) SignInCounts(ctx context.Context, subject, ip string, since time.Time) (SignInCounts, error) {
	return signInCounts(ctx, d.Bun, subject, ip, since)
}

func signInCounts(ctx context.Context, idb bun.IDB, subject, ip string, since time.Time) (SignInCounts, error) {
	var n SignInCounts
	err := idb.NewRaw(`SELECT
			(SELECT count(*) FROM rate_events WHERE kind = ? AND ip = ? AND at >= ?) AS address,
			(SELECT count(*) FROM rate_events WHERE kind = ? AND subject = ? AND ip = ? AND at >= ?) AS pair,
			(SELECT count(*) FROM rate_events WHERE kind = ? AND subject = ? AND at >= ?) AS subject`,
		RateSignInFailure, ip, since, RateSignInFailure, subject, ip, since, RateSignInFailure, subject, since).
		Scan(ctx, &n.Address, &n.Pair, &n.Subject)
	if err != nil {
		return n, fmt.Errorf("db: count failed sign-ins: %w", err)
	}
	return n, nil
}

// SignInFailure is a refused sign-in to record.
type SignInFailure struct {
	Subject string      // keyed hash of the login ID typed
	Event   AccessEvent // the access-history line (AccountID nil for an unknown ID)
	Since   time.Time   // start of the window the counts cover

	// Warn, when the login ID is an account's, decides from the counts
	// after this failure whether to mail its owner (nil: no mail). The
	// mail goes to the member's address on record, at most once in
	// WarnEvery; accounts without an address (staff, groups) get none.
	Warn      func(SignInCounts) *Mail
	WarnEvery time.Duration
	Now       time.Time
}

// RecordSignInFailure counts the failure, writes its access-history line
// and, when f.Warn asks, mails the account's owner, in one transaction. It
// returns the counts including this failure.
func (d *DB) RecordSignInFailure(ctx context.Context, f SignInFailure) (SignInCounts, error) {
	var n SignInCounts
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		f.Event.Success = false
		if err := RecordRate(ctx, tx, RateSignInFailure, f.Subject, f.Event.IP); err != nil {
			return err
		}
		if err := RecordAccess(ctx, tx, f.Event); err != nil {
			return fmt.Errorf("db: record failed sign-in: %w", err)
		}
		var err error
		if n, err = signInCounts(ctx, tx, f.Subject, f.Event.IP, f.Since); err != nil {
			return err
		}
		if f.Event.AccountID == nil || f.Warn == nil {
			return nil
		}
		m := f.Warn(n)
		if m == nil {
			return nil
		}
		return onceIn(ctx, tx, RateAttackMail, f.Subject, f.Now.Add(-f.WarnEvery), func() error {
			return mailOwner(ctx, tx, *f.Event.AccountID, m)
		})
	})
	return n, err
}

// onceIn runs fn unless an event of kind for subject has been recorded
// since a time, and records one when fn runs. A transaction-level lock on
// the subject makes two concurrent callers take turns, so fn runs once.
func onceIn(ctx context.Context, tx bun.Tx, kind, subject string, since time.Time, fn func() error) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(?))`, kind+":"+subject); err != nil {
		return fmt.Errorf("db: lock %s: %w", kind, err)
	}
	n, err := CountRate(ctx, tx, RateKey{Kind: kind, Subject: subject}, since)
	if err != nil || n > 0 {
		return err
	}
	if err := RecordRate(ctx, tx, kind, subject, ""); err != nil {
		return err
	}
	return fn()
}

// mailOwner enqueues m to the member's address on record; an account
// without one (staff, groups) gets no mail.
func mailOwner(ctx context.Context, tx bun.Tx, accountID int64, m *Mail) error {
	var email string
	err := tx.NewSelect().Model((*MemberProfile)(nil)).Column("email").Where("account_id = ?", accountID).Scan(ctx, &email)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && email == "") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("db: address of account %d: %w", accountID, err)
	}
	m.To, m.AccountID = email, &accountID
	return EnqueueMail(ctx, tx, m)
}

// Sign-in unlock by ward staff.
const (
	AuditSignInUnlock  = "signin_unlock" // ward staff cleared an account's failed sign-ins
	ActionSignInUnlock = "signin_unlock" // the same, in the account's access history
)

// UnlockSignIn clears the failed sign-ins counted against an account's
// login ID (subject), from every address, and records it: an audit entry
// (who, in which role, whose account, how many were cleared) and a line in
// the account's access history naming the role, not the person. It returns
// how many failures were cleared.
func (d *DB) UnlockSignIn(ctx context.Context, target *Account, subject string, actor *Account, role, ip string) (int64, error) {
	var n int64
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if n, err = clearRate(ctx, tx, RateKey{Kind: RateSignInFailure, Subject: subject}); err != nil {
			return err
		}
		detail := fmt.Sprintf("%d failed sign-ins cleared", n)
		if err := Audit(ctx, tx, &AuditEntry{ActorID: actor.ID, ActorRole: role, Action: AuditSignInUnlock,
			SubjectID: &target.ID, Detail: detail, IP: ip}); err != nil {
			return fmt.Errorf("db: audit unlock: %w", err)
		}
		if err := RecordAccess(ctx, tx, AccessEvent{AccountID: &target.ID, LoginID: target.LoginID, Action: ActionSignInUnlock,
			Success: true, IP: ip, Detail: detail + " (" + role + ")"}); err != nil {
			return fmt.Errorf("db: record unlock: %w", err)
		}
		return nil
	})
	return n, err
}
