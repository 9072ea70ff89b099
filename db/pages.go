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

// Page kinds (PRODUCT.md §9): every authored thing is a page of one of these.
const (
	PageNotice   = "notice"   // ward notice (お知らせ)
	PageSubsidy  = "subsidy"  // subsidy (補助金・助成金)
	PageArticle  = "article"  // operator article or column (記事・コラム)
	PageFacility = "facility" // facility link (公共施設)
	PageGeneral  = "page"     // a general page of a site
)

// PageKinds lists the kinds in display order.
var PageKinds = []string{PageNotice, PageSubsidy, PageArticle, PageFacility, PageGeneral}

// Revision statuses: the workflow (README, "Publishing").
const (
	RevDraft     = "draft"     // being written
	RevSubmitted = "submitted" // 申請中: waiting for an approver
	RevSentBack  = "sent_back" // 差し戻し: the approver's comment says why
	RevApproved  = "approved"  // 公開待ち: approved, waiting for its publish time
	RevPublished = "published" // live
	RevReplaced  = "replaced"  // was live until a later revision replaced it (差し替え)
	RevEnded     = "ended"     // 公開終了
	RevWithdrawn = "withdrawn" // taken back by its author
)

// workingStatuses are the statuses of the one revision being worked on.
var workingStatuses = []string{RevDraft, RevSubmitted, RevSentBack, RevApproved}

// Page history actions.
const (
	PageActCreate   = "create"
	PageActSave     = "save"
	PageActSubmit   = "submit"
	PageActApprove  = "approve"
	PageActOverride = "approve_override" // approved inside the lead time by a site manager, with a reason
	PageActSendBack = "send_back"
	PageActWithdraw = "withdraw"
	PageActPublish  = "publish"
	PageActEnd      = "end"
)

// AuditLeadOverride is the audit-log action of approving a page inside the
// site's lead time (第9条).
const AuditLeadOverride = "lead_time_override"

// AuditCheckOverride is an approval despite the content checks' errors
// (README, "Content checks"), with the approver's reason.
const AuditCheckOverride = "check_override"

// CheckOverridePrefix starts the line of a page history comment that
// records the reason for approving despite content check errors.
const CheckOverridePrefix = "check override: "

// ErrForbidden: the actor's roles, divisions or sites do not reach the page.
var ErrForbidden = errors.New("not permitted")

// ErrTooSoon is the two-day rule refusing an approval: the publish time is
// closer than the site's lead time.
type ErrTooSoon struct {
	LeadDays int
	Earliest time.Time // the earliest publish time the rule allows now
}

func (e *ErrTooSoon) Error() string {
	return fmt.Sprintf("publish time is inside the %d-day lead time (earliest %s)", e.LeadDays, e.Earliest.Format(time.RFC3339))
}

