package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

func linkRequestForm(tok, site, addr, start, end string) url.Values {
	v := url.Values{"_csrf": {tok}, "site_name": {site}, "url": {addr}, "content": {"区内の観光案内"},
		"administrator": {"会長 一郎"}, "reason": {"区民の利便性のため"}, "start_date": {start}, "end_date": {end},
		"contact": {"中野区中野4-8-1 03-0000-0000 info@example.jp 担当 二郎"}}
	v["none"] = append([]string(nil), form.LinkCategories...)
	return v
}

// TestLinkRequestsFlow: an editor requests links, a site manager approves
// one, refuses one (the comment required) and one runs past its end date;
// /leave and ApprovedDomains follow.
func TestLinkRequestsFlow(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, i18n.JST)
	e.app.now = func() time.Time { return now }
	e.staffAccount("editor1", db.RoleEditor)
	mgrAcc := e.staffAccount("manager1", db.RoleSiteManager)
	ed := e.client()
	ed.signIn("editor1", "staff-password-1")
	mgr := e.client()
	mgr.signIn("manager1", "staff-password-1")

	page := ed.get("/staff/links")
	page.wantStatus(t, http.StatusOK)
	tok := page.csrfToken(t)
	if page.Doc.Find(`button[value="approve"]`).Length() != 0 {
		t.Error("an editor is offered the decision")
	}

	// An invalid request is shown again with what was typed.
	bad := linkRequestForm(tok, "観光協会", "www.kanko.example", "2026-12-01", "")
	bad["none"] = bad["none"][1:]
	res := ed.post("/staff/links", bad)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if v := res.Doc.Find(`input[name="site_name"]`).AttrOr("value", ""); v != "観光協会" {
		t.Errorf("site name not kept: %q", v)
	}
	if v := res.Doc.Find(`input[name="url"]`).AttrOr("value", ""); v != "www.kanko.example" {
		t.Errorf("address not kept: %q", v)
	}
	if res.Doc.Find(".error-summary li").Length() != 2 {
		t.Errorf("error summary: %q", res.Doc.Find(".error-summary").Text())
	}
	if res.Doc.Find(`input[name="none"][checked]`).Length() != len(form.LinkCategories)-1 {
		t.Error("the ticked boxes are not kept")
	}

	for _, r := range []struct{ site, addr, start, end string }{
		{"観光協会", "https://www.Kanko.example/top", "2026-12-01", ""},
		{"ある団体", "https://refuse.example/", "2026-12-01", ""},
		{"期間限定", "https://ends.example/", "2026-11-01", "2026-12-05"},
	} {
		ed.post("/staff/links", linkRequestForm(tok, r.site, r.addr, r.start, r.end)).wantStatus(t, http.StatusSeeOther)
	}
	reqs, err := e.db.LinkRequests(context.Background())
	if err != nil || len(reqs) != 3 {
		t.Fatalf("%d requests, %v", len(reqs), err)
	}
	ids := map[string]int64{}
	for _, r := range reqs {
		ids[r.Domain] = r.ID
	}
	if ids["www.kanko.example"] == 0 {
		t.Fatalf("domains stored: %v", ids)
	}
	// An editor may not decide.
	ed.post("/staff/links/"+linkID(ids["www.kanko.example"]), url.Values{"_csrf": {tok}, "action": {"approve"}}).wantStatus(t, http.StatusForbidden)

	// Before approval /leave does not link to the domain.
	unsigned := "/leave?to=" + url.QueryEscape("https://www.kanko.example/event")
	if e.get(unsigned).Doc.Find("main a.button").Length() != 0 {
		t.Error("/leave links to a domain waiting for approval")
	}

	mtok := mgr.get("/staff/links").csrfToken(t)
	mgr.post("/staff/links/"+linkID(ids["www.kanko.example"]), url.Values{"_csrf": {mtok}, "action": {"approve"}}).wantStatus(t, http.StatusSeeOther)
	mgr.post("/staff/links/"+linkID(ids["ends.example"]), url.Values{"_csrf": {mtok}, "action": {"approve"}, "comment": {"年末まで"}}).wantStatus(t, http.StatusSeeOther)
	res = mgr.post("/staff/links/"+linkID(ids["refuse.example"]), url.Values{"_csrf": {mtok}, "action": {"refuse"}, "comment": {" "}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Doc.Find("#link-"+linkID(ids["refuse.example"])).Text(), "承認しない理由を入力してください") {
		t.Error("the refusal's missing comment is not shown at its request")
	}
	mgr.post("/staff/links/"+linkID(ids["refuse.example"]), url.Values{"_csrf": {mtok}, "action": {"refuse"}, "comment": {"政治的な主張を含むため"}}).wantStatus(t, http.StatusSeeOther)
	// Deciding again changes nothing.
	mgr.post("/staff/links/"+linkID(ids["refuse.example"]), url.Values{"_csrf": {mtok}, "action": {"approve"}}).wantStatus(t, http.StatusSeeOther)

	list := mgr.get("/staff/links")
	for domain, want := range map[string]string{"www.kanko.example": "承認済み", "refuse.example": "不承認", "ends.example": "承認済み"} {
		if got := list.Doc.Find("#link-" + linkID(ids[domain])).Text(); !strings.Contains(got, want) {
			t.Errorf("%s: listed as %q, want %s", domain, strings.Join(strings.Fields(got), " "), want)
		}
	}
	if !strings.Contains(list.Doc.Find("#link-"+linkID(ids["refuse.example"])).Text(), "政治的な主張を含むため") {
		t.Error("the refusal's comment is not listed")
	}
	n, err := e.db.Bun.NewSelect().Table("audit_log").Where("actor_id = ? AND action IN (?, ?)", mgrAcc.ID, db.AuditLinkApprove, db.AuditLinkRefuse).Count(context.Background())
	if err != nil || n != 3 {
		t.Errorf("decisions on the audit log: %d, %v; want 3", n, err)
	}

	for path, link := range map[string]bool{
		unsigned: true,
		"/leave?to=" + url.QueryEscape("https://ends.example/a"):  true,
		"/leave?to=" + url.QueryEscape("https://refuse.example/"): false,
	} {
		if got := e.get(path).Doc.Find("main a.button").Length() == 1; got != link {
			t.Errorf("%s: link shown %v, want %v", path, got, link)
		}
	}
	if got, _ := e.db.ApprovedDomains(context.Background(), now); strings.Join(got, " ") != "ends.example www.kanko.example" {
		t.Errorf("approved domains: %v", got)
	}

	// After its end date the request is expired: listed so, and /leave
	// and the checker no longer count it.
	now = time.Date(2026, 12, 6, 0, 30, 0, 0, i18n.JST)
	if got := mgr.get("/staff/links").Doc.Find("#link-" + linkID(ids["ends.example"])).Text(); !strings.Contains(got, "期限切れ") {
		t.Errorf("ended request listed as %q", strings.Join(strings.Fields(got), " "))
	}
	if e.get("/leave?to="+url.QueryEscape("https://ends.example/a")).Doc.Find("main a.button").Length() != 0 {
		t.Error("/leave still links to an expired domain")
	}
	if got, _ := e.db.ApprovedDomains(context.Background(), now); strings.Join(got, " ") != "www.kanko.example" {
		t.Errorf("approved domains after the end date: %v", got)
	}
}

func linkID(id int64) string { return strconv.FormatInt(id, 10) }
