package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Sub-sites (Nakano rules 第5–6条) and the organisation behind them: a
// department applies for a sub-site, the official site's managers (政策室長's
// part) approve or refuse it, a site's own managers (個別運用責任者) run it.
// Who may do what is decided here, in the transaction that does it.

// NavLink is one entry of a site's navigation: a local address or one of
// the site's pages.
type NavLink struct {
	Label  string `json:"label"`
	Path   string `json:"path,omitempty"`    // a local address, starting with one /
	PageID int64  `json:"page_id,omitempty"` // or a page of the site
}

// NavMax is the most links a site's navigation holds: a short list, read
// on a phone.
const NavMax = 8

// ErrLastManager refuses taking the last site manager off the official
// site: nobody could approve sub-sites or manage the official site again.
var ErrLastManager = errors.New("the official site needs a site manager")

// ErrOwnPlacement refuses staff changing their own divisions: like roles,
// divisions say which pages an account reaches, so a second person decides.
var ErrOwnPlacement = errors.New("staff may not change their own divisions")

// activeStaff reports whether acc is an active staff account holding role.
func activeStaff(acc *Account, role string) bool {
	return acc != nil && acc.Kind == KindStaff && acc.Status == StatusActive && acc.HasRole(role)
}

// SiteRights is what an account may do with sites.
type SiteRights struct {
	// OfficialManager: a site manager on the official site's staff, who
	// decides applications and may manage every site.
	OfficialManager bool
	manages         map[int64]bool
}

// MayManage reports whether the account may change site id's settings and staff.
func (r SiteRights) MayManage(id int64) bool { return r.OfficialManager || r.manages[id] }

// ManagesAny reports whether the account manages at least one site.
func (r SiteRights) ManagesAny() bool { return r.OfficialManager || len(r.manages) > 0 }

func siteRights(ctx context.Context, idb bun.IDB, acc *Account) (SiteRights, error) {
	r := SiteRights{manages: map[int64]bool{}}
	if !activeStaff(acc, RoleSiteManager) {
		return r, nil
	}
	var rows []struct {
		ID       int64 `bun:"id"`
		Official bool  `bun:"official"`
	}
	if err := idb.NewSelect().Table("sites").Column("id", "official").
		Where("id IN (SELECT site_id FROM site_staff WHERE account_id = ?)", acc.ID).Scan(ctx, &rows); err != nil {
		return r, err
	}
	for _, s := range rows {
		r.manages[s.ID] = true
		r.OfficialManager = r.OfficialManager || s.Official
	}
	return r, nil
}

// SiteRights loads what acc may do with sites.
func (d *DB) SiteRights(ctx context.Context, acc *Account) (_ SiteRights, err error) {
	defer wrap(&err, "site rights")
	return siteRights(ctx, d.Bun, acc)
}

// lockManagedSite locks site id for a change by actor, who must manage it.
func lockManagedSite(ctx context.Context, tx bun.Tx, actor Actor, id int64) (*Site, error) {
	s := new(Site)
	if err := tx.NewSelect().Model(s).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "site")
	}
	r, err := siteRights(ctx, tx, actor.Account)
	if err != nil {
		return nil, err
	}
	if !r.MayManage(id) {
		return nil, fmt.Errorf("site %s: %w", s.Slug, ErrForbidden)
	}
	return s, nil
}

// SiteOverview is a site with the names the back office shows with it.
type SiteOverview struct {
	Site `bun:",extend"`

	DivisionName  string `bun:"division_name,scanonly"`
	AppliedByName string `bun:"applied_by_name,scanonly"`
	DecidedByName string `bun:"decided_by_name,scanonly"`
	StaffCount    int    `bun:"staff_count,scanonly"`
}

