package db

// Group profiles (issue 15). A group account keeps its own profile; every
// change is a revision (group_profiles) that waits in the moderation queue
// as an item of kind ItemGroupProfile, with the board's pre-check. The
// public reads groups, which only an approval writes: the live profile stays
// as it is while a change waits, and a group with no approved revision is
// not public at all.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// ItemGroupProfile is a change of a group's profile waiting for approval.
const ItemGroupProfile = "group_profile"

// Revision statuses of group_profiles.
const (
	ProfileReview   = "review"
	ProfileApproved = "approved"
	ProfileRejected = "rejected"
)

// ActionGroupProfile is the access-history action of submitting a profile.
const ActionGroupProfile = "group_profile_submit"

// The ward's lists a group chooses from: fields of activity (after the
// fields of the NPO Act, as the ward groups them), areas (the ward's ten
// branch-office areas and the whole ward) and activity days. They are
// catalogue keys: groups.field.<slug>, groups.area.<slug>, groups.day.<slug>.
var (
	GroupFields = []string{"welfare", "health", "children", "education", "culture", "sports", "environment",
		"safety", "community", "international", "human_rights", "other"}
	GroupAreas = []string{"yotsuya", "tansumachi", "enokicho", "wakamatsucho", "okubo", "totsuka",
		"ochiai1", "ochiai2", "kashiwagi", "tsunohazu", "all"}
	GroupDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun", "irregular"}
)

// ProfileContent is what a group says about itself.
type ProfileContent struct {
	Summary     string   `bun:"summary"`
	Description string   `bun:"description"`
	Activity    string   `bun:"activity"`
	Fields      []string `bun:"fields,array"`
	Areas       []string `bun:"areas,array"`
	Days        []string `bun:"days,array"`
	Places      string   `bun:"places"`
	HowToJoin   string   `bun:"how_to_join"`
	Fees        string   `bun:"fees"`
	Contact     string   `bun:"contact"`
	Links       []string `bun:"links,array"`
	ImageIDs    []int64  `bun:"image_ids,array"`
}

// filled returns c with nil lists made empty: the columns are NOT NULL.
func (c ProfileContent) filled() ProfileContent {
	for _, p := range []*[]string{&c.Fields, &c.Areas, &c.Days, &c.Links} {
		if *p == nil {
			*p = []string{}
		}
	}
	if c.ImageIDs == nil {
		c.ImageIDs = []int64{}
	}
	return c
}

// checkedText is what the pre-check reads of a profile.
func (c ProfileContent) checkedText(name string) string {
	return strings.Join(append([]string{name, c.Summary, c.Description, c.Activity, c.Places, c.HowToJoin, c.Fees, c.Contact}, c.Links...), "\n")
}

// Content returns the live profile of g.
func (g *Group) Content() ProfileContent {
	return ProfileContent{Summary: g.Summary, Description: g.Description, Activity: g.Activity, Fields: g.Fields,
		Areas: g.Areas, Days: g.Days, Places: g.Places, HowToJoin: g.HowToJoin, Fees: g.Fees, Contact: g.Contact,
		Links: g.Links, ImageIDs: g.ImageIDs}
}

// GroupProfile is one revision of a group's profile.
type GroupProfile struct {
	bun.BaseModel `bun:"table:group_profiles,alias:gp"`

	ID      int64 `bun:"id,pk,autoincrement"`
	GroupID int64 `bun:"group_id"`
	ProfileContent
	Status      string    `bun:"status,nullzero,default:'review'"`
	SubmittedBy int64     `bun:"submitted_by"`
	CreatedAt   time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt   time.Time `bun:"updated_at,nullzero,default:now()"`

	GroupName string       `bun:"group_name,scanonly"` // for the queue and the author's status line
	Images    []GroupImage `bun:"-"`                   // the images it shows, without bytes: loaded for the queue
}

// profileSearchGrams is what the directory finds a group by.
func profileSearchGrams(name string, c ProfileContent) []int32 {
	return SearchGrams(name, strings.Join([]string{c.Summary, c.Description, c.Activity, c.Places, c.HowToJoin}, "\n"))
}

// ErrProfileEscalated means the waiting change is with the ward: it stays
// as it is until the ward decides.
var ErrProfileEscalated = fmt.Errorf("the profile change is with the ward: %w", ErrConflict)

