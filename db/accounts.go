package db

import (
	"context"
	"fmt"
)

// CreateStaff inserts an active staff account that must change its password
// at first sign-in.
func (d *DB) CreateStaff(ctx context.Context, loginID, name string, roles []string, hash string) (*Account, error) {
	a := &Account{
		Kind: KindStaff, LoginID: loginID, DisplayName: name, Roles: roles,
		PasswordHash: hash, MustChangePassword: true, Status: "active",
	}
	_, err := d.Bun.NewInsert().Model(a).Returning("id, created_at, updated_at").Exec(ctx)
	if IsUniqueViolation(err, "") {
		return nil, fmt.Errorf("login ID %q or name %q is taken: %w", loginID, name, ErrConflict)
	}
	return a, err
}
