package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
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
	env := databaseEnv(url)
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

func TestWardExportsTheFilteredAuditLog(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	member := e.memberAccount("M4600002", "見られる人")
	mod := e.client()
	e.staffAccount("mod8", db.RoleModerator)
	mod.signIn("mod8", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	for range 2 {
		mod.get(fmt.Sprintf("/staff/members/%d", member.ID)).wantStatus(t, http.StatusOK)
	}
	// A moderator may not export the log that checks them.
	mod.post("/staff/audit/export", url.Values{"_csrf": {mod.token()}, "actor": {"mod8"}}).wantStatus(t, http.StatusForbidden)

	ward := e.client()
	e.staffAccount("ward8", db.RoleWardStaff)
	ward.signIn("ward8", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	page := ward.get("/staff/audit?actor=mod8&action=view")
	if v, _ := page.Doc.Find(`form[action="/staff/audit/export"] input[name=actor]`).Attr("value"); v != "mod8" {
		t.Fatalf("the export form does not carry the filter: %q", v)
	}
	if page.Doc.Find(`form[action="/staff/audit/export"] input[name="_csrf"]`).Length() != 1 {
		t.Error("the audit export form carries no CSRF token")
	}
	res := ward.post("/staff/audit/export", url.Values{"_csrf": {ward.token()}, "actor": {"mod8"}, "action": {"view"},
		"format": {"csv_utf8"}, "purpose": {"月次点検"}})
	res.wantStatus(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var hashes []string
	if err := e.db.Pool.QueryRow(ctx, `SELECT array_agg(encode(hash, 'hex') ORDER BY seq) FROM audit_log
		WHERE actor_id = (SELECT id FROM accounts WHERE login_id = 'mod8') AND action = 'view'`).Scan(&hashes); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "番号" || rows[1][2] != "mod8" || rows[1][6] != "M4600002" ||
		rows[1][11] != hashes[0] || rows[2][11] != hashes[1] {
		t.Fatalf("exported log %q, hashes %q", rows, hashes)
	}
	var detail, purpose string
	if err := e.db.Pool.QueryRow(ctx, `SELECT detail, purpose FROM audit_log WHERE action = 'export' AND 'audit_log' = ANY (fields)`).
		Scan(&detail, &purpose); err != nil {
		t.Fatalf("the export is not on record: %v", err)
	}
	if !strings.Contains(detail, "2 rows") || !strings.Contains(detail, "actor=mod8") || purpose != "月次点検" {
		t.Errorf("export entry: %q %q", detail, purpose)
	}
	bad := ward.post("/staff/audit/export", url.Values{"_csrf": {ward.token()}, "from": {"昨日"}, "purpose": {"点検"}})
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	if bad.Doc.Find("#f-from-error").Length() != 1 {
		t.Error("a bad date in the export is not said next to its field")
	}
}
