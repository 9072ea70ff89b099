package db

import (
	"time"

	"github.com/uptrace/bun"
)

// Account is anyone who signs in: a member, a group or a staff member.
// DisplayName is the only field public pages may show.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`

	ID                 int64    `bun:"id,pk,autoincrement"`
	Kind               string   `bun:"kind"`
	LoginID            string   `bun:"login_id"`
	PasswordHash       string   `bun:"password_hash"`
	MustChangePassword bool     `bun:"must_change_password"`
	Status             string   `bun:"status"`
	DisplayName        string   `bun:"display_name"`
	Roles              []string `bun:"roles,array,nullzero,default:'{}'"`
	WorkEmail          string   `bun:"work_email"` // staff only: where back-office notices go
	// Lang is the language the account reads the site in (i18n.Languages);
	// mail to it is written in it. "" when not selected: Japanese.
	Lang              string     `bun:"lang,nullzero,default:'ja'"`
	LastLoginAt       *time.Time `bun:"last_login_at"`
	PasswordChangedAt *time.Time `bun:"password_changed_at"`
	WithdrawnAt       *time.Time `bun:"withdrawn_at"`
	StatusReason      string     `bun:"status_reason"`     // why ward staff suspended (or reinstated) the account
	StatusChangedAt   *time.Time `bun:"status_changed_at"` // when they did
	CreatedAt         time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt         time.Time  `bun:"updated_at,nullzero,default:now()"`

	// SessionGeneration goes up with every new password; a session signed in
	// under another generation is over (see app/auth.go loadUser).
	SessionGeneration int64 `bun:"session_generation"`
}

// HasRole reports whether a staff account holds role.
func (a *Account) HasRole(role string) bool {
	for _, r := range a.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Account statuses.
const (
	StatusPending   = "pending"
	StatusActive    = "active"
	StatusRejected  = "rejected"
	StatusWithdrawn = "withdrawn"
	StatusSuspended = "suspended"
)

// Account kinds.
const (
	KindMember = "member"
	KindGroup  = "group"
	KindStaff  = "staff"
)

// Staff roles (PRODUCT.md, "Who uses it").
const (
	RoleModerator   = "moderator"
	RoleWardStaff   = "ward_staff"
	RoleEditor      = "editor"
	RoleApprover    = "approver"
	RoleSiteManager = "site_manager"
	RoleSystemAdmin = "system_admin"
)

// StaffRoles lists every staff role in display order.
var StaffRoles = []string{RoleModerator, RoleWardStaff, RoleEditor, RoleApprover, RoleSiteManager, RoleSystemAdmin}

// MemberProfile is a member's personal data. Only roles that need it read it,
// and every staff read is audited.
type MemberProfile struct {
	bun.BaseModel `bun:"table:member_profiles"`

	AccountID    int64     `bun:"account_id,pk"`
	Name         string    `bun:"name"`
	NameKana     string    `bun:"name_kana"`
	PostalCode   string    `bun:"postal_code"`
	Town         string    `bun:"town"`
	Address      string    `bun:"address"`
	Phone        string    `bun:"phone"`
	Fax          string    `bun:"fax"`
	Email        string    `bun:"email"`
	TermsVersion string    `bun:"terms_version"`
	CreatedAt    time.Time `bun:"created_at,nullzero,default:now()"`
}

// Group is a community group's public profile.
type Group struct {
	bun.BaseModel `bun:"table:groups"`

	ID          int64     `bun:"id,pk,autoincrement"`
	AccountID   *int64    `bun:"account_id"`
	Name        string    `bun:"name"`
	Category    string    `bun:"category"`
	Town        string    `bun:"town"`
	Summary     string    `bun:"summary"`
	Description string    `bun:"description"`
	Activity    string    `bun:"activity"`
	Published   bool      `bun:"published"`
	CreatedAt   time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt   time.Time `bun:"updated_at,nullzero,default:now()"`

	// The live profile (see GroupProfile): written only by approving a
	// revision, so zero values insert the columns' defaults.
	Fields      []string   `bun:"fields,array,nullzero"`
	Areas       []string   `bun:"areas,array,nullzero"`
	Days        []string   `bun:"days,array,nullzero"`
	Places      string     `bun:"places,nullzero"`
	HowToJoin   string     `bun:"how_to_join,nullzero"`
	Fees        string     `bun:"fees,nullzero"`
	Contact     string     `bun:"contact,nullzero"`
	Links       []string   `bun:"links,array,nullzero"`
	ImageIDs    []int64    `bun:"image_ids,array,nullzero"`
	SearchGrams []int32    `bun:"search_grams,array,nullzero"`
	ProfileID   *int64     `bun:"profile_id"`
	PublishedAt *time.Time `bun:"published_at"`
}

// Facility is a public facility in the link collection.
type Facility struct {
	bun.BaseModel `bun:"table:facilities"`

	ID        int64  `bun:"id,pk,autoincrement"`
	Name      string `bun:"name"`
	Category  string `bun:"category"`
	Town      string `bun:"town"`
	Address   string `bun:"address"`
	Phone     string `bun:"phone"`
	URL       string `bun:"url"`
	SortOrder int    `bun:"sort_order"`

	// The facility's page, read by ListFacilities from its live revision.
	PageID int64    `bun:"page_id,scanonly"`
	Body   string   `bun:"body,scanonly"`
	Tags   []string `bun:"tags,array,scanonly"`
}

// Event is a local event, organised by a group, the ward or the operator.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	ID            int64      `bun:"id,pk,autoincrement"`
	OrganiserKind string     `bun:"organiser_kind"`
	GroupID       *int64     `bun:"group_id"`
	Title         string     `bun:"title"`
	Description   string     `bun:"description"`
	Category      string     `bun:"category"`
	Town          string     `bun:"town"`
	Venue         string     `bun:"venue"`
	FacilityID    *int64     `bun:"facility_id"`
	StartsAt      time.Time  `bun:"starts_at"`
	EndsAt        time.Time  `bun:"ends_at"`
	Capacity      *int       `bun:"capacity"`
	WaitlistSize  int        `bun:"waitlist_size"`
	ApplyFrom     *time.Time `bun:"apply_from"`
	ApplyUntil    *time.Time `bun:"apply_until"`
	Fee           string     `bun:"fee"`
	Contact       string     `bun:"contact"`
	Status        string     `bun:"status"`
	// Version moves on whenever the details move (a trigger bumps it): a
	// group's pending change records the version it was based on.
	Version    int64     `bun:"version,nullzero,default:1"`
	Confirmed  int       `bun:"confirmed"`
	Waitlisted int       `bun:"waitlisted"`
	CreatedBy  *int64    `bun:"created_by"`
	CreatedAt  time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt  time.Time `bun:"updated_at,nullzero,default:now()"`
	// SearchGrams is what the site search finds the event by; the
	// BeforeAppendModel hook (sitesearch.go) fills it on every write.
	SearchGrams []int32 `bun:"search_grams,array"`

	// GroupName is filled by queries that join the organising group.
	GroupName string `bun:"group_name,scanonly"`
	// GroupPublished says the organising group has a public page to link.
	GroupPublished bool `bun:"group_published,scanonly"`
	// FacilityName and FacilityURL are filled by PublicEvent when the venue is a public facility.
	FacilityName string `bun:"facility_name,scanonly"`
	FacilityURL  string `bun:"facility_url,scanonly"`
}

