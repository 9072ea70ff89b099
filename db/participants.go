package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Participant is one live sign-up with the member's contact details: what
// an organiser needs to run the event, and personal data whose every view
// and export is audited.
type Participant struct {
	SignupID  int64     `bun:"signup_id"`
	AccountID int64     `bun:"account_id"`
	Status    string    `bun:"status"`
	AppliedAt time.Time `bun:"applied_at"`
	LoginID   string    `bun:"login_id"`
	Handle    string    `bun:"handle"`
	Name      string    `bun:"name"`
	NameKana  string    `bun:"name_kana"`
	Phone     string    `bun:"phone"`
	Email     string    `bun:"email"`
}

// ParticipantFields are the personal-data fields a participant list shows.
var ParticipantFields = []string{"name", "name_kana", "phone", "email"}

// EventOrganiserAccount returns the account of the group organising the
// event, or 0 when the ward or the operator organises it.
func (d *DB) EventOrganiserAccount(ctx context.Context, e *Event) (int64, error) {
	if e.OrganiserKind != OrganiserGroup || e.GroupID == nil {
		return 0, nil
	}
	var id *int64
	err := d.Bun.NewSelect().Model((*Group)(nil)).Column("account_id").Where("id = ?", *e.GroupID).Scan(ctx, &id)
	if err != nil || id == nil {
		return 0, notFound(err, "group")
	}
	return *id, nil
}

// ErrNotOrganiser means the account may not see the event's participants.
var ErrNotOrganiser = errors.New("not the event's organiser")

// OrganiserRole is the one rule that decides who may see an event's
// participants, wherever the list comes from (the participant page, its CSV,
// a member-list export filtered by the event): the group's own account for
// a group's event, ward staff for the ward's, moderators for the operator's.
// It returns the role through which u organises e, or "" for none.
func (d *DB) OrganiserRole(ctx context.Context, u *Account, e *Event) (string, error) {
	if u == nil || u.Kind == KindMember {
		return "", nil // residents never organise: no query on their event pages
	}
	switch e.OrganiserKind {
	case OrganiserGroup:
		if u.Kind != KindGroup {
			return "", nil
		}
		id, err := d.EventOrganiserAccount(ctx, e)
		if err != nil {
			return "", fmt.Errorf("db: event organiser: %w", err)
		}
		if id != u.ID {
			return "", nil
		}
		return KindGroup, nil
	case OrganiserWard:
		if u.HasRole(RoleWardStaff) {
			return RoleWardStaff, nil
		}
	case OrganiserOperator:
		if u.HasRole(RoleModerator) {
			return RoleModerator, nil
		}
	}
	return "", nil
}

// ParticipantsRole loads event id (whatever its status) and applies
// OrganiserRole: the role through which u may see its participants,
// ErrNotOrganiser if u may not, ErrNotFound if there is no such event.
func (d *DB) ParticipantsRole(ctx context.Context, eventID int64, u *Account) (string, error) {
	e, err := d.EventAnyStatus(ctx, eventID)
	if err != nil {
		return "", err
	}
	role, err := d.OrganiserRole(ctx, u, e)
	if err != nil {
		return "", err
	}
	if role == "" {
		return "", fmt.Errorf("db: participants of event %d: %w", eventID, ErrNotOrganiser)
	}
	return role, nil
}

// Participants lists the event's confirmed then waitlisted members in the
// order their places were given (the waitlist's order of promotion), to its
// organiser only (ErrNotOrganiser for anyone else), and writes one audit
// entry per member shown, with action AuditView for a screen and AuditExport
// for a file, in the same
// transaction: no list leaves the database unrecorded.
func (d *DB) Participants(ctx context.Context, eventID int64, actor *Account, action, ip string) ([]Participant, error) {
	role, err := d.ParticipantsRole(ctx, eventID, actor)
	if err != nil {
		return nil, err
	}
	var out []Participant
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().TableExpr("event_signups AS s").
			ColumnExpr("s.id AS signup_id, s.account_id, s.status, s.created_at AS applied_at").
			ColumnExpr("a.login_id, a.display_name AS handle").
			ColumnExpr("coalesce(p.name, '') AS name, coalesce(p.name_kana, '') AS name_kana").
			ColumnExpr("coalesce(p.phone, '') AS phone, coalesce(p.email, '') AS email").
			Join("JOIN accounts AS a ON a.id = s.account_id").
			Join("LEFT JOIN member_profiles AS p ON p.account_id = s.account_id").
			Where("s.event_id = ? AND s.status <> ?", eventID, SignupCancelled).
			OrderExpr("s.status = ?, s.place", SignupWaitlisted).Scan(ctx, &out)
		if err != nil {
			return err
		}
		entries := make([]*AuditEntry, len(out))
		for i := range out {
			entries[i] = &AuditEntry{ActorID: actor.ID, ActorRole: role, Action: action, SubjectID: &out[i].AccountID,
				Fields: ParticipantFields, Purpose: "event participants", Detail: "event " + strconv.FormatInt(eventID, 10), IP: ip}
		}
		return Audit(ctx, tx, entries...)
	})
	return out, err
}
