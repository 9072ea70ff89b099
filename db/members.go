package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// MemberQuery filters the staff member list. Text fields match by prefix,
// which the btree indexes of migration 0002 serve at any length.
type MemberQuery struct {
	LoginID string
	Name    string
	Kana    string
	Email   string
	Phone   string
	Status  string
	AfterID int64 // keyset: the last id shown
}

// MemberRow is one line of the staff member list.
type MemberRow struct {
	ID          int64     `bun:"id"`
	LoginID     string    `bun:"login_id"`
	DisplayName string    `bun:"display_name"`
	Status      string    `bun:"status"`
	CreatedAt   time.Time `bun:"created_at"`
	Name        string    `bun:"name"`
	NameKana    string    `bun:"name_kana"`
}

// MemberListFields are the personal-data fields the member list shows.
var MemberListFields = []string{"name", "name_kana"}

// MemberDetailFields are the personal-data fields the member page shows.
var MemberDetailFields = []string{"name", "name_kana", "postal_code", "address", "phone", "fax", "email"}

var nonDigits = regexp.MustCompile(`[^0-9]`)

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// SearchMembers returns one page of members, newest first, and writes one
// audit entry per member shown (their names are personal data).
func (d *DB) SearchMembers(ctx context.Context, q MemberQuery, actor Actor) (_ []MemberRow, _ int64, err error) {
	defer wrap(&err, "search members")
	var rows []MemberRow
	sel := d.Bun.NewSelect().
		ColumnExpr("a.id, a.login_id, a.display_name, a.status, a.created_at").
		ColumnExpr("coalesce(p.name, '') AS name, coalesce(p.name_kana, '') AS name_kana").
		TableExpr("accounts AS a").
		Join("LEFT JOIN member_profiles AS p ON p.account_id = a.id").
		Where("a.kind = ?", KindMember).
		OrderExpr("a.id DESC").Limit(PageSize + 1)
	if q.LoginID != "" {
		sel = sel.Where("lower(a.login_id) = lower(?)", q.LoginID)
	}
	if q.Name != "" {
		sel = sel.Where("p.name LIKE ?", likePrefix(q.Name))
	}
	if q.Kana != "" {
		sel = sel.Where("p.name_kana LIKE ?", likePrefix(q.Kana))
	}
	if q.Email != "" {
		sel = sel.Where("lower(p.email) LIKE ?", likePrefix(strings.ToLower(q.Email)))
	}
	if digits := nonDigits.ReplaceAllString(q.Phone, ""); digits != "" {
		sel = sel.Where("regexp_replace(p.phone, '[^0-9]', '', 'g') LIKE ?", likePrefix(digits))
	}
	if q.Status != "" {
		sel = sel.Where("a.status = ?", q.Status)
	}
	if q.AfterID > 0 {
		sel = sel.Where("a.id < ?", q.AfterID)
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		next = rows[PageSize-1].ID
	}
	entries := make([]*AuditEntry, 0, len(rows))
	for i := range rows {
		if rows[i].Name == "" {
			continue // withdrawn: nothing personal left to see
		}
		entries = append(entries, actor.Entry(AuditView, &rows[i].ID, MemberListFields, "member search"))
	}
	return rows, next, Audit(ctx, d.Bun, entries...)
}

// ViewMember loads a member's account and personal data for staff and writes
// exactly one audit entry saying who looked, at which fields, from where.
func (d *DB) ViewMember(ctx context.Context, id int64, actor Actor) (_ *Account, _ *MemberProfile, err error) {
	defer wrap(&err, "view member")
	var acc Account
	var prof *MemberProfile
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&acc).Where("id = ? AND kind = ?", id, KindMember).Scan(ctx); err != nil {
			return notFound(err, "member")
		}
		p := new(MemberProfile)
		err := tx.NewSelect().Model(p).Where("account_id = ?", id).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // withdrawn: the data is gone, and there is nothing to audit
		}
		if err != nil {
			return fmt.Errorf("member profile: %w", err)
		}
		prof = p
		return Audit(ctx, tx, actor.Entry(AuditView, &id, MemberDetailFields, "member page"))
	})
	if err != nil {
		return nil, nil, err
	}
	return &acc, prof, nil
}
