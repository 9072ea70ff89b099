package db

// The newsletter (PRODUCT.md §5): lists kept by ward staff, subscribers and
// their subscriptions, issues, and one delivery row per recipient.
//
// Subscribing. A member's subscription is confirmed at once (the address is
// the profile's, confirmed at registration); a visitor's stays pending until
// the confirmation link's page is posted. A confirmed subscription never
// goes back to pending by subscribing again.
//
// Delivery, exactly once. A delivery row moves
//
//	queued/deferred --claim--> sending --commit--> committing --250--> sent
//	                                  \-> queued (released or lease expired: the server has nothing)
//	                                             committing --4xx--> deferred, --5xx--> failed
//	                                             committing --no reply / lease expired--> unknown
//
// ClaimDeliveries takes due rows for one sender under a claim number (FOR
// UPDATE SKIP LOCKED: senders never wait on each other's rows). Before the
// sender writes the final "." of the message, CommitDelivery moves the row
// from sending to committing in its own committed statement, which succeeds
// only while the row still carries the sender's claim: a row whose lease ran
// out and was claimed again can never be committed by both. Until that
// statement commits the server cannot have accepted the message (it accepts
// at the dot), so a row found in sending after a crash is safely sent again.
// A row found in committing after a crash may or may not have been accepted;
// it becomes unknown and is never sent again. Hence: no recipient ever gets
// an issue twice; every recipient gets it once unless the sender dies (or the
// connection fails) between writing the dot and recording the reply, a
// window of one SMTP reply and one UPDATE, and then the row says unknown.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Subscription statuses.
const (
	SubPending      = "pending"
	SubConfirmed    = "confirmed"
	SubUnsubscribed = "unsubscribed"
)

// Issue statuses, in the order of an issue's life.
const (
	IssueDraft            = "draft"
	IssueAwaitingApproval = "awaiting_approval"
	IssueScheduled        = "scheduled"
	IssueSending          = "sending"
	IssueSent             = "sent"
)

// IssueStatuses lists the statuses in order.
var IssueStatuses = []string{IssueDraft, IssueAwaitingApproval, IssueScheduled, IssueSending, IssueSent}

// Delivery statuses (see the state diagram above).
const (
	DeliveryQueued     = "queued"
	DeliverySending    = "sending"
	DeliveryCommitting = "committing"
	DeliverySent       = "sent"
	DeliveryDeferred   = "deferred"
	DeliveryFailed     = "failed"
	DeliveryUnknown    = "unknown"
)

// DeliveryStatuses lists the statuses in the order the back office counts them.
var DeliveryStatuses = []string{DeliveryQueued, DeliverySending, DeliveryCommitting, DeliverySent,
	DeliveryDeferred, DeliveryFailed, DeliveryUnknown}

// ErrNotDraft is an issue that can no longer be edited or sent for the
// first time.
var ErrNotDraft = fmt.Errorf("the issue is no longer a draft: %w", ErrConflict)

