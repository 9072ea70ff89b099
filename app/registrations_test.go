package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/wardportal/portal/db"
)

// A registration decision goes into the deciding staff member's access
// history like every other significant action: with the address and the
// browser, from the one actor value the handler passes to db.
func TestRegistrationDecisionRecordsTheBrowser(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	login, _ := e.register(validRegistration)
	acc, err := e.db.AccountByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	mod := e.client()
	staff := mod.staffAccount("mod1", db.RoleModerator)
	mod.signIn("mod1", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	tok := mod.get("/staff/registrations").csrfToken(t)
	const browser = "Mozilla/5.0 (ward office terminal 7)"
	mod.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {db.RegistrationConfirm}, "_csrf": {tok}},
		"User-Agent", browser).wantStatus(t, http.StatusSeeOther)

	var got []db.AccessEvent
	if err := e.db.Bun.NewSelect().Model(&got).Where("account_id = ? AND action = ?", staff.ID, db.ActionConfirm).
		Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d access-history lines for the decision, want 1", len(got))
	}
	if got[0].UserAgent != browser || got[0].IP == "" || got[0].Detail != login {
		t.Errorf("access history = %+v, want user agent %q, an address and the member's login ID", got[0], browser)
	}
}