// Division is a ward division (所属); staff belong to divisions and every
// page is owned by one.
type Division struct {
	bun.BaseModel `bun:"table:divisions,alias:dv"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Code      string    `bun:"code"`
	Name      string    `bun:"name"`
	Contact   string    `bun:"contact"`
	CreatedAt time.Time `bun:"created_at,nullzero,default:now()"`
}

// Site statuses.
const (
	SiteApplied = "applied"
	SiteActive  = "active"
	SiteRefused = "refused"
	SiteClosed  = "closed"
)

// Site is the official site or a department sub-site.
type Site struct {
	bun.BaseModel `bun:"table:sites,alias:s"`

	ID         int64      `bun:"id,pk,autoincrement"`
	Slug       string     `bun:"slug"`
	Official   bool       `bun:"official"`
	Name       string     `bun:"name"`
	Host       *string    `bun:"host"`
	DivisionID int64      `bun:"division_id"`
	LeadDays   int        `bun:"lead_days"`
	Status     string     `bun:"status"`
	Purpose    string     `bun:"purpose"`
	AppliedBy  *int64     `bun:"applied_by"`
	DecidedBy  *int64     `bun:"decided_by"`
	DecidedAt  *time.Time `bun:"decided_at"`
	Decision   string     `bun:"decision"`
	Nav        []NavLink  `bun:"nav,type:jsonb,nullzero,default:'[]'"` // the site's own navigation (db/siteadmin.go)
	CreatedAt  time.Time  `bun:"created_at,nullzero,default:now()"`
}

// PageFields are the typed fields of the kinds, stored as JSON with the
// revision; each kind uses its own (app/form validates them).
type PageFields struct {
	// notice
	Urgent bool `json:"urgent,omitempty"` // shown on the disaster-mode home page
	// subsidy
	Eligibility string `json:"eligibility,omitempty"`
	Amount      string `json:"amount,omitempty"`
	ApplyFrom   string `json:"apply_from,omitempty"`  // YYYY-MM-DD
	ApplyUntil  string `json:"apply_until,omitempty"` // YYYY-MM-DD: the deadline
	// article
	ArticleKind string  `json:"article_kind,omitempty"` // "article" or "column"
	AuthorLabel string  `json:"author_label,omitempty"`
	GroupIDs    []int64 `json:"group_ids,omitempty"`
	FacilityIDs []int64 `json:"facility_ids,omitempty"`
	// facility
	Category  string `json:"category,omitempty"`
	Town      string `json:"town,omitempty"`
	Address   string `json:"address,omitempty"`
	Phone     string `json:"phone,omitempty"`
	URL       string `json:"url,omitempty"`
	SortOrder int    `json:"sort_order,omitempty"`
}

// ContentPage is an authored page; its content is in its revisions.
type ContentPage struct {
	bun.BaseModel `bun:"table:pages,alias:p"`

	ID             int64      `bun:"id,pk,autoincrement"`
	SiteID         int64      `bun:"site_id"`
	DivisionID     int64      `bun:"division_id"`
	Kind           string     `bun:"kind"`
	LiveRevisionID *int64     `bun:"live_revision_id"`
	PublishedAt    *time.Time `bun:"published_at"`
	LegacyID       *int64     `bun:"legacy_id"`
	FacilityID     *int64     `bun:"facility_id"`
	CreatedBy      *int64     `bun:"created_by"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
}

// Revision is one version of a page's content and where it stands in the
// workflow.
type Revision struct {
	bun.BaseModel `bun:"table:page_revisions,alias:r"`

	ID             int64      `bun:"id,pk,autoincrement"`
	PageID         int64      `bun:"page_id"`
	Number         int        `bun:"number"`
	Status         string     `bun:"status"`
	Version        int        `bun:"version,nullzero"` // from 1; 0 in a Transition means "do not check"
	Title          string     `bun:"title"`
	Body           string     `bun:"body"`
	Fields         PageFields `bun:"fields,type:jsonb"`
	Tags           []string   `bun:"tags,array"`
	PublishAt      time.Time  `bun:"publish_at"`
	EndAt          *time.Time `bun:"end_at"`
	AuthorID       *int64     `bun:"author_id"`
	CreatedAt      time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
	SubmittedAt    *time.Time `bun:"submitted_at"`
	RemindedAt     *time.Time `bun:"reminded_at"`
	DecidedBy      *int64     `bun:"decided_by"`
	DecidedAt      *time.Time `bun:"decided_at"`
	Comment        string     `bun:"comment"`
	OverrideReason string     `bun:"override_reason"`
	PublishedAt    *time.Time `bun:"published_at"`
	EndedAt        *time.Time `bun:"ended_at"`
	// SearchGrams is what the site search finds the revision by once it is
	// live; the BeforeAppendModel hook (sitesearch.go) fills it on every write.
	SearchGrams []int32 `bun:"search_grams,array"`
}

// Working reports whether the revision is the one being worked on.
func (r *Revision) Working() bool {
	for _, s := range workingStatuses {
		if r.Status == s {
			return true
		}
	}
	return false
}

// PageHistory is one transition of a page.
type PageHistory struct {
	bun.BaseModel `bun:"table:page_history,alias:h"`

	ID         int64     `bun:"id,pk,autoincrement"`
	PageID     int64     `bun:"page_id"`
	RevisionID int64     `bun:"revision_id"`
	Action     string    `bun:"action"`
	FromStatus string    `bun:"from_status"`
	ToStatus   string    `bun:"to_status"`
	ActorID    *int64    `bun:"actor_id"`
	ActorRole  string    `bun:"actor_role"`
	Comment    string    `bun:"comment"`
	At         time.Time `bun:"at,nullzero,default:now()"`

	ActorName string `bun:"actor_name,scanonly"`
	Number    int    `bun:"number,scanonly"`
}

// PageContent is what an editor writes: the content of one revision.
type PageContent struct {
	Title     string
	Body      string // Markdown
	Fields    PageFields
	Tags      []string
	PublishAt time.Time
	EndAt     *time.Time
}

