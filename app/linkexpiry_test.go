package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// TestLinkExpiryFlagsPagesAndMailsOnce: with a controllable clock, an
// approved link request stays approved through its end date; the day after,
// the scheduler flags every page whose live or working revision links to
// the domain (in the staff list, the editor and the approver's screen),
// the outbound-link check reports the link again, and each editor of the
// pages' divisions and the requester get one mail, however often it runs.
// A new approval of the domain lifts the flags.
func TestLinkExpiryFlagsPagesAndMailsOnce(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ctx := context.Background()
	for who, addr := range map[string]string{"editor": "editor@city.example.jp", "editor2": "editor2@city.example.jp",
		"editorB": "editorb@city.example.jp"} {
		if _, err := p.db.Bun.NewUpdate().Model(p.acc[who]).Set("work_email = ?", addr).WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	p.app.now = func() time.Time { return now }
	end := dateOnly(now).AddDate(0, 0, 5)
	req := &db.LinkRequest{SiteName: "期間限定の催し", URL: "https://ends.example/top", Content: "区の催しの案内",
		Administrator: "実行委員会", Reason: "区民の参加のため", StartDate: dateOnly(now).AddDate(0, 0, -1), EndDate: &end,
		Contact: "実行委員会 03-0000-0000", NoneAdult: true, NoneCrime: true, NoneDefame: true, NonePolitical: true,
		NoneElection: true, NoneMalware: true}
	if err := p.db.RequestLink(ctx, db.Actor{Account: p.acc["editor2"], Role: db.RoleEditor}, req); err != nil {
		t.Fatal(err)
	}
	if err := p.db.DecideLink(ctx, db.Actor{Account: p.acc["manager"], Role: db.RoleSiteManager}, req.ID, true, "", now); err != nil {
		t.Fatal(err)
	}

	linked := "## 催し\n\n詳しくは[催しの案内ページ](https://ends.example/info)をご覧ください。"
	live := p.create(t, "editor", db.PageNotice, "body", linked)
	draft := p.create(t, "editor", db.PageNotice, "title", "下書きの案内", "body", "案内：<https://ENDS.example/x>")
	other := p.create(t, "editorB", db.PageNotice, "division", idStr(p.divB.ID), "title", "環境課の案内", "body", linked)
	unrelated := p.create(t, "editor", db.PageNotice, "title", "別サイトの案内", "body", "[別のサイト](https://notends.example/) と https://ends.example.org/")
	if err := p.db.SubmitPage(ctx, db.Transition{PageID: live, Actor: db.Actor{Account: p.acc["editor"]}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.db.ApprovePage(ctx, db.Transition{PageID: live, Actor: db.Actor{Account: p.acc["approver"]}, Now: now}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(4 * 24 * time.Hour)
	p.app.schedule(ctx)
	if s := p.state(t, live); s.Live == nil {
		t.Fatal("the page was not published")
	}

	mails := func() map[string]string {
		var ms []db.Mail
		if err := p.db.Bun.NewSelect().Model(&ms).Where("kind = 'link_expired'").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, m := range ms {
			if _, dup := out[m.To]; dup {
				t.Errorf("two mails to %s", m.To)
			}
			out[m.To] = m.Subject + "\n" + m.Body
		}
		return out
	}
	flagged := func(who string, id int64) bool {
		res := p.as[who].get("/staff/pages/" + idStr(id))
		res.wantStatus(t, http.StatusOK)
		return strings.Contains(res.Doc.Find(".link-flags").Text(), "ends.example")
	}
	listFlags := func() int {
		res := p.as["editor"].get("/staff/pages")
		res.wantStatus(t, http.StatusOK)
		return res.Doc.Find(".badge.link-flag").Length()
	}

	// The last day of the approval: nothing happens.
	now = time.Date(end.Year(), end.Month(), end.Day(), 23, 0, 0, 0, pagesJST)
	p.app.schedule(ctx)
	if n := len(mails()); n != 0 || flagged("editor", live) || listFlags() != 0 {
		t.Fatalf("flagged or mailed (%d) before the end date", n)
	}
	if hasErrors(p.app.pageProblems(ctx, live, p.divA.ID, db.PageNotice, "t", linked)) {
		t.Fatal("the link is an error while still approved")
	}

	// The day after, twice.
	now = now.Add(2 * time.Hour)
	p.app.schedule(ctx)
	p.app.schedule(ctx)
	if !flagged("editor", live) || !flagged("editor", draft) || flagged("editor", unrelated) {
		t.Error("the editor does not see the flag on exactly the linking pages")
	}
	if !flagged("editorB", other) {
		t.Error("the other division's page is not flagged")
	}
	if n := listFlags(); n != 2 {
		t.Errorf("%d flagged pages in the list, want 2", n)
	}
	ap := p.as["approver"].get("/staff/approvals")
	ap.wantStatus(t, http.StatusOK)
	if !strings.Contains(ap.Doc.Find("#live-"+idStr(live)+" .link-flags").Text(), "ends.example") {
		t.Errorf("the approver does not see the flag: %q", ap.Doc.Find("#approved-pages").Text())
	}
	if !hasErrors(p.app.pageProblems(ctx, live, p.divA.ID, db.PageNotice, "t", linked)) {
		t.Error("an expired approval still counts as approved")
	}
	got := mails()
	if len(got) != 3 {
		t.Fatalf("mails to %v, want the two editors with pages and the requester", got)
	}
	if m := got["editor@city.example.jp"]; !strings.Contains(m, "年末年始の窓口のご案内") || !strings.Contains(m, "下書きの案内") ||
		strings.Contains(m, "環境課の案内") || !strings.Contains(m, "ends.example") {
		t.Errorf("editor's mail:\n%s", m)
	}
	if m := got["editorb@city.example.jp"]; !strings.Contains(m, "環境課の案内") || strings.Contains(m, "下書きの案内") {
		t.Errorf("editorB's mail:\n%s", m)
	}
	if m := got["editor2@city.example.jp"]; !strings.Contains(m, "あなたが申請した") || !strings.Contains(m, "環境課の案内") {
		t.Errorf("requester's mail:\n%s", m)
	}
	reqs, err := p.db.LinkRequests(ctx)
	if err != nil || len(reqs) != 1 || reqs[0].Status != db.LinkExpired || reqs[0].ExpiredAt == nil {
		t.Fatalf("request after expiry: %+v, %v", reqs, err)
	}

	// Approving the domain again lifts the flags.
	again := *req
	again.EndDate = nil
	if err := p.db.RequestLink(ctx, db.Actor{Account: p.acc["editor2"], Role: db.RoleEditor}, &again); err != nil {
		t.Fatal(err)
	}
	if err := p.db.DecideLink(ctx, db.Actor{Account: p.acc["manager"], Role: db.RoleSiteManager}, again.ID, true, "", now); err != nil {
		t.Fatal(err)
	}
	if flagged("editor", live) || listFlags() != 0 {
		t.Error("the flags stay after a new approval")
	}
}