// NewsletterList is a list residents subscribe to.
type NewsletterList struct {
	bun.BaseModel `bun:"table:newsletter_lists,alias:nl"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Active      bool      `bun:"active"`
	CreatedAt   time.Time `bun:"created_at,nullzero,default:now()"`

	Subscribers int `bun:"subscribers,scanonly"` // confirmed, not suppressed
}

// NewsletterSegment narrows an issue's audience to the members matching the
// member export's filters (visitors, who have no profile, drop out).
type NewsletterSegment struct {
	Town   string     `json:"town,omitempty"`
	From   *time.Time `json:"registered_from,omitempty"`
	To     *time.Time `json:"registered_before,omitempty"`
	Joined string     `json:"joined,omitempty"` // "yes", "no"
}

// IsZero reports whether the segment filters nothing.
func (s NewsletterSegment) IsZero() bool {
	return s.Town == "" && s.From == nil && s.To == nil && s.Joined == ""
}

func (s NewsletterSegment) filter() ExportFilter {
	return ExportFilter{Status: StatusActive, Town: s.Town, From: s.From, To: s.To, Joined: s.Joined}
}

// Describe is the segment in words: key=value pairs, "" when it is zero.
func (s NewsletterSegment) Describe() string {
	if s.IsZero() {
		return ""
	}
	return s.filter().Describe()
}

// NewsletterIssue is one issue: a subject and a Markdown body.
type NewsletterIssue struct {
	bun.BaseModel `bun:"table:newsletter_issues,alias:ni"`

	ID         int64             `bun:"id,pk,autoincrement"`
	DivisionID int64             `bun:"division_id"`
	Subject    string            `bun:"subject"`
	Body       string            `bun:"body"`
	Segment    NewsletterSegment `bun:"segment,type:jsonb"`
	Status     string            `bun:"status,nullzero,default:'draft'"`
	SendAt     *time.Time        `bun:"send_at"`
	Audience   *int              `bun:"audience"`
	CreatedBy  int64             `bun:"created_by"`
	ApprovedBy *int64            `bun:"approved_by"`
	ApprovedAt *time.Time        `bun:"approved_at"`
	QueuedAt   *time.Time        `bun:"queued_at"`
	FinishedAt *time.Time        `bun:"finished_at"`
	CreatedAt  time.Time         `bun:"created_at,nullzero,default:now()"`
	UpdatedAt  time.Time         `bun:"updated_at,nullzero,default:now()"`

	ListIDs      []int64 `bun:"list_ids,array,scanonly"`
	DivisionName string  `bun:"division_name,scanonly"`
	Author       string  `bun:"author,scanonly"` // the composer's display name
}

// Delivery is one message of an issue to one address, as a sender holds it.
type Delivery struct {
	ID           int64  `bun:"id"`
	IssueID      int64  `bun:"issue_id"`
	SubscriberID *int64 `bun:"subscriber_id"`
	Address      string `bun:"address"`
	Test         bool   `bun:"test"`
	Attempts     int    `bun:"attempts"`
	Claim        int64  `bun:"claim"`
}

// ---- lists ----

// NewsletterLists lists the lists by name with their confirmed subscribers;
// activeOnly leaves out those no longer offered.
func (d *DB) NewsletterLists(ctx context.Context, activeOnly bool) (_ []NewsletterList, err error) {
	defer wrap(&err, "newsletter lists")
	var out []NewsletterList
	q := d.Bun.NewSelect().Model(&out).ColumnExpr("nl.*").
		ColumnExpr(`(SELECT count(*) FROM newsletter_subscriptions ss JOIN newsletter_subscribers s ON s.id = ss.subscriber_id
			WHERE ss.list_id = nl.id AND ss.status = ` + lit(SubConfirmed) + ` AND s.suppressed_at IS NULL) AS subscribers`).
		Order("nl.name")
	if activeOnly {
		q = q.Where("nl.active")
	}
	err = q.Scan(ctx)
	return out, err
}

// SaveNewsletterList creates l (ID 0) or updates its name, description and
// whether it is offered. A name another list has is ErrConflict.
func (d *DB) SaveNewsletterList(ctx context.Context, l *NewsletterList) (err error) {
	defer wrap(&err, "save newsletter list")
	if l.ID == 0 {
		_, err = d.Bun.NewInsert().Model(l).Column("name", "description", "active").Returning("id, created_at").Exec(ctx)
	} else {
		var res interface{ RowsAffected() (int64, error) }
		res, err = d.Bun.NewUpdate().Model(l).Column("name", "description", "active").WherePK().Exec(ctx)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound
			}
		}
	}
	if IsUniqueViolation(err, "") {
		return fmt.Errorf("list name taken: %w", ErrConflict)
	}
	return err
}

// ---- subscribing ----

// MemberSubscriptions returns the status of each list the member has a
// subscription row for.
func (d *DB) MemberSubscriptions(ctx context.Context, accountID int64) (_ map[int64]string, err error) {
	defer wrap(&err, "member subscriptions")
	var rows []struct {
		ListID int64  `bun:"list_id"`
		Status string `bun:"status"`
	}
	err = d.Bun.NewRaw(`SELECT ss.list_id, ss.status FROM newsletter_subscriptions ss
		JOIN newsletter_subscribers s ON s.id = ss.subscriber_id WHERE s.account_id = ?`, accountID).Scan(ctx, &rows)
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ListID] = r.Status
	}
	return out, err
}

// SetMemberSubscription subscribes a member to an active list (confirmed at
// once: the member's address was confirmed at registration) or
// unsubscribes them. Subscribing again keeps the first confirmation time.
func (d *DB) SetMemberSubscription(ctx context.Context, accountID, listID int64, subscribe bool, now time.Time) (err error) {
	defer wrap(&err, "set member subscription")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var subID int64
		err := tx.NewRaw(`INSERT INTO newsletter_subscribers (account_id) VALUES (?)
			ON CONFLICT (account_id) DO UPDATE SET account_id = EXCLUDED.account_id RETURNING id`, accountID).Scan(ctx, &subID)
		if err != nil {
			return err
		}
		if subscribe {
			ok, err := tx.NewSelect().Table("newsletter_lists").Where("id = ? AND active", listID).Exists(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("list %d: %w", listID, ErrNotFound)
			}
			// A member who opts in again is a working address again.
			if _, err := tx.NewRaw(`UPDATE newsletter_subscribers SET suppressed_at = NULL, hard_failures = 0 WHERE id = ?`, subID).Exec(ctx); err != nil {
				return err
			}
			_, err = tx.NewRaw(`INSERT INTO newsletter_subscriptions (subscriber_id, list_id, status, requested_at, confirmed_at)
				VALUES (?, ?, `+lit(SubConfirmed)+`, ?, ?)
				ON CONFLICT (subscriber_id, list_id) DO UPDATE
				SET status = `+lit(SubConfirmed)+`, unsubscribed_at = NULL,
				    confirmed_at = CASE WHEN newsletter_subscriptions.status = `+lit(SubConfirmed)+`
				                        THEN newsletter_subscriptions.confirmed_at ELSE EXCLUDED.confirmed_at END`,
				subID, listID, now, now).Exec(ctx)
			return err
		}
		_, err = tx.NewRaw(`UPDATE newsletter_subscriptions SET status = `+lit(SubUnsubscribed)+`, unsubscribed_at = ?
			WHERE subscriber_id = ? AND list_id = ? AND status <> `+lit(SubUnsubscribed), now, subID, listID).Exec(ctx)
		return err
	})
}

// Rate-limit kinds of the visitor's subscription form.
const (
	RateNewsletterIP   = "newsletter"      // requests per client address
	RateNewsletterMail = "newsletter_mail" // confirmation mails per e-mail address
)

// SubscriptionRequest is a visitor's wish to receive lists at an address.
type SubscriptionRequest struct {
	Email   string
	ListIDs []int64
	Now     time.Time
	// At most MaxPerIP requests from IP since Since (ErrRateLimited), and at
	// most MaxMails confirmation mails to one address (AddressKey, a keyed
	// hash) since Since: beyond that the request is recorded but no mail goes,
	// so the form cannot be used to flood someone's mailbox.
	IP         string
	AddressKey string
	Since      time.Time
	MaxPerIP   int
	MaxMails   int
	// Confirm builds the confirmation mail for the subscriber.
	Confirm func(subscriberID int64) *Mail
}

// RequestSubscription records a visitor's wish to receive the given active
// lists at r.Email (lower-cased): each list not yet confirmed becomes
// pending; a confirmed one stays confirmed. When some list is left pending,
// the confirmation mail is queued in the same transaction; otherwise no
// mail goes. The caller answers the same whatever happened, so nobody
// learns whether an address is subscribed.
func (d *DB) RequestSubscription(ctx context.Context, r SubscriptionRequest) (err error) {
	defer wrap(&err, "request subscription")
	email := strings.ToLower(strings.TrimSpace(r.Email))
	if email == "" || len(r.ListIDs) == 0 {
		return errors.New("no address or no list")
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if r.MaxPerIP > 0 {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(?))`, RateNewsletterIP+":"+r.IP); err != nil {
				return err
			}
			n, err := CountRate(ctx, tx, RateKey{Kind: RateNewsletterIP, IP: r.IP}, r.Since)
			if err != nil {
				return err
			}
			if n >= r.MaxPerIP {
				return ErrRateLimited
			}
			if err := RecordRate(ctx, tx, RateNewsletterIP, "", r.IP); err != nil {
				return err
			}
		}
		var subID int64
		var suppressed bool
		err := tx.NewRaw(`INSERT INTO newsletter_subscribers (email) VALUES (?)
			ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id, suppressed_at IS NOT NULL`, email).Scan(ctx, &subID, &suppressed)
		if err != nil {
			return err
		}
		res, err := tx.NewRaw(`INSERT INTO newsletter_subscriptions (subscriber_id, list_id, status, requested_at)
			SELECT ?, id, `+lit(SubPending)+`, ? FROM newsletter_lists WHERE id IN (?) AND active
			ON CONFLICT (subscriber_id, list_id) DO UPDATE
			SET status = `+lit(SubPending)+`, requested_at = EXCLUDED.requested_at
			WHERE newsletter_subscriptions.status <> `+lit(SubConfirmed), subID, r.Now, bun.List(r.ListIDs)).Exec(ctx)
		if err != nil {
			return err
		}
		// Every list already confirmed (or none offered): nothing to confirm,
		// unless the address is suppressed, which a confirmation lifts.
		if n, _ := res.RowsAffected(); (n == 0 && !suppressed) || r.Confirm == nil {
			return nil
		}
		if r.MaxMails > 0 {
			n, err := CountRate(ctx, tx, RateKey{Kind: RateNewsletterMail, Subject: r.AddressKey}, r.Since)
			if err != nil {
				return err
			}
			if n >= r.MaxMails {
				return nil
			}
			if err := RecordRate(ctx, tx, RateNewsletterMail, r.AddressKey, ""); err != nil {
				return err
			}
		}
		return EnqueueMail(ctx, tx, r.Confirm(subID))
	})
}

