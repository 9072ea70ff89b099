package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Live streams and event names of the board and the moderation queue.
const (
	StreamBoard      = "board"
	StreamModeration = "moderation"

	LiveTopic = "topic" // a topic was published: subject is the post
	LiveReply = "reply" // a reply was published: subject is the post, scope its topic
	LiveItem  = "item"  // a moderation item changed: subject is the item
)

// PostInput is what an author writes: a topic (TopicID nil, with a title
// and category) or a reply to a published topic.
type PostInput struct {
	CategoryID int64
	TopicID    *int64
	Title      string
	Body       string
}

// ErrNotEditable means the post is no longer the author's to change: it was
// published or withdrawn meanwhile.
var ErrNotEditable = fmt.Errorf("post cannot be changed now: %w", ErrConflict)

// ErrStale means the post changed since the form was opened (another tab).
var ErrStale = fmt.Errorf("post changed meanwhile: %w", ErrConflict)

// ErrAlreadyReported means this member has already reported the post and
// the report is still waiting.
var ErrAlreadyReported = fmt.Errorf("already reported: %w", ErrConflict)

// SubmitPost stores a new post as pending and puts it in the moderation
// queue with the pre-check's flags. Only its author and moderators see it
// until a moderator approves it.
func (d *DB) SubmitPost(ctx context.Context, author *Account, in PostInput, ev AccessEvent) (_ *BoardPost, err error) {
	defer wrap(&err, "submit post")
	p := &BoardPost{CategoryID: in.CategoryID, TopicID: in.TopicID, AuthorID: author.ID,
		Title: in.Title, Body: in.Body, Status: PostPending}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if in.TopicID != nil {
			var topic BoardPost
			err := tx.NewSelect().Model(&topic).Column("id", "category_id").
				Where("id = ? AND topic_id IS NULL AND status = ?", *in.TopicID, PostPublished).For("SHARE").Scan(ctx)
			if err != nil {
				return notFound(err, "topic")
			}
			p.CategoryID, p.Title = topic.CategoryID, ""
		} else {
			ok, err := tx.NewSelect().Model((*BoardCategory)(nil)).Where("id = ?", in.CategoryID).Exists(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("board category %d: %w", in.CategoryID, ErrNotFound)
			}
		}
		p.SearchGrams = SearchGrams(p.Title, p.Body)
		if _, err := tx.NewInsert().Model(p).Returning("*").Exec(ctx); err != nil {
			return err
		}
		flags, err := d.checkPost(ctx, tx, p)
		if err != nil {
			return err
		}
		it := &ModerationItem{Kind: ItemBoardPost, SubjectID: p.ID, Origin: OriginSubmission,
			SubmittedBy: author.ID, Flags: flags}
		if _, err := tx.NewInsert().Model(it).Returning("*").Exec(ctx); err != nil {
			return err
		}
		if err := recordBoardAccess(ctx, tx, author, ev, ActionPostSubmit, p.ID); err != nil {
			return err
		}
		return itemChanged(ctx, tx, it.ID, ActSubmit, author.ID, "", "", "")
	})
	return p, err
}

// recordBoardAccess puts a board action in the account's access history.
func recordBoardAccess(ctx context.Context, tx bun.Tx, acc *Account, ev AccessEvent, action string, postID int64) error {
	ev.AccountID, ev.LoginID, ev.Action, ev.Success = &acc.ID, acc.LoginID, action, true
	ev.Detail = fmt.Sprintf("post %d", postID)
	return RecordAccess(ctx, tx, ev)
}

// checkPost runs the pre-check over a post's text with the current dictionary.
func (d *DB) checkPost(ctx context.Context, idb bun.IDB, p *BoardPost) ([]Flag, error) {
	words, err := moderationWords(ctx, idb)
	if err != nil {
		return nil, err
	}
	return d.precheck(p.Title+"\n"+p.Body, words), nil
}

// ownPostForUpdate locks one of the author's posts and checks the version
// the author's form was opened on.
func ownPostForUpdate(ctx context.Context, tx bun.Tx, authorID, postID int64, version int) (*BoardPost, error) {
	p := new(BoardPost)
	err := tx.NewSelect().Model(p).Where("id = ? AND author_id = ?", postID, authorID).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, notFound(err, "post")
	}
	if p.Status != PostPending && p.Status != PostRejected {
		return nil, ErrNotEditable
	}
	if version != 0 && p.Version != version {
		return nil, ErrStale
	}
	return p, nil
}

