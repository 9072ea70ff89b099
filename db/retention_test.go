package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// backdatedAudit writes one audit entry per age, oldest first, each with an
// explicit time (the chain trigger sets seq and hashes, not at).
func backdatedAudit(t *testing.T, d *db.DB, actor *db.Account, now time.Time, ages ...time.Duration) {
	t.Helper()
	for i, age := range ages {
		if err := db.Audit(context.Background(), d.Bun, &db.AuditEntry{At: now.Add(-age), ActorID: actor.ID,
			ActorRole: db.RoleWardStaff, Action: db.AuditView, Detail: fmt.Sprintf("entry %d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
}

// details lists what is left of the audit log, in chain order.
func details(t *testing.T, d *db.DB) []string {
	t.Helper()
	var out []string
	if err := d.Bun.NewSelect().Model((*db.AuditEntry)(nil)).Column("detail").OrderExpr("seq").Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func historyCount(t *testing.T, d *db.DB) int64 {
	t.Helper()
	n, err := d.Bun.NewSelect().Model((*db.AccessEvent)(nil)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func verify(t *testing.T, d *db.DB, entries int64) {
	t.Helper()
	c, err := d.VerifyAudit(context.Background())
	if err != nil || c.BrokenSeq != 0 || c.Entries != entries {
		t.Fatalf("verify: %+v %v, want %d entries, unbroken", c, err, entries)
	}
}

const day = 24 * time.Hour

func TestPurgeOlderThanKeepsTheChainVerifiable(t *testing.T) {
	t.Parallel()
	d, staff := auditFixture(t)
	ctx := context.Background()
	now := time.Now()
	cutoff := now.Add(-1826 * day)

	backdatedAudit(t, d, staff, now, 3000*day, 2500*day, 1827*day, 1825*day, 30*day, time.Hour)
	for _, age := range []time.Duration{4000 * day, 1900 * day, 1827 * day, 1800 * day, day, 0} {
		for _, acc := range []*int64{&staff.ID, nil} { // an account's line and a failed sign-in with an unknown ID
			if err := db.RecordAccess(ctx, d.Bun, db.AccessEvent{AccountID: acc, LoginID: "ward1", Action: db.ActionLogin,
				Success: acc != nil, At: now.Add(-age)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	verify(t, d, 6)
	for i, age := range []time.Duration{1900 * day, day} {
		if _, err := d.Pool.Exec(ctx, `INSERT INTO member_exports (token, actor_id, format, purpose, matched, started_at)
			VALUES ($1, $2, 'csv_cp932', '名簿', 1, $3)`, fmt.Sprint("t", i), staff.ID, now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}

	history, audit, err := d.PurgeOlderThan(ctx, cutoff)
	if err != nil || history != 6 || audit != 3 {
		t.Fatalf("purged %d history rows and %d audit entries (%v), want 6 and 3", history, audit, err)
	}
	if got := fmt.Sprint(details(t, d)); got != "[entry 4 entry 5 entry 6]" {
		t.Errorf("audit entries kept: %s", got)
	}
	var oldest time.Time
	if err := d.Bun.NewSelect().Model((*db.AccessEvent)(nil)).ColumnExpr("min(at)").Scan(ctx, &oldest); err != nil {
		t.Fatal(err)
	}
	if n := historyCount(t, d); n != 6 || oldest.Before(cutoff) {
		t.Errorf("access history: %d rows kept, oldest %s (cutoff %s)", n, oldest, cutoff)
	}
	verify(t, d, 3)
	var tokens []string
	if err := d.Pool.QueryRow(ctx, `SELECT array_agg(token) FROM member_exports`).Scan(&tokens); err != nil || fmt.Sprint(tokens) != "[t1]" {
		t.Errorf("export reports kept: %v %v", tokens, err)
	}

	// The chain goes on from the cut: new entries link to the kept ones.
	backdatedAudit(t, d, staff, now, 0, 0)
	verify(t, d, 5)
	var seqs []int64
	if err := d.Bun.NewSelect().Model((*db.AuditEntry)(nil)).ColumnExpr("seq").OrderExpr("seq").Scan(ctx, &seqs); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs) != "[4 5 6 7 8]" {
		t.Errorf("seq after the cut: %v", seqs)
	}

	// Nothing more to do: a second run removes nothing.
	if history, audit, err := d.PurgeOlderThan(ctx, cutoff); err != nil || history != 0 || audit != 0 {
		t.Errorf("second run purged %d, %d (%v)", history, audit, err)
	}
}

func TestPurgeInBatches(t *testing.T) {
	t.Parallel()
	d, staff := auditFixture(t)
	ctx := context.Background()
	now := time.Now()
	ages := make([]time.Duration, 0, 27)
	for i := range 25 {
		ages = append(ages, time.Duration(2000+25-i)*day)
	}
	ages = append(ages, day, 0)
	backdatedAudit(t, d, staff, now, ages...)
	for i := range 23 {
		if err := db.RecordAccess(ctx, d.Bun, db.AccessEvent{AccountID: &staff.ID, Action: db.ActionLogin, Success: true,
			At: now.Add(-time.Duration(2000+i) * day)}); err != nil {
			t.Fatal(err)
		}
	}
	history, audit, err := d.PurgeInBatches(ctx, now.Add(-1826*day), 10)
	if err != nil || history != 23 || audit != 25 {
		t.Fatalf("purged %d history rows and %d audit entries (%v), want 23 and 25", history, audit, err)
	}
	if got := fmt.Sprint(details(t, d)); got != "[entry 26 entry 27]" {
		t.Errorf("audit entries kept: %s", got)
	}
	verify(t, d, 2)
}

// When every entry is past the period, the newest stays as the anchor the
// next entry links to, so numbering goes on rather than starting again.
func TestPurgeKeepsTheNewestAuditEntry(t *testing.T) {
	t.Parallel()
	d, staff := auditFixture(t)
	ctx := context.Background()
	now := time.Now()
	backdatedAudit(t, d, staff, now, 3000*day, 2900*day, 2800*day)
	if _, audit, err := d.PurgeOlderThan(ctx, now.Add(-1826*day)); err != nil || audit != 2 {
		t.Fatalf("purged %d audit entries (%v), want 2", audit, err)
	}
	backdatedAudit(t, d, staff, now, 0)
	if got := fmt.Sprint(details(t, d)); got != "[entry 3 entry 1]" {
		t.Errorf("audit entries: %s", got)
	}
	var maxSeq int64
	if err := d.Bun.NewSelect().Model((*db.AuditEntry)(nil)).ColumnExpr("max(seq)").Scan(ctx, &maxSeq); err != nil || maxSeq != 4 {
		t.Errorf("max seq %d (%v), want 4", maxSeq, err)
	}
	verify(t, d, 2)
}

func TestTryExclusiveLetsOneInstanceRun(t *testing.T) {
	t.Parallel()
	d, _ := auditFixture(t)
	ctx := context.Background()
	var inner bool
	ran, err := d.TryExclusive(ctx, db.RetentionLockKey, func(ctx context.Context) error {
		// Another instance (another session) finds the lock taken.
		var err error
		inner, err = d.TryExclusive(ctx, db.RetentionLockKey, func(context.Context) error {
			t.Error("a second instance ran while the first held the lock")
			return nil
		})
		return err
	})
	if err != nil || !ran || inner {
		t.Fatalf("outer ran=%v, inner ran=%v, err %v", ran, inner, err)
	}
	// Released afterwards.
	if ran, err := d.TryExclusive(ctx, db.RetentionLockKey, func(context.Context) error { return nil }); err != nil || !ran {
		t.Errorf("lock not released: ran=%v %v", ran, err)
	}
}