// PendingLists returns the lists a visitor's subscriber awaits confirmation
// of, for the confirmation page, and whether the subscriber is suppressed
// (which confirming lifts).
func (d *DB) PendingLists(ctx context.Context, subscriberID int64) (_ []NewsletterList, suppressed bool, err error) {
	defer wrap(&err, "pending lists")
	var out []NewsletterList
	err = d.Bun.NewSelect().Model(&out).
		Where("nl.id IN (SELECT list_id FROM newsletter_subscriptions WHERE subscriber_id = ? AND status = "+lit(SubPending)+")", subscriberID).
		Order("nl.name").Scan(ctx)
	if err != nil {
		return nil, false, err
	}
	err = d.Bun.NewRaw(`SELECT coalesce((SELECT suppressed_at IS NOT NULL FROM newsletter_subscribers WHERE id = ?), false)`, subscriberID).Scan(ctx, &suppressed)
	return out, suppressed, err
}

// ConfirmSubscriptions confirms every pending subscription of a subscriber
// and lifts a suppression (the address has just proved it works). It
// returns how many it confirmed; a second confirmation confirms nothing.
func (d *DB) ConfirmSubscriptions(ctx context.Context, subscriberID int64, now time.Time) (_ int, err error) {
	defer wrap(&err, "confirm subscriptions")
	var n int
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`UPDATE newsletter_subscriptions SET status = `+lit(SubConfirmed)+`, confirmed_at = ?
			WHERE subscriber_id = ? AND status = `+lit(SubPending), now, subscriberID).Exec(ctx)
		if err != nil {
			return err
		}
		rows, _ := res.RowsAffected()
		n = int(rows)
		_, err = tx.NewRaw(`UPDATE newsletter_subscribers SET suppressed_at = NULL, hard_failures = 0
			WHERE id = ? AND (suppressed_at IS NOT NULL OR hard_failures > 0)`, subscriberID).Exec(ctx)
		return err
	})
	return n, err
}

