package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Mail is one message in the outbox. It is written in the transaction that
// causes it (EnqueueMail) and delivered by the background sender
// (app/worker); with no SMTP configured it stays here for staff to read.
// Rows are never deleted: sent and failed mail is the delivery record.
type Mail struct {
	bun.BaseModel `bun:"table:mail_outbox"`

	ID            int64      `bun:"id,pk,autoincrement"`
	To            string     `bun:"to_addr"`
	Subject       string     `bun:"subject"`
	Body          string     `bun:"body"`
	Kind          string     `bun:"kind"`
	AccountID     *int64     `bun:"account_id"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	Attempts      int        `bun:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at,nullzero,default:now()"`
	SentAt        *time.Time `bun:"sent_at"`
	FailedAt      *time.Time `bun:"failed_at"`
	LastError     string     `bun:"last_error"`
	// SecretWithheld says the body holds SecretMark in place of a secret.
	SecretWithheld bool `bun:"secret_withheld"`

	// Secret is what the body holds SecretMark in place of: the token of a
	// password-reset link. It lives in mail_secrets, not in the outbox row,
	// is read only by the sender (ClaimDueMail) and is deleted when the mail
	// has left or failed for good; every other reader of a mail sees the mark.
	Secret string `bun:"secret,scanonly"`
}

// SecretMark stands in a stored mail body for its Secret. Staff screens, the
// member's data download and the handover read bodies only in this form.
const SecretMark = "[REDACTED]"

// ErrSecretGone is a mail whose secret is no longer held (a handover leaves
// secrets out): sent as it is, it would carry a link that does not work.
var ErrSecretGone = errors.New("the mail's secret is no longer held")

// Delivered is the body as it goes to the recipient: the secret in place of
// its mark.
func (m *Mail) Delivered() (string, error) {
	if !m.SecretWithheld {
		return m.Body, nil
	}
	if m.Secret == "" {
		return "", ErrSecretGone
	}
	return strings.Replace(m.Body, SecretMark, m.Secret, 1), nil
}

// Mail statuses, as reported by Mail.Status.
const (
	MailWaiting = "waiting" // not yet delivered; tried again at NextAttemptAt
	MailSent    = "sent"
	MailFailed  = "failed" // permanently rejected; kept as a record
)

// Status is MailSent, MailFailed or MailWaiting.
func (m *Mail) Status() string {
	switch {
	case m.SentAt != nil:
		return MailSent
	case m.FailedAt != nil:
		return MailFailed
	default:
		return MailWaiting
	}
}

// MailLease is how far ClaimDueMail pushes a claimed mail's next attempt: a
// sender must finish (mark it sent, retry or failed) within the lease, and
// if it crashes the mail becomes due again when the lease runs out.
const MailLease = 2 * time.Minute

// MailChannel is the NOTIFY channel EnqueueMail signals when it queues mail
// that is due at once: every instance's sender listens on it and looks at
// the outbox when the transaction commits, instead of at its next poll.
const MailChannel = "portal_mail"

// maxMailError bounds the error text kept in last_error.
const maxMailError = 2000

// EnqueueMail adds m to the outbox. Pass the transaction of the change that
// causes the mail, so the mail exists exactly when that change commits.
// To, Subject and Kind are required; AccountID is optional; NextAttemptAt
// may be set to hold the mail back until then; a Secret needs its SecretMark
// in the body. ID, CreatedAt and NextAttemptAt are filled in from the
// database. Mail due at once wakes the senders when the transaction commits
// (nothing is signalled on rollback).
func EnqueueMail(ctx context.Context, idb bun.IDB, m *Mail) (err error) {
	defer wrap(&err, "enqueue mail")
	m.To = strings.TrimSpace(m.To)
	switch {
	case m.To == "":
		return errors.New("enqueue mail: no recipient")
	case strings.ContainsAny(m.To, "\r\n"):
		return errors.New("enqueue mail: line break in recipient")
	case strings.TrimSpace(m.Subject) == "":
		return errors.New("enqueue mail: no subject")
	case m.Kind == "":
		return errors.New("enqueue mail: no kind")
	case m.Secret != "" && strings.Count(m.Body, SecretMark) != 1:
		return errors.New("enqueue mail: a secret needs exactly one mark in the body")
	}
	due := m.NextAttemptAt.IsZero()
	m.ID, m.Attempts, m.SentAt, m.FailedAt, m.LastError = 0, 0, nil, nil, ""
	m.SecretWithheld = m.Secret != ""
	_, err = idb.NewInsert().Model(m).
		Column("to_addr", "subject", "body", "kind", "account_id", "next_attempt_at", "secret_withheld").
		Returning("id, created_at, next_attempt_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	if m.Secret != "" {
		if _, err := idb.NewRaw(`INSERT INTO mail_secrets (mail_id, secret) VALUES (?, ?)`, m.ID, m.Secret).Exec(ctx); err != nil {
			return fmt.Errorf("enqueue mail: secret: %w", err)
		}
	}
	if !due {
		return nil
	}
	// One payload for all: PostgreSQL folds identical notifications of a
	// transaction into one, so a transaction queuing many mails wakes once.
	if _, err := idb.ExecContext(ctx, `SELECT pg_notify(?, '')`, MailChannel); err != nil {
		return fmt.Errorf("enqueue mail: notify: %w", err)
	}
	return nil
}

