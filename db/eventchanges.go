package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Changes to a published group event (the activity-site seed's 緊急時の
// 掲載内容変更): a group's change waits in the moderation queue as its own
// kind while the published event stays up; a moderator may correct a
// published event directly, with a reason, on record.

// ItemEventChange is a group's change to its published event, waiting.
const ItemEventChange = "event_change"

// Event change statuses (event_changes.status).
const (
	EventChangePending  = "pending"
	EventChangeApplied  = "applied"
	EventChangeRejected = "rejected"
)

// Event history actions (event_history.action).
const (
	EventHistChangeSubmitted = "change_submitted"
	EventHistChangeApproved  = "change_approved"
	EventHistChangeRejected  = "change_rejected"
	EventHistCorrection      = "correction"
)

// AuditEventCorrection is the audit-log action of a moderator's emergency
// correction of a published event.
const AuditEventCorrection = "event_correction"

// EventChange is a group's change to its published event: the event's
// details as they would be once approved.
type EventChange struct {
	bun.BaseModel `bun:"table:event_changes,alias:ec"`

	ID          int64      `bun:"id,pk,autoincrement"`
	EventID     int64      `bun:"event_id"`
	Title       string     `bun:"title"`
	Description string     `bun:"description"`
	Category    string     `bun:"category"`
	Town        string     `bun:"town"`
	Venue       string     `bun:"venue"`
	FacilityID  *int64     `bun:"facility_id"`
	StartsAt    time.Time  `bun:"starts_at"`
	EndsAt      time.Time  `bun:"ends_at"`
	ApplyUntil  *time.Time `bun:"apply_until"`
	Fee         string     `bun:"fee"`
	Contact     string     `bun:"contact"`
	Status      string     `bun:"status,nullzero,default:'pending'"`
	SubmittedBy int64      `bun:"submitted_by"`
	CreatedAt   time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt   time.Time  `bun:"updated_at,nullzero,default:now()"`
	// BaseVersion and Base are the event's version and details when the
	// group made the change (nil for changes made before they were kept).
	BaseVersion *int64       `bun:"base_version" json:"-"`
	Base        *EventChange `bun:"base,type:jsonb" json:"-"`

	// Event is the event as published, loaded with the change for the queue.
	Event *Event `bun:"-" json:"-"`
	// Before is the event as it was before an approved change was applied.
	Before *Event `bun:"-" json:"-"`
}

// changeColumns are the event's details a change or a correction may set;
// seats change through setCapacity.
var changeColumns = []string{"title", "description", "category", "town", "venue", "facility_id", "starts_at", "ends_at",
	"apply_until", "fee", "contact"}

// changeOf is the change that would make e's details those of to.
func changeOf(to *Event, by int64) *EventChange {
	return &EventChange{EventID: to.ID, Title: to.Title, Description: to.Description, Category: to.Category, Town: to.Town,
		Venue: to.Venue, FacilityID: to.FacilityID, StartsAt: to.StartsAt, EndsAt: to.EndsAt, ApplyUntil: to.ApplyUntil,
		Fee: to.Fee, Contact: to.Contact, SubmittedBy: by}
}

// ChangedFields names the details of the event that the change alters, in
// changeColumns' order.
func (c *EventChange) ChangedFields(e *Event) []string {
	eqPtr := func(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	eqTime := func(a, b *time.Time) bool { return a == nil && b == nil || a != nil && b != nil && a.Equal(*b) }
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"title", c.Title == e.Title}, {"description", c.Description == e.Description}, {"category", c.Category == e.Category},
		{"town", c.Town == e.Town}, {"venue", c.Venue == e.Venue}, {"facility_id", eqPtr(c.FacilityID, e.FacilityID)},
		{"starts_at", c.StartsAt.Equal(e.StartsAt)}, {"ends_at", c.EndsAt.Equal(e.EndsAt)},
		{"apply_until", eqTime(c.ApplyUntil, e.ApplyUntil)}, {"fee", c.Fee == e.Fee}, {"contact", c.Contact == e.Contact},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// event is an event with the change's details.
func (c *EventChange) event() *Event {
	e := &Event{ID: c.EventID}
	c.applyTo(e)
	return e
}

// detailUnits are the details that only make sense together: a time
// (start, end, sign-up deadline) or a place (town, venue, facility) is
// taken whole from one side, so a merge never pairs one side's start with
// the other's end.
var detailUnits = [][]string{{"starts_at", "ends_at", "apply_until"}, {"town", "venue", "facility_id"}}

func unitOf(field string) []string {
	for _, u := range detailUnits {
		if slices.Contains(u, field) {
			return u
		}
	}
	return []string{field}
}

// Merge compares the change with cur, the event as it is now. A change
// based on cur's version (or kept from before versions) applies whole.
// Otherwise the event moved on since the group made the change (a
// moderator's correction, most likely): mine are the details the group
// changed, applied over cur's; collide are those of them that the event's
// move also touched, to a different value (left out of mine). Collisions
// refuse the whole change.
//
// Why this behaviour: the moderator approving is usually not the one who
// corrected, and a correction is an emergency fact (the hall flooded, the
// date moved). Applying the group's untouched details (a new fee, a fixed
// typo) is what both sides meant, so a busy moderator should not have to
// send it back; but where both touched the same detail only the group
// knows whether its edit still holds after the correction, so the change
// is refused, the moderator is shown which details collide, and the group
// is asked to resubmit over the corrected event.
func (c *EventChange) Merge(cur *Event) (mine, collide []string) {
	if !c.Rebased(cur) {
		return c.ChangedFields(cur), nil
	}
	changed := c.ChangedFields(c.Base.event())
	moved := c.Base.ChangedFields(cur)
	differ := c.ChangedFields(cur)
	for _, f := range changed {
		u := unitOf(f)
		if !slices.ContainsFunc(moved, func(m string) bool { return slices.Contains(u, m) }) {
			mine = append(mine, f)
			continue
		}
		// Both touched this unit: it collides where the group's details
		// differ from the corrected ones, all of them named.
		if slices.Contains(differ, f) {
			for _, x := range u {
				if slices.Contains(differ, x) && !slices.Contains(collide, x) {
					collide = append(collide, x)
				}
			}
		}
	}
	slices.SortFunc(collide, func(a, b string) int {
		return slices.Index(changeColumns, a) - slices.Index(changeColumns, b)
	})
	// Details the group set as the event now reads need no applying.
	mine = slices.DeleteFunc(mine, func(f string) bool { return !slices.Contains(differ, f) })
	return mine, collide
}

// Rebased reports whether the event moved on since the group made the
// change, so that approving it applies only the details the group changed.
func (c *EventChange) Rebased(cur *Event) bool {
	return c.BaseVersion != nil && c.Base != nil && *c.BaseVersion != cur.Version
}

// Collisions are the details of a pending change that its approval would
// refuse: see Merge.
func (c *EventChange) Collisions() []string {
	if c.Event == nil {
		return nil
	}
	_, collide := c.Merge(c.Event)
	return collide
}

// ErrChangeCollides refuses to approve a change that touches details a
// correction moved since the group made it.
type ErrChangeCollides struct{ Fields []string }

func (e *ErrChangeCollides) Error() string {
	return fmt.Sprintf("event change collides with a later correction in %v", e.Fields)
}
func (e *ErrChangeCollides) Unwrap() error { return ErrConflict }

// ApplyFields sets e's given details to the change's.
func (c *EventChange) ApplyFields(e *Event, fields []string) {
	for _, f := range fields {
		switch f {
		case "title":
			e.Title = c.Title
		case "description":
			e.Description = c.Description
		case "category":
			e.Category = c.Category
		case "town":
			e.Town = c.Town
		case "venue":
			e.Venue = c.Venue
		case "facility_id":
			e.FacilityID = c.FacilityID
		case "starts_at":
			e.StartsAt = c.StartsAt
		case "ends_at":
			e.EndsAt = c.EndsAt
		case "apply_until":
			e.ApplyUntil = c.ApplyUntil
		case "fee":
			e.Fee = c.Fee
		case "contact":
			e.Contact = c.Contact
		}
	}
}

// applyTo sets e's details to the change's.
func (c *EventChange) applyTo(e *Event) {
	e.Title, e.Description, e.Category, e.Town, e.Venue, e.FacilityID = c.Title, c.Description, c.Category, c.Town, c.Venue, c.FacilityID
	e.StartsAt, e.EndsAt, e.ApplyUntil, e.Fee, e.Contact = c.StartsAt, c.EndsAt, c.ApplyUntil, c.Fee, c.Contact
}

// EventHistory is one step in an event's life after publication.
type EventHistory struct {
	bun.BaseModel `bun:"table:event_history,alias:eh"`

	ID        int64     `bun:"id,pk,autoincrement"`
	EventID   int64     `bun:"event_id"`
	Action    string    `bun:"action"`
	ActorID   int64     `bun:"actor_id"`
	ActorRole string    `bun:"actor_role"`
	Reason    string    `bun:"reason"`
	Fields    []string  `bun:"fields,array"`
	At        time.Time `bun:"at,nullzero,default:now()"`

	// ActorName is the staff member's name; "" for a group's own step.
	ActorName string `bun:"actor_name,scanonly"`
}

func eventHistory(ctx context.Context, tx bun.Tx, h *EventHistory) error {
	if h.Fields == nil {
		h.Fields = []string{}
	}
	_, err := tx.NewInsert().Model(h).Exec(ctx)
	return err
}

// EventHistoryOf lists the steps of an event after publication, newest first.
func (d *DB) EventHistoryOf(ctx context.Context, eventID int64) (_ []EventHistory, err error) {
	defer wrap(&err, "event history")
	var out []EventHistory
	err = d.Bun.NewSelect().Model(&out).ColumnExpr("eh.*").
		ColumnExpr("CASE WHEN a.kind = ? THEN a.display_name ELSE '' END AS actor_name", KindStaff).
		Join("JOIN accounts AS a ON a.id = eh.actor_id").
		Where("eh.event_id = ?", eventID).OrderExpr("eh.at DESC, eh.id DESC").Limit(200).Scan(ctx)
	return out, err
}

// PendingEventChange is the change of the event waiting for a moderator,
// or nil.
func (d *DB) PendingEventChange(ctx context.Context, eventID int64) (_ *EventChange, err error) {
	defer wrap(&err, "pending event change")
	c := new(EventChange)
	err = d.Bun.NewSelect().Model(c).Where("event_id = ? AND status = ?", eventID, EventChangePending).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

// proposeChange records a group's change to its published event cur (locked
// by the caller) as the event's pending change, replacing one still
// pending, and puts it in the moderation queue with the pre-check's flags
// (its open item's version moving on). The event itself is not touched.
// ErrNotEditable: the pending change is escalated to the ward.
func (d *DB) proposeChange(ctx context.Context, tx bun.Tx, cur, to *Event, by *Account) error {
	ch := changeOf(to, by.ID)
	// The group edits over the event as it is now (its form shows the
	// pending change merged onto it), so the change is based on cur.
	ch.BaseVersion, ch.Base = &cur.Version, changeOf(cur, 0)
	err := tx.NewUpdate().Model(ch).Column(changeColumns...).Column("submitted_by", "base_version", "base").Set("updated_at = now()").
		Where("event_id = ? AND status = ?", cur.ID, EventChangePending).Returning("id").Scan(ctx, &ch.ID)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.NewInsert().Model(ch).Returning("id").Exec(ctx)
	}
	if err != nil {
		return err
	}
	words, err := moderationWords(ctx, tx)
	if err != nil {
		return err
	}
	flags := d.precheck(ch.Title+"\n"+ch.Description+"\n"+ch.Venue+"\n"+ch.Contact, words)
	var itemID int64
	err = tx.NewUpdate().Model((*ModerationItem)(nil)).
		Set("flags = ?", jsonFlags(flags)).Set("version = version + 1, updated_at = now()").
		Where("kind = ? AND subject_id = ? AND status = ?", ItemEventChange, ch.ID, ItemOpen).
		Returning("id").Scan(ctx, &itemID)
	action := ActEdit
	if errors.Is(err, sql.ErrNoRows) {
		it := &ModerationItem{Kind: ItemEventChange, SubjectID: ch.ID, Origin: OriginSubmission, SubmittedBy: by.ID, Flags: flags}
		if _, err := tx.NewInsert().Model(it).Returning("id").Exec(ctx); err != nil {
			if IsUniqueViolation(err, "") {
				return ErrNotEditable // escalated to the ward: the change under discussion stays
			}
			return err
		}
		itemID, action = it.ID, ActSubmit
	} else if err != nil {
		return err
	}
	if err := eventHistory(ctx, tx, &EventHistory{EventID: cur.ID, Action: EventHistChangeSubmitted, ActorID: by.ID,
		ActorRole: by.Kind, Fields: ch.ChangedFields(cur)}); err != nil {
		return err
	}
	return itemChanged(ctx, tx, itemID, action, by.ID, "", "", "")
}

// decideEventChange applies an approved change to its event, or leaves the
// event as published for a rejected one, records the step in the event's
// history, and returns the group account that submitted it.
func decideEventChange(ctx context.Context, tx bun.Tx, it *ModerationItem, approve bool, s *ItemSubject) (int64, error) {
	ch := new(EventChange)
	if err := tx.NewSelect().Model(ch).Where("id = ?", it.SubjectID).For("UPDATE").Scan(ctx); err != nil {
		return 0, notFound(err, "event change")
	}
	e, err := lockEvent(ctx, tx, ch.EventID)
	if err != nil {
		return 0, err
	}
	mine, collide := ch.Merge(e)
	h := &EventHistory{EventID: e.ID, ActorRole: it.DecidedRole, Fields: mine}
	if it.DecidedBy != nil {
		h.ActorID = *it.DecidedBy
	}
	ch.Status, h.Action, h.Reason = EventChangeRejected, EventHistChangeRejected, it.Message
	if !approve {
		h.Fields = ch.ChangedFields(e)
	}
	if approve {
		if len(collide) > 0 {
			return 0, &ErrChangeCollides{Fields: collide}
		}
		ch.Status, h.Action, h.Reason = EventChangeApplied, EventHistChangeApproved, ""
		before := *e
		ch.Before = &before
		ch.ApplyFields(e, mine)
		if _, err := tx.NewUpdate().Model(e).Column(changeColumns...).Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return 0, err
		}
	}
	if _, err := tx.NewUpdate().Model(ch).Column("status").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return 0, err
	}
	if err := eventHistory(ctx, tx, h); err != nil {
		return 0, err
	}
	ch.Event = e
	s.Change = ch
	if approve {
		if err := seatsChanged(ctx, tx, e.ID); err != nil {
			return 0, err
		}
	}
	return it.SubmittedBy, nil
}