// NewPage is a page to create: where it lives and its first content.
type NewPage struct {
	SiteID     int64
	DivisionID int64
	Kind       string
	PageContent
}

// ---------------------------------------------------------------------------
// Who may do what

// reach is where an account works: its divisions and sites.
type reach struct {
	divisions map[int64]bool
	sites     map[int64]bool
}

func loadReach(ctx context.Context, idb bun.IDB, accountID int64) (reach, error) {
	r := reach{divisions: map[int64]bool{}, sites: map[int64]bool{}}
	var divs, sites []int64
	if err := idb.NewSelect().Table("staff_divisions").Column("division_id").Where("account_id = ?", accountID).Scan(ctx, &divs); err != nil {
		return r, err
	}
	// Only active sites: an applied-for, refused or closed site takes no pages.
	if err := idb.NewSelect().TableExpr("site_staff AS ss").ColumnExpr("ss.site_id").
		Join("JOIN sites AS s ON s.id = ss.site_id AND s.status = ?", SiteActive).
		Where("ss.account_id = ?", accountID).Scan(ctx, &sites); err != nil {
		return r, err
	}
	for _, id := range divs {
		r.divisions[id] = true
	}
	for _, id := range sites {
		r.sites[id] = true
	}
	return r, nil
}

// Moderators author the operator's articles and facility links (§1), in the
// operator's division; ward staff roles write the rest.
func roleFor(acc *Account, kind, want string) string {
	if want == RoleEditor && (kind == PageArticle || kind == PageFacility) && acc.HasRole(RoleModerator) {
		return RoleModerator
	}
	if acc.HasRole(want) {
		return want
	}
	return ""
}

// may reports the role in which acc acts as want (RoleEditor, RoleApprover
// or RoleSiteManager) on a page of kind in site and division, or "".
func (r reach) may(acc *Account, want string, kind string, siteID, divisionID int64) string {
	if acc == nil || acc.Kind != KindStaff || acc.Status != StatusActive || !r.sites[siteID] {
		return ""
	}
	if want == RoleSiteManager {
		if acc.HasRole(RoleSiteManager) {
			return RoleSiteManager
		}
		return ""
	}
	if !r.divisions[divisionID] {
		return ""
	}
	return roleFor(acc, kind, want)
}

// CanAuthor reports whether acc may write pages of kind in site and division.
func (d *DB) CanAuthor(ctx context.Context, acc *Account, kind string, siteID, divisionID int64) (bool, error) {
	r, err := loadReach(ctx, d.Bun, acc.ID)
	return r.may(acc, RoleEditor, kind, siteID, divisionID) != "", err
}

// ---------------------------------------------------------------------------
// The workflow

// CreatePage stores a new page with its first revision as a draft.
func (d *DB) CreatePage(ctx context.Context, actor Actor, np NewPage) (_ *ContentPage, _ *Revision, err error) {
	defer wrap(&err, "create page")
	p := &ContentPage{SiteID: np.SiteID, DivisionID: np.DivisionID, Kind: np.Kind, CreatedBy: &actor.Account.ID}
	rev := &Revision{Number: 1, Status: RevDraft, AuthorID: &actor.Account.ID}
	rev.setContent(np.PageContent)
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := loadReach(ctx, tx, actor.Account.ID)
		if err != nil {
			return err
		}
		role := r.may(actor.Account, RoleEditor, np.Kind, np.SiteID, np.DivisionID)
		if role == "" {
			return ErrForbidden
		}
		if _, err := tx.NewInsert().Model(p).Returning("*").Exec(ctx); err != nil {
			return err
		}
		rev.PageID = p.ID
		if _, err := tx.NewInsert().Model(rev).Returning("*").Exec(ctx); err != nil {
			return err
		}
		return pageHistory(ctx, tx, rev, PageActCreate, "", actor.Account, role, "")
	})
	return p, rev, err
}

func (r *Revision) setContent(c PageContent) {
	r.Title, r.Body, r.Fields, r.Tags, r.PublishAt, r.EndAt = c.Title, c.Body, c.Fields, c.Tags, c.PublishAt, c.EndAt
	if r.Tags == nil {
		r.Tags = []string{}
	}
}

// Content is the revision's content.
func (r *Revision) Content() PageContent {
	return PageContent{Title: r.Title, Body: r.Body, Fields: r.Fields, Tags: r.Tags, PublishAt: r.PublishAt, EndAt: r.EndAt}
}

