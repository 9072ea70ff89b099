package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
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

func TestWardReviewsTheAuditLog(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	member := e.memberAccount("M4600001", "見られる人")
	mod := e.client()
	e.staffAccount("mod7", db.RoleModerator)
	mod.signIn("mod7", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	mod.get(fmt.Sprintf("/staff/members/%d", member.ID)).wantStatus(t, http.StatusOK)
	mod.get("/staff/audit").wantStatus(t, http.StatusForbidden)

	ward := e.client()
	e.staffAccount("ward7", db.RoleWardStaff)
	ward.signIn("ward7", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	res := ward.get("/staff/audit")
	res.wantStatus(t, http.StatusOK)
	summary := res.Doc.Find("#summary-caption").Parent().Text()
	if !strings.Contains(summary, "mod7") || !strings.Contains(summary, "閲覧") {
		t.Errorf("the monthly summary lacks the moderator's view: %q", summary)
	}
	filtered := ward.get("/staff/audit?actor=mod7&member=M4600001&action=view")
	if n := filtered.Doc.Find("#entries-caption").Parent().Find("tbody tr").Length(); n != 1 {
		t.Errorf("filtered log: %d rows, want 1", n)
	}
	if bad := ward.get("/staff/audit?from=11%2F01"); bad.Doc.Find("#f-from-error").Length() != 1 {
		t.Error("a bad date is not said next to its field")
	}
}