// Who organises an event (events.organiser_kind).
const (
	OrganiserGroup    = "group"    // a community group, through the moderation queue
	OrganiserWard     = "ward"     // ward staff
	OrganiserOperator = "operator" // the NPO council running the site
)

// SeatsLeft is nil for an event without a capacity limit.
func (e *Event) SeatsLeft() *int {
	if e.Capacity == nil {
		return nil
	}
	n := *e.Capacity - e.Confirmed
	if n < 0 {
		n = 0
	}
	return &n
}

// BoardCategory is a staff-managed board category.
type BoardCategory struct {
	bun.BaseModel `bun:"table:board_categories"`

	ID        int64  `bun:"id,pk,autoincrement"`
	Slug      string `bun:"slug"`
	NameJa    string `bun:"name_ja"`
	NameEn    string `bun:"name_en"`
	SortOrder int    `bun:"sort_order"`
}

// Name returns the category's name in lang.
func (c *BoardCategory) Name(lang string) string {
	if lang == "en" && c.NameEn != "" {
		return c.NameEn
	}
	return c.NameJa
}

// BoardPost is a topic (TopicID nil) or a reply.
type BoardPost struct {
	bun.BaseModel `bun:"table:board_posts"`

	ID          int64      `bun:"id,pk,autoincrement"`
	CategoryID  int64      `bun:"category_id"`
	TopicID     *int64     `bun:"topic_id"`
	AuthorID    int64      `bun:"author_id"`
	Title       string     `bun:"title"`
	Body        string     `bun:"body"`
	Status      string     `bun:"status"`
	ReplyCount  int        `bun:"reply_count"`
	Version     int        `bun:"version,nullzero,default:1"`
	SearchGrams []int32    `bun:"search_grams,array"`
	CreatedAt   time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt   time.Time  `bun:"updated_at,nullzero,default:now()"`
	PublishedAt *time.Time `bun:"published_at"`

	// Filled by public queries: the author's handle or group name, never more.
	AuthorName     string `bun:"author_name,scanonly"`
	AuthorKind     string `bun:"author_kind,scanonly"`
	AuthorStatus   string `bun:"author_status,scanonly"`
	CategoryNameJa string `bun:"category_name_ja,scanonly"`
	CategoryNameEn string `bun:"category_name_en,scanonly"`
	TopicTitle     string `bun:"topic_title,scanonly"`   // a reply's topic, where a list needs it
	TopicExcerpt   string `bun:"topic_excerpt,scanonly"` // the opening lines of a reply's topic, for the moderation queue
}

// Board post statuses.
const (
	PostPending   = "pending"
	PostPublished = "published"
	PostRejected  = "rejected"
	PostWithdrawn = "withdrawn"
)

// IsReply reports whether the post answers a topic.
func (p *BoardPost) IsReply() bool { return p.TopicID != nil }