// EditPost changes a pending or rejected post. A pending post stays in the
// queue with the new text (its item's version moves on, so a moderator who
// opened the old text cannot approve it unseen); a rejected post goes back
// into the queue as a resubmission.
func (d *DB) EditPost(ctx context.Context, author *Account, postID int64, version int, title, body string, ev AccessEvent) (_ *BoardPost, err error) {
	defer wrap(&err, "edit post")
	var p *BoardPost
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if p, err = ownPostForUpdate(ctx, tx, author.ID, postID, version); err != nil {
			return err
		}
		wasRejected := p.Status == PostRejected
		if p.TopicID == nil {
			p.Title = title
		}
		p.Body, p.Status = body, PostPending
		p.SearchGrams = SearchGrams(p.Title, p.Body)
		if _, err := tx.NewUpdate().Model(p).Column("title", "body", "status", "search_grams").
			Set("version = version + 1, updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
			return err
		}
		flags, err := d.checkPost(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := recordBoardAccess(ctx, tx, author, ev, ActionPostEdit, p.ID); err != nil {
			return err
		}
		if wasRejected {
			it := &ModerationItem{Kind: ItemBoardPost, SubjectID: p.ID, Origin: OriginSubmission,
				SubmittedBy: author.ID, Flags: flags}
			if _, err := tx.NewInsert().Model(it).Returning("id").Exec(ctx); err != nil {
				return err
			}
			return itemChanged(ctx, tx, it.ID, ActSubmit, author.ID, "", "", "")
		}
		var itemID int64
		err = tx.NewUpdate().Model((*ModerationItem)(nil)).
			Set("flags = ?", jsonFlags(flags)).Set("version = version + 1, updated_at = now()").
			Where("kind = ? AND subject_id = ? AND status = ?", ItemBoardPost, p.ID, ItemOpen).
			Returning("id").Scan(ctx, &itemID)
		if errors.Is(err, sql.ErrNoRows) {
			// Escalated to the ward: the text under discussion stays put.
			return ErrNotEditable
		}
		if err != nil {
			return err
		}
		return itemChanged(ctx, tx, itemID, ActEdit, author.ID, "", "", "")
	})
	return p, err
}

// WithdrawPost takes back a pending or rejected post; its queue item closes.
func (d *DB) WithdrawPost(ctx context.Context, author *Account, postID int64, ev AccessEvent) (err error) {
	defer wrap(&err, "withdraw post")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := ownPostForUpdate(ctx, tx, author.ID, postID, 0)
		if err != nil {
			return err
		}
		if err := recordBoardAccess(ctx, tx, author, ev, ActionPostWithdraw, p.ID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(p).Set("status = ?", PostWithdrawn).
			Set("version = version + 1, updated_at = now()").WherePK().Exec(ctx); err != nil {
			return err
		}
		var itemID int64
		err = tx.NewUpdate().Model((*ModerationItem)(nil)).
			Set("status = ?", ItemWithdrawn).Set("version = version + 1, updated_at = now()").
			Where("kind = ? AND subject_id = ? AND status IN (?)", ItemBoardPost, p.ID, bun.List(waitingStatuses)).
			Returning("id").Scan(ctx, &itemID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // a rejected post has no waiting item
		}
		if err != nil {
			return err
		}
		return itemChanged(ctx, tx, itemID, ActWithdraw, author.ID, "", "", "")
	})
}

// withdrawWaitingPosts takes back every post of an author that is not
// published (pending or rejected) and closes their queue items: what a
// withdrawing member leaves behind is only what was already public.
func withdrawWaitingPosts(ctx context.Context, tx bun.Tx, authorID int64) error {
	var posts []int64
	err := tx.NewRaw(`UPDATE board_posts SET status = ?, version = version + 1, updated_at = now()
		WHERE author_id = ? AND status IN (?, ?) RETURNING id`, PostWithdrawn, authorID, PostPending, PostRejected).Scan(ctx, &posts)
	if err != nil || len(posts) == 0 {
		return err
	}
	var items []int64
	err = tx.NewRaw(`UPDATE moderation_items SET status = ?, version = version + 1, updated_at = now()
		WHERE kind = ? AND subject_id IN (?) AND status IN (?) RETURNING id`,
		ItemWithdrawn, ItemBoardPost, bun.List(posts), bun.List(waitingStatuses)).Scan(ctx, &items)
	if err != nil {
		return err
	}
	for _, id := range items {
		if err := itemChanged(ctx, tx, id, ActWithdraw, authorID, "", "", ""); err != nil {
			return err
		}
	}
	return nil
}

