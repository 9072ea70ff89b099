package db

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// ErrOwnRoles is returned when staff try to change their own roles: a
// second person must, so nobody widens their own access.
var ErrOwnRoles = errors.New("staff may not change their own roles")

// ErrNoRoles is returned when a change would leave a staff account no role.
var ErrNoRoles = errors.New("a staff account needs at least one role")

// AuditRoleChange is the audit action of a staff role change.
const AuditRoleChange = "role_change"

// ActionRoleChange is the access-history action on the account whose roles changed.
const ActionRoleChange = "role_change"

// ListStaff returns every staff account, by login ID.
func (d *DB) ListStaff(ctx context.Context) (_ []Account, err error) {
	defer wrap(&err, "list staff")
	var as []Account
	err = d.Bun.NewSelect().Model(&as).Where("kind = ?", KindStaff).OrderExpr("login_id").Scan(ctx)
	return as, err
}

// canonicalRoles keeps the known roles of rs, once each, in display order.
func canonicalRoles(rs []string) []string {
	out := []string{}
	for _, r := range StaffRoles {
		if slices.Contains(rs, r) {
			out = append(out, r)
		}
	}
	return out
}

// ChangeRoles sets a staff account's roles and records the change in the
// audit log (who, in which role, before and after, from where) and in the
// account's own access history, in one transaction. A change to the same
// roles writes nothing.
func (d *DB) ChangeRoles(ctx context.Context, targetID int64, roles []string, actor Actor) (err error) {
	defer wrap(&err, "change roles")
	roles = canonicalRoles(roles)
	if len(roles) == 0 {
		return ErrNoRoles
	}
	if targetID == actor.Account.ID {
		return ErrOwnRoles
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var target Account
		err := tx.NewSelect().Model(&target).Where("id = ? AND kind = ?", targetID, KindStaff).For("UPDATE").Scan(ctx)
		if err != nil {
			return notFound(err, "staff account")
		}
		before := canonicalRoles(target.Roles)
		if slices.Equal(before, roles) {
			return nil
		}
		if _, err := tx.NewUpdate().Model(&target).Set("roles = ?", pgdialect.Array(roles)).Set("updated_at = ?", time.Now()).
			WherePK().Exec(ctx); err != nil {
			return err
		}
		detail := "roles: " + strings.Join(before, ",") + " → " + strings.Join(roles, ",")
		if err := Audit(ctx, tx, actor.Entry(AuditRoleChange, &targetID, []string{"roles"}, detail)); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, AccessEvent{AccountID: &targetID, LoginID: target.LoginID, Action: ActionRoleChange,
			Success: true, IP: actor.IP, Detail: detail + " by " + actor.Account.LoginID})
	})
}
