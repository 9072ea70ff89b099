package db

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Audit actions of the publishing organisation.
const (
	AuditDivisionChange = "division_change" // a division created or its staff changed
	AuditSiteChange     = "site_change"     // a site created, decided, or its staff or settings changed
)

// Divisions lists every division by code.
func (d *DB) Divisions(ctx context.Context) (_ []Division, err error) {
	defer wrap(&err, "divisions")
	var out []Division
	err = d.Bun.NewSelect().Model(&out).Order("code").Scan(ctx)
	return out, err
}

// DivisionsOf lists the divisions acc belongs to.
func (d *DB) DivisionsOf(ctx context.Context, accountID int64) (_ []Division, err error) {
	defer wrap(&err, "divisions of")
	var out []Division
	err = d.Bun.NewSelect().Model(&out).
		Where("id IN (SELECT division_id FROM staff_divisions WHERE account_id = ?)", accountID).Order("code").Scan(ctx)
	return out, err
}

// CreateDivision stores a new division, on record.
func (d *DB) CreateDivision(ctx context.Context, actor Actor, dv *Division) (err error) {
	defer wrap(&err, "create division")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(dv).Returning("*").Exec(ctx); err != nil {
			if IsUniqueViolation(err, "") {
				return fmt.Errorf("division code %q taken: %w", dv.Code, ErrConflict)
			}
			return err
		}
		return Audit(ctx, tx, actor.Entry(AuditDivisionChange, nil, nil, fmt.Sprintf("division %s created", dv.Code)))
	})
}

// SetStaffDivisions replaces the divisions a staff account belongs to.
func (d *DB) SetStaffDivisions(ctx context.Context, actor Actor, accountID int64, divisionIDs []int64) (err error) {
	defer wrap(&err, "set staff divisions")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Table("staff_divisions").Where("account_id = ?", accountID).Exec(ctx); err != nil {
			return err
		}
		for _, id := range divisionIDs {
			if _, err := tx.NewRaw("INSERT INTO staff_divisions (account_id, division_id) VALUES (?, ?)", accountID, id).Exec(ctx); err != nil {
				return err
			}
		}
		return Audit(ctx, tx, actor.Entry(AuditDivisionChange, &accountID, []string{"divisions"}, fmt.Sprintf("divisions %v", divisionIDs)))
	})
}

// EnsureOfficialSite creates the official site, run by a public-relations
// division, when the database has none: a new portal starts with it.
func (d *DB) EnsureOfficialSite(ctx context.Context) (err error) {
	defer wrap(&err, "ensure official site")
	_, err = d.Bun.NewRaw(`
		WITH dv AS (
			INSERT INTO divisions (code, name) SELECT 'public-relations', '広報課'
			WHERE NOT EXISTS (SELECT 1 FROM sites WHERE official)
			ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
			RETURNING id
		)
		INSERT INTO sites (slug, official, name, division_id, status)
		SELECT 'official', true, '公式サイト', id, ? FROM dv
		ON CONFLICT DO NOTHING`, SiteActive).Exec(ctx)
	return err
}

// OfficialSite returns the official site.
func (d *DB) OfficialSite(ctx context.Context) (_ *Site, err error) {
	defer wrap(&err, "official site")
	s := new(Site)
	err = d.Bun.NewSelect().Model(s).Where("official").Scan(ctx)
	return s, notFound(err, "official site")
}

// SiteBySlug returns an active site by its path name.
func (d *DB) SiteBySlug(ctx context.Context, slug string) (_ *Site, err error) {
	defer wrap(&err, "site by slug")
	s := new(Site)
	err = d.Bun.NewSelect().Model(s).Where("slug = ? AND status = ?", slug, SiteActive).Scan(ctx)
	return s, notFound(err, "site")
}

// Sites lists every site, the official one first.
func (d *DB) Sites(ctx context.Context) (_ []Site, err error) {
	defer wrap(&err, "sites")
	var out []Site
	err = d.Bun.NewSelect().Model(&out).OrderExpr("official DESC, slug").Scan(ctx)
	return out, err
}

// SitesOf lists the sites acc works on.
func (d *DB) SitesOf(ctx context.Context, accountID int64) (_ []Site, err error) {
	defer wrap(&err, "sites of")
	var out []Site
	err = d.Bun.NewSelect().Model(&out).
		Where("id IN (SELECT site_id FROM site_staff WHERE account_id = ?)", accountID).OrderExpr("official DESC, slug").Scan(ctx)
	return out, err
}

// AddSiteStaff lets staff accounts work on a site, on record.
func (d *DB) AddSiteStaff(ctx context.Context, actor Actor, siteID int64, accountIDs ...int64) (err error) {
	defer wrap(&err, "add site staff")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return addSiteStaff(ctx, tx, actor, siteID, accountIDs...)
	})
}

func addSiteStaff(ctx context.Context, tx bun.Tx, actor Actor, siteID int64, accountIDs ...int64) error {
	for _, id := range accountIDs {
		if _, err := tx.NewRaw("INSERT INTO site_staff (site_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING", siteID, id).Exec(ctx); err != nil {
			return err
		}
		if err := Audit(ctx, tx, actor.Entry(AuditSiteChange, &id, []string{"sites"}, fmt.Sprintf("added to site %d", siteID))); err != nil {
			return err
		}
	}
	return nil
}

// RemoveSiteStaff takes a staff account off a site, on record.
func (d *DB) RemoveSiteStaff(ctx context.Context, actor Actor, siteID, accountID int64) (err error) {
	defer wrap(&err, "remove site staff")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return removeSiteStaff(ctx, tx, actor, siteID, accountID)
	})
}

func removeSiteStaff(ctx context.Context, tx bun.Tx, actor Actor, siteID, accountID int64) error {
	res, err := tx.NewDelete().Table("site_staff").Where("site_id = ? AND account_id = ?", siteID, accountID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // not on the site (removed meanwhile): nothing changed, nothing to record
	}
	return Audit(ctx, tx, actor.Entry(AuditSiteChange, &accountID, []string{"sites"}, fmt.Sprintf("removed from site %d", siteID)))
}
