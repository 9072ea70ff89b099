package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wardportal/portal/db"
)

func TestWardChangesStaffRolesOnRecord(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	wardAcc := e.staffAccount("ward9", db.RoleWardStaff)
	editor := e.staffAccount("editor9", db.RoleEditor)
	ward := e.client()
	ward.signIn("ward9", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	rolesPath := func(id int64) string { return fmt.Sprintf("/staff/accounts/%d/roles", id) }

	page := ward.get("/staff/accounts")
	page.wantStatus(t, http.StatusOK)
	if page.Doc.Find(`form[action="`+rolesPath(wardAcc.ID)+`"]`).Length() != 0 {
		t.Error("the page offers to change one's own roles")
	}
	res := ward.post(rolesPath(editor.ID), url.Values{"_csrf": {ward.token()}, "roles": {"editor", "moderator", "nonsense"}})
	res.wantStatus(t, http.StatusSeeOther)
	got, err := e.db.AccountByID(ctx, editor.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Roles, ",") != "moderator,editor" {
		t.Errorf("roles after the change: %v", got.Roles)
	}
	var es []db.AuditEntry
	if err := e.db.Bun.NewSelect().Model(&es).Where("action = ?", db.AuditRoleChange).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].ActorID != wardAcc.ID || es[0].ActorRole != db.RoleWardStaff || *es[0].SubjectID != editor.ID ||
		es[0].Detail != "roles: editor → moderator,editor" || es[0].IP == "" {
		t.Fatalf("audit entries of the change: %+v", es)
	}
	// The same roles again change nothing and record nothing.
	ward.post(rolesPath(editor.ID), url.Values{"_csrf": {ward.token()}, "roles": {"moderator", "editor"}}).wantStatus(t, http.StatusSeeOther)
	// No role at all: refused beside the form, the ticks as sent.
	res = ward.post(rolesPath(editor.ID), url.Values{"_csrf": {ward.token()}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := res.Doc.Find(fmt.Sprintf("#roles-error-%d", editor.ID)).Text(); !strings.Contains(msg, "1つ以上") {
		t.Errorf("no-role error: %q", msg)
	}
	// One's own roles: refused, even by a hand-made request.
	res = ward.post(rolesPath(wardAcc.ID), url.Values{"_csrf": {ward.token()}, "roles": {"ward_staff", "system_admin"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if me, _ := e.db.AccountByID(ctx, wardAcc.ID); strings.Join(me.Roles, ",") != "ward_staff" {
		t.Errorf("own roles changed to %v", me.Roles)
	}
	var n int
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'role_change'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("role-change entries: %d %v, want 1", n, err)
	}
	// The change shows in the ward's review of the log.
	if rows := ward.get("/staff/audit?action=role_change").Doc.Find("#entries-caption").Parent().Find("tbody tr"); rows.Length() != 1 ||
		!strings.Contains(rows.Text(), "editor9") {
		t.Errorf("the audit review does not show the role change: %q", rows.Text())
	}
}
