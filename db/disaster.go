package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Disaster mode (緊急災害モード, PRODUCT.md §10): one switch, held in
// portal_settings, turns the home page into a light page of the urgent
// notices. Every instance keeps the mode in memory and learns of a change
// through the live stream StreamSettings.
const (
	// StreamSettings is the live stream that says a portal-wide switch
	// changed; the event's name says which way.
	StreamSettings = "settings"
	// LiveDisasterOn and LiveDisasterOff are its events: the value is in the
	// name, so an instance applies them in id order without reading the row.
	LiveDisasterOn  = "disaster_on"
	LiveDisasterOff = "disaster_off"
	// AuditDisasterMode is the audit-log action of switching disaster mode.
	AuditDisasterMode = "disaster_mode"
)

// PortalSettings is the one row of portal-wide switches; no row means every
// switch is off.
type PortalSettings struct {
	bun.BaseModel `bun:"table:portal_settings,alias:ps"`

	ID           bool      `bun:"id,pk"`
	DisasterMode bool      `bun:"disaster_mode"`
	ChangedBy    *int64    `bun:"changed_by"`
	ChangedAt    time.Time `bun:"changed_at"`

	ChangedByName string `bun:"changed_by_name,scanonly"` // the staff member who last switched, by display name
}

// Settings returns the portal's switches; with no row, all off and never
// changed (ChangedBy nil).
func (d *DB) Settings(ctx context.Context) (_ *PortalSettings, err error) {
	defer wrap(&err, "settings")
	var out []PortalSettings
	if err := d.Bun.NewSelect().Model(&out).
		ColumnExpr("ps.*, coalesce(a.display_name, '') AS changed_by_name").
		Join("LEFT JOIN accounts AS a ON a.id = ps.changed_by").
		Scan(ctx); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return &PortalSettings{ID: true}, nil
	}
	return &out[0], nil
}

// ManagesOfficialSite reports whether acc may switch disaster mode: an
// active staff account holding the site-manager role and working on the
// official site. A manager of a sub-site only may not.
func (d *DB) ManagesOfficialSite(ctx context.Context, acc *Account) (_ bool, err error) {
	defer wrap(&err, "manages official site")
	return managesOfficialSite(ctx, d.Bun, acc)
}

func managesOfficialSite(ctx context.Context, idb bun.IDB, acc *Account) (bool, error) {
	if acc == nil || acc.Kind != KindStaff || acc.Status != StatusActive || !acc.HasRole(RoleSiteManager) {
		return false, nil
	}
	return idb.NewSelect().TableExpr("site_staff AS ss").
		Join("JOIN sites AS s ON s.id = ss.site_id").
		Where("ss.account_id = ? AND s.official", acc.ID).
		Exists(ctx)
}

// SetDisasterMode switches disaster mode on or off, by a site manager of the
// official site (ErrForbidden for anyone else). It reports whether anything
// changed: switching to the mode already set records nothing. A change is
// an audit entry and a live event in the same transaction, so every
// instance learns of it when, and only if, it commits. Two managers
// switching at once are serialised by the row lock: the second finds the
// mode already set.
func (d *DB) SetDisasterMode(ctx context.Context, actor Actor, on bool) (changed bool, err error) {
	defer wrap(&err, "set disaster mode")
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := managesOfficialSite(ctx, tx, actor.Account)
		if err != nil {
			return err
		}
		if !ok {
			return ErrForbidden
		}
		var done []bool
		q := `UPDATE portal_settings SET disaster_mode = false, changed_by = ?, changed_at = now()
			WHERE disaster_mode RETURNING true`
		if on {
			q = `INSERT INTO portal_settings (id, disaster_mode, changed_by, changed_at) VALUES (true, true, ?, now())
				ON CONFLICT (id) DO UPDATE SET disaster_mode = true, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at
				WHERE NOT portal_settings.disaster_mode
				RETURNING true`
		}
		if err := tx.NewRaw(q, actor.Account.ID).Scan(ctx, &done); err != nil {
			return fmt.Errorf("switch: %w", err)
		}
		if len(done) == 0 {
			return nil // already so
		}
		changed = true
		state, name := "off", LiveDisasterOff
		if on {
			state, name = "on", LiveDisasterOn
		}
		e := actor.Entry(AuditDisasterMode, nil, []string{"disaster_mode"}, "disaster mode "+state)
		e.ActorRole = RoleSiteManager
		if err := Audit(ctx, tx, e); err != nil {
			return err
		}
		return PublishLive(ctx, tx, &LiveEvent{Stream: StreamSettings, Name: name})
	})
	return changed, err
}

// UrgentNotices returns up to limit live notices marked urgent, of every
// active site, newest publication first: what the disaster-mode home page
// shows. A notice whose end time has passed is left out even before the
// scheduler ends it.
func (d *DB) UrgentNotices(ctx context.Context, now time.Time, limit int) (_ []Revision, err error) {
	defer wrap(&err, "urgent notices")
	var out []Revision
	err = d.Bun.NewSelect().Model(&out).
		Join("JOIN pages AS p ON p.live_revision_id = r.id").
		Join("JOIN sites AS s ON s.id = p.site_id").
		Where("p.kind = "+lit(PageNotice)+" AND r.status = "+lit(RevPublished)+" AND s.status = "+lit(SiteActive)).
		Where(`r.fields @> '{"urgent": true}'`).
		Where("r.end_at IS NULL OR r.end_at > ?", now).
		OrderExpr("r.published_at DESC, r.id DESC").Limit(int64(limit)).Scan(ctx)
	return out, err
}