// SubmitGroupProfile sends a change of the actor's group's profile to the
// moderators. A change still waiting (open) is replaced by this one, its
// item's version moving on, so a moderator never approves text the group
// has since changed; after a decision a new revision and item start.
func (d *DB) SubmitGroupProfile(ctx context.Context, actor Actor, c ProfileContent) (_ *GroupProfile, err error) {
	defer wrap(&err, "submit group profile")
	c = c.filled()
	rev := &GroupProfile{ProfileContent: c, SubmittedBy: actor.Account.ID, Status: ProfileReview}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		g := new(Group)
		if err := tx.NewSelect().Model(g).Where("account_id = ?", actor.Account.ID).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "group")
		}
		rev.GroupID, rev.GroupName = g.ID, g.Name
		if err := ownImages(ctx, tx, g.ID, c.ImageIDs); err != nil {
			return err
		}
		words, err := moderationWords(ctx, tx)
		if err != nil {
			return err
		}
		flags := d.precheck(c.checkedText(g.Name), words)
		var pending GroupProfile
		err = tx.NewSelect().Model(&pending).Where("group_id = ? AND status = ?", g.ID, ProfileReview).For("UPDATE").Scan(ctx)
		action := ActSubmit
		var itemID int64
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.NewInsert().Model(rev).Returning("*").Exec(ctx); err != nil {
				return err
			}
			it := &ModerationItem{Kind: ItemGroupProfile, SubjectID: rev.ID, Origin: OriginSubmission, SubmittedBy: actor.Account.ID, Flags: flags}
			if _, err := tx.NewInsert().Model(it).Returning("id").Exec(ctx); err != nil {
				return err
			}
			itemID = it.ID
		case err != nil:
			return err
		default:
			err := tx.NewUpdate().Model((*ModerationItem)(nil)).
				Set("flags = ?", jsonFlags(flags)).Set("version = version + 1, updated_at = now()").
				Where("kind = ? AND subject_id = ? AND status = ?", ItemGroupProfile, pending.ID, ItemOpen).
				Returning("id").Scan(ctx, &itemID)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrProfileEscalated
			}
			if err != nil {
				return err
			}
			rev.ID = pending.ID
			if _, err := tx.NewUpdate().Model(rev).ExcludeColumn("id", "group_id", "status", "submitted_by", "created_at", "updated_at").
				Set("updated_at = now()").WherePK().Returning("*").Exec(ctx); err != nil {
				return err
			}
			action = ActEdit
		}
		if err := RecordAccess(ctx, tx, actor.access(ActionGroupProfile, fmt.Sprintf("group %d profile %d", g.ID, rev.ID))); err != nil {
			return err
		}
		return itemChanged(ctx, tx, itemID, action, actor.Account.ID, "", "", "")
	})
	if err != nil {
		return nil, err
	}
	return rev, nil
}

// decideGroupProfile applies an approval (the revision becomes the live
// profile and the group public) or a rejection (the live profile stays).
func decideGroupProfile(ctx context.Context, tx bun.Tx, it *ModerationItem, approve bool, s *ItemSubject) (int64, error) {
	rev := new(GroupProfile)
	if err := tx.NewSelect().Model(rev).ColumnExpr("gp.*, g.name AS group_name").
		Join("JOIN groups AS g ON g.id = gp.group_id").
		Where("gp.id = ?", it.SubjectID).For("UPDATE OF gp").Scan(ctx); err != nil {
		return 0, notFound(err, "group profile")
	}
	rev.Status = ProfileRejected
	if approve {
		rev.Status = ProfileApproved
	}
	if _, err := tx.NewUpdate().Model(rev).Column("status").Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
		return 0, err
	}
	s.GroupProfile = rev
	if !approve {
		return it.SubmittedBy, nil
	}
	_, err := tx.NewUpdate().Table("groups").
		Set("(summary, description, activity, fields, areas, days, places, how_to_join, fees, contact, links, image_ids) = "+
			"(SELECT summary, description, activity, fields, areas, days, places, how_to_join, fees, contact, links, image_ids FROM group_profiles WHERE id = ?)", rev.ID).
		Set("search_grams = ?", pgdialect.Array(profileSearchGrams(rev.GroupName, rev.ProfileContent))).
		Set("profile_id = ?, published = true, published_at = coalesce(published_at, now()), updated_at = now()", rev.ID).
		Where("id = ?", rev.GroupID).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return it.SubmittedBy, nil
}

