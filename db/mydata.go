package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// MemberData is everything the portal holds about one member, as the member
// downloads it from /account. Staff are named by their role only, never by
// login or name, and secrets (password hash, calendar token, reset links)
// are left out.
type MemberData struct {
	GeneratedAt   Stamp           `json:"generated_at"`
	Account       DataAccount     `json:"account"`
	Profile       *DataProfile    `json:"profile"`
	Signups       []DataSignup    `json:"event_signups"`
	Posts         []DataPost      `json:"board_posts"`
	Reports       []DataReport    `json:"board_reports"`
	AccessHistory []DataAccess    `json:"access_history"`
	CalendarFeed  DataCalendar    `json:"calendar_feed"`
	Mails         []DataMail      `json:"mails"`
	Audit         []DataAuditNote `json:"audit_entries"`
}

// DataAccount is the account itself.
type DataAccount struct {
	LoginID      string `bun:"login_id" json:"login_id"`
	HandleName   string `bun:"display_name" json:"handle_name"`
	Status       string `bun:"status" json:"status"`
	RegisteredAt Stamp  `bun:"created_at" json:"registered_at"`
	LastLoginAt  *Stamp `bun:"last_login_at" json:"last_login_at"`
}

// DataProfile is the member's personal data as registered.
type DataProfile struct {
	Name         string `bun:"name" json:"name"`
	NameKana     string `bun:"name_kana" json:"name_kana"`
	PostalCode   string `bun:"postal_code" json:"postal_code"`
	Town         string `bun:"town" json:"town"`
	Address      string `bun:"address" json:"address"`
	Phone        string `bun:"phone" json:"phone"`
	Fax          string `bun:"fax" json:"fax"`
	Email        string `bun:"email" json:"email"`
	TermsVersion string `bun:"terms_version" json:"terms_version"`
	// NewsletterSince is when the member first confirmed a newsletter list
	// still subscribed; null when they subscribe to none.
	NewsletterSince *Stamp `bun:"newsletter_since" json:"newsletter_since"`
}

// DataSignup is one sign-up for an event, cancelled ones included.
type DataSignup struct {
	EventID     int64  `bun:"event_id" json:"event_id"`
	EventTitle  string `bun:"title" json:"event_title"`
	EventStarts Stamp  `bun:"starts_at" json:"event_starts_at"`
	Status      string `bun:"status" json:"status"`
	SignedUpAt  Stamp  `bun:"created_at" json:"signed_up_at"`
	CancelledAt *Stamp `bun:"cancelled_at" json:"cancelled_at"`
}

// DataPost is one board post in any state, with the outcome of its latest
// review: pending and rejected posts are the member's data too.
type DataPost struct {
	ID                int64  `bun:"id" json:"id"`
	TopicID           *int64 `bun:"topic_id" json:"topic_id"`
	TopicTitle        string `bun:"topic_title" json:"topic_title,omitempty"`
	Category          string `bun:"category" json:"category"`
	Title             string `bun:"title" json:"title"`
	Body              string `bun:"body" json:"body"`
	Status            string `bun:"status" json:"status"`
	CreatedAt         Stamp  `bun:"created_at" json:"created_at"`
	UpdatedAt         Stamp  `bun:"updated_at" json:"updated_at"`
	PublishedAt       *Stamp `bun:"published_at" json:"published_at"`
	ModerationStatus  string `bun:"moderation_status" json:"moderation_status"`
	ModerationReason  string `bun:"moderation_reason" json:"moderation_reason"`
	ModerationMessage string `bun:"moderation_message" json:"moderation_message"`
	ModeratedAt       *Stamp `bun:"moderated_at" json:"moderated_at"`
}

// DataReport is a report the member made about someone's post.
type DataReport struct {
	PostID     int64  `bun:"post_id" json:"post_id"`
	Reason     string `bun:"reason" json:"reason"`
	ReportedAt Stamp  `bun:"created_at" json:"reported_at"`
}

// DataMail is a mail the portal wrote to the member. The body of a
// password-reset mail is left out: its link is a credential.
type DataMail struct {
	Kind    string `bun:"kind" json:"kind"`
	To      string `bun:"to_addr" json:"to"`
	Subject string `bun:"subject" json:"subject"`
	Body    string `bun:"body" json:"body,omitempty"`
	Written Stamp  `bun:"created_at" json:"written_at"`
	SentAt  *Stamp `bun:"sent_at" json:"sent_at"`
}

// DataAccess is one line of the member's access history.
type DataAccess struct {
	At        Stamp  `bun:"at" json:"at"`
	Action    string `bun:"action" json:"action"`
	Success   bool   `bun:"success" json:"success"`
	IP        string `bun:"ip" json:"ip"`
	UserAgent string `bun:"user_agent" json:"user_agent"`
	Detail    string `bun:"detail" json:"detail"`
}

// DataCalendar says whether the member has a private calendar address; the
// address itself is a secret the portal does not keep.
type DataCalendar struct {
	Active    bool   `json:"active"`
	CreatedAt *Stamp `json:"created_at"`
}

// DataAuditNote is an audit entry about the member: what a staff member,
// named by role only, did with their data and why.
type DataAuditNote struct {
	At      Stamp    `bun:"at" json:"at"`
	Role    string   `bun:"actor_role" json:"staff_role"`
	Action  string   `bun:"action" json:"action"`
	Fields  []string `bun:"fields,array" json:"fields"`
	Purpose string   `bun:"purpose" json:"purpose"`
}