func pageHistory(ctx context.Context, tx bun.IDB, rev *Revision, action, from string, actor *Account, role, comment string) error {
	h := &PageHistory{PageID: rev.PageID, RevisionID: rev.ID, Action: action, FromStatus: from, ToStatus: rev.Status,
		ActorRole: role, Comment: comment}
	if actor != nil {
		h.ActorID = &actor.ID
	}
	_, err := tx.NewInsert().Model(h).Exec(ctx)
	return err
}

// PageState is a page with its live revision and the one being worked on
// (either may be nil).
type PageState struct {
	Page     ContentPage
	Live     *Revision
	Working  *Revision
	Site     Site
	Division Division
}

// Latest is the revision an editor sees first: the working one, else the live one.
func (s *PageState) Latest() *Revision {
	if s.Working != nil {
		return s.Working
	}
	return s.Live
}

// PageState loads a page for the back office.
func (d *DB) PageState(ctx context.Context, id int64) (_ *PageState, err error) {
	defer wrap(&err, "page state")
	return pageState(ctx, d.Bun, id, false)
}

func pageState(ctx context.Context, idb bun.IDB, id int64, lock bool) (*PageState, error) {
	s := &PageState{}
	q := idb.NewSelect().Model(&s.Page).Where("id = ?", id)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "page")
	}
	var revs []Revision
	if err := idb.NewSelect().Model(&revs).
		Where("page_id = ? AND (status IN (?) OR id = ?)", id, bun.List(workingStatuses), s.Page.LiveRevisionID).
		Scan(ctx); err != nil {
		return nil, err
	}
	for i := range revs {
		if revs[i].Working() {
			s.Working = &revs[i]
		} else {
			s.Live = &revs[i]
		}
	}
	if err := idb.NewSelect().Model(&s.Site).Where("id = ?", s.Page.SiteID).Scan(ctx); err != nil {
		return nil, err
	}
	if err := idb.NewSelect().Model(&s.Division).Where("id = ?", s.Page.DivisionID).Scan(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Transition is one step an actor takes on a page.
type Transition struct {
	PageID  int64
	Version int    // the working revision's version the actor saw; 0: do not check
	Comment string // sending back: why (required); approving: optional note
	// Override: approving inside the lead time, by a site manager, with this reason.
	Override string
	// CheckOverride: approving despite the content checks' errors, with this
	// reason, recorded in the page's history and the audit log.
	CheckOverride string
	Actor         Actor
	Now           time.Time
}

// SavePage stores content as the page's working revision: the draft or
// sent-back revision is updated; a live or ended page gets a new draft
// revision while the live one stays up. A submitted or approved revision
// must be withdrawn first (ErrConflict).
func (d *DB) SavePage(ctx context.Context, t Transition, c PageContent) (_ *Revision, err error) {
	defer wrap(&err, "save page")
	var rev *Revision
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rev, err = d.savePage(ctx, tx, t, c)
		return err
	})
	return rev, err
}

// savePage is SavePage inside tx.
func (d *DB) savePage(ctx context.Context, tx bun.Tx, t Transition, c PageContent) (*Revision, error) {
	s, role, err := d.lockFor(ctx, tx, t, RoleEditor)
	if err != nil {
		return nil, err
	}
	if w := s.Working; w != nil {
		if w.Status != RevDraft && w.Status != RevSentBack {
			return nil, fmt.Errorf("revision is %s: %w", w.Status, ErrConflict)
		}
		if t.Version != 0 && w.Version != t.Version {
			return nil, fmt.Errorf("revision changed meanwhile: %w", ErrConflict)
		}
		from := w.Status
		w.setContent(c)
		w.Status, w.AuthorID = RevDraft, &t.Actor.Account.ID
		if _, err := tx.NewUpdate().Model(w).
			Column("title", "body", "fields", "tags", "publish_at", "end_at", "status", "author_id", "search_grams").
			Set("version = version + 1, updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
			return nil, err
		}
		return w, pageHistory(ctx, tx, w, PageActSave, from, t.Actor.Account, role, "")
	}
	var n int
	if err := tx.NewSelect().Model((*Revision)(nil)).ColumnExpr("max(number)").Where("page_id = ?", t.PageID).Scan(ctx, &n); err != nil {
		return nil, err
	}
	rev := &Revision{PageID: t.PageID, Number: n + 1, Status: RevDraft, AuthorID: &t.Actor.Account.ID}
	rev.setContent(c)
	if _, err := tx.NewInsert().Model(rev).Returning("*").Exec(ctx); err != nil {
		return nil, err
	}
	return rev, pageHistory(ctx, tx, rev, PageActCreate, "", t.Actor.Account, role, "")
}

