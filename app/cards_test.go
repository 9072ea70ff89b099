package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
)

const iPhoneSafari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

// wantCards checks a table that turns into cards on a phone: every cell
// says which column it is in.
func wantCards(t *testing.T, page string, table *goquery.Selection) {
	t.Helper()
	if table.Length() == 0 || !table.HasClass("cards") {
		t.Fatalf("%s: no table.cards", page)
	}
	heads := table.Find("thead th").Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
	table.Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
		tr.Find("td").Each(func(i int, td *goquery.Selection) {
			if got := td.AttrOr("data-label", ""); i >= len(heads) || got != heads[i] {
				t.Errorf("%s: cell %d data-label=%q, column heading %v", page, i, got, heads)
			}
		})
	})
}

// TestTablesBecomeCards: the access history names the browser in words
// (「iPhone・Safari」), the audit log gives roles in words and labels the
// purpose of an export, and both, with the member search, are cards on a
// phone.
func TestTablesBecomeCards(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	member := e.memberAccount("M7100001", "かーどのひと")
	m := e.client()
	tok := m.get("/login").csrfToken(t)
	m.post("/login", url.Values{"login_id": {"M7100001"}, "password": {"member-password-1"}, "_csrf": {tok}}, "User-Agent", iPhoneSafari).
		wantStatus(t, http.StatusSeeOther)

	hist := m.get("/account/history")
	hist.wantStatus(t, http.StatusOK)
	wantCards(t, "/account/history", hist.Doc.Find("main table"))
	browsers := hist.Doc.Find(`main td[data-label="` + e.app.catalog.T("ja", "history.browser") + `"]`).Text()
	if !strings.Contains(browsers, "iPhone・Safari") {
		t.Errorf("browser column %q, want iPhone・Safari", browsers)
	}
	if strings.Contains(hist.Body, "AppleWebKit") {
		t.Error("the raw user agent is on the page")
	}

	ward := e.staffAccount("ward-cards", db.RoleWardStaff)
	w := e.client()
	w.signIn("ward-cards", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	if err := e.db.Audit(ctx, &db.AuditEntry{ActorID: ward.ID, ActorRole: db.RoleWardStaff, Action: db.AuditExport, SubjectID: &member.ID,
		Fields: []string{"name", "email"}, Purpose: "防災訓練の案内送付", Detail: "csv", IP: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	audit := w.get("/staff/audit")
	audit.wantStatus(t, http.StatusOK)
	entries := audit.Doc.Find(`main table:has(caption#entries-caption)`)
	wantCards(t, "/staff/audit", entries)
	row := entries.Find("tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "防災訓練の案内送付")
	})
	if row.Length() != 1 {
		t.Fatal("the export entry is not listed")
	}
	if got := strings.TrimSpace(row.Find(".audit-purpose").Text()); got != e.app.catalog.T("ja", "audit.purpose_label")+"防災訓練の案内送付" {
		t.Errorf("purpose %q", got)
	}
	if !strings.Contains(row.Text(), e.app.catalog.T("ja", "role.ward_staff")) || strings.Contains(row.Text(), db.RoleWardStaff) {
		t.Errorf("the role is not in words: %q", row.Text())
	}
	if !strings.Contains(row.Text(), e.app.catalog.T("ja", "audit.action."+db.AuditExport)) {
		t.Errorf("the action is not in words: %q", row.Text())
	}

	members := w.get("/staff/members?login_id=M7100001")
	members.wantStatus(t, http.StatusOK)
	wantCards(t, "/staff/members", members.Doc.Find("main table"))
	if members.Doc.Find("main tbody tr").Length() != 1 {
		t.Error("member search: the member is not listed")
	}
}