func siteOverviews(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ModelTableExpr("sites AS s").ColumnExpr("s.*, dv.name AS division_name").
		ColumnExpr("coalesce(ap.display_name, '') AS applied_by_name, coalesce(de.display_name, '') AS decided_by_name").
		ColumnExpr("(SELECT count(*) FROM site_staff AS ss WHERE ss.site_id = s.id) AS staff_count").
		Join("JOIN divisions AS dv ON dv.id = s.division_id").
		Join("LEFT JOIN accounts AS ap ON ap.id = s.applied_by").
		Join("LEFT JOIN accounts AS de ON de.id = s.decided_by")
}

// SiteOverviews lists every site, whatever its status: the official one
// first, then applications waiting, then the rest by address.
func (d *DB) SiteOverviews(ctx context.Context) (_ []SiteOverview, err error) {
	defer wrap(&err, "site overviews")
	var out []SiteOverview
	err = siteOverviews(d.Bun.NewSelect().Model(&out)).
		OrderExpr("s.official DESC, s.status = ? DESC, s.status = ? DESC, s.slug", SiteApplied, SiteActive).Scan(ctx)
	return out, err
}

// SiteStaffMember is an account working on a site.
type SiteStaffMember struct {
	Account `bun:",extend"`

	Divisions []string `bun:"division_names,array,scanonly"`
}

// SiteDetail loads one site, whatever its status, with its staff.
func (d *DB) SiteDetail(ctx context.Context, id int64) (_ *SiteOverview, _ []SiteStaffMember, err error) {
	defer wrap(&err, "site detail")
	s := new(SiteOverview)
	if err := siteOverviews(d.Bun.NewSelect().Model(s)).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "site")
	}
	var staff []SiteStaffMember
	err = d.Bun.NewSelect().Model(&staff).ModelTableExpr("accounts AS account").
		ColumnExpr("account.*").
		ColumnExpr(`ARRAY(SELECT dv.name FROM staff_divisions AS sd JOIN divisions AS dv ON dv.id = sd.division_id
			WHERE sd.account_id = account.id ORDER BY dv.code) AS division_names`).
		Where("account.id IN (SELECT account_id FROM site_staff WHERE site_id = ?)", id).
		OrderExpr("account.login_id").Scan(ctx)
	return s, staff, err
}

// SiteApplication is a department's application for a sub-site (第5条).
type SiteApplication struct {
	Slug       string
	Name       string
	Purpose    string // why the department needs it (第5条2項)
	Host       *string
	DivisionID int64 // the applying division, one of the applicant's
}

// siteConflict names the form field a unique violation on sites is about.
func siteConflict(err error) error {
	switch {
	case IsUniqueViolation(err, "sites_slug_key"):
		return &FieldConflict{Field: "slug"}
	case IsUniqueViolation(err, "sites_host_key"):
		return &FieldConflict{Field: "host"}
	}
	return err
}

// ApplySite records an application for a sub-site by an editor or site
// manager of the applying division; it waits for the official site's
// managers (status applied).
func (d *DB) ApplySite(ctx context.Context, actor Actor, app SiteApplication) (_ *Site, err error) {
	defer wrap(&err, "apply site")
	acc := actor.Account
	if !activeStaff(acc, RoleEditor) && !activeStaff(acc, RoleSiteManager) {
		return nil, ErrForbidden
	}
	s := &Site{Slug: app.Slug, Name: app.Name, Purpose: app.Purpose, Host: app.Host, DivisionID: app.DivisionID,
		Status: SiteApplied, AppliedBy: &acc.ID, LeadDays: 2}
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := tx.NewSelect().Table("staff_divisions").Where("account_id = ? AND division_id = ?", acc.ID, app.DivisionID).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("division %d: %w", app.DivisionID, ErrForbidden)
		}
		if _, err := tx.NewInsert().Model(s).Returning("*").Exec(ctx); err != nil {
			return siteConflict(err)
		}
		return Audit(ctx, tx, actor.Entry(AuditSiteChange, nil, []string{"site"},
			fmt.Sprintf("site %s applied for: %s", s.Slug, s.Purpose)))
	})
	return s, err
}