// ReportPost brings a published post back to the queue with a member's
// reason. Further reports join the waiting item; one member reports a post
// once per review.
func (d *DB) ReportPost(ctx context.Context, reporter *Account, postID int64, reason string, ev AccessEvent) (err error) {
	defer wrap(&err, "report post")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p := new(BoardPost)
		err := tx.NewSelect().Model(p).Where("id = ? AND status = ?", postID, PostPublished).For("SHARE").Scan(ctx)
		if err != nil {
			return notFound(err, "post")
		}
		flags, err := d.checkPost(ctx, tx, p)
		if err != nil {
			return err
		}
		var itemID int64
		err = tx.NewRaw(`INSERT INTO moderation_items (kind, subject_id, origin, submitted_by, flags, reports)
			VALUES (?, ?, ?, ?, ?, 1)
			ON CONFLICT (kind, subject_id) WHERE status IN ('open', 'escalated')
			DO UPDATE SET reports = moderation_items.reports + 1, version = moderation_items.version + 1, updated_at = now()
			RETURNING id`, ItemBoardPost, p.ID, OriginReport, reporter.ID, jsonFlags(flags)).Scan(ctx, &itemID)
		if err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(&BoardReport{PostID: p.ID, ItemID: itemID, ReporterID: reporter.ID, Reason: reason}).Exec(ctx)
		if IsUniqueViolation(err, "") {
			return ErrAlreadyReported
		}
		if err != nil {
			return err
		}
		if err := recordBoardAccess(ctx, tx, reporter, ev, ActionPostReport, p.ID); err != nil {
			return err
		}
		return itemChanged(ctx, tx, itemID, ActReport, reporter.ID, "", "", reason)
	})
}

// BoardReport is a member's report of a published post.
type BoardReport struct {
	bun.BaseModel `bun:"table:board_reports"`

	ID         int64     `bun:"id,pk,autoincrement"`
	PostID     int64     `bun:"post_id"`
	ItemID     int64     `bun:"item_id"`
	ReporterID int64     `bun:"reporter_id"`
	Reason     string    `bun:"reason"`
	CreatedAt  time.Time `bun:"created_at,nullzero,default:now()"`
}

// TopicView is a topic page as one viewer sees it.
type TopicView struct {
	Topic   *BoardPost
	Replies []BoardPost
}

// TopicFor loads a topic and its replies as viewer sees them: everybody sees
// what is published; the author also sees their own posts waiting for review
// or rejected, in place. viewerID 0 is a visitor.
func (d *DB) TopicFor(ctx context.Context, id, viewerID int64) (_ *TopicView, err error) {
	defer wrap(&err, "topic for")
	var topics []BoardPost
	err = d.postsVisibleTo(&topics, viewerID).ColumnExpr("p.body, p.reply_count").
		Where("p.id = ? AND p.topic_id IS NULL", id).Scan(ctx)
	if err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return nil, fmt.Errorf("topic %d: %w", id, ErrNotFound)
	}
	v := &TopicView{Topic: &topics[0]}
	err = d.postsVisibleTo(&v.Replies, viewerID).ColumnExpr("p.body").
		Where("p.topic_id = ?", id).
		OrderExpr("coalesce(p.published_at, p.created_at), p.id").Limit(500).Scan(ctx)
	return v, err
}

// postsVisibleTo selects posts with their public author fields that viewer
// may see.
func (d *DB) postsVisibleTo(dst *[]BoardPost, viewerID int64) *bun.SelectQuery {
	q := d.Bun.NewSelect().Model(dst).
		ColumnExpr("p.id, p.category_id, p.topic_id, p.author_id, p.title, p.status, p.version, p.created_at, p.published_at").
		ColumnExpr("a.display_name AS author_name, a.kind AS author_kind, a.status AS author_status").
		ColumnExpr("c.name_ja AS category_name_ja, c.name_en AS category_name_en").
		ModelTableExpr("board_posts AS p").
		Join("JOIN accounts AS a ON a.id = p.author_id").
		Join("JOIN board_categories AS c ON c.id = p.category_id")
	if viewerID == 0 {
		return q.Where("p.status = ?", PostPublished)
	}
	return q.Where("(p.status = ? OR (p.author_id = ? AND p.status IN (?, ?)))", PostPublished, viewerID, PostPending, PostRejected)
}

