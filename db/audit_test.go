package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func auditFixture(t *testing.T) (*db.DB, *db.Account) {
	t.Helper()
	d := dbtest.New(t)
	staff, err := d.CreateStaff(context.Background(), "ward1", "区 花子", []string{db.RoleWardStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	return d, staff
}

func TestAuditChainHoldsUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	d, staff := auditFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				// Two entries per statement, as a list view writes them.
				err := db.Audit(ctx, d.Bun,
					&db.AuditEntry{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditView, Fields: []string{"name"}, Detail: fmt.Sprintf("w%d-%d-a", w, i)},
					&db.AuditEntry{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditExport, Purpose: "名簿", Detail: fmt.Sprintf("w%d-%d-b", w, i)})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	c, err := d.VerifyAudit(ctx)
	if err != nil || c.Entries != 160 || c.BrokenSeq != 0 {
		t.Fatalf("verify: %+v %v", c, err)
	}
}

func TestAuditLogIsAppendOnlyAndTamperEvident(t *testing.T) {
	t.Parallel()
	d, staff := auditFixture(t)
	ctx := context.Background()
	for i := range 5 {
		if err := db.Audit(ctx, d.Bun, &db.AuditEntry{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditView,
			Detail: fmt.Sprintf("entry %d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE audit_log SET detail = 'changed' WHERE seq = 3`); err == nil {
		t.Fatal("an UPDATE of the audit log went through")
	}
	if _, err := d.Pool.Exec(ctx, `DELETE FROM audit_log WHERE seq = 3`); err == nil {
		t.Fatal("a DELETE of the audit log went through")
	}
	// Retention removes the oldest entries openly; the rest still verifies.
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL portal.audit_retention = 'on'`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq <= 1`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := d.VerifyAudit(ctx); err != nil || c.Entries != 4 || c.BrokenSeq != 0 {
		t.Fatalf("after the retention cut: %+v %v", c, err)
	}
	// Someone with the database owner's rights switches the trigger off and
	// edits an entry: the chain names it.
	for _, sql := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`,
		`UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 3`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`,
	} {
		if _, err := d.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	c, err := d.VerifyAudit(ctx)
	if err != nil || c.BrokenSeq != 3 {
		t.Fatalf("tampering not found: %+v %v", c, err)
	}
}