// UnsubscribeLists returns the lists an unsubscribe link of an issue stops:
// those of the issue the subscriber is subscribed to (pending or
// confirmed); every such list of the subscriber when issueID is 0.
func (d *DB) UnsubscribeLists(ctx context.Context, subscriberID, issueID int64) (_ []NewsletterList, err error) {
	defer wrap(&err, "unsubscribe lists")
	var out []NewsletterList
	q := d.Bun.NewSelect().Model(&out).
		Where("nl.id IN (SELECT list_id FROM newsletter_subscriptions WHERE subscriber_id = ? AND status <> "+lit(SubUnsubscribed)+")", subscriberID).
		Order("nl.name")
	if issueID != 0 {
		q = q.Where("nl.id IN (SELECT list_id FROM newsletter_issue_lists WHERE issue_id = ?)", issueID)
	}
	err = q.Scan(ctx)
	return out, err
}

// Unsubscribe ends the subscriptions UnsubscribeLists names, at once. It
// is idempotent: a second call changes nothing and is no error.
func (d *DB) Unsubscribe(ctx context.Context, subscriberID, issueID int64, now time.Time) (_ int, err error) {
	defer wrap(&err, "unsubscribe")
	q := `UPDATE newsletter_subscriptions SET status = ` + lit(SubUnsubscribed) + `, unsubscribed_at = ?
		WHERE subscriber_id = ? AND status <> ` + lit(SubUnsubscribed)
	args := []any{now, subscriberID}
	if issueID != 0 {
		q += ` AND list_id IN (SELECT list_id FROM newsletter_issue_lists WHERE issue_id = ?)`
		args = append(args, issueID)
	}
	res, err := d.Bun.NewRaw(q, args...).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ---- issues ----

// SaveNewsletterIssue creates a draft (ID 0) or changes one, with its lists;
// is.CreatedBy is set for a new one. A division the author does not belong
// to is ErrForbidden; an issue no longer a draft is ErrNotDraft.
func (d *DB) SaveNewsletterIssue(ctx context.Context, is *NewsletterIssue, listIDs []int64, author *Account) (err error) {
	defer wrap(&err, "save newsletter issue")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := tx.NewSelect().Table("staff_divisions").Where("account_id = ? AND division_id = ?", author.ID, is.DivisionID).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("division %d: %w", is.DivisionID, ErrForbidden)
		}
		if is.ID == 0 {
			is.CreatedBy, is.Status = author.ID, IssueDraft
			if _, err := tx.NewInsert().Model(is).Column("division_id", "subject", "body", "segment", "status", "created_by").
				Returning("id, created_at, updated_at").Exec(ctx); err != nil {
				return err
			}
		} else {
			res, err := tx.NewUpdate().Model(is).Column("division_id", "subject", "body", "segment").
				Set("updated_at = now()").Where("id = ? AND status = "+lit(IssueDraft), is.ID).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if _, err := d.NewsletterIssue(ctx, is.ID); err != nil {
					return err
				}
				return ErrNotDraft
			}
			if _, err := tx.NewDelete().Table("newsletter_issue_lists").Where("issue_id = ?", is.ID).Exec(ctx); err != nil {
				return err
			}
		}
		if len(listIDs) > 0 {
			if _, err := tx.NewRaw(`INSERT INTO newsletter_issue_lists (issue_id, list_id)
				SELECT ?, id FROM newsletter_lists WHERE id IN (?)`, is.ID, bun.List(listIDs)).Exec(ctx); err != nil {
				return err
			}
		}
		is.ListIDs = listIDs
		return nil
	})
}