// PublishedPost loads one published post for the live update readers get.
func (d *DB) PublishedPost(ctx context.Context, id int64) (_ *BoardPost, err error) {
	defer wrap(&err, "published post")
	var ps []BoardPost
	err = d.postsVisibleTo(&ps, 0).ColumnExpr("p.body, p.reply_count").Where("p.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("post %d: %w", id, ErrNotFound)
	}
	return &ps[0], nil
}

// OwnPost is one of the author's posts with the outcome of its latest review.
type OwnPost struct {
	BoardPost `bun:",extend"`

	ItemStatus string     `bun:"item_status,scanonly"`
	Reason     string     `bun:"item_reason,scanonly"`
	Message    string     `bun:"item_message,scanonly"`
	DecidedAt  *time.Time `bun:"item_decided_at,scanonly"`
}

// ownPosts selects an author's posts with the outcome of each one's latest review.
func (d *DB) ownPosts(dst *[]OwnPost, authorID int64) *bun.SelectQuery {
	return d.Bun.NewSelect().Model(dst).
		ColumnExpr("p.id, p.category_id, p.topic_id, p.author_id, p.title, p.body, p.status, p.version, p.created_at, p.updated_at, p.published_at").
		ColumnExpr("coalesce(t.title, '') AS topic_title").
		ColumnExpr("coalesce(i.status, '') AS item_status, coalesce(i.reason, '') AS item_reason").
		ColumnExpr("coalesce(i.message, '') AS item_message, i.decided_at AS item_decided_at").
		ModelTableExpr("board_posts AS p").
		Join("LEFT JOIN board_posts AS t ON t.id = p.topic_id").
		Join(`LEFT JOIN LATERAL (SELECT status, reason, message, decided_at FROM moderation_items
			WHERE kind = ? AND subject_id = p.id ORDER BY id DESC LIMIT 1) AS i ON true`, ItemBoardPost).
		Where("p.author_id = ?", authorID)
}

// PostsBy pages through an author's own posts, newest first, with the latest
// review outcome of each: what /account shows the author.
func (d *DB) PostsBy(ctx context.Context, authorID int64, after Cursor) (_ Page[OwnPost], err error) {
	defer wrap(&err, "posts by")
	var rows []OwnPost
	q := d.ownPosts(&rows, authorID).Where("p.status <> ?", PostWithdrawn).
		OrderExpr("p.created_at DESC, p.id DESC").Limit(PageSize + 1)
	if !after.IsZero() {
		q = q.Where("(p.created_at, p.id) < (?, ?)", after.At, after.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return Page[OwnPost]{}, err
	}
	return paginate(rows, PageSize, func(p *OwnPost) Cursor { return Cursor{p.CreatedAt, p.ID} }), nil
}

// OwnPost loads one of the author's posts for editing.
func (d *DB) OwnPost(ctx context.Context, authorID, postID int64) (_ *OwnPost, err error) {
	defer wrap(&err, "own post")
	var rows []OwnPost
	if err := d.ownPosts(&rows, authorID).Where("p.id = ?", postID).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("post %d: %w", postID, ErrNotFound)
	}
	return &rows[0], nil
}

// WaitingTopics lists the author's own topics that are not public yet
// (pending or rejected), shown to them on top of the board.
func (d *DB) WaitingTopics(ctx context.Context, authorID int64) (_ []BoardPost, err error) {
	defer wrap(&err, "waiting topics")
	var ts []BoardPost
	err = d.postsVisibleTo(&ts, authorID).ColumnExpr("p.reply_count").
		Where("p.author_id = ? AND p.topic_id IS NULL AND p.status IN (?, ?)", authorID, PostPending, PostRejected).
		OrderExpr("p.created_at DESC, p.id DESC").Limit(PageSize).Scan(ctx)
	return ts, err
}