// lockFor locks the page and checks the actor may act on it as want;
// it returns the page and the role acted in.
func (d *DB) lockFor(ctx context.Context, tx bun.Tx, t Transition, want string) (*PageState, string, error) {
	s, err := pageState(ctx, tx, t.PageID, true)
	if err != nil {
		return nil, "", err
	}
	r, err := loadReach(ctx, tx, t.Actor.Account.ID)
	if err != nil {
		return nil, "", err
	}
	role := r.may(t.Actor.Account, want, s.Page.Kind, s.Page.SiteID, s.Page.DivisionID)
	if role == "" {
		return nil, "", ErrForbidden
	}
	return s, role, nil
}

// step moves the working revision from one of from to status to, recording
// the transition; set adds columns to the update.
func step(ctx context.Context, tx bun.Tx, s *PageState, t Transition, role, action, to string, from []string,
	set func(*bun.UpdateQuery) *bun.UpdateQuery) (*Revision, error) {
	w := s.Working
	if w == nil || !contains(from, w.Status) {
		status := "none"
		if w != nil {
			status = w.Status
		}
		return nil, fmt.Errorf("%s from %s: %w", action, status, ErrConflict)
	}
	if t.Version != 0 && w.Version != t.Version {
		return nil, fmt.Errorf("revision changed meanwhile: %w", ErrConflict)
	}
	prev := w.Status
	q := tx.NewUpdate().Model(w).Set("status = ?", to).Set("version = version + 1, updated_at = now()").WherePK().Returning("*")
	if set != nil {
		q = set(q)
	}
	if _, err := q.Exec(ctx); err != nil {
		return nil, err
	}
	var actor *Account
	if t.Actor.Account != nil {
		actor = t.Actor.Account
	}
	return w, pageHistory(ctx, tx, w, action, prev, actor, role, t.Comment)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Approvers lists the active approvers who may approve the page: those of
// its division working on its site.
func approvers(ctx context.Context, idb bun.IDB, siteID, divisionID int64) ([]Account, error) {
	var out []Account
	err := idb.NewSelect().Model(&out).
		Where("kind = ? AND status = ? AND ? = ANY(roles)", KindStaff, StatusActive, RoleApprover).
		Where("id IN (SELECT account_id FROM staff_divisions WHERE division_id = ?)", divisionID).
		Where("id IN (SELECT account_id FROM site_staff WHERE site_id = ?)", siteID).
		Order("id").Scan(ctx)
	return out, err
}

// SubmitPage asks for approval (申請). mailFor composes the mail to each
// approver of the page's division and site, enqueued in the same transaction.
func (d *DB) SubmitPage(ctx context.Context, t Transition, mailFor func(to *Account, s *PageState) *Mail) (err error) {
	defer wrap(&err, "submit page")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return d.submitPage(ctx, tx, t, mailFor)
	})
}

// submitPage is SubmitPage inside tx.
func (d *DB) submitPage(ctx context.Context, tx bun.Tx, t Transition, mailFor func(to *Account, s *PageState) *Mail) error {
	s, role, err := d.lockFor(ctx, tx, t, RoleEditor)
	if err != nil {
		return err
	}
	if _, err := step(ctx, tx, s, t, role, PageActSubmit, RevSubmitted, []string{RevDraft, RevSentBack},
		func(q *bun.UpdateQuery) *bun.UpdateQuery {
			return q.Set("submitted_at = ?, reminded_at = NULL, comment = ''", t.Now)
		}); err != nil {
		return err
	}
	return mailApprovers(ctx, tx, s, mailFor)
}