func issueQuery(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ColumnExpr("ni.*").
		ColumnExpr("ARRAY(SELECT list_id FROM newsletter_issue_lists il WHERE il.issue_id = ni.id ORDER BY list_id) AS list_ids").
		ColumnExpr("(SELECT name FROM divisions dv WHERE dv.id = ni.division_id) AS division_name").
		ColumnExpr("(SELECT display_name FROM accounts ac WHERE ac.id = ni.created_by) AS author")
}

// NewsletterIssue loads one issue with its lists.
func (d *DB) NewsletterIssue(ctx context.Context, id int64) (_ *NewsletterIssue, err error) {
	defer wrap(&err, "newsletter issue")
	is := new(NewsletterIssue)
	err = issueQuery(d.Bun.NewSelect().Model(is)).Where("ni.id = ?", id).Scan(ctx)
	return is, notFound(err, "newsletter issue")
}

// IssueRow is an issue in the back office's list, with its delivery counts.
type IssueRow struct {
	NewsletterIssue
	Counts map[string]int
}

// NewsletterIssues lists the latest issues, newest first, with counts.
func (d *DB) NewsletterIssues(ctx context.Context, limit int) (_ []IssueRow, err error) {
	defer wrap(&err, "newsletter issues")
	var issues []NewsletterIssue
	if err := issueQuery(d.Bun.NewSelect().Model(&issues)).OrderExpr("ni.id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]IssueRow, len(issues))
	ids := make([]int64, len(issues))
	for i := range issues {
		out[i] = IssueRow{NewsletterIssue: issues[i], Counts: map[string]int{}}
		ids[i] = issues[i].ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var counts []struct {
		IssueID int64  `bun:"issue_id"`
		Status  string `bun:"status"`
		N       int    `bun:"n"`
	}
	if err := d.Bun.NewRaw(`SELECT issue_id, status, count(*) AS n FROM newsletter_deliveries
		WHERE issue_id IN (?) AND NOT test GROUP BY issue_id, status`, bun.List(ids)).Scan(ctx, &counts); err != nil {
		return nil, err
	}
	for _, c := range counts {
		for i := range out {
			if out[i].ID == c.IssueID {
				out[i].Counts[c.Status] = c.N
			}
		}
	}
	return out, nil
}

// IssueCounts counts an issue's deliveries (test sends left out) by status.
func (d *DB) IssueCounts(ctx context.Context, issueID int64) (_ map[string]int, err error) {
	defer wrap(&err, "issue counts")
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	err = d.Bun.NewRaw(`SELECT status, count(*) AS n FROM newsletter_deliveries WHERE issue_id = ? AND NOT test GROUP BY status`, issueID).Scan(ctx, &rows)
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, err
}

// audienceQuery selects (subscriber id, address) of every recipient of an
// issue: subscribers confirmed on one of its lists, not suppressed, members
// only while active, narrowed to the members matching the segment when it
// filters; one row per address. Parameters are numbered ($n) for pgx.
func audienceQuery(issueID int64, seg NewsletterSegment) (string, []any) {
	var where string
	var args []any
	if seg.IsZero() {
		where = "(s.account_id IS NULL OR a.status = " + lit(StatusActive) + ")"
	} else {
		where, args = seg.filter().where()
	}
	args = append(args, issueID)
	issue := "$" + strconv.Itoa(len(args))
	return `SELECT DISTINCT ON (lower(r.addr)) r.id, r.addr FROM (
		SELECT s.id, coalesce(p.email, s.email) AS addr
		FROM newsletter_subscribers s
		LEFT JOIN accounts a ON a.id = s.account_id
		LEFT JOIN member_profiles p ON p.account_id = s.account_id
		WHERE s.suppressed_at IS NULL
		  AND EXISTS (SELECT 1 FROM newsletter_subscriptions ss
		              JOIN newsletter_issue_lists il ON il.list_id = ss.list_id AND il.issue_id = ` + issue + `
		              WHERE ss.subscriber_id = s.id AND ss.status = ` + lit(SubConfirmed) + `)
		  AND ` + where + `
	) r WHERE coalesce(r.addr, '') <> '' ORDER BY lower(r.addr), r.id`, args
}

// IssueAudience counts the recipients the issue would go to now.
func (d *DB) IssueAudience(ctx context.Context, is *NewsletterIssue) (_ int, err error) {
	defer wrap(&err, "issue audience")
	q, args := audienceQuery(is.ID, is.Segment)
	var n int
	err = d.Pool.QueryRow(ctx, "SELECT count(*) FROM ("+q+") x", args...).Scan(&n)
	return n, err
}

// RequestIssueSend asks for a draft to go out at sendAt (now or later). An
// audience larger than approvalOver waits for an approver of the issue's
// division (status awaiting_approval); a smaller one is scheduled at once.
// It returns the new status.
func (d *DB) RequestIssueSend(ctx context.Context, id int64, sendAt time.Time, approvalOver int) (_ string, err error) {
	defer wrap(&err, "request issue send")
	is, err := d.NewsletterIssue(ctx, id)
	if err != nil {
		return "", err
	}
	if is.Status != IssueDraft {
		return "", ErrNotDraft
	}
	if len(is.ListIDs) == 0 {
		return "", fmt.Errorf("issue %d has no list: %w", id, ErrConflict)
	}
	n, err := d.IssueAudience(ctx, is)
	if err != nil {
		return "", err
	}
	status := IssueScheduled
	if n > approvalOver {
		status = IssueAwaitingApproval
	}
	res, err := d.Bun.NewUpdate().Model((*NewsletterIssue)(nil)).Set("status = ?", status).Set("send_at = ?", sendAt).
		Set("audience = ?", n).Set("updated_at = now()").Where("id = ? AND status = "+lit(IssueDraft), id).Exec(ctx)
	if err != nil {
		return "", err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return "", ErrNotDraft
	}
	return status, nil
}

// ApproveIssue lets an issue awaiting approval go out: the approver must
// belong to its division and must not be its author (ErrForbidden).
func (d *DB) ApproveIssue(ctx context.Context, id int64, approver *Account, now time.Time) (err error) {
	defer wrap(&err, "approve issue")
	is, err := d.NewsletterIssue(ctx, id)
	if err != nil {
		return err
	}
	if is.CreatedBy == approver.ID || !approver.HasRole(RoleApprover) {
		return ErrForbidden
	}
	ok, err := d.Bun.NewSelect().Table("staff_divisions").Where("account_id = ? AND division_id = ?", approver.ID, is.DivisionID).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrForbidden
	}
	res, err := d.Bun.NewUpdate().Model((*NewsletterIssue)(nil)).Set("status = "+lit(IssueScheduled)).
		Set("approved_by = ?", approver.ID).Set("approved_at = ?", now).Set("updated_at = now()").
		Where("id = ? AND status = "+lit(IssueAwaitingApproval), id).Exec(ctx)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("issue %d is not awaiting approval: %w", id, ErrConflict)
	}
	return nil
}