// loadGroupProfiles loads the revisions of queue items with their groups'
// names.
func loadGroupProfiles(ctx context.Context, idb bun.IDB, subjects map[int64][]*ItemSubject) error {
	var rs []GroupProfile
	if err := idb.NewSelect().Model(&rs).ColumnExpr("gp.*, g.name AS group_name").
		Join("JOIN groups AS g ON g.id = gp.group_id").
		Where("gp.id IN (?)", bun.List(subjectIDs(subjects))).Scan(ctx); err != nil {
		return err
	}
	var ids []int64
	for i := range rs {
		ids = append(ids, rs[i].ImageIDs...)
	}
	if len(ids) > 0 {
		var imgs []GroupImage
		if err := idb.NewSelect().Model(&imgs).ExcludeColumn("data", "data_small").Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return err
		}
		for i := range rs {
			for _, id := range rs[i].ImageIDs {
				for _, img := range imgs {
					if img.ID == id && img.GroupID == rs[i].GroupID {
						rs[i].Images = append(rs[i].Images, img)
					}
				}
			}
		}
	}
	for i := range rs {
		for _, s := range subjects[rs[i].ID] {
			s.GroupProfile = &rs[i]
		}
	}
	return nil
}

func groupProfileLabel(p *GroupProfile) string {
	if p == nil {
		return ""
	}
	return p.GroupName
}

// ProfileState is a group's own view of its profile: what the public sees,
// the change waiting (if any), and the latest decision on a change.
type ProfileState struct {
	Group   *Group
	Pending *GroupProfile // waiting for a decision; nil when none
	Latest  *GroupProfile // the latest revision, whatever its status
	Item    *ModerationItem
	Images  []GroupImage // the group's uploaded images, without bytes
}

// GroupProfileState loads the group of acc with its latest revision and
// that revision's item.
func (d *DB) GroupProfileState(ctx context.Context, acc *Account) (_ *ProfileState, err error) {
	defer wrap(&err, "group profile state")
	g, err := d.GroupOf(ctx, acc)
	if err != nil {
		return nil, err
	}
	st := &ProfileState{Group: g}
	var rs []GroupProfile
	if err := d.Bun.NewSelect().Model(&rs).Where("group_id = ?", g.ID).OrderExpr("id DESC").Limit(1).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rs) == 1 {
		st.Latest = &rs[0]
		if rs[0].Status == ProfileReview {
			st.Pending = &rs[0]
		}
		var its []ModerationItem
		if err := d.itemQuery(&its).Where("i.kind = ? AND i.subject_id = ?", ItemGroupProfile, rs[0].ID).
			OrderExpr("i.id DESC").Limit(1).Scan(ctx); err != nil {
			return nil, err
		}
		if len(its) == 1 {
			st.Item = &its[0]
		}
	}
	if st.Images, err = d.GroupImages(ctx, g.ID); err != nil {
		return nil, err
	}
	return st, nil
}