// jst is Japan time, which the data file is written in (no daylight saving).
var jst = time.FixedZone("JST", 9*60*60)

// Stamp is a moment as the data file writes it: RFC 3339 in Japan time.
type Stamp struct{ time.Time }

// Scan reads a timestamptz.
func (s *Stamp) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("stamp: cannot scan %T", src)
	}
	s.Time = t.In(jst)
	return nil
}

// MarshalJSON writes the time in Japan time, to the second.
func (s Stamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.In(jst).Format(time.RFC3339))
}

// MemberData collects everything held about a member and records the
// download (ev) in their access history, in one repeatable-read transaction
// so the file is a consistent snapshot that includes its own download.
func (d *DB) MemberData(ctx context.Context, accountID int64, ev AccessEvent) (_ *MemberData, err error) {
	defer wrap(&err, "member data")
	m := &MemberData{}
	err = d.Bun.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, func(ctx context.Context, tx bun.Tx) error {
		if err := RecordAccess(ctx, tx, ev); err != nil {
			return err
		}
		for _, read := range []func(context.Context, bun.Tx, int64, *MemberData) error{
			readAccount, readProfile, readSignups, readPosts, readReports, readAccessHistory, readCalendar, readMails, readAuditNotes,
		} {
			if err := read(ctx, tx, accountID, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func readAccount(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	err := tx.NewRaw(`SELECT login_id, display_name, status, created_at, last_login_at
		FROM accounts WHERE id = ?`, id).Scan(ctx, &m.Account)
	return notFound(err, "account")
}

func readProfile(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	var ps []DataProfile
	if err := tx.NewRaw(`SELECT name, name_kana, postal_code, town, address, phone, fax, email, terms_version,
			(SELECT min(ss.confirmed_at) FROM newsletter_subscribers ns
			 JOIN newsletter_subscriptions ss ON ss.subscriber_id = ns.id AND ss.status = `+lit(SubConfirmed)+`
			 WHERE ns.account_id = p.account_id) AS newsletter_since
		FROM member_profiles p WHERE account_id = ?`, id).Scan(ctx, &ps); err != nil {
		return err
	}
	if len(ps) > 0 {
		m.Profile = &ps[0]
	}
	return nil
}

func readSignups(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	m.Signups = []DataSignup{}
	return tx.NewRaw(`SELECT s.event_id, e.title, e.starts_at, s.status, s.created_at, s.cancelled_at
		FROM event_signups AS s JOIN events AS e ON e.id = s.event_id
		WHERE s.account_id = ? ORDER BY s.created_at, s.id`, id).Scan(ctx, &m.Signups)
}

// readPosts reads every post of the member, withdrawn and rejected ones
// too, with the latest review as /account/posts shows it.
func readPosts(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	m.Posts = []DataPost{}
	return tx.NewRaw(`SELECT p.id, p.topic_id, coalesce(t.title, '') AS topic_title, c.name_ja AS category,
			p.title, p.body, p.status, p.created_at, p.updated_at, p.published_at,
			coalesce(i.status, '') AS moderation_status, coalesce(i.reason, '') AS moderation_reason,
			coalesce(i.message, '') AS moderation_message, i.decided_at AS moderated_at
		FROM board_posts AS p
		JOIN board_categories AS c ON c.id = p.category_id
		LEFT JOIN board_posts AS t ON t.id = p.topic_id
		LEFT JOIN LATERAL (SELECT status, reason, message, decided_at FROM moderation_items
			WHERE kind = ? AND subject_id = p.id ORDER BY id DESC LIMIT 1) AS i ON true
		WHERE p.author_id = ? ORDER BY p.created_at, p.id`, ItemBoardPost, id).Scan(ctx, &m.Posts)
}

func readReports(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	m.Reports = []DataReport{}
	return tx.NewRaw(`SELECT post_id, reason, created_at FROM board_reports
		WHERE reporter_id = ? ORDER BY created_at, id`, id).Scan(ctx, &m.Reports)
}

func readAccessHistory(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	m.AccessHistory = []DataAccess{}
	return tx.NewRaw(`SELECT at, action, success, ip, user_agent, detail FROM access_history
		WHERE account_id = ? ORDER BY at, id`, id).Scan(ctx, &m.AccessHistory)
}

func readMails(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	m.Mails = []DataMail{}
	return tx.NewRaw(`SELECT kind, to_addr, subject, CASE WHEN kind = 'reset' THEN '' ELSE body END AS body,
			created_at, sent_at
		FROM mail_outbox WHERE account_id = ? ORDER BY created_at, id`, id).Scan(ctx, &m.Mails)
}

func readCalendar(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	var at []time.Time
	if err := tx.NewRaw(`SELECT created_at FROM calendar_feeds WHERE account_id = ? AND revoked_at IS NULL`, id).
		Scan(ctx, &at); err != nil {
		return err
	}
	if len(at) > 0 {
		m.CalendarFeed = DataCalendar{Active: true, CreatedAt: &Stamp{at[0]}}
	}
	return nil
}

// readAuditNotes reads the audit entries about the member in the order they
// were written; who the staff member was stays out.
func readAuditNotes(ctx context.Context, tx bun.Tx, id int64, m *MemberData) error {
	m.Audit = []DataAuditNote{}
	return tx.NewRaw(`SELECT at, actor_role, action, fields, purpose FROM audit_log
		WHERE subject_id = ? ORDER BY seq`, id).Scan(ctx, &m.Audit)
}