// CancelIssue takes an issue awaiting approval or scheduled back to draft.
// Once it is being sent it cannot be called back (ErrConflict).
func (d *DB) CancelIssue(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "cancel issue")
	res, err := d.Bun.NewUpdate().Model((*NewsletterIssue)(nil)).Set("status = "+lit(IssueDraft)).
		Set("send_at = NULL, audience = NULL, approved_by = NULL, approved_at = NULL, updated_at = now()").
		Where("id = ? AND status IN (?)", id, bun.List([]string{IssueAwaitingApproval, IssueScheduled})).Exec(ctx)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		if _, err := d.NewsletterIssue(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("issue %d cannot be called back: %w", id, ErrConflict)
	}
	return nil
}

// QueueTestDelivery queues the issue as it stands to one address (the
// staff member's own), marked as a test: no subscriber, not counted.
func (d *DB) QueueTestDelivery(ctx context.Context, issueID int64, address string) (err error) {
	defer wrap(&err, "queue test delivery")
	_, err = d.Bun.NewRaw(`INSERT INTO newsletter_deliveries (issue_id, address, test) VALUES (?, ?, true)`, issueID, address).Exec(ctx)
	if err == nil {
		_, err = d.Bun.ExecContext(ctx, `SELECT pg_notify(?, '')`, NewsletterChannel)
	}
	return err
}

// NewsletterChannel is the NOTIFY channel signalled when deliveries are
// queued, so senders on every instance start at once.
const NewsletterChannel = "portal_newsletter"

// QueueDueIssues turns scheduled issues whose time has come into delivery
// rows, one issue per transaction (an issue another instance is queuing is
// skipped), and marks issues whose deliveries are all settled as sent. It
// returns how many issues it queued. Rows are written by one INSERT …
// SELECT in the database: nothing about the audience passes through Go.
func (d *DB) QueueDueIssues(ctx context.Context, now time.Time) (_ int, err error) {
	defer wrap(&err, "queue due issues")
	queued := 0
	for {
		done := true
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			is := new(NewsletterIssue)
			err := tx.NewSelect().Model(is).Where("status = "+lit(IssueScheduled)+" AND send_at <= ?", now).
				OrderExpr("send_at, id").Limit(1).For("UPDATE SKIP LOCKED").Scan(ctx)
			if err != nil {
				return notFound(err, "due issue")
			}
			q, args := audienceQuery(is.ID, is.Segment)
			args = append(args, is.ID)
			n := strconv.Itoa(len(args))
			// Through database/sql itself: bun would read the $n of the
			// export filter's clause as text.
			if _, err := tx.Tx.ExecContext(ctx, `INSERT INTO newsletter_deliveries (issue_id, subscriber_id, address, next_attempt_at)
				SELECT $`+n+`, x.id, x.addr, now() FROM (`+q+`) x ON CONFLICT DO NOTHING`, args...); err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Model((*NewsletterIssue)(nil)).Set("status = "+lit(IssueSending)).
				Set("queued_at = ?", now).Where("id = ?", is.ID).Exec(ctx); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `SELECT pg_notify(?, '')`, NewsletterChannel)
			done = false
			queued++
			return err
		})
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return queued, err
		}
		if done {
			break
		}
	}
	_, err = d.Bun.NewRaw(`UPDATE newsletter_issues ni SET status = `+lit(IssueSent)+`, finished_at = ?
		WHERE status = `+lit(IssueSending)+` AND NOT EXISTS (SELECT 1 FROM newsletter_deliveries dl
		WHERE dl.issue_id = ni.id AND dl.status IN (?))`, now,
		bun.List([]string{DeliveryQueued, DeliverySending, DeliveryCommitting, DeliveryDeferred})).Exec(ctx)
	return queued, err
}