// SiteDecision is the official site's manager deciding an application.
type SiteDecision struct {
	SiteID  int64
	Approve bool
	Comment string // refusing: why (required); approving: an optional note
	Actor   Actor
	Now     time.Time
	// Mail composes the notice to the applicant (第5条2項: the applying
	// department is told), sent to their work address when they have one.
	Mail func(applicant *Account, s *Site) *Mail
}

// DecideSite approves (active) or refuses an application, or reopens a
// closed site, by a site manager of the official site, on record, and
// tells the applicant by mail. On approval the applicant joins the site's
// staff, so the department can start at once.
func (d *DB) DecideSite(ctx context.Context, dec SiteDecision) (err error) {
	defer wrap(&err, "decide site")
	if !dec.Approve && dec.Comment == "" {
		return fmt.Errorf("a refusal needs a reason: %w", ErrConflict)
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s := new(Site)
		if err := tx.NewSelect().Model(s).Where("id = ?", dec.SiteID).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "site")
		}
		r, err := siteRights(ctx, tx, dec.Actor.Account)
		if err != nil {
			return err
		}
		if !r.OfficialManager {
			return ErrForbidden
		}
		to := SiteRefused
		if dec.Approve {
			to = SiteActive
		}
		if s.Status != SiteApplied && !(dec.Approve && s.Status == SiteClosed) {
			return fmt.Errorf("site %s is %s: %w", s.Slug, s.Status, ErrConflict)
		}
		if _, err := tx.NewUpdate().Model(s).Set("status = ?, decided_by = ?, decided_at = ?, decision = ?",
			to, dec.Actor.Account.ID, dec.Now, dec.Comment).WherePK().Returning("*").Exec(ctx); err != nil {
			return err
		}
		detail := fmt.Sprintf("site %s %s", s.Slug, to)
		if dec.Comment != "" {
			detail += ": " + dec.Comment
		}
		if err := Audit(ctx, tx, dec.Actor.Entry(AuditSiteChange, nil, []string{"status"}, detail)); err != nil {
			return err
		}
		if s.AppliedBy == nil {
			return nil
		}
		if dec.Approve {
			if err := addSiteStaff(ctx, tx, dec.Actor, s.ID, *s.AppliedBy); err != nil {
				return err
			}
		}
		var applicant Account
		if err := tx.NewSelect().Model(&applicant).Where("id = ?", *s.AppliedBy).Scan(ctx); err != nil {
			return err
		}
		if dec.Mail == nil || applicant.WorkEmail == "" || applicant.Status != StatusActive {
			return nil
		}
		m := dec.Mail(&applicant, s)
		m.To, m.AccountID = applicant.WorkEmail, &applicant.ID
		return EnqueueMail(ctx, tx, m)
	})
}

// SiteSettings are what a site's managers change.
type SiteSettings struct {
	Name     string
	Host     *string
	LeadDays int // the two-day rule's lead time for this site (第9条)
	Nav      []NavLink
}