// ClaimDueMail takes up to limit mails that are due at now, oldest due first,
// for this sender alone: it pushes their next attempt MailLease ahead and
// counts the attempt, in one statement (one transaction) that skips rows
// another sender is claiming at the same moment. Several app instances may
// call it concurrently; none gets a mail another holds a lease on.
func (d *DB) ClaimDueMail(ctx context.Context, limit int, now time.Time) (_ []Mail, err error) {
	defer wrap(&err, "claim due mail")
	if limit <= 0 {
		return nil, nil
	}
	var rows []Mail
	err = d.Bun.NewRaw(`
		WITH due AS (
			SELECT id FROM mail_outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id
			LIMIT ?
			FOR UPDATE SKIP LOCKED
		)
		UPDATE mail_outbox m
		SET next_attempt_at = ?, attempts = m.attempts + 1
		FROM due
		WHERE m.id = due.id
		RETURNING m.*, coalesce((SELECT secret FROM mail_secrets WHERE mail_id = m.id), '') AS secret`, now, limit, now.Add(MailLease)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("claim due mail: %w", err)
	}
	slices.SortFunc(rows, func(a, b Mail) int { return cmp.Compare(a.ID, b.ID) })
	return rows, nil
}

// MarkMailSent records a delivery and deletes the mail's secret, in one
// statement: once the mail has left, the link is in the recipient's mailbox
// and nowhere else. The last error, if any, stays as a record of what the
// earlier attempts met.
func (d *DB) MarkMailSent(ctx context.Context, id int64, now time.Time) (err error) {
	defer wrap(&err, "mark mail sent")
	res, err := d.Bun.NewRaw(`
		WITH forget AS (DELETE FROM mail_secrets WHERE mail_id = ?)
		UPDATE mail_outbox SET sent_at = ? WHERE id = ?`, id, now, id).Exec(ctx)
	return mailUpdated(res, err, "mark mail sent")
}

// MarkMailRetry schedules another attempt at next after a temporary failure.
// A mail that was sent or failed meanwhile is left alone.
func (d *DB) MarkMailRetry(ctx context.Context, id int64, next time.Time, errText string) (err error) {
	defer wrap(&err, "mark mail retry")
	res, err := d.Bun.NewUpdate().Model((*Mail)(nil)).
		Set("next_attempt_at = ?", next).
		Set("last_error = ?", clipMailError(errText)).
		Where("id = ? AND sent_at IS NULL AND failed_at IS NULL", id).Exec(ctx)
	return mailUpdated(res, err, "mark mail retry")
}

// MarkMailFailed records a permanent rejection (an SMTP 5xx reply, or an
// address no server could take), after which retrying is pointless. The row
// is kept; its secret, which will never be sent, goes.
func (d *DB) MarkMailFailed(ctx context.Context, id int64, now time.Time, errText string) (err error) {
	defer wrap(&err, "mark mail failed")
	res, err := d.Bun.NewRaw(`
		WITH forget AS (DELETE FROM mail_secrets WHERE mail_id = ?)
		UPDATE mail_outbox SET failed_at = ?, last_error = ? WHERE id = ? AND sent_at IS NULL`,
		id, now, clipMailError(errText), id).Exec(ctx)
	return mailUpdated(res, err, "mark mail failed")
}

// ReleaseMail hands a claimed mail back untried: it is due again at now and
// the claim does not count as an attempt. A sender that runs short of its
// lease releases what it has not started on.
func (d *DB) ReleaseMail(ctx context.Context, id int64, now time.Time) (err error) {
	defer wrap(&err, "release mail")
	res, err := d.Bun.NewUpdate().Model((*Mail)(nil)).
		Set("next_attempt_at = ?", now).
		Set("attempts = greatest(attempts - 1, 0)").
		Where("id = ? AND sent_at IS NULL AND failed_at IS NULL", id).Exec(ctx)
	return mailUpdated(res, err, "release mail")
}

// ListMail pages through the outbox for staff, newest first. Bodies are left
// out; GetMail has them.
func (d *DB) ListMail(ctx context.Context, after Cursor, limit int) (_ Page[Mail], err error) {
	defer wrap(&err, "list mail")
	if limit <= 0 {
		limit = PageSize
	}
	var rows []Mail
	q := d.Bun.NewSelect().Model(&rows).ExcludeColumn("body").
		OrderExpr("created_at DESC, id DESC").Limit(int64(limit) + 1)
	if !after.IsZero() {
		q = q.Where("(created_at, id) < (?, ?)", after.At, after.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return Page[Mail]{}, fmt.Errorf("list mail: %w", err)
	}
	return paginate(rows, limit, func(m *Mail) Cursor { return Cursor{m.CreatedAt, m.ID} }), nil
}

// GetMail loads one mail with its body, as stored: a secret stays a mark.
func (d *DB) GetMail(ctx context.Context, id int64) (_ *Mail, err error) {
	defer wrap(&err, "get mail")
	m := new(Mail)
	err = d.Bun.NewSelect().Model(m).Where("id = ?", id).Scan(ctx)
	return m, notFound(err, "mail")
}

// mailUpdated turns an update that matched no row into ErrNotFound.
func mailUpdated(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// clipMailError bounds an error text, dropping a rune the cut split.
func clipMailError(s string) string {
	if len(s) <= maxMailError {
		return s
	}
	return strings.ToValidUTF8(s[:maxMailError], "")
}
