package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// What the moderation queue holds. Every request for publication is an item:
// board posts, group events and group profile changes, each an entry of
// itemKinds.
const (
	ItemBoardPost = "board_post"

	OriginSubmission = "submission" // new or edited content asking to be published
	OriginReport     = "report"     // published content a member reported

	ItemOpen      = "open"      // waiting for a moderator
	ItemEscalated = "escalated" // referred to the ward (区に報告し協議)
	ItemApproved  = "approved"
	ItemRejected  = "rejected"
	ItemWithdrawn = "withdrawn" // the author took it back
)

// Item actions, kept in moderation_actions.
const (
	ActSubmit   = "submit"
	ActEdit     = "edit"
	ActWithdraw = "withdraw"
	ActReport   = "report"
	ActEscalate = "escalate"
	ActApprove  = "approve"
	ActReject   = "reject"
)

// RejectReasons is the prohibited list of the ward's rules (禁止事項), the
// only reasons a rejection may give.
var RejectReasons = []string{"privacy", "defamation", "political_religious", "public_order", "copyright", "unlawful", "other"}

var waitingStatuses = []string{ItemOpen, ItemEscalated}

// ModerationItem is one request for publication and its outcome.
type ModerationItem struct {
	bun.BaseModel `bun:"table:moderation_items"`

	ID             int64      `bun:"id,pk,autoincrement"`
	Kind           string     `bun:"kind"`
	SubjectID      int64      `bun:"subject_id"`
	Origin         string     `bun:"origin"`
	Status         string     `bun:"status,nullzero,default:'open'"`
	Version        int        `bun:"version,nullzero,default:1"`
	SubmittedBy    int64      `bun:"submitted_by"`
	SubmittedAt    time.Time  `bun:"submitted_at,nullzero,default:now()"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
	Flags          []Flag     `bun:"flags,type:jsonb,nullzero,default:'[]'"`
	Reports        int        `bun:"reports"`
	EscalatedBy    *int64     `bun:"escalated_by"`
	EscalatedAt    *time.Time `bun:"escalated_at"`
	EscalationNote string     `bun:"escalation_note"`
	DecidedBy      *int64     `bun:"decided_by"`
	DecidedRole    string     `bun:"decided_role"`
	DecidedAt      *time.Time `bun:"decided_at"`
	Reason         string     `bun:"reason,nullzero"`
	Message        string     `bun:"message"`

	// Staff names for the queue: who escalated, who decided.
	EscalatorName string `bun:"escalator_name,scanonly"`
	DeciderName   string `bun:"decider_name,scanonly"`
	// First: flagged or reported, listed first in QueueNewestFlagged order.
	First bool `bun:"first,scanonly"`
}

// Waiting reports whether the item still needs a decision.
func (it *ModerationItem) Waiting() bool {
	return it.Status == ItemOpen || it.Status == ItemEscalated
}

// ItemSubject is the content an item asks to publish: the field of the
// item's kind is set (nil if the content is gone).
type ItemSubject struct {
	Post   *BoardPost   // ItemBoardPost: the post, its author's handle and its topic's title
	Event  *Event       // ItemEvent: the event a group submitted
	Change *EventChange // ItemEventChange: a group's change to its published event, with the event as published
	// ItemGroupProfile: the change of a group's profile
	GroupProfile *GroupProfile
}

// QueueEntry is an item with what a moderator needs to decide on it.
type QueueEntry struct {
	Item ModerationItem
	ItemSubject
	Reports []BoardReport
}

// Label names the item's content to its decider: see ItemKind.
func (e *QueueEntry) Label() string { return labelOf(&e.Item, &e.ItemSubject) }

func jsonFlags(flags []Flag) string {
	if flags == nil {
		flags = []Flag{}
	}
	b, _ := json.Marshal(flags)
	return string(b)
}

// itemChanged records an action on an item and tells every instance's live
// queue about it, as the last statements of the transaction.
func itemChanged(ctx context.Context, tx bun.Tx, itemID int64, action string, actorID int64, role, reason, note string) error {
	a := &struct {
		bun.BaseModel `bun:"table:moderation_actions"`
		ItemID        int64  `bun:"item_id"`
		Action        string `bun:"action"`
		ActorID       int64  `bun:"actor_id"`
		ActorRole     string `bun:"actor_role"`
		Reason        string `bun:"reason"`
		Note          string `bun:"note"`
	}{ItemID: itemID, Action: action, ActorID: actorID, ActorRole: role, Reason: reason, Note: note}
	if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
		return err
	}
	return PublishLive(ctx, tx, &LiveEvent{Stream: StreamModeration, Name: LiveItem, SubjectID: itemID, ScopeID: actorID})
}

// ModerationQueue lists waiting items in the given statuses, oldest first.
func (d *DB) ModerationQueue(ctx context.Context, statuses []string, limit int) (_ []QueueEntry, err error) {
	defer wrap(&err, "moderation queue")
	var items []ModerationItem
	err = d.itemQuery(&items).Where("i.status IN (?)", bun.List(statuses)).
		OrderExpr("i.submitted_at, i.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, err
	}
	return d.queueEntries(ctx, items)
}

// CountWaiting counts the items in each waiting status.
func (d *DB) CountWaiting(ctx context.Context) (_ map[string]int, err error) {
	defer wrap(&err, "count waiting")
	var rows []struct {
		Status string
		N      int
	}
	err = d.Bun.NewSelect().Model((*ModerationItem)(nil)).ColumnExpr("status, count(*) AS n").
		Where("status IN (?)", bun.List(waitingStatuses)).Group("status").Scan(ctx, &rows)
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, err
}

// QueueItem loads one item, whatever its status, for a live update or the
// answer to an inline decision.
func (d *DB) QueueItem(ctx context.Context, id int64) (_ *QueueEntry, err error) {
	defer wrap(&err, "queue item")
	var items []ModerationItem
	if err := d.itemQuery(&items).Where("i.id = ?", id).Scan(ctx); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("moderation item %d: %w", id, ErrNotFound)
	}
	es, err := d.queueEntries(ctx, items)
	if err != nil {
		return nil, err
	}
	return &es[0], nil
}

func (d *DB) itemQuery(dst *[]ModerationItem) *bun.SelectQuery {
	return d.Bun.NewSelect().Model(dst).
		ColumnExpr("i.*, coalesce(e.display_name, '') AS escalator_name, coalesce(x.display_name, '') AS decider_name").
		ModelTableExpr("moderation_items AS i").
		Join("LEFT JOIN accounts AS e ON e.id = i.escalated_by").
		Join("LEFT JOIN accounts AS x ON x.id = i.decided_by")
}

// queueEntries loads the subjects and reports of items, one query per kind.
func (d *DB) queueEntries(ctx context.Context, items []ModerationItem) ([]QueueEntry, error) {
	out := make([]QueueEntry, len(items))
	wanted := map[string]map[int64][]*ItemSubject{} // kind → subject id → the entries showing it
	var reported []int64
	for i, it := range items {
		out[i].Item = it
		if wanted[it.Kind] == nil {
			wanted[it.Kind] = map[int64][]*ItemSubject{}
		}
		wanted[it.Kind][it.SubjectID] = append(wanted[it.Kind][it.SubjectID], &out[i].ItemSubject)
		if it.Origin == OriginReport {
			reported = append(reported, it.ID)
		}
	}
	for name, subjects := range wanted {
		kind, err := itemKindOf(name)
		if err != nil {
			return nil, err
		}
		if err := kind.load(ctx, d.Bun, subjects); err != nil {
			return nil, fmt.Errorf("db: load %s items: %w", name, err)
		}
	}
	if len(reported) > 0 {
		var rs []BoardReport
		if err := d.Bun.NewSelect().Model(&rs).Where("item_id IN (?)", bun.List(reported)).
			OrderExpr("created_at, id").Scan(ctx); err != nil {
			return nil, fmt.Errorf("db: load item reports: %w", err)
		}
		for i := range out {
			for _, r := range rs {
				if r.ItemID == out[i].Item.ID {
					out[i].Reports = append(out[i].Reports, r)
				}
			}
		}
	}
	return out, nil
}

// Decision is a moderator's or the ward's action on an item.
type Decision struct {
	ItemID  int64
	Version int    // the version the decider saw
	Action  string // ActApprove, ActReject or ActEscalate
	Reason  string // for a rejection: one of RejectReasons
	Message string // for a rejection: to the author; for an escalation: the note to the ward
	Actor   Actor  // who decides and from where; the role is the one their roles allow on the item
	// MoveMail tells an event's participants when an approved change moved
	// its time or place.
	MoveMail MoveMail
}

// Outcome tells the caller what a decision did, for the author's mail.
type Outcome struct {
	Item ModerationItem
	ItemSubject
	Kind   *ItemKind
	Author *Account
	Email  string // the author's address when they are a member, else ""
}

// Label names the decided content: see ItemKind.
func (o *Outcome) Label() string { return labelOf(&o.Item, &o.ItemSubject) }

// ErrHandled means someone else acted on the item first (or it changed
// under the decider); Item says who and what.
type ErrHandled struct{ Item *ModerationItem }

func (e *ErrHandled) Error() string { return "moderation item already handled" }
func (e *ErrHandled) Unwrap() error { return ErrConflict }

// DecideItem applies a decision if the item is still at the version the
// decider saw and in a status the decider's roles may act on: moderators
// decide or escalate open items, ward staff decide escalated ones. Of two
// deciders at once exactly one succeeds; the other gets *ErrHandled.
// mailFor composes the author's mail, enqueued in the same transaction.
func (d *DB) DecideItem(ctx context.Context, dec Decision, mailFor func(Outcome) *Mail) (_ Outcome, err error) {
	defer wrap(&err, "decide item")
	var out Outcome
	var from []string
	if dec.Actor.Account.HasRole(RoleModerator) {
		from = append(from, ItemOpen)
	}
	if dec.Actor.Account.HasRole(RoleWardStaff) && dec.Action != ActEscalate {
		from = append(from, ItemEscalated)
	}
	if len(from) == 0 {
		return out, fmt.Errorf("%s cannot decide: %w", dec.Actor.Account.LoginID, ErrConflict)
	}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		it := &out.Item
		q := tx.NewUpdate().Model(it).
			Set("version = version + 1, updated_at = now()").
			Where("id = ? AND version = ? AND status IN (?)", dec.ItemID, dec.Version, bun.List(from)).
			Returning("*")
		role := RoleModerator
		switch dec.Action {
		case ActEscalate:
			q = q.Set("status = ?, escalated_by = ?, escalated_at = now(), escalation_note = ?", ItemEscalated, dec.Actor.Account.ID, dec.Message)
		case ActApprove, ActReject:
			status, reason := ItemApproved, sql.NullString{}
			if dec.Action == ActReject {
				status, reason = ItemRejected, sql.NullString{String: dec.Reason, Valid: true}
			}
			q = q.Set("status = ?, decided_by = ?, decided_at = now(), reason = ?, message = ?", status, dec.Actor.Account.ID, reason, dec.Message).
				Set("decided_role = CASE WHEN status = ? THEN ? ELSE ? END", ItemOpen, RoleModerator, RoleWardStaff)
		default:
			return fmt.Errorf("action %q: %w", dec.Action, ErrConflict)
		}
		err := q.Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			var now []ModerationItem
			if err := d.itemQuery(&now).Where("i.id = ?", dec.ItemID).Scan(ctx); err != nil {
				return err
			}
			if len(now) == 0 {
				return fmt.Errorf("moderation item %d: %w", dec.ItemID, ErrNotFound)
			}
			return &ErrHandled{Item: &now[0]}
		}
		if err != nil {
			return err
		}
		if it.DecidedRole != "" {
			role = it.DecidedRole
		}
		if dec.Action != ActEscalate {
			kind, err := itemKindOf(it.Kind)
			if err != nil {
				return err
			}
			out.Kind = kind
			authorID, err := kind.decide(ctx, tx, it, dec.Action == ActApprove, &out.ItemSubject)
			if err != nil {
				return fmt.Errorf("db: decide %s item: %w", it.Kind, err)
			}
			if ch := out.Change; ch != nil && ch.Before != nil {
				if err := tellParticipants(ctx, tx, ch.Before, ch.Event, dec.MoveMail); err != nil {
					return err
				}
			}
			if err := d.author(ctx, tx, authorID, &out); err != nil {
				return err
			}
			if m := mailFor(out); m != nil && out.Email != "" {
				m.AccountID = &out.Author.ID
				if err := EnqueueMail(ctx, tx, m); err != nil {
					return err
				}
			}
		}
		if err := RecordAccess(ctx, tx, dec.Actor.access(ActionModerate, fmt.Sprintf("%s item %d", dec.Action, it.ID))); err != nil {
			return err
		}
		return itemChanged(ctx, tx, it.ID, dec.Action, dec.Actor.Account.ID, role, dec.Reason, dec.Message)
	})
	return out, err
}

func (d *DB) author(ctx context.Context, tx bun.Tx, id int64, out *Outcome) error {
	out.Author = new(Account)
	if err := tx.NewSelect().Model(out.Author).Where("id = ?", id).Scan(ctx); err != nil {
		return err
	}
	if out.Author.Kind != KindMember || out.Author.Status != StatusActive {
		return nil
	}
	err := tx.NewSelect().Model((*MemberProfile)(nil)).Column("email").Where("account_id = ?", id).Scan(ctx, &out.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// ItemKind is everything the queue knows about one kind of content: how its
// items are loaded, named, decided, and told to their author. Loading,
// deciding and the decider's and author's messages all go through
// itemKinds, and the queue's view through components' itemViews, keyed by
// the same names; the queue itself, its version check, history, live
// updates and mail stay as they are. A new kind (group profile changes)
// joins with its field on ItemSubject, one entry here and one view there.
type ItemKind struct {
	Name string // moderation_items.kind

	// AuthorMail is the stem of the mails telling the author the outcome
	// (post: post_published, post_rejected), and AuthorPage where they
	// follow it. "" when the authors have no address: group accounts hold
	// no personal data.
	AuthorMail string
	AuthorPage string

	// load fills the subjects of items of this kind, keyed by subject id,
	// with one query for all of them.
	load func(ctx context.Context, idb bun.IDB, subjects map[int64][]*ItemSubject) error
	// label names the content in the decider's status line and the
	// author's mail; "" when the content is gone.
	label func(s *ItemSubject) string
	// decide applies an approval or rejection inside the decision's
	// transaction, sets the subject the outcome tells about, and returns
	// the author's account id.
	decide func(ctx context.Context, tx bun.Tx, it *ModerationItem, approve bool, s *ItemSubject) (int64, error)
}

var itemKinds = []*ItemKind{
	{
		Name:       ItemBoardPost,
		AuthorMail: "post",
		AuthorPage: "/account/posts",
		load:       loadBoardPosts,
		label:      func(s *ItemSubject) string { return postLabel(s.Post) },
		decide: func(ctx context.Context, tx bun.Tx, it *ModerationItem, approve bool, s *ItemSubject) (int64, error) {
			p, err := decideBoardPost(ctx, tx, it, approve)
			if err != nil {
				return 0, err
			}
			s.Post = p
			return p.AuthorID, nil
		},
	},
	{
		Name:   ItemEvent,
		load:   loadEvents,
		label:  func(s *ItemSubject) string { return eventLabel(s.Event) },
		decide: decideEvent,
	},
	{
		Name:   ItemEventChange,
		load:   loadEventChanges,
		label:  func(s *ItemSubject) string { return eventChangeLabel(s.Change) },
		decide: decideEventChange,
	},
	{
		Name:   ItemGroupProfile,
		load:   loadGroupProfiles,
		label:  func(s *ItemSubject) string { return groupProfileLabel(s.GroupProfile) },
		decide: decideGroupProfile,
	},
}

// ItemKindNames lists the kinds of content the queue holds, in order.
func ItemKindNames() []string {
	names := make([]string, len(itemKinds))
	for i, k := range itemKinds {
		names[i] = k.Name
	}
	return names
}

func itemKindOf(name string) (*ItemKind, error) {
	for _, k := range itemKinds {
		if k.Name == name {
			return k, nil
		}
	}
	return nil, fmt.Errorf("db: moderation item kind %q: %w", name, ErrConflict)
}

func labelOf(it *ModerationItem, s *ItemSubject) string {
	kind, err := itemKindOf(it.Kind)
	if err != nil {
		return ""
	}
	return kind.label(s)
}

// topicExcerptMax is how much of a reply's topic the queue shows with it.
const topicExcerptMax = 240

// loadBoardPosts loads the posts of queue items with what the queue shows
// of them: the author's handle, the category and the topic's title.
func loadBoardPosts(ctx context.Context, idb bun.IDB, subjects map[int64][]*ItemSubject) error {
	var posts []BoardPost
	err := idb.NewSelect().Model(&posts).
		ColumnExpr("p.*, coalesce(t.title, '') AS topic_title, coalesce(left(t.body, ?), '') AS topic_excerpt", topicExcerptMax).
		ColumnExpr("a.display_name AS author_name, a.kind AS author_kind, a.status AS author_status").
		ColumnExpr("c.name_ja AS category_name_ja, c.name_en AS category_name_en").
		ModelTableExpr("board_posts AS p").
		Join("JOIN accounts AS a ON a.id = p.author_id").
		Join("JOIN board_categories AS c ON c.id = p.category_id").
		Join("LEFT JOIN board_posts AS t ON t.id = p.topic_id").
		Where("p.id IN (?)", bun.List(subjectIDs(subjects))).Scan(ctx)
	if err != nil {
		return err
	}
	for i := range posts {
		for _, s := range subjects[posts[i].ID] {
			s.Post = &posts[i]
		}
	}
	return nil
}

func subjectIDs(subjects map[int64][]*ItemSubject) []int64 {
	ids := make([]int64, 0, len(subjects))
	for id := range subjects {
		ids = append(ids, id)
	}
	return ids
}

// postLabel names a post: its title, or a reply's first words.
func postLabel(p *BoardPost) string {
	if p == nil {
		return ""
	}
	if p.Title != "" {
		return p.Title
	}
	r := []rune(p.Body)
	if len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return string(r)
}

// decideBoardPost applies an approval or rejection to the post. Approving a
// submission publishes it and tells the board's readers; approving a report
// keeps the post as it is; rejecting either takes the post off the board.
func decideBoardPost(ctx context.Context, tx bun.Tx, it *ModerationItem, approve bool) (*BoardPost, error) {
	p := new(BoardPost)
	if err := tx.NewSelect().Model(p).Where("id = ?", it.SubjectID).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "post")
	}
	wasPublished := p.Status == PostPublished
	switch {
	case approve && it.Origin == OriginReport:
		return p, nil
	case approve:
		p.Status = PostPublished
		if _, err := tx.NewUpdate().Model(p).Set("status = ?, published_at = now()", PostPublished).
			Set("version = version + 1, updated_at = now()").WherePK().Returning("published_at, version").Exec(ctx); err != nil {
			return nil, err
		}
	default:
		p.Status = PostRejected
		if _, err := tx.NewUpdate().Model(p).Set("status = ?", PostRejected).
			Set("version = version + 1, updated_at = now()").WherePK().Returning("version").Exec(ctx); err != nil {
			return nil, err
		}
	}
	if p.TopicID != nil && wasPublished != (p.Status == PostPublished) {
		delta := 1
		if wasPublished {
			delta = -1
		}
		if _, err := tx.NewUpdate().Model((*BoardPost)(nil)).Set("reply_count = reply_count + ?", delta).
			Where("id = ?", *p.TopicID).Exec(ctx); err != nil {
			return nil, err
		}
	}
	if p.Status != PostPublished {
		return p, nil
	}
	ev := &LiveEvent{Stream: StreamBoard, Name: LiveTopic, SubjectID: p.ID}
	if p.TopicID != nil {
		ev.Name, ev.ScopeID = LiveReply, *p.TopicID
	}
	return p, PublishLive(ctx, tx, ev)
}

// ItemAction is one line of a subject's moderation history.
type ItemAction struct {
	ItemID    int64     `bun:"item_id"`
	Action    string    `bun:"action"`
	ActorName string    `bun:"actor_name"`
	ActorRole string    `bun:"actor_role"`
	Reason    string    `bun:"reason"`
	Note      string    `bun:"note"`
	At        time.Time `bun:"at"`
}

// SubjectHistory returns the actions on every item about one subject, oldest first.
func (d *DB) SubjectHistory(ctx context.Context, kind string, subjectID int64) (_ []ItemAction, err error) {
	defer wrap(&err, "subject history")
	var out []ItemAction
	err = d.Bun.NewSelect().TableExpr("moderation_actions AS m").
		ColumnExpr("m.item_id, m.action, coalesce(a.display_name, '') AS actor_name, m.actor_role, m.reason, m.note, m.at").
		Join("JOIN moderation_items AS i ON i.id = m.item_id").
		Join("LEFT JOIN accounts AS a ON a.id = m.actor_id").
		Where("i.kind = ? AND i.subject_id = ?", kind, subjectID).
		OrderExpr("m.at, m.id").Scan(ctx, &out)
	return out, err
}

// ModerationWord is an entry of the staff-managed pre-check dictionary.
type ModerationWord struct {
	bun.BaseModel `bun:"table:moderation_words"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Word      string    `bun:"word"`
	CreatedBy *int64    `bun:"created_by"`
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
}