func mailApprovers(ctx context.Context, tx bun.IDB, s *PageState, mailFor func(to *Account, s *PageState) *Mail) error {
	if mailFor == nil {
		return nil
	}
	list, err := approvers(ctx, tx, s.Page.SiteID, s.Page.DivisionID)
	if err != nil {
		return err
	}
	for i := range list {
		if list[i].WorkEmail == "" {
			continue
		}
		m := mailFor(&list[i], s)
		if m == nil {
			continue
		}
		m.To, m.AccountID = list[i].WorkEmail, &list[i].ID
		if err := EnqueueMail(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

// WithdrawPage takes the working revision back (its author or another
// editor of the division): a submitted or approved revision stops, a
// draft is dropped. The live revision, if any, stays up.
func (d *DB) WithdrawPage(ctx context.Context, t Transition) (err error) {
	defer wrap(&err, "withdraw page")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, role, err := d.lockFor(ctx, tx, t, RoleEditor)
		if err != nil {
			return err
		}
		_, err = step(ctx, tx, s, t, role, PageActWithdraw, RevWithdrawn, workingStatuses, nil)
		return err
	})
}

// SendBackPage returns a submitted revision to its author with the
// approver's comment (差し戻し).
func (d *DB) SendBackPage(ctx context.Context, t Transition) (err error) {
	defer wrap(&err, "send back page")
	if t.Comment == "" {
		return fmt.Errorf("a comment is required: %w", ErrConflict)
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, role, err := d.lockFor(ctx, tx, t, RoleApprover)
		if err != nil {
			return err
		}
		_, err = step(ctx, tx, s, t, role, PageActSendBack, RevSentBack, []string{RevSubmitted},
			func(q *bun.UpdateQuery) *bun.UpdateQuery {
				return q.Set("decided_by = ?, decided_at = ?, comment = ?", t.Actor.Account.ID, t.Now, t.Comment)
			})
		return err
	})
}

// ApprovePage approves a submitted revision for its publish time (公開待ち).
// The two-day rule (第9条): the publish time must be at least the site's
// lead time away; inside it, only a site manager of the site may approve,
// with t.Override as the reason, which goes to the page's history and the
// audit log. A revision whose time has come is published at once.
func (d *DB) ApprovePage(ctx context.Context, t Transition) (err error) {
	defer wrap(&err, "approve page")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, role, err := d.lockFor(ctx, tx, t, RoleApprover)
		if err != nil {
			return err
		}
		if s.Working == nil || s.Working.Status != RevSubmitted {
			_, err := step(ctx, tx, s, t, role, PageActApprove, RevApproved, []string{RevSubmitted}, nil)
			return err
		}
		action := PageActApprove
		earliest := EarliestPublish(&s.Site, t.Now)
		if s.Working.PublishAt.Before(earliest) {
			if t.Override == "" {
				return &ErrTooSoon{LeadDays: s.Site.LeadDays, Earliest: earliest}
			}
			r, err := loadReach(ctx, tx, t.Actor.Account.ID)
			if err != nil {
				return err
			}
			if r.may(t.Actor.Account, RoleSiteManager, s.Page.Kind, s.Page.SiteID, s.Page.DivisionID) == "" {
				return ErrForbidden
			}
			action, role = PageActOverride, RoleSiteManager
			e := t.Actor.Entry(AuditLeadOverride, nil, []string{"publish_at"},
				fmt.Sprintf("page %d revision %d: publish %s inside the %d-day lead time: %s",
					s.Page.ID, s.Working.Number, s.Working.PublishAt.Format(time.RFC3339), s.Site.LeadDays, t.Override))
			e.ActorRole = RoleSiteManager
			if err := Audit(ctx, tx, e); err != nil {
				return err
			}
		}
		comment := t.Comment
		if action == PageActOverride {
			comment = t.Override
		}
		if t.CheckOverride != "" {
			if err := Audit(ctx, tx, t.Actor.Entry(AuditCheckOverride, nil, []string{"body"},
				fmt.Sprintf("page %d revision %d: approved despite content check errors: %s",
					s.Page.ID, s.Working.Number, t.CheckOverride))); err != nil {
				return err
			}
			comment = strings.TrimSpace(comment + "\n" + CheckOverridePrefix + t.CheckOverride)
		}
		tt := t
		tt.Comment = comment
		rev, err := step(ctx, tx, s, tt, role, action, RevApproved, []string{RevSubmitted},
			func(q *bun.UpdateQuery) *bun.UpdateQuery {
				return q.Set("decided_by = ?, decided_at = ?, comment = ?, override_reason = ?",
					t.Actor.Account.ID, t.Now, t.Comment, t.Override)
			})
		if err != nil {
			return err
		}
		if !rev.PublishAt.After(t.Now) {
			return publish(ctx, tx, rev, t.Now)
		}
		return nil
	})
}