// loadEventChanges loads the changes of queue items with their events as
// published.
func loadEventChanges(ctx context.Context, idb bun.IDB, subjects map[int64][]*ItemSubject) error {
	var cs []EventChange
	if err := idb.NewSelect().Model(&cs).Where("id IN (?)", bun.List(subjectIDs(subjects))).Scan(ctx); err != nil {
		return err
	}
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	for i := range cs {
		ids[i] = cs[i].EventID
	}
	var es []Event
	if err := idb.NewSelect().Model(&es).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return err
	}
	for i := range cs {
		for j := range es {
			if es[j].ID == cs[i].EventID {
				cs[i].Event = &es[j]
			}
		}
		for _, s := range subjects[cs[i].ID] {
			s.Change = &cs[i]
		}
	}
	return nil
}

func eventChangeLabel(c *EventChange) string {
	if c == nil {
		return ""
	}
	return c.Title
}

// Correction is a moderator's emergency correction of a published event:
// its details, its seats and why.
type Correction struct {
	Event        *Event // the event's id and new details (changeColumns)
	Capacity     *int   // nil: unlimited
	WaitlistSize int
	Reason       string
	MoveMail     MoveMail // tells the participants when the time or place moved
}

// ErrNotPublished refuses to correct an event that is not public.
var ErrNotPublished = fmt.Errorf("event not published: %w", ErrConflict)