func moderationWords(ctx context.Context, idb bun.IDB) ([]string, error) {
	var ws []string
	err := idb.NewSelect().Model((*ModerationWord)(nil)).Column("word").Order("word").Scan(ctx, &ws)
	return ws, err
}

// ListModerationWords returns the dictionary in order.
func (d *DB) ListModerationWords(ctx context.Context) (_ []ModerationWord, err error) {
	defer wrap(&err, "list moderation words")
	var ws []ModerationWord
	err = d.Bun.NewSelect().Model(&ws).Order("word").Scan(ctx)
	return ws, err
}

// AddModerationWord adds a word; a word already there is ErrConflict.
func (d *DB) AddModerationWord(ctx context.Context, word string, by *Account) (err error) {
	defer wrap(&err, "add moderation word")
	_, err = d.Bun.NewInsert().Model(&ModerationWord{Word: word, CreatedBy: &by.ID}).Exec(ctx)
	if IsUniqueViolation(err, "") {
		return fmt.Errorf("word %q: %w", word, ErrConflict)
	}
	return err
}

// DeleteModerationWord removes a word.
func (d *DB) DeleteModerationWord(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "delete moderation word")
	res, err := d.Bun.NewDelete().Model((*ModerationWord)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("word %d: %w", id, ErrNotFound)
	}
	return nil
}

// SaveBoardCategory creates (ID 0) or renames and reorders a category.
func (d *DB) SaveBoardCategory(ctx context.Context, c *BoardCategory) (err error) {
	defer wrap(&err, "save board category")
	if c.ID == 0 {
		_, err = d.Bun.NewInsert().Model(c).Returning("id").Exec(ctx)
	} else {
		var res sql.Result
		res, err = d.Bun.NewUpdate().Model(c).Column("slug", "name_ja", "name_en", "sort_order").WherePK().Exec(ctx)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("board category %d: %w", c.ID, ErrNotFound)
			}
		}
	}
	if IsUniqueViolation(err, "") {
		return fmt.Errorf("board category %q: %w", c.Slug, ErrConflict)
	}
	return err
}
