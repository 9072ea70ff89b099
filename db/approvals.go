package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// The approver's side of the publishing workflow: what waits for them, what
// they have approved or put live, and who wrote it. The workflow itself is
// in pages.go.

// inApproverReach limits a query over pages (alias p) to the divisions and
// sites the account works in: the reach ApprovePage, SendBackPage and
// EndPage check.
func inApproverReach(q *bun.SelectQuery, accountID int64) *bun.SelectQuery {
	return q.
		Where("p.division_id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", accountID).
		Where("p.site_id IN (SELECT site_id FROM site_staff WHERE account_id = ?)", accountID)
}

// ApprovalCount counts the submissions acc may decide: the number beside the
// back office's link to the queue. Zero for anyone who is not an approver.
func (d *DB) ApprovalCount(ctx context.Context, acc *Account) (n int, err error) {
	defer wrap(&err, "approval count")
	if acc == nil || acc.Kind != KindStaff || !acc.HasRole(RoleApprover) {
		return 0, nil
	}
	q := d.Bun.NewSelect().Model((*Revision)(nil)).
		Join("JOIN pages AS p ON p.id = r.page_id").
		Where("r.status = ?", RevSubmitted)
	c, err := inApproverReach(q, acc.ID).Count(ctx)
	return int(c), err
}

// ApproverPages lists the pages in acc's reach that are approved and
// waiting for their time (公開待ち) or live (公開中): approved ones first, by
// publish time, then live ones, the latest published first. more reports
// whether there are pages beyond limit.
func (d *DB) ApproverPages(ctx context.Context, acc *Account, limit int) (_ []PageState, more bool, err error) {
	defer wrap(&err, "approver pages")
	if acc == nil || acc.Kind != KindStaff || !acc.HasRole(RoleApprover) {
		return nil, false, nil
	}
	var ids []int64
	q := d.Bun.NewSelect().TableExpr("pages AS p").Column("p.id").
		Join("LEFT JOIN page_revisions AS a ON a.page_id = p.id AND a.status = ?", RevApproved).
		Where("p.live_revision_id IS NOT NULL OR a.id IS NOT NULL").
		OrderExpr("a.publish_at ASC NULLS LAST, p.published_at DESC NULLS LAST, p.id DESC").
		Limit(int64(limit) + 1)
	if err := inApproverReach(q, acc.ID).Scan(ctx, &ids); err != nil {
		return nil, false, err
	}
	if len(ids) > limit {
		ids, more = ids[:limit], true
	}
	out, err := pageStates(ctx, d.Bun, ids)
	return out, more, err
}

// pageStates loads several pages as pageState does one, in the order of
// ids, with a query per table rather than per page.
func pageStates(ctx context.Context, idb bun.IDB, ids []int64) ([]PageState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var pages []ContentPage
	if err := idb.NewSelect().Model(&pages).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	var revs []Revision
	if err := idb.NewSelect().Model(&revs).
		Where("page_id IN (?)", bun.List(ids)).
		Where("status IN (?) OR id IN (SELECT live_revision_id FROM pages WHERE id IN (?))", bun.List(workingStatuses), bun.List(ids)).
		Scan(ctx); err != nil {
		return nil, err
	}
	var sites []Site
	if err := idb.NewSelect().Model(&sites).Where("id IN (SELECT site_id FROM pages WHERE id IN (?))", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	var divs []Division
	if err := idb.NewSelect().Model(&divs).Where("id IN (SELECT division_id FROM pages WHERE id IN (?))", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	byID := make(map[int64]*PageState, len(pages))
	for _, p := range pages {
		s := &PageState{Page: p}
		for _, site := range sites {
			if site.ID == p.SiteID {
				s.Site = site
			}
		}
		for _, dv := range divs {
			if dv.ID == p.DivisionID {
				s.Division = dv
			}
		}
		byID[p.ID] = s
	}
	for i := range revs {
		s := byID[revs[i].PageID]
		if s == nil {
			continue
		}
		if revs[i].Working() {
			s.Working = &revs[i]
		} else {
			s.Live = &revs[i]
		}
	}
	out := make([]PageState, 0, len(ids))
	for _, id := range ids {
		if s := byID[id]; s != nil {
			out = append(out, *s)
		}
	}
	return out, nil
}

// StaffNames returns the display names of the accounts with ids: who wrote
// a revision, for the back office. Staff names are not personal data of
// residents; nothing is audited.
func (d *DB) StaffNames(ctx context.Context, ids []int64) (_ map[int64]string, err error) {
	defer wrap(&err, "staff names")
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID          int64  `bun:"id"`
		DisplayName string `bun:"display_name"`
	}
	if err := d.Bun.NewSelect().Table("accounts").Column("id", "display_name").
		Where("id IN (?) AND kind = ?", bun.List(ids), KindStaff).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.DisplayName
	}
	return out, nil
}

// EarliestPublish is the earliest publish time the two-day rule (第9条)
// lets an approver approve at now on site: the site's lead time away.
// ApprovePage refuses anything earlier unless a site manager overrides.
func EarliestPublish(site *Site, now time.Time) time.Time {
	return now.Add(time.Duration(site.LeadDays) * 24 * time.Hour)
}

// ManagedSites lists the ids of the sites acc manages: the site manager's
// role and a place among a site's staff, which is what ApprovePage asks of
// an override of the two-day rule.
func (d *DB) ManagedSites(ctx context.Context, acc *Account) (_ map[int64]bool, err error) {
	defer wrap(&err, "managed sites")
	out := map[int64]bool{}
	if acc == nil || acc.Kind != KindStaff || acc.Status != StatusActive || !acc.HasRole(RoleSiteManager) {
		return out, nil
	}
	var ids []int64
	if err := d.Bun.NewSelect().Table("site_staff").Column("site_id").Where("account_id = ?", acc.ID).Scan(ctx, &ids); err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// CanApprove reports whether acc may decide and end pages of kind in site
// and division: an approver of the division working on the site.
func (d *DB) CanApprove(ctx context.Context, acc *Account, kind string, siteID, divisionID int64) (_ bool, err error) {
	defer wrap(&err, "can approve")
	r, err := loadReach(ctx, d.Bun, acc.ID)
	return r.may(acc, RoleApprover, kind, siteID, divisionID) != "", err
}