// UpdateSiteSettings changes a site's settings, by its managers (or the
// official site's), on record with what changed.
func (d *DB) UpdateSiteSettings(ctx context.Context, actor Actor, siteID int64, set SiteSettings) (err error) {
	defer wrap(&err, "update site settings")
	if set.Nav == nil {
		set.Nav = []NavLink{}
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, err := lockManagedSite(ctx, tx, actor, siteID)
		if err != nil {
			return err
		}
		if s.Status == SiteRefused || s.Status == SiteClosed {
			return fmt.Errorf("site %s is %s: %w", s.Slug, s.Status, ErrConflict)
		}
		var changes []string
		if s.Name != set.Name {
			changes = append(changes, fmt.Sprintf("name %q → %q", s.Name, set.Name))
		}
		if deref(s.Host) != deref(set.Host) {
			changes = append(changes, fmt.Sprintf("host %q → %q", deref(s.Host), deref(set.Host)))
		}
		if s.LeadDays != set.LeadDays {
			changes = append(changes, fmt.Sprintf("lead days %d → %d", s.LeadDays, set.LeadDays))
		}
		if !slices.Equal(s.Nav, set.Nav) {
			changes = append(changes, fmt.Sprintf("navigation %d → %d links", len(s.Nav), len(set.Nav)))
		}
		if len(changes) == 0 {
			return nil
		}
		s.Name, s.Host, s.LeadDays, s.Nav = set.Name, set.Host, set.LeadDays, set.Nav
		if _, err := tx.NewUpdate().Model(s).Column("name", "host", "lead_days", "nav").WherePK().Exec(ctx); err != nil {
			return siteConflict(err)
		}
		return Audit(ctx, tx, actor.Entry(AuditSiteChange, nil, []string{"settings"},
			fmt.Sprintf("site %s: %s", s.Slug, strings.Join(changes, "; "))))
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CloseSite closes an active sub-site (its pages stop being served), by
// its managers, with an optional reason, on record. The official site
// stays open. The official site's managers may open it again (DecideSite).
func (d *DB) CloseSite(ctx context.Context, actor Actor, siteID int64, reason string) (err error) {
	defer wrap(&err, "close site")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, err := lockManagedSite(ctx, tx, actor, siteID)
		if err != nil {
			return err
		}
		if s.Official || s.Status != SiteActive {
			return fmt.Errorf("site %s (%s) cannot be closed: %w", s.Slug, s.Status, ErrConflict)
		}
		if _, err := tx.NewUpdate().Model(s).Set("status = ?", SiteClosed).WherePK().Exec(ctx); err != nil {
			return err
		}
		detail := fmt.Sprintf("site %s closed", s.Slug)
		if reason != "" {
			detail += ": " + reason
		}
		return Audit(ctx, tx, actor.Entry(AuditSiteChange, nil, []string{"status"}, detail))
	})
}

// AddStaffToSite lets an active staff account work on a site, by the
// site's managers, on record. Its roles and divisions still say what it may
// do there.
func (d *DB) AddStaffToSite(ctx context.Context, actor Actor, siteID, accountID int64) (err error) {
	defer wrap(&err, "add staff to site")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := lockManagedSite(ctx, tx, actor, siteID); err != nil {
			return err
		}
		ok, err := tx.NewSelect().Model((*Account)(nil)).Where("id = ? AND kind = ? AND status = ?", accountID, KindStaff, StatusActive).Exists(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("staff account %d: %w", accountID, ErrNotFound)
		}
		return addSiteStaff(ctx, tx, actor, siteID, accountID)
	})
}

// RemoveStaffFromSite takes an account off a site, by the site's managers,
// on record; the official site keeps at least one active site manager.
func (d *DB) RemoveStaffFromSite(ctx context.Context, actor Actor, siteID, accountID int64) (err error) {
	defer wrap(&err, "remove staff from site")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, err := lockManagedSite(ctx, tx, actor, siteID)
		if err != nil {
			return err
		}
		if s.Official {
			var left int
			if err := tx.NewSelect().Model((*Account)(nil)).ColumnExpr("count(*)").
				Where("kind = ? AND status = ? AND ? = ANY(roles)", KindStaff, StatusActive, RoleSiteManager).
				Where("id IN (SELECT account_id FROM site_staff WHERE site_id = ?) AND id <> ?", s.ID, accountID).
				Scan(ctx, &left); err != nil {
				return err
			}
			if left == 0 {
				return ErrLastManager
			}
		}
		return removeSiteStaff(ctx, tx, actor, siteID, accountID)
	})
}

