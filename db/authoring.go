package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The back office's authoring side (/staff/pages): which pages a staff
// member sees, and saving an editor's form in one step.

// AuthorKinds lists the kinds of page acc may write somewhere (its
// divisions and sites still decide where): every kind for an editor, the
// operator's articles and facility links for a moderator.
func AuthorKinds(acc *Account) []string {
	var out []string
	for _, k := range PageKinds {
		if acc != nil && acc.Kind == KindStaff && roleFor(acc, k, RoleEditor) != "" {
			out = append(out, k)
		}
	}
	return out
}

// viewsAllKinds: the ward's publishing roles see every kind of page of
// their divisions; a moderator alone sees the kinds it writes.
func viewsAllKinds(acc *Account) bool {
	return acc.HasRole(RoleEditor) || acc.HasRole(RoleApprover) || acc.HasRole(RoleSiteManager)
}

// mayView reports whether acc sees the page in the back office: a page of
// one of its sites, and of one of its divisions or (for a site manager,
// who runs the whole site) of any division.
func (r reach) mayView(acc *Account, kind string, siteID, divisionID int64) bool {
	if acc == nil || acc.Kind != KindStaff || acc.Status != StatusActive || !r.sites[siteID] {
		return false
	}
	if !viewsAllKinds(acc) && roleFor(acc, kind, RoleEditor) == "" {
		return false
	}
	return r.divisions[divisionID] || acc.HasRole(RoleSiteManager)
}

// StaffPageState loads a page for acc's back office: ErrForbidden when the
// page lies outside acc's divisions and sites.
func (d *DB) StaffPageState(ctx context.Context, acc *Account, id int64) (_ *PageState, err error) {
	defer wrap(&err, "staff page state")
	s, err := pageState(ctx, d.Bun, id, false)
	if err != nil {
		return nil, err
	}
	r, err := loadReach(ctx, d.Bun, acc.ID)
	if err != nil {
		return nil, err
	}
	if !r.mayView(acc, s.Page.Kind, s.Page.SiteID, s.Page.DivisionID) {
		return nil, fmt.Errorf("page %d: %w", id, ErrForbidden)
	}
	return s, nil
}