// ContactOfMember reports whether an e-mail address or phone number in
// text is a registered member's: a group's public contact must be the
// group's own, never a member's personal address or phone.
func (d *DB) ContactOfMember(ctx context.Context, emails, phones []string) (_ bool, err error) {
	defer wrap(&err, "contact of member")
	if len(emails) == 0 && len(phones) == 0 {
		return false, nil
	}
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	digits := make([]string, 0, len(phones))
	for _, p := range phones {
		var b strings.Builder
		for _, r := range p {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		if b.Len() > 0 {
			digits = append(digits, b.String())
		}
	}
	q := d.Bun.NewSelect().Table("member_profiles")
	switch {
	case len(lower) > 0 && len(digits) > 0:
		q = q.Where("lower(email) IN (?) OR regexp_replace(phone, '[^0-9]', '', 'g') IN (?)", bun.List(lower), bun.List(digits))
	case len(lower) > 0:
		q = q.Where("lower(email) IN (?)", bun.List(lower))
	default:
		q = q.Where("regexp_replace(phone, '[^0-9]', '', 'g') IN (?)", bun.List(digits))
	}
	return q.Exists(ctx)
}

// GroupFilter narrows the group directory; the zero value lists every
// public group.
type GroupFilter struct {
	Query string // words, matched as the board's search (QueryGrams)
	Field string // one of GroupFields
	Area  string // one of GroupAreas
	Day   string // one of GroupDays
}

// GroupPageSize is how many groups one page of the directory lists.
const GroupPageSize = PageSize

// SearchGroups pages through the public groups matching f by name, after
// the group afterID (0: the first page). The query's words must all be in
// the group's name or profile; next is the last listed group's id when
// more follow, else 0. A query with nothing to search for lists nothing.
func (d *DB) SearchGroups(ctx context.Context, f GroupFilter, afterID int64) (_ []Group, next int64, err error) {
	defer wrap(&err, "search groups")
	var rows []Group
	q := d.Bun.NewSelect().Model(&rows).
		Column("id", "name", "summary", "fields", "areas", "days").
		Where("published").
		OrderExpr("name, id").Limit(GroupPageSize + 1)
	if strings.TrimSpace(f.Query) != "" {
		grams, ok := QueryGrams(f.Query)
		if !ok {
			return nil, 0, nil
		}
		q = q.Where("search_grams @> ?", pgdialect.Array(grams))
	}
	for _, c := range []struct{ col, v string }{{"fields", f.Field}, {"areas", f.Area}, {"days", f.Day}} {
		if c.v != "" {
			q = q.Where("? @> ?", bun.Ident(c.col), pgdialect.Array([]string{c.v}))
		}
	}
	if afterID != 0 {
		q = q.Where("(name, id) > (SELECT name, id FROM groups WHERE id = ?)", afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, 0, err
	}
	if len(rows) <= GroupPageSize {
		return rows, 0, nil
	}
	rows = rows[:GroupPageSize]
	return rows, rows[GroupPageSize-1].ID, nil
}

// GroupPage is a public group's page: the profile, its upcoming events,
// its board topics and its images.
type GroupPage struct {
	Group  *Group
	Events []Event
	Topics []BoardPost
	Images []GroupImage
}

// groupTopicsLimit is how many of its board topics a group's page lists.
const groupTopicsLimit = 10

// PublicGroup loads a public group's page; a group with no approved profile
// is not found.
func (d *DB) PublicGroup(ctx context.Context, now time.Time, id int64) (_ *GroupPage, err error) {
	defer wrap(&err, "public group")
	out := &GroupPage{Group: new(Group)}
	if err := d.Bun.NewSelect().Model(out.Group).Where("id = ? AND published", id).Scan(ctx); err != nil {
		return nil, notFound(err, "group")
	}
	if err := d.upcomingEvents(&out.Events, now).Where("e.group_id = ?", id).Limit(10).Scan(ctx); err != nil {
		return nil, err
	}
	if out.Group.AccountID != nil {
		if err := d.publishedTopics(&out.Topics, 0).Where("p.author_id = ?", *out.Group.AccountID).
			Limit(groupTopicsLimit).Scan(ctx); err != nil {
			return nil, err
		}
	}
	if len(out.Group.ImageIDs) > 0 {
		if err := d.Bun.NewSelect().Model(&out.Images).ExcludeColumn("data", "data_small").
			Where("id IN (?) AND group_id = ?", bun.List(out.Group.ImageIDs), id).Scan(ctx); err != nil {
			return nil, err
		}
		slices.SortFunc(out.Images, func(a, b GroupImage) int {
			return slices.Index(out.Group.ImageIDs, a.ID) - slices.Index(out.Group.ImageIDs, b.ID)
		})
	}
	return out, nil
}

// PublicGroupName returns the name of a public group, for the inquiry form.
func (d *DB) PublicGroupName(ctx context.Context, id int64) (_ *Group, err error) {
	defer wrap(&err, "public group name")
	g := new(Group)
	err = d.Bun.NewSelect().Model(g).Column("id", "name", "contact").Where("id = ? AND published", id).Scan(ctx)
	return g, notFound(err, "group")
}

// GroupSearchGrams is what the directory finds a group by, for the seeder.
func GroupSearchGrams(name string, c ProfileContent) []int32 { return profileSearchGrams(name, c) }

// backfillGroupGrams computes the search grams of public groups that have
// none (published before the directory searched), in one transaction.
func (d *DB) backfillGroupGrams(ctx context.Context) (err error) {
	defer wrap(&err, "backfill group grams")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var gs []Group
		if err := tx.NewSelect().Model(&gs).Column("id", "name", "summary", "description", "activity", "places", "how_to_join").
			Where("published AND search_grams = '{}'").For("UPDATE").Scan(ctx); err != nil {
			return err
		}
		for i := range gs {
			if _, err := tx.NewUpdate().Table("groups").Set("search_grams = ?", pgdialect.Array(profileSearchGrams(gs[i].Name, gs[i].Content()))).
				Where("id = ?", gs[i].ID).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