// publish makes an approved revision live, replacing the live one.
func publish(ctx context.Context, tx bun.Tx, rev *Revision, now time.Time) error {
	var replaced []Revision
	if err := tx.NewUpdate().Model(&replaced).Set("status = ?", RevReplaced).Set("updated_at = now()").
		Where("page_id = ? AND status = ?", rev.PageID, RevPublished).Returning("*").Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for i := range replaced {
		if err := pageHistory(ctx, tx, &replaced[i], PageActPublish, RevPublished, nil, "", fmt.Sprintf("replaced by revision %d", rev.Number)); err != nil {
			return err
		}
	}
	if _, err := tx.NewUpdate().Model(rev).Set("status = ?, published_at = ?", RevPublished, now).
		Set("version = version + 1, updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
		return err
	}
	var p ContentPage
	if err := tx.NewUpdate().Model(&p).Set("live_revision_id = ?", rev.ID).
		Set("published_at = coalesce(published_at, ?), updated_at = now()", now).
		Where("id = ?", rev.PageID).Returning("*").Scan(ctx); err != nil {
		return err
	}
	if p.Kind == PageFacility {
		if err := syncFacility(ctx, tx, &p, rev); err != nil {
			return err
		}
	}
	if err := pageHistory(ctx, tx, rev, PageActPublish, RevApproved, nil, "", ""); err != nil {
		return err
	}
	return PublishLive(ctx, tx, &LiveEvent{Stream: StreamPages, Name: "page_published", SubjectID: p.ID})
}

// StreamPages is the live stream that says a public page changed: caches of
// rendered public pages listen to it.
const StreamPages = "pages"

// syncFacility keeps the facilities row events point at in step with the
// facility page's live revision.
func syncFacility(ctx context.Context, tx bun.Tx, p *ContentPage, rev *Revision) error {
	f := &Facility{Name: rev.Title, Category: rev.Fields.Category, Town: rev.Fields.Town, Address: rev.Fields.Address,
		Phone: rev.Fields.Phone, URL: rev.Fields.URL, SortOrder: rev.Fields.SortOrder}
	if p.FacilityID != nil {
		f.ID = *p.FacilityID
		_, err := tx.NewUpdate().Model(f).WherePK().Exec(ctx)
		return err
	}
	if _, err := tx.NewInsert().Model(f).Returning("id").Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewUpdate().Model(p).Set("facility_id = ?", f.ID).WherePK().Exec(ctx)
	return err
}

// EndPage ends a live page now (公開終了), by an approver of its division.
func (d *DB) EndPage(ctx context.Context, t Transition) (err error) {
	defer wrap(&err, "end page")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, role, err := d.lockFor(ctx, tx, t, RoleApprover)
		if err != nil {
			return err
		}
		if s.Live == nil || s.Live.Status != RevPublished {
			return fmt.Errorf("page is not live: %w", ErrConflict)
		}
		return end(ctx, tx, s.Live, t.Now, t.Actor.Account, role, t.Comment)
	})
}

func end(ctx context.Context, tx bun.Tx, rev *Revision, now time.Time, actor *Account, role, comment string) error {
	if _, err := tx.NewUpdate().Model(rev).Set("status = ?, ended_at = ?", RevEnded, now).
		Set("version = version + 1, updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*ContentPage)(nil)).Set("live_revision_id = NULL, updated_at = now()").
		Where("id = ? AND live_revision_id = ?", rev.PageID, rev.ID).Exec(ctx); err != nil {
		return err
	}
	if err := pageHistory(ctx, tx, rev, PageActEnd, RevPublished, actor, role, comment); err != nil {
		return err
	}
	return PublishLive(ctx, tx, &LiveEvent{Stream: StreamPages, Name: "page_ended", SubjectID: rev.PageID})
}

// RunSchedule publishes the approved revisions whose time has come and ends
// the live ones whose end time has come, at most limit of each, and
// returns how many it did. Several instances may run it at once: each due
// revision is locked (SKIP LOCKED) and changed by exactly one.
func (d *DB) RunSchedule(ctx context.Context, now time.Time, limit int) (published, ended int, err error) {
	defer wrap(&err, "run schedule")
	// One revision per transaction: a failure leaves the others done.
	next := func(where string, arg string, do func(tx bun.Tx, r *Revision) error) (bool, error) {
		var did bool
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var due []Revision
			if err := tx.NewSelect().Model(&due).Where(where, arg, now).
				OrderExpr("id").Limit(1).For("UPDATE SKIP LOCKED").Scan(ctx); err != nil {
				return err
			}
			if len(due) == 0 {
				return nil
			}
			did = true
			return do(tx, &due[0])
		})
		return did, err
	}
	for published < limit {
		did, err := next("status = ? AND publish_at <= ?", RevApproved, func(tx bun.Tx, r *Revision) error {
			return publish(ctx, tx, r, now)
		})
		if err != nil || !did {
			if err != nil {
				return published, ended, err
			}
			break
		}
		published++
	}
	for ended < limit {
		did, err := next("status = ? AND end_at <= ?", RevPublished, func(tx bun.Tx, r *Revision) error {
			return end(ctx, tx, r, now, nil, "", "")
		})
		if err != nil || !did {
			if err != nil {
				return published, ended, err
			}
			break
		}
		ended++
	}
	return published, ended, nil
}

