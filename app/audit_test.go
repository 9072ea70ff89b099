package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func TestAuditVerifyCommand(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	staff, err := d.CreateStaff(ctx, "ward1", "区 花子", []string{db.RoleWardStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := db.Audit(ctx, d.Bun, &db.AuditEntry{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditView}); err != nil {
			t.Fatal(err)
		}
	}
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"portal", "audit", "verify"}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ok, 3 entries") {
		t.Fatalf("verify: exit %d, %q %q", code, out.String(), errOut.String())
	}
	for _, sql := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`,
		`UPDATE audit_log SET actor_role = 'moderator' WHERE seq = 2`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`,
	} {
		if _, err := d.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if code := Main(ctx, []string{"portal", "audit", "verify"}, env, &out, &errOut); code == 0 || !strings.Contains(out.String(), "BROKEN at entry 2") {
		t.Fatalf("verify after tampering: exit %d, %q", code, out.String())
	}
}