// StaffPage is one line of the back office's list of pages: the page and
// the revision an editor sees first (the one being worked on, else the
// live one, else the latest).
type StaffPage struct {
	ID           int64     `bun:"id"`
	Kind         string    `bun:"kind"`
	Live         bool      `bun:"live"`
	Number       int       `bun:"number"`
	Status       string    `bun:"status"`
	Title        string    `bun:"title"`
	PublishAt    time.Time `bun:"publish_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
	SiteName     string    `bun:"site_name"`
	DivisionName string    `bun:"division_name"`
	// LinkFlags are the domains, space-separated, whose link approval
	// ended while the page links to them (PageLinkFlags).
	LinkFlags string `bun:"link_flags"`
}

// PageFilter narrows the list: Status is a revision status (RevPublished
// meaning every page with a live revision, worked on or not), Kind a page
// kind; "" for any.
type PageFilter struct {
	Status string
	Kind   string
}

// StaffPages pages through the pages acc sees (see StaffPageState), the
// most recently changed first.
func (d *DB) StaffPages(ctx context.Context, acc *Account, f PageFilter, after Cursor) (_ Page[StaffPage], err error) {
	defer wrap(&err, "staff pages")
	if acc.Kind != KindStaff || acc.Status != StatusActive {
		return Page[StaffPage]{}, nil
	}
	var rows []StaffPage
	q := d.Bun.NewSelect().TableExpr("pages AS p").
		ColumnExpr("p.id, p.kind, p.live_revision_id IS NOT NULL AS live").
		ColumnExpr("r.number, r.status, r.title, r.publish_at, r.updated_at, s.name AS site_name, dv.name AS division_name").
		ColumnExpr(pageLinkFlagsColumn()).
		Join(`JOIN LATERAL (SELECT r.number, r.status, r.title, r.publish_at, r.updated_at FROM page_revisions AS r
			WHERE r.page_id = p.id
			ORDER BY r.status IN (?) DESC, coalesce(r.id = p.live_revision_id, false) DESC, r.number DESC
			LIMIT 1) AS r ON true`, bun.List(workingStatuses)).
		Join("JOIN sites AS s ON s.id = p.site_id").
		Join("JOIN divisions AS dv ON dv.id = p.division_id").
		Where("p.site_id IN (SELECT site_id FROM site_staff WHERE account_id = ?)", acc.ID).
		OrderExpr("r.updated_at DESC, p.id DESC").Limit(PageSize + 1)
	if !acc.HasRole(RoleSiteManager) {
		q = q.Where("p.division_id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", acc.ID)
	}
	if !viewsAllKinds(acc) {
		q = q.Where("p.kind IN (?)", bun.List(append(AuthorKinds(acc), "")))
	}
	switch {
	case f.Status == RevPublished:
		q = q.Where("p.live_revision_id IS NOT NULL")
	case f.Status != "":
		q = q.Where("r.status = ?", f.Status)
	}
	if f.Kind != "" {
		q = q.Where("p.kind = ?", f.Kind)
	}
	if !after.IsZero() {
		q = q.Where("(r.updated_at, p.id) < (?, ?)", after.At, after.ID)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return Page[StaffPage]{}, err
	}
	return paginate(rows, PageSize, func(p *StaffPage) Cursor { return Cursor{p.UpdatedAt, p.ID} }), nil
}

// Edit is an editor's form sent for a page.
type Edit struct {
	Transition
	// NewRevision: the editor started from no working revision (a new
	// revision of a live or ended page); one begun meanwhile is a conflict,
	// not something to overwrite unseen.
	NewRevision bool
	Content     PageContent
	// Submit asks for approval right after saving, in the same transaction.
	Submit bool
}

// EditPage saves an editor's form as the page's working revision (see
// SavePage) and, with e.Submit, submits it (see SubmitPage), as one step:
// either both happen or neither. A working revision that changed since the
// editor opened the form, or appeared or went away meanwhile, is
// ErrConflict.
func (d *DB) EditPage(ctx context.Context, e Edit, mailFor func(to *Account, s *PageState) *Mail) (_ *Revision, err error) {
	defer wrap(&err, "edit page")
	var rev *Revision
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s, _, err := d.lockFor(ctx, tx, e.Transition, RoleEditor)
		if err != nil {
			return err
		}
		switch {
		case e.NewRevision && s.Working != nil:
			return fmt.Errorf("revision %d begun meanwhile: %w", s.Working.Number, ErrConflict)
		case !e.NewRevision && s.Working == nil:
			return fmt.Errorf("working revision gone meanwhile: %w", ErrConflict)
		case !e.NewRevision && e.Version == 0:
			return fmt.Errorf("no version given: %w", ErrConflict)
		}
		if rev, err = d.savePage(ctx, tx, e.Transition, e.Content); err != nil {
			return err
		}
		if !e.Submit {
			return nil
		}
		t := e.Transition
		t.Version = rev.Version
		if err := d.submitPage(ctx, tx, t, mailFor); err != nil {
			return err
		}
		return tx.NewSelect().Model(rev).WherePK().Scan(ctx)
	})
	return rev, err
}

// GroupRef is a group an article links to.
type GroupRef struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
}

// GroupsByID returns the groups of ids that exist, in the order of ids.
func (d *DB) GroupsByID(ctx context.Context, ids []int64) (_ []GroupRef, err error) {
	defer wrap(&err, "groups by id")
	if len(ids) == 0 {
		return nil, nil
	}
	var found []GroupRef
	if err := d.Bun.NewSelect().Table("groups").Column("id", "name").Where("id IN (?)", bun.List(ids)).Scan(ctx, &found); err != nil {
		return nil, err
	}
	byID := map[int64]GroupRef{}
	for _, g := range found {
		byID[g.ID] = g
	}
	out := make([]GroupRef, 0, len(found))
	for _, id := range ids {
		if g, ok := byID[id]; ok {
			out = append(out, g)
		}
	}
	return out, nil
}