// RemindApprovers mails the approvers of every submission waiting since
// before olderThan that has not been reminded since then, once per period.
func (d *DB) RemindApprovers(ctx context.Context, now time.Time, after time.Duration,
	mailFor func(to *Account, s *PageState) *Mail) (n int, err error) {
	defer wrap(&err, "remind approvers")
	for {
		var did bool
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var due []Revision
			if err := tx.NewSelect().Model(&due).
				Where("status = ? AND submitted_at <= ? AND (reminded_at IS NULL OR reminded_at <= ?)", RevSubmitted, now.Add(-after), now.Add(-after)).
				OrderExpr("submitted_at, id").Limit(1).For("UPDATE SKIP LOCKED").Scan(ctx); err != nil {
				return err
			}
			if len(due) == 0 {
				return nil
			}
			did = true
			if _, err := tx.NewUpdate().Model(&due[0]).Set("reminded_at = ?", now).WherePK().Exec(ctx); err != nil {
				return err
			}
			s, err := pageState(ctx, tx, due[0].PageID, false)
			if err != nil {
				return err
			}
			return mailApprovers(ctx, tx, s, mailFor)
		})
		if err != nil || !did {
			return n, err
		}
		n++
	}
}

// PageHistory lists a page's transitions, oldest first, with who acted.
func (d *DB) PageHistory(ctx context.Context, pageID int64) (_ []PageHistory, err error) {
	defer wrap(&err, "page history")
	var out []PageHistory
	err = d.Bun.NewSelect().Model(&out).
		ColumnExpr("h.*, coalesce(a.display_name, '') AS actor_name, r.number").
		Join("LEFT JOIN accounts AS a ON a.id = h.actor_id").
		Join("JOIN page_revisions AS r ON r.id = h.revision_id").
		Where("h.page_id = ?", pageID).Order("h.id").Scan(ctx)
	return out, err
}

// Revisions lists a page's revisions, newest first.
func (d *DB) Revisions(ctx context.Context, pageID int64) (_ []Revision, err error) {
	defer wrap(&err, "revisions")
	var out []Revision
	err = d.Bun.NewSelect().Model(&out).Where("page_id = ?", pageID).Order("number DESC").Scan(ctx)
	return out, err
}

// Revision loads one revision of a page.
func (d *DB) Revision(ctx context.Context, pageID int64, number int) (_ *Revision, err error) {
	defer wrap(&err, "revision")
	r := new(Revision)
	err = d.Bun.NewSelect().Model(r).Where("page_id = ? AND number = ?", pageID, number).Scan(ctx)
	return r, notFound(err, "revision")
}

// ApprovalQueue lists the submitted revisions the approver may decide,
// oldest submission first.
func (d *DB) ApprovalQueue(ctx context.Context, acc *Account) (_ []PageState, err error) {
	defer wrap(&err, "approval queue")
	if acc == nil || !acc.HasRole(RoleApprover) {
		return nil, nil
	}
	var ids []int64
	q := d.Bun.NewSelect().Model((*Revision)(nil)).ColumnExpr("r.page_id").
		Join("JOIN pages AS p ON p.id = r.page_id").
		Where("r.status = ?", RevSubmitted).
		OrderExpr("r.submitted_at, r.id")
	if err := inApproverReach(q, acc.ID).Scan(ctx, &ids); err != nil {
		return nil, err
	}
	return pageStates(ctx, d.Bun, ids)
}