// ---- delivery ----

// ClaimDeliveries first settles the rows whose sender's lease ran out (a
// row still sending goes back to the queue untried; a row committing
// becomes unknown: the server may have it), then takes up to limit due
// rows for one sender under a fresh claim number, leased until now+lease.
// Several senders may call it at once; none gets a row another holds.
func (d *DB) ClaimDeliveries(ctx context.Context, limit int, now time.Time, lease time.Duration) (_ []Delivery, err error) {
	defer wrap(&err, "claim deliveries")
	if _, err := d.Bun.NewRaw(`UPDATE newsletter_deliveries
		SET status = CASE status WHEN `+lit(DeliverySending)+` THEN `+lit(DeliveryQueued)+` ELSE `+lit(DeliveryUnknown)+` END,
		    attempts = CASE status WHEN `+lit(DeliverySending)+` THEN greatest(attempts - 1, 0) ELSE attempts END,
		    last_reply = CASE status WHEN `+lit(DeliveryCommitting)+` THEN 'sender lost before the reply' ELSE last_reply END,
		    claim = NULL, lease_until = NULL
		WHERE status IN (?) AND lease_until < ?`, bun.List([]string{DeliverySending, DeliveryCommitting}), now).Exec(ctx); err != nil {
		return nil, err
	}
	var rows []Delivery
	err = d.Bun.NewRaw(`
		WITH due AS (
			SELECT id FROM newsletter_deliveries
			WHERE status IN (?) AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id
			LIMIT ?
			FOR UPDATE SKIP LOCKED
		), c AS (SELECT nextval('newsletter_claim_seq') AS claim)
		UPDATE newsletter_deliveries dl
		SET status = `+lit(DeliverySending)+`, claim = c.claim, lease_until = ?, attempts = dl.attempts + 1
		FROM due, c
		WHERE dl.id = due.id
		RETURNING dl.id, dl.issue_id, dl.subscriber_id, dl.address, dl.test, dl.attempts, dl.claim`,
		bun.List([]string{DeliveryQueued, DeliveryDeferred}), now, limit, now.Add(lease)).Scan(ctx, &rows)
	return rows, err
}

// ErrClaimLost is a delivery that is no longer the sender's: its lease ran
// out and another sender has it, or it was settled meanwhile.
var ErrClaimLost = errors.New("delivery no longer held by this claim")

func claimed(res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrClaimLost
	}
	return nil
}

// CommitDelivery is the sender's last word before it ends the message with
// the dot: from here on the server may accept it, so the row moves to
// committing and will never be sent again. ErrClaimLost means the row is no
// longer this sender's: it must not end the message.
func (d *DB) CommitDelivery(ctx context.Context, dl *Delivery) (err error) {
	defer wrap(&err, "commit delivery")
	res, err := d.Bun.NewRaw(`UPDATE newsletter_deliveries SET status = `+lit(DeliveryCommitting)+`
		WHERE id = ? AND claim = ? AND status = `+lit(DeliverySending), dl.ID, dl.Claim).Exec(ctx)
	return claimed(res, err)
}

// MarkDeliverySent records the server's acceptance (also of a row the
// lease expiry had already called unknown) and clears the subscriber's
// run of hard failures.
//
// It commits without waiting for the WAL flush (synchronous_commit off for
// this one statement): should the database itself crash and lose the
// record, the row is still committing and becomes unknown, never sent
// again, so the one guarantee that matters holds, and the sender does not
// wait for a disk flush per message. CommitDelivery, whose loss would mean a
// second send, waits for its flush.
func (d *DB) MarkDeliverySent(ctx context.Context, dl *Delivery, now time.Time, reply string) (err error) {
	defer wrap(&err, "mark delivery sent")
	var n int
	err = d.Bun.NewRaw(`
		WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS v),
		ok AS (
			UPDATE newsletter_deliveries SET status = `+lit(DeliverySent)+`, sent_at = ?, last_reply = ?, lease_until = NULL
			WHERE id = ? AND claim = ? AND status IN (?) AND EXISTS (SELECT 1 FROM async) RETURNING subscriber_id
		), reset AS (
			UPDATE newsletter_subscribers SET hard_failures = 0
			WHERE id = (SELECT subscriber_id FROM ok) AND hard_failures > 0
		)
		SELECT count(*) FROM ok`, now, clipMailError(reply), dl.ID, dl.Claim,
		bun.List([]string{DeliveryCommitting, DeliveryUnknown})).Scan(ctx, &n)
	if err == nil && n == 0 {
		return ErrClaimLost
	}
	return err
}