// CorrectEvent applies a moderator's emergency correction to a published
// (or closed) event at once: the details, and the seats under the same
// rules as SetCapacity (ErrCapacityBelow; mailFor tells promoted members).
// The correction goes to the audit log with the fields it changed and the
// reason, and into the event's history. A group's change still pending
// stays in the queue for the moderators to decide on its own.
func (d *DB) CorrectEvent(ctx context.Context, act Actor, c Correction, mailFor func(e *Event) *Mail) (fields []string, err error) {
	defer wrap(&err, "correct event")
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := lockEvent(ctx, tx, c.Event.ID)
		if err != nil {
			return err
		}
		if cur.Status != EventPublished && cur.Status != EventClosed {
			return ErrNotPublished
		}
		fields = changeOf(c.Event, act.Account.ID).ChangedFields(cur)
		if !eqCapacity(cur.Capacity, c.Capacity) {
			fields = append(fields, "capacity")
		}
		if cur.WaitlistSize != c.WaitlistSize {
			fields = append(fields, "waitlist_size")
		}
		before := *cur
		changeOf(c.Event, act.Account.ID).applyTo(cur)
		if _, err := tx.NewUpdate().Model(cur).Column(changeColumns...).Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return err
		}
		if slices.Contains(fields, "capacity") || slices.Contains(fields, "waitlist_size") {
			if _, err := setCapacity(ctx, tx, cur, c.Capacity, c.WaitlistSize, mailFor); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("event %d: %s", cur.ID, c.Reason)
		if err := Audit(ctx, tx, act.Entry(AuditEventCorrection, nil, fields, detail)); err != nil {
			return err
		}
		if err := RecordAccess(ctx, tx, act.access(ActionEventEdit, detail)); err != nil {
			return err
		}
		if err := eventHistory(ctx, tx, &EventHistory{EventID: cur.ID, Action: EventHistCorrection, ActorID: act.Account.ID,
			ActorRole: act.Role, Reason: c.Reason, Fields: fields}); err != nil {
			return err
		}
		if err := tellParticipants(ctx, tx, &before, cur, c.MoveMail); err != nil {
			return err
		}
		return seatsChanged(ctx, tx, cur.ID)
	})
	return fields, err
}