// SiteHosts maps the host names of active sub-sites to their addresses
// (slugs), for serving a sub-site on its own host name.
func (d *DB) SiteHosts(ctx context.Context) (_ map[string]string, err error) {
	defer wrap(&err, "site hosts")
	var rows []Site
	if err := d.Bun.NewSelect().Model(&rows).Column("slug", "host").
		Where("host IS NOT NULL AND status = ? AND NOT official", SiteActive).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, s := range rows {
		out[*s.Host] = s.Slug
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// A sub-site's public pages

// SitePageItem is a published page in a site's list.
type SitePageItem struct {
	ID          int64     `bun:"id"`
	Kind        string    `bun:"kind"`
	Title       string    `bun:"title"`
	PublishedAt time.Time `bun:"published_at"`
}

// SitePages pages through a site's published pages of every kind, newest
// first, each with its live revision's title.
func (d *DB) SitePages(ctx context.Context, siteID int64, after Cursor) (_ Page[SitePageItem], err error) {
	defer wrap(&err, "site pages")
	var rows []SitePageItem
	q := d.Bun.NewSelect().TableExpr("pages AS p").
		ColumnExpr("p.id, p.kind, r.title, p.published_at").
		Join("JOIN page_revisions AS r ON r.id = p.live_revision_id AND r.status = ?", RevPublished).
		Where("p.site_id = ? AND p.live_revision_id IS NOT NULL", siteID).
		OrderExpr("p.published_at DESC, p.id DESC").Limit(PageSize + 1)
	if !after.IsZero() {
		q = q.Where("(p.published_at, p.id) < (?, ?)", after.At, after.ID)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return Page[SitePageItem]{}, err
	}
	return paginate(rows, PageSize, func(p *SitePageItem) Cursor { return Cursor{p.PublishedAt, p.ID} }), nil
}

// PublishedPage is a page as the public sees it: its live revision and
// the division that answers for it.
type PublishedPage struct {
	Page     ContentPage
	Live     Revision
	Division Division
}

// SitePublishedPage loads a published page of site siteID; a page of
// another site, or one not live, is not found.
func (d *DB) SitePublishedPage(ctx context.Context, siteID, pageID int64) (_ *PublishedPage, err error) {
	defer wrap(&err, "site published page")
	p := new(PublishedPage)
	if err := d.Bun.NewSelect().Model(&p.Page).
		Where("id = ? AND site_id = ? AND live_revision_id IS NOT NULL", pageID, siteID).Scan(ctx); err != nil {
		return nil, notFound(err, "page")
	}
	if err := d.Bun.NewSelect().Model(&p.Live).
		Where("id = ? AND status = ?", *p.Page.LiveRevisionID, RevPublished).Scan(ctx); err != nil {
		return nil, notFound(err, "live revision")
	}
	if err := d.Bun.NewSelect().Model(&p.Division).Where("id = ?", p.Page.DivisionID).Scan(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// ---------------------------------------------------------------------------
// Staff and their divisions

// StaffPlacement is a staff account with the divisions and sites it works in.
type StaffPlacement struct {
	Account `bun:",extend"`

	DivisionIDs []int64 `bun:"division_ids,array,scanonly"`
	SiteIDs     []int64 `bun:"site_ids,array,scanonly"`
}

func staffPlacements(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ModelTableExpr("accounts AS account").ColumnExpr("account.*").
		ColumnExpr("ARRAY(SELECT division_id FROM staff_divisions AS sd WHERE sd.account_id = account.id ORDER BY division_id) AS division_ids").
		ColumnExpr("ARRAY(SELECT site_id FROM site_staff AS ss WHERE ss.account_id = account.id ORDER BY site_id) AS site_ids").
		Where("account.kind = ?", KindStaff)
}

// StaffPlacements lists every staff account with its divisions and sites,
// by login ID.
func (d *DB) StaffPlacements(ctx context.Context) (_ []StaffPlacement, err error) {
	defer wrap(&err, "staff placements")
	var out []StaffPlacement
	err = staffPlacements(d.Bun.NewSelect().Model(&out)).OrderExpr("account.login_id").Scan(ctx)
	return out, err
}

// StaffPlacementOf loads one staff account with its divisions and sites.
func (d *DB) StaffPlacementOf(ctx context.Context, accountID int64) (_ *StaffPlacement, err error) {
	defer wrap(&err, "staff placement")
	p := new(StaffPlacement)
	err = staffPlacements(d.Bun.NewSelect().Model(p)).Where("account.id = ?", accountID).Scan(ctx)
	return p, notFound(err, "staff account")
}

// Placement is the divisions a staff account belongs to and its work
// address for back-office notices (approvals waiting).
type Placement struct {
	AccountID   int64
	DivisionIDs []int64
	WorkEmail   string
}

// SetStaffPlacement sets a staff account's divisions and work address in
// one transaction, by ward staff (never their own), with an audit entry
// naming each change before → after. Unchanged, it writes nothing.
func (d *DB) SetStaffPlacement(ctx context.Context, actor Actor, p Placement) (err error) {
	defer wrap(&err, "set staff placement")
	if p.AccountID == actor.Account.ID {
		return ErrOwnPlacement
	}
	slices.Sort(p.DivisionIDs)
	p.DivisionIDs = slices.Compact(p.DivisionIDs)
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var target Account
		if err := tx.NewSelect().Model(&target).Where("id = ? AND kind = ?", p.AccountID, KindStaff).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "staff account")
		}
		var before []Division
		if err := tx.NewSelect().Model(&before).
			Where("id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", p.AccountID).Order("code").Scan(ctx); err != nil {
			return err
		}
		var after []Division
		if len(p.DivisionIDs) > 0 {
			if err := tx.NewSelect().Model(&after).Where("id IN (?)", bun.List(p.DivisionIDs)).Order("code").Scan(ctx); err != nil {
				return err
			}
		}
		if len(after) != len(p.DivisionIDs) {
			return fmt.Errorf("divisions %v: %w", p.DivisionIDs, ErrNotFound)
		}
		var changes []string
		var fields []string
		if b, a := divisionCodes(before), divisionCodes(after); b != a {
			if _, err := tx.NewDelete().Table("staff_divisions").Where("account_id = ?", p.AccountID).Exec(ctx); err != nil {
				return err
			}
			for _, id := range p.DivisionIDs {
				if _, err := tx.NewRaw("INSERT INTO staff_divisions (account_id, division_id) VALUES (?, ?)", p.AccountID, id).Exec(ctx); err != nil {
					return err
				}
			}
			changes, fields = append(changes, "divisions: "+b+" → "+a), append(fields, "divisions")
		}
		if target.WorkEmail != p.WorkEmail {
			if _, err := tx.NewUpdate().Model(&target).Set("work_email = ?, updated_at = now()", p.WorkEmail).WherePK().Exec(ctx); err != nil {
				return err
			}
			changes = append(changes, fmt.Sprintf("work e-mail: %q → %q", target.WorkEmail, p.WorkEmail))
			fields = append(fields, "work_email")
		}
		if len(changes) == 0 {
			return nil
		}
		return Audit(ctx, tx, actor.Entry(AuditDivisionChange, &p.AccountID, fields, strings.Join(changes, "; ")))
	})
}