// MarkDeliveryDeferred records a temporary refusal (4xx) and when to try
// again; the attempts are unlimited.
func (d *DB) MarkDeliveryDeferred(ctx context.Context, dl *Delivery, next time.Time, reply string) (err error) {
	defer wrap(&err, "mark delivery deferred")
	res, err := d.Bun.NewRaw(`UPDATE newsletter_deliveries SET status = `+lit(DeliveryDeferred)+`, next_attempt_at = ?,
		last_reply = ?, claim = NULL, lease_until = NULL
		WHERE id = ? AND claim = ? AND status IN (?)`, next, clipMailError(reply), dl.ID, dl.Claim,
		bun.List([]string{DeliverySending, DeliveryCommitting, DeliveryUnknown})).Exec(ctx)
	return claimed(res, err)
}

// MarkDeliveryFailed records a permanent refusal (5xx) with the server's
// reply and counts a hard failure against the subscriber, who is
// suppressed once suppressAfter failures follow each other.
func (d *DB) MarkDeliveryFailed(ctx context.Context, dl *Delivery, now time.Time, reply string, suppressAfter int) (err error) {
	defer wrap(&err, "mark delivery failed")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var sub []*int64
		err := tx.NewRaw(`UPDATE newsletter_deliveries SET status = `+lit(DeliveryFailed)+`, last_reply = ?, claim = NULL, lease_until = NULL
			WHERE id = ? AND claim = ? AND status IN (?) RETURNING subscriber_id`, clipMailError(reply), dl.ID, dl.Claim,
			bun.List([]string{DeliverySending, DeliveryCommitting, DeliveryUnknown})).Scan(ctx, &sub)
		if err != nil {
			return err
		}
		if len(sub) == 0 {
			return ErrClaimLost
		}
		if sub[0] == nil || dl.Test {
			return nil
		}
		_, err = tx.NewRaw(`UPDATE newsletter_subscribers SET hard_failures = hard_failures + 1,
			suppressed_at = CASE WHEN hard_failures + 1 >= ? THEN coalesce(suppressed_at, ?) END
			WHERE id = ?`, max(suppressAfter, 1), now, *sub[0]).Exec(ctx)
		return err
	})
}

// MarkDeliveryUnknown records that the server's answer to the end of the
// message never came: it may have the message, so the row is not sent again.
func (d *DB) MarkDeliveryUnknown(ctx context.Context, dl *Delivery, reply string) (err error) {
	defer wrap(&err, "mark delivery unknown")
	res, err := d.Bun.NewRaw(`UPDATE newsletter_deliveries SET status = `+lit(DeliveryUnknown)+`, last_reply = ?, lease_until = NULL
		WHERE id = ? AND claim = ? AND status = `+lit(DeliveryCommitting), clipMailError(reply), dl.ID, dl.Claim).Exec(ctx)
	return claimed(res, err)
}

// ReleaseDeliveries hands claimed rows the server never saw the end of back
// to the queue, due at once, the claim not counted as an attempt.
func (d *DB) ReleaseDeliveries(ctx context.Context, dls []Delivery) (err error) {
	defer wrap(&err, "release deliveries")
	for _, dl := range dls {
		if _, err := d.Bun.NewRaw(`UPDATE newsletter_deliveries SET status = `+lit(DeliveryQueued)+`,
			attempts = greatest(attempts - 1, 0), claim = NULL, lease_until = NULL
			WHERE id = ? AND claim = ? AND status = `+lit(DeliverySending), dl.ID, dl.Claim).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// IssueContent is what a sender needs of an issue to build its messages.
type IssueContent struct {
	ID      int64
	Subject string
	Body    string
}

// IssueForSending loads an issue's subject and body.
func (d *DB) IssueForSending(ctx context.Context, id int64) (_ IssueContent, err error) {
	defer wrap(&err, "issue for sending")
	var c IssueContent
	err = d.Bun.NewRaw(`SELECT id, subject, body FROM newsletter_issues WHERE id = ?`, id).Scan(ctx, &c.ID, &c.Subject, &c.Body)
	return c, notFound(err, "newsletter issue")
}

// purgeDeliveries deletes settled delivery rows (sent, failed, unknown)
// whose last attempt was before cutoff, batch rows a statement: each holds a
// recipient's address. The issue stays; its counts then leave them out.
func (d *DB) purgeDeliveries(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for {
		res, err := d.Bun.ExecContext(ctx, `DELETE FROM newsletter_deliveries WHERE id IN
			(SELECT id FROM newsletter_deliveries WHERE status IN (?) AND coalesce(sent_at, next_attempt_at) < ? LIMIT ?)`,
			bun.List([]string{DeliverySent, DeliveryFailed, DeliveryUnknown}), cutoff, batch)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}