func eqCapacity(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// MoveRecipient is a member signed up for an event, or waiting for a seat,
// as far as mail to them needs: their address and language.
type MoveRecipient struct {
	AccountID int64  `bun:"account_id"`
	Email     string `bun:"email"`
	Lang      string `bun:"lang"`
}

// MoveMail composes the mail telling p that the event moved from before to
// after (its time or its place); nil sends none.
type MoveMail func(p MoveRecipient, before, after *Event) *Mail

// MovedFields are the details of a move participants are told about: the
// time and the place.
func MovedFields(before, after *Event) []string {
	var out []string
	for _, f := range changeOf(after, 0).ChangedFields(before) {
		if slices.Contains(detailUnits[0][:2], f) || slices.Contains(detailUnits[1], f) {
			out = append(out, f)
		}
	}
	return out
}

// tellParticipants queues one mail for each member signed up or waiting
// for the event when its time or place moved from before to after, in the
// transaction that moved it: the change and its mails commit together, so
// each participant is told once per change.
func tellParticipants(ctx context.Context, tx bun.Tx, before, after *Event, mailFor MoveMail) error {
	if mailFor == nil || len(MovedFields(before, after)) == 0 {
		return nil
	}
	var ps []MoveRecipient
	err := tx.NewSelect().TableExpr("event_signups AS s").
		DistinctOn("s.account_id").ColumnExpr("s.account_id, p.email, a.lang").
		Join("JOIN accounts AS a ON a.id = s.account_id").
		Join("JOIN member_profiles AS p ON p.account_id = s.account_id").
		Where("s.event_id = ? AND s.status IN (?)", after.ID, bun.List([]string{SignupConfirmed, SignupWaitlisted})).
		Where("a.status = ? AND p.email <> ''", StatusActive).
		OrderExpr("s.account_id").Scan(ctx, &ps)
	if err != nil {
		return fmt.Errorf("participants of event %d: %w", after.ID, err)
	}
	for _, p := range ps {
		m := mailFor(p, before, after)
		if m == nil {
			continue
		}
		m.To, m.AccountID = p.Email, &p.AccountID
		if err := EnqueueMail(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}