func divisionCodes(ds []Division) string {
	if len(ds) == 0 {
		return "(none)"
	}
	codes := make([]string, len(ds))
	for i := range ds {
		codes[i] = ds[i].Code
	}
	return strings.Join(codes, ",")
}

// PlaceNewStaff puts a staff account just created on the command line into
// divisions and sites named by code and slug, before anyone can sign in
// with it: how the first site manager of the official site comes to be.
// It is not an audit entry (there is no acting account), like the
// account's creation itself.
func (d *DB) PlaceNewStaff(ctx context.Context, accountID int64, divisionCodes, siteSlugs []string) (err error) {
	defer wrap(&err, "place new staff")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, c := range divisionCodes {
			var id int64
			if err := tx.NewSelect().Table("divisions").Column("id").Where("code = ?", c).Scan(ctx, &id); err != nil {
				return notFound(err, "division "+c)
			}
			if _, err := tx.NewRaw("INSERT INTO staff_divisions (account_id, division_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
				accountID, id).Exec(ctx); err != nil {
				return err
			}
		}
		for _, slug := range siteSlugs {
			var id int64
			if err := tx.NewSelect().Table("sites").Column("id").Where("slug = ?", slug).Scan(ctx, &id); err != nil {
				return notFound(err, "site "+slug)
			}
			if _, err := tx.NewRaw("INSERT INTO site_staff (site_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
				id, accountID).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
