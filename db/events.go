package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// ItemEvent is a group's event waiting to be published.
const ItemEvent = "event"

// GroupOf returns the group whose account acc is, or ErrNotFound.
func (d *DB) GroupOf(ctx context.Context, acc *Account) (_ *Group, err error) {
	defer wrap(&err, "group of")
	g := new(Group)
	err = d.Bun.NewSelect().Model(g).Where("account_id = ?", acc.ID).Scan(ctx)
	return g, notFound(err, "group")
}

// CreateEvent stores a new event. Staff events publish at once; a group's
// event waits in the moderation queue (status review) until a moderator
// approves it, like a board post.
func (d *DB) CreateEvent(ctx context.Context, e *Event, by *Account, ev AccessEvent) (err error) {
	defer wrap(&err, "create event")
	e.CreatedBy = &by.ID
	e.Status = EventPublished
	if e.OrganiserKind == OrganiserGroup {
		e.Status = EventReview
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(e).Returning("*").Exec(ctx); err != nil {
			return err
		}
		ev.AccountID, ev.LoginID, ev.Action, ev.Success = &by.ID, by.LoginID, ActionEventCreate, true
		ev.Detail = fmt.Sprintf("event %d", e.ID)
		if err := RecordAccess(ctx, tx, ev); err != nil {
			return err
		}
		if e.Status != EventReview {
			return nil
		}
		words, err := moderationWords(ctx, tx)
		if err != nil {
			return err
		}
		it := &ModerationItem{Kind: ItemEvent, SubjectID: e.ID, Origin: OriginSubmission, SubmittedBy: by.ID,
			Flags: d.precheck(e.Title+"\n"+e.Description+"\n"+e.Venue+"\n"+e.Contact, words)}
		if _, err := tx.NewInsert().Model(it).Returning("id").Exec(ctx); err != nil {
			return err
		}
		return itemChanged(ctx, tx, it.ID, ActSubmit, by.ID, "", "", "")
	})
}

// ActionEventCreate is the access-history action of creating an event.
const ActionEventCreate = "event_create"

// decideEvent publishes an approved event, or sends a rejected one back to
// draft, and returns the group account that submitted it.
func decideEvent(ctx context.Context, tx bun.Tx, it *ModerationItem, approve bool, s *ItemSubject) (int64, error) {
	e := new(Event)
	if err := tx.NewSelect().Model(e).Where("id = ?", it.SubjectID).For("UPDATE").Scan(ctx); err != nil {
		return 0, notFound(err, "event")
	}
	e.Status = EventDraft
	if approve {
		e.Status = EventPublished
	}
	if _, err := tx.NewUpdate().Model(e).Column("status").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return 0, err
	}
	s.Event = e
	return it.SubmittedBy, nil
}

// loadEvents loads the events of queue items.
func loadEvents(ctx context.Context, idb bun.IDB, subjects map[int64][]*ItemSubject) error {
	var es []Event
	if err := idb.NewSelect().Model(&es).Where("id IN (?)", bun.List(subjectIDs(subjects))).Scan(ctx); err != nil {
		return err
	}
	for i := range es {
		for _, s := range subjects[es[i].ID] {
			s.Event = &es[i]
		}
	}
	return nil
}

func eventLabel(e *Event) string {
	if e == nil {
		return ""
	}
	return e.Title
}

// OrganisedEvent is an event an account created, with the outcome of its
// latest review (groups' events only).
type OrganisedEvent struct {
	Event `bun:",extend"`

	Reason  string `bun:"item_reason,scanonly"`
	Message string `bun:"item_message,scanonly"`

	// The latest change to the published event: its status ("" for none)
	// and, when rejected, the moderator's reason and message.
	ChangeStatus  string `bun:"change_status,scanonly"`
	ChangeReason  string `bun:"change_reason,scanonly"`
	ChangeMessage string `bun:"change_message,scanonly"`
}

// EventsCreatedBy lists the events an account created, newest first: a
// group sees which are waiting, published or sent back, and why.
func (d *DB) EventsCreatedBy(ctx context.Context, accountID int64) (_ []OrganisedEvent, err error) {
	defer wrap(&err, "events created by")
	var out []OrganisedEvent
	err = d.Bun.NewSelect().Model(&out).
		ColumnExpr("e.*").
		ColumnExpr("coalesce(i.reason, '') AS item_reason, coalesce(i.message, '') AS item_message").
		ModelTableExpr("events AS e").
		Join(`LEFT JOIN LATERAL (SELECT reason, message FROM moderation_items
			WHERE kind = ? AND subject_id = e.id ORDER BY id DESC LIMIT 1) AS i ON true`, ItemEvent).
		ColumnExpr("coalesce(c.status, '') AS change_status, coalesce(c.reason, '') AS change_reason, coalesce(c.message, '') AS change_message").
		Join(`LEFT JOIN LATERAL (SELECT ec.status, ci.reason, ci.message FROM event_changes AS ec
			LEFT JOIN moderation_items AS ci ON ci.kind = ? AND ci.subject_id = ec.id
			WHERE ec.event_id = e.id ORDER BY ec.id DESC, ci.id DESC LIMIT 1) AS c ON true`, ItemEventChange).
		Where("e.created_by = ?", accountID).
		OrderExpr("e.created_at DESC, e.id DESC").Limit(200).Scan(ctx)
	return out, err
}

// EventAnyStatus loads an event whatever its status (draft, in review,
// published, closed or cancelled), for its organiser; PublicEvent is the public
// reader and shows only what the public may see.
func (d *DB) EventAnyStatus(ctx context.Context, id int64) (_ *Event, err error) {
	defer wrap(&err, "event any status")
	e := new(Event)
	err = d.Bun.NewSelect().Model(e).Where("id = ?", id).Scan(ctx)
	return e, notFound(err, "event")
}

// ErrPublishedGroupEvent means a group tried to change its cancelled event.
var ErrPublishedGroupEvent = fmt.Errorf("a cancelled group event cannot change: %w", ErrConflict)

// UpdateEvent saves an organiser's changes to an event's details (not its
// seats: those change through SetCapacity). A staff event stays as it is;
// a group's event waiting for review or sent back goes (back) into the
// queue with the new text, its open item's version moving on; a group's
// published event stays as published while the change waits in the queue
// as an event change (proposeChange).
func (d *DB) UpdateEvent(ctx context.Context, e *Event, by *Account, ev AccessEvent) (err error) {
	defer wrap(&err, "update event")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := lockEvent(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		group := cur.OrganiserKind == OrganiserGroup
		if group && (cur.Status == EventPublished || cur.Status == EventClosed) {
			ev.AccountID, ev.LoginID, ev.Action, ev.Success = &by.ID, by.LoginID, ActionEventEdit, true
			ev.Detail = fmt.Sprintf("event %d change", e.ID)
			if err := RecordAccess(ctx, tx, ev); err != nil {
				return err
			}
			return d.proposeChange(ctx, tx, cur, e, by)
		}
		if group && cur.Status != EventDraft && cur.Status != EventReview {
			return ErrPublishedGroupEvent
		}
		status := cur.Status
		if group {
			status = EventReview
		}
		if _, err := tx.NewUpdate().Model(e).
			Column("title", "description", "category", "town", "venue", "facility_id", "starts_at", "ends_at",
				"apply_until", "fee", "contact", "search_grams").
			Set("status = ?, updated_at = now()", status).WherePK().Exec(ctx); err != nil {
			return err
		}
		ev.AccountID, ev.LoginID, ev.Action, ev.Success = &by.ID, by.LoginID, ActionEventEdit, true
		ev.Detail = fmt.Sprintf("event %d", e.ID)
		if err := RecordAccess(ctx, tx, ev); err != nil {
			return err
		}
		if !group {
			return seatsChanged(ctx, tx, e.ID)
		}
		words, err := moderationWords(ctx, tx)
		if err != nil {
			return err
		}
		flags := d.precheck(e.Title+"\n"+e.Description+"\n"+e.Venue+"\n"+e.Contact, words)
		var itemID int64
		err = tx.NewUpdate().Model((*ModerationItem)(nil)).
			Set("flags = ?", jsonFlags(flags)).Set("version = version + 1, updated_at = now()").
			Where("kind = ? AND subject_id = ? AND status = ?", ItemEvent, e.ID, ItemOpen).
			Returning("id").Scan(ctx, &itemID)
		action := ActEdit
		if errors.Is(err, sql.ErrNoRows) {
			it := &ModerationItem{Kind: ItemEvent, SubjectID: e.ID, Origin: OriginSubmission, SubmittedBy: by.ID, Flags: flags}
			if _, err := tx.NewInsert().Model(it).Returning("id").Exec(ctx); err != nil {
				if IsUniqueViolation(err, "") {
					return ErrNotEditable // escalated to the ward: the text under discussion stays
				}
				return err
			}
			itemID, action = it.ID, ActSubmit
		} else if err != nil {
			return err
		}
		return itemChanged(ctx, tx, itemID, action, by.ID, "", "", "")
	})
}

// ActionEventEdit is the access-history action of changing an event.
const ActionEventEdit = "event_edit"
