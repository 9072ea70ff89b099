package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// approvalEnv is a portal with two divisions and a sub-site: an editor of
// division A working on the official site and the sub-site, an editor of
// division B, an approver and a site manager (also an approver) of A on the
// official site, an approver of B, and an approver of A who does not work
// on the official site. Its clock stands still at now.
type approvalEnv struct {
	*testEnv
	site, sub                           *db.Site
	divA, divB                          *db.Division
	editor, editorB                     *db.Account
	approver, manager, approverB, other *db.Account
	now                                 time.Time
}

func newApprovalEnv(t *testing.T) *approvalEnv {
	t.Helper()
	return newApprovalEnvOn(t, newTestEnv(t))
}

func newApprovalEnvOn(t *testing.T, e *testEnv) *approvalEnv {
	t.Helper()
	x := &approvalEnv{testEnv: e, now: time.Now().Truncate(time.Minute)}
	e.app.now = func() time.Time { return x.now }
	x.setUp(t)
	return x
}

func (x *approvalEnv) setUp(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var err error
	if x.site, err = x.db.OfficialSite(ctx); err != nil {
		t.Fatal(err)
	}
	admin := x.staffAccount("admin-ap", db.RoleWardStaff)
	act := db.Actor{Account: admin, Role: db.RoleWardStaff}
	x.divA, x.divB = &db.Division{Code: "kurashi", Name: "くらし推進課"}, &db.Division{Code: "kankyo", Name: "環境課"}
	for _, dv := range []*db.Division{x.divA, x.divB} {
		if err := x.db.CreateDivision(ctx, act, dv); err != nil {
			t.Fatal(err)
		}
	}
	x.sub = &db.Site{Slug: "kurashi", Name: "くらしのサイト", DivisionID: x.divA.ID, LeadDays: 2, Status: db.SiteActive}
	if _, err := x.db.Bun.NewInsert().Model(x.sub).Returning("*").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	x.editor = x.staffAccount("editor-ap", db.RoleEditor)
	x.editorB = x.staffAccount("editor-b", db.RoleEditor)
	x.approver = x.staffAccount("approver-ap", db.RoleApprover)
	x.manager = x.staffAccount("manager-ap", db.RoleApprover, db.RoleSiteManager)
	x.approverB = x.staffAccount("approver-b", db.RoleApprover)
	x.other = x.staffAccount("approver-sub", db.RoleApprover)
	for _, a := range []*db.Account{x.approver, x.manager, x.approverB} {
		if _, err := x.db.Bun.NewUpdate().Model(a).Set("work_email = ?", a.LoginID+"@city.example.jp").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	divisions := map[*db.Account]*db.Division{x.editor: x.divA, x.approver: x.divA, x.manager: x.divA, x.other: x.divA,
		x.editorB: x.divB, x.approverB: x.divB}
	for acc, dv := range divisions {
		if err := x.db.SetStaffDivisions(ctx, act, acc.ID, []int64{dv.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.db.AddSiteStaff(ctx, act, x.site.ID, x.editor.ID, x.editorB.ID, x.approver.ID, x.manager.ID, x.approverB.ID); err != nil {
		t.Fatal(err)
	}
	if err := x.db.AddSiteStaff(ctx, act, x.sub.ID, x.editor.ID, x.other.ID); err != nil {
		t.Fatal(err)
	}
}

// draft stores a page by author, publishing in after the clock.
func (x *approvalEnv) draft(t *testing.T, author *db.Account, site *db.Site, dv *db.Division, title string, in time.Duration, fields db.PageFields) int64 {
	t.Helper()
	p, _, err := x.db.CreatePage(context.Background(), db.Actor{Account: author}, db.NewPage{SiteID: site.ID, DivisionID: dv.ID,
		Kind: db.PageNotice, PageContent: db.PageContent{Title: title, Body: "## 日程\n\n年末年始は**受付を休みます**。",
			Fields: fields, PublishAt: x.now.Add(in)}})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// submitted stores a page and submits it, mailing the approvers as the
// authoring screens do.
func (x *approvalEnv) submitted(t *testing.T, author *db.Account, site *db.Site, dv *db.Division, title string, in time.Duration) int64 {
	t.Helper()
	id := x.draft(t, author, site, dv, title, in, db.PageFields{})
	x.submit(t, author, id)
	return id
}

func (x *approvalEnv) submit(t *testing.T, author *db.Account, id int64) {
	t.Helper()
	if err := x.db.SubmitPage(context.Background(), db.Transition{PageID: id, Actor: db.Actor{Account: author}, Now: x.now},
		x.app.pageSubmittedMail); err != nil {
		t.Fatal(err)
	}
}

// as is a client signed in as acc.
func (x *approvalEnv) as(t *testing.T, acc *db.Account) *testEnv {
	t.Helper()
	c := x.client()
	c.signIn(acc.LoginID, "staff-password-1").wantStatus(t, http.StatusSeeOther)
	return c
}

func (x *approvalEnv) state(t *testing.T, id int64) *db.PageState {
	t.Helper()
	s, err := x.db.PageState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// history lists a page's transitions as "action:to_status:role:comment".
func (x *approvalEnv) history(t *testing.T, id int64) []string {
	t.Helper()
	hs, err := x.db.PageHistory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.Action+":"+h.ToStatus+":"+h.ActorRole+":"+h.Comment)
	}
	return out
}

// decide posts an approver's decision on page id; headers as for post.
func decide(c *testEnv, id int64, v url.Values, headers ...string) *response {
	c.t.Helper()
	form := url.Values{"_csrf": {c.token()}}
	for k, vs := range v {
		form[k] = vs
	}
	return c.post(fmt.Sprintf("/staff/approvals/%d", id), form, headers...)
}

// isWholePage tells a page in the layout from a fragment (goquery wraps
// both in <html>).
func isWholePage(r *response) bool { return strings.HasPrefix(r.Body, "<!doctype html>") }

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func ja(id string, data ...map[string]any) string { return i18n.MustLoad().T("ja", id, data...) }

func TestApprovalQueueShowsWhatToDecide(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	ok := x.submitted(t, x.editor, x.site, x.divA, "粗大ごみの受付日変更", 72*time.Hour)
	soon := x.draft(t, x.editor, x.site, x.divA, "台風接近に伴う避難所の開設", time.Hour, db.PageFields{Urgent: true})
	x.submit(t, x.editor, soon)
	divB := x.submitted(t, x.editorB, x.site, x.divB, "環境フェアの開催", 72*time.Hour)
	sub := x.submitted(t, x.editor, x.sub, x.divA, "くらしのサイトのお知らせ", 72*time.Hour)
	draft := x.draft(t, x.editor, x.site, x.divA, "書きかけのお知らせ", 72*time.Hour, db.PageFields{})

	approver := x.as(t, x.approver)
	res := approver.get("/staff/approvals")
	res.wantStatus(t, http.StatusOK)
	items := res.Doc.Find("#approval-queue > li")
	var ids []string
	for i := range items.Nodes {
		ids = append(ids, items.Eq(i).AttrOr("id", ""))
	}
	// Only division A's submissions on the official site, the oldest first:
	// not division B's, not the sub-site's, not a draft.
	if want := fmt.Sprintf("approval-%d approval-%d", ok, soon); strings.Join(ids, " ") != want {
		t.Fatalf("queue %v, want %s (not %d, %d, %d)", ids, want, divB, sub, draft)
	}
	item := res.Doc.Find(fmt.Sprintf("#approval-%d", ok))
	text := squash(item.Text())
	for _, want := range []string{"お知らせ", "くらし推進課", "公式サイト", "粗大ごみの受付日変更", "職員 editor-ap",
		i18n.DateTime("ja", x.now), i18n.DateTime("ja", x.now.Add(72*time.Hour)), ja("approvals.lead_ok", map[string]any{"Days": 2})} {
		if !strings.Contains(text, want) {
			t.Errorf("the queue item does not say %q:\n%s", want, text)
		}
	}
	// The body as it will be published, folded away; the full view linked.
	if h := item.Find("details.page-preview .page-body h3").Text(); h != "日程" {
		t.Errorf("the preview's heading is %q, want the rendered Markdown", h)
	}
	if n := item.Find("details.page-preview[open]").Length(); n != 0 {
		t.Error("the preview is open: the queue should stay short on a phone")
	}
	if n := item.Find(fmt.Sprintf(`a[href="/staff/pages/%d"]`, ok)).Length(); n != 1 {
		t.Error("no link to the page's full view")
	}
	if n := item.Find(`button[name="action"][value="approve"]`).Length(); n != 1 {
		t.Error("no approve button")
	}

	// Inside the lead time: the earliest allowed time, and for a plain
	// approver no approve button and no override.
	late := res.Doc.Find(fmt.Sprintf("#approval-%d", soon))
	wantLead := ja("approvals.too_soon", map[string]any{"Days": 2, "Earliest": i18n.DateTime("ja", x.now.Add(48*time.Hour))})
	if got := squash(late.Find(".lead-time").Text()); got != wantLead {
		t.Errorf("lead-time message %q, want %q", got, wantLead)
	}
	if n := late.Find(`button[value="approve"], button[value="override"], textarea[name="override"]`).Length(); n != 0 {
		t.Errorf("a plain approver is offered %d approve or override controls inside the lead time", n)
	}
	if !strings.Contains(squash(late.Text()), ja("approvals.ask_manager")) {
		t.Error("a plain approver is not told to ask a site manager")
	}

	// The site manager gets the override, its reason filled in for an
	// urgent notice: one tap.
	manager := x.as(t, x.manager)
	res = manager.get("/staff/approvals")
	late = res.Doc.Find(fmt.Sprintf("#approval-%d", soon))
	if v := late.Find(`textarea[name="override"]`).Text(); v != ja("approvals.urgent_reason") {
		t.Errorf("override reason starts as %q, want %q", v, ja("approvals.urgent_reason"))
	}
	if n := late.Find(`button[name="action"][value="override"]`).Length(); n != 1 {
		t.Error("the site manager has no override button")
	}
	if n := res.Doc.Find(fmt.Sprintf(`#approval-%d textarea[name="override"]`, ok)).Length(); n != 0 {
		t.Error("the override is offered for a page outside the lead time")
	}

	// The count: on the back office's start page and in the header.
	home := approver.get("/staff")
	if got := squash(home.Doc.Find(`a[href="/staff/approvals"]`).Parent().Find(".badge").Text()); got != ja("approvals.waiting", map[string]any{"Count": 2}) {
		t.Errorf("/staff says %q beside the queue", got)
	}
	if got := home.Doc.Find(`header a[href="/staff"] .nav-count`).Text(); !strings.HasPrefix(got, "2") {
		t.Errorf("the header's back-office link shows %q, want 2 waiting", got)
	}
	// An approver of division B counts only their own.
	if got := x.as(t, x.approverB).get("/staff").Doc.Find(`header a[href="/staff"] .nav-count`).Text(); !strings.HasPrefix(got, "1") {
		t.Errorf("division B's approver sees %q waiting, want 1", got)
	}
	// An editor has no queue, and no count.
	editor := x.as(t, x.editor)
	if n := editor.get("/staff").Doc.Find(`a[href="/staff/approvals"], .nav-count`).Length(); n != 0 {
		t.Error("an editor is shown the approver's queue or its count")
	}
	editor.get("/staff/approvals").wantStatus(t, http.StatusForbidden)

	// Submitting mailed the approvers of the page's division and site.
	var mails []db.Mail
	if err := x.db.Bun.NewSelect().Model(&mails).Where("kind = ?", "page_submitted").Order("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range mails {
		if strings.Contains(m.Subject, "粗大ごみの受付日変更") {
			to = append(to, m.To)
			if !strings.Contains(m.Body, fmt.Sprintf("/staff/approvals#approval-%d", ok)) || !strings.Contains(m.Body, "くらし推進課") {
				t.Errorf("the mail does not lead to the queue or name the division:\n%s", m.Body)
			}
		}
	}
	if strings.Join(to, " ") != "approver-ap@city.example.jp manager-ap@city.example.jp" {
		t.Errorf("submission mailed %v, want the approver and the manager of division A", to)
	}
}

func TestApprovePage(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	id := x.submitted(t, x.editor, x.site, x.divA, "粗大ごみの受付日変更", 72*time.Hour)
	approver := x.as(t, x.approver)
	version := x.state(t, id).Working.Version

	// htmx: the item is replaced in place by what happened.
	res := decide(approver, id, url.Values{"action": {"approve"}, "note": {"確認しました"}, "version": {fmt.Sprint(version)}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	if isWholePage(res) {
		t.Error("htmx got a whole page, want the item's fragment")
	}
	want := ja("approvals.done.scheduled", map[string]any{"Title": "粗大ごみの受付日変更", "When": i18n.DateTime("ja", x.now.Add(72*time.Hour))})
	if got := squash(res.Doc.Find(fmt.Sprintf(`li#approval-%d [role="status"]`, id)).Text()); got != want {
		t.Errorf("after approving: %q, want %q", got, want)
	}
	s := x.state(t, id)
	if s.Working == nil || s.Working.Status != db.RevApproved || s.Live != nil {
		t.Fatalf("after approving: %+v", s)
	}
	h := x.history(t, id)
	if last := h[len(h)-1]; last != "approve:approved:approver:確認しました" {
		t.Errorf("history ends %q", last)
	}
	// Approved, it moves to the second list, which the approver may not end
	// yet (it is not live).
	page := approver.get("/staff/approvals")
	if page.Doc.Find(fmt.Sprintf("#approval-%d", id)).Length() != 0 {
		t.Error("the approved page is still in the queue")
	}
	li := page.Doc.Find(fmt.Sprintf("#approved-pages #live-%d", id))
	if !strings.Contains(li.Text(), ja("approvals.scheduled")) || li.Find("form").Length() != 0 {
		t.Errorf("the approved page in the second list: %q, forms %d", squash(li.Text()), li.Find("form").Length())
	}

	// Deciding again (another approver's stale form) says it was handled.
	res = decide(x.as(t, x.manager), id, url.Values{"action": {"approve"}, "version": {fmt.Sprint(version)}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	if got := squash(res.Doc.Find(`[role="status"]`).Text()); got != ja("approvals.conflict") {
		t.Errorf("a second decision: %q", got)
	}

	// Without JavaScript: 303 back to the queue, the outcome as a flash.
	id2 := x.submitted(t, x.editor, x.site, x.divA, "図書館の休館日", 96*time.Hour)
	res = decide(approver, id2, url.Values{"action": {"approve"}})
	res.wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/staff/approvals" {
		t.Errorf("redirect to %q", loc)
	}
	flash := squash(approver.get("/staff/approvals").Doc.Find("main .flash").Text())
	if !strings.Contains(flash, "図書館の休館日") {
		t.Errorf("flash %q does not name the page", flash)
	}
	if s := x.state(t, id2); s.Working == nil || s.Working.Status != db.RevApproved {
		t.Errorf("the plain POST did not approve: %+v", s.Working)
	}
}

func TestSendBackNeedsAComment(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	id := x.submitted(t, x.editor, x.site, x.divA, "粗大ごみの受付日変更", 72*time.Hour)
	approver := x.as(t, x.approver)
	field := fmt.Sprintf("#approval-%d-comment", id)

	// htmx: the item again, 422, the error beside the comment, the note kept.
	res := decide(approver, id, url.Values{"action": {"send_back"}, "comment": {" \r\n "}, "note": {"メモ"}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if isWholePage(res) {
		t.Error("htmx got a whole page")
	}
	if got := res.Doc.Find(field + "-error").Text(); got != ja("form.err.comment_required") {
		t.Errorf("comment error %q", got)
	}
	if inv, _ := res.Doc.Find(field).Attr("aria-invalid"); inv != "true" {
		t.Error("the comment is not marked invalid")
	}
	if res.Doc.Find(fmt.Sprintf("#approval-%d details[open] %s", id, field)).Length() != 1 {
		t.Error("the send-back section is not open around its error")
	}
	if v := res.Doc.Find(fmt.Sprintf("#approval-%d-note", id)).Text(); v != "メモ" {
		t.Errorf("the note typed is lost: %q", v)
	}
	// Without JavaScript: a page with the one item, 422.
	res = decide(approver, id, url.Values{"action": {"send_back"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !isWholePage(res) || res.Doc.Find("h1").Text() != ja("approvals.item") || res.Doc.Find(field+"-error").Length() != 1 {
		t.Errorf("the plain POST's error page: h1 %q", res.Doc.Find("h1").Text())
	}
	if s := x.state(t, id); s.Working.Status != db.RevSubmitted {
		t.Fatalf("an invalid send-back changed the page to %s", s.Working.Status)
	}

	res = decide(approver, id, url.Values{"action": {"send_back"}, "comment": {"日付が違います。"}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	if got := squash(res.Doc.Find(`[role="status"]`).Text()); got != ja("approvals.done.sent_back", map[string]any{"Title": "粗大ごみの受付日変更"}) {
		t.Errorf("after sending back: %q", got)
	}
	s := x.state(t, id)
	if s.Working.Status != db.RevSentBack || s.Working.Comment != "日付が違います。" {
		t.Errorf("after sending back: %s %q", s.Working.Status, s.Working.Comment)
	}
	// An unknown action is no form of ours.
	decide(approver, id, url.Values{"action": {"publish"}}).wantStatus(t, http.StatusBadRequest)
}

func TestApprovalRefusedOutsideTheApproversReach(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	pageA := x.submitted(t, x.editor, x.site, x.divA, "くらしのお知らせ", 72*time.Hour)
	pageSub := x.submitted(t, x.editor, x.sub, x.divA, "くらしのサイトのお知らせ", 72*time.Hour)
	cases := []struct {
		name string
		acc  *db.Account
		page int64
	}{
		{"an approver of another division", x.approverB, pageA},
		{"an approver of the division not working on the site", x.approver, pageSub},
		{"an approver of the division on another site", x.other, pageA},
		{"an editor", x.editor, pageA},
	}
	for _, c := range cases {
		client := x.as(t, c.acc)
		for _, action := range []url.Values{
			{"action": {"approve"}},
			{"action": {"send_back"}, "comment": {"だめです"}},
			{"action": {"send_back"}}, // invalid too: refused before the item is shown
			{"action": {"override"}, "override": {"急ぎ"}},
		} {
			res := decide(client, c.page, action, "HX-Request", "true")
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s, %v: status %d, want 403", c.name, action, res.StatusCode)
			}
			if strings.Contains(res.Body, "お知らせ") {
				t.Errorf("%s: the refusal shows the page", c.name)
			}
		}
		if res := client.post(fmt.Sprintf("/staff/approvals/%d/end", c.page), url.Values{"_csrf": {client.token()}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s, end: status %d, want 403", c.name, res.StatusCode)
		}
	}
	for _, id := range []int64{pageA, pageSub} {
		if s := x.state(t, id); s.Working.Status != db.RevSubmitted {
			t.Errorf("page %d is %s after refusals", id, s.Working.Status)
		}
	}
	// The approver of the sub-site's division who works there may decide it.
	decide(x.as(t, x.other), pageSub, url.Values{"action": {"approve"}}, "HX-Request", "true").wantStatus(t, http.StatusOK)
	decide(x.as(t, x.approver), 999999, url.Values{"action": {"approve"}}).wantStatus(t, http.StatusNotFound)
}

func TestTwoDayRuleAndTheSiteManagersOverride(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	id := x.submitted(t, x.editor, x.site, x.divA, "台風接近に伴う避難所の開設", 3*time.Hour)
	earliest := i18n.DateTime("ja", x.now.Add(48*time.Hour))
	refusal := ja("approvals.too_soon", map[string]any{"Days": 2, "Earliest": earliest})
	lead := fmt.Sprintf("#approval-%d-lead", id)

	// A plain approver is refused, told the earliest time, offered no override.
	approver := x.as(t, x.approver)
	res := decide(approver, id, url.Values{"action": {"approve"}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := squash(res.Doc.Find(lead + ".error").Text()); got != refusal {
		t.Errorf("refusal %q, want %q", got, refusal)
	}
	if !strings.Contains(refusal, "年") || !strings.Contains(refusal, earliest) {
		t.Errorf("the refusal %q does not give the date the Japanese way", refusal)
	}
	if n := res.Doc.Find(`textarea[name="override"], button[value="override"]`).Length(); n != 0 {
		t.Error("a plain approver is offered the override")
	}
	// Sending an override anyway is refused: only site managers may.
	decide(approver, id, url.Values{"action": {"override"}, "override": {"急ぎです"}}, "HX-Request", "true").wantStatus(t, http.StatusForbidden)

	// The site manager, refused on a plain approval, gets the override form.
	manager := x.as(t, x.manager)
	res = decide(manager, id, url.Values{"action": {"approve"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !isWholePage(res) || squash(res.Doc.Find(lead).Text()) != refusal {
		t.Errorf("the plain POST's refusal page: %q", squash(res.Doc.Find(lead).Text()))
	}
	if res.Doc.Find(fmt.Sprintf(`#approval-%d textarea[name="override"]`, id)).Length() != 1 {
		t.Fatal("the site manager is not offered the override after the refusal")
	}
	// A reason is required.
	res = decide(manager, id, url.Values{"action": {"override"}, "override": {""}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := res.Doc.Find(fmt.Sprintf("#approval-%d-override-error", id)).Text(); got != ja("form.err.override_required") {
		t.Errorf("override without a reason: %q", got)
	}
	if s := x.state(t, id); s.Working.Status != db.RevSubmitted {
		t.Fatalf("refusals changed the page to %s", s.Working.Status)
	}

	const reason = "台風の接近に伴う緊急のお知らせのため"
	res = decide(manager, id, url.Values{"action": {"override"}, "override": {reason}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	want := ja("approvals.done.scheduled", map[string]any{"Title": "台風接近に伴う避難所の開設", "When": i18n.DateTime("ja", x.now.Add(3*time.Hour))}) +
		ja("approvals.done.override_recorded")
	if got := squash(res.Doc.Find(`[role="status"]`).Text()); got != want {
		t.Errorf("after the override: %q, want %q", got, want)
	}
	s := x.state(t, id)
	if s.Working.Status != db.RevApproved || s.Working.OverrideReason != reason {
		t.Errorf("after the override: %s, reason %q", s.Working.Status, s.Working.OverrideReason)
	}
	h := x.history(t, id)
	if last := h[len(h)-1]; last != "approve_override:approved:site_manager:"+reason {
		t.Errorf("history ends %q", last)
	}
	var audit []db.AuditEntry
	if err := x.db.Bun.NewSelect().Model(&audit).Where("action = ?", db.AuditLeadOverride).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].ActorID != x.manager.ID || audit[0].ActorRole != db.RoleSiteManager || !strings.Contains(audit[0].Detail, reason) {
		t.Errorf("audit log: %+v, want one override by the manager with the reason", audit)
	}
	// The second list shows the approved page with its recorded reason.
	li := manager.get("/staff/approvals").Doc.Find(fmt.Sprintf("#live-%d", id))
	if !strings.Contains(li.Text(), reason) {
		t.Errorf("the scheduled page does not show the override's reason: %q", squash(li.Text()))
	}

	// A publish time already past: the override publishes at once.
	now := x.submitted(t, x.editor, x.site, x.divA, "断水のお知らせ", 0)
	res = decide(manager, now, url.Values{"action": {"override"}, "override": {"断水が始まっているため"}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	if got := squash(res.Doc.Find(`[role="status"]`).Text()); !strings.HasPrefix(got, ja("approvals.done.published", map[string]any{"Title": "断水のお知らせ"})) {
		t.Errorf("override of a due page: %q", got)
	}
	if s := x.state(t, now); s.Live == nil || s.Live.Status != db.RevPublished {
		t.Errorf("the due page is not live: %+v", s)
	}
}

func TestEndPageNow(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	ctx := context.Background()
	id := x.submitted(t, x.editor, x.site, x.divA, "夏祭りのお知らせ", 72*time.Hour)
	if err := x.db.ApprovePage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: x.approver}, Now: x.now}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := x.db.RunSchedule(ctx, x.now.Add(72*time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("publish: %d %v", n, err)
	}
	x.now = x.now.Add(80 * time.Hour)
	approver := x.as(t, x.approver)
	li := approver.get("/staff/approvals").Doc.Find(fmt.Sprintf("#approved-pages #live-%d", id))
	if !strings.Contains(li.Text(), ja("approvals.live")) {
		t.Fatalf("the live page is not listed as live: %q", squash(li.Text()))
	}
	if li.Find(fmt.Sprintf(`form[action="/staff/approvals/%d/end"] button`, id)).Length() != 1 {
		t.Fatal("no end button on the live page")
	}
	// Nobody outside the division's approvers sees it.
	if n := x.as(t, x.approverB).get("/staff/approvals").Doc.Find(fmt.Sprintf("#live-%d", id)).Length(); n != 0 {
		t.Error("division B's approver sees division A's live page")
	}

	path := fmt.Sprintf("/staff/approvals/%d/end", id)
	res := approver.post(path, url.Values{"_csrf": {approver.token()}, "comment": {strings.Repeat("長", 1001)}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find(fmt.Sprintf("#live-%d details[open] #live-%d-comment-error", id, id)).Length() != 1 {
		t.Error("an overlong reason shows no error beside the field")
	}
	res = approver.post(path, url.Values{"_csrf": {approver.token()}, "comment": {"祭りが中止になったため"}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	if got := squash(res.Doc.Find(fmt.Sprintf(`li#live-%d [role="status"]`, id)).Text()); got != ja("approvals.done.ended", map[string]any{"Title": "夏祭りのお知らせ"}) {
		t.Errorf("after ending: %q", got)
	}
	s := x.state(t, id)
	if s.Live != nil || s.Page.LiveRevisionID != nil {
		t.Errorf("the page is still live: %+v", s.Live)
	}
	h := x.history(t, id)
	if last := h[len(h)-1]; last != "end:ended:approver:祭りが中止になったため" {
		t.Errorf("history ends %q", last)
	}
	// Ending again, without JavaScript: back to the list, told it is over.
	res = approver.post(path, url.Values{"_csrf": {approver.token()}})
	res.wantStatus(t, http.StatusSeeOther)
	if got := squash(approver.get("/staff/approvals").Doc.Find("main .flash").Text()); got != ja("approvals.end_conflict") {
		t.Errorf("ending twice: %q", got)
	}
}

// testClock is a clock the test moves; schedulers read it from their goroutines.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// pageHistoryCount counts a page's history rows of action reaching status.
func pageHistoryCount(t *testing.T, d *db.DB, id int64, action, to string) int64 {
	t.Helper()
	n, err := d.Bun.NewSelect().Model((*db.PageHistory)(nil)).Where("page_id = ? AND action = ? AND to_status = ?", id, action, to).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTwoSchedulersPublishAndEndEachPageOnce runs the scheduler of two app
// instances over one database against a clock the test moves: nothing goes
// out early, each due page is published exactly once and ended exactly once.
func TestTwoSchedulersPublishAndEndEachPageOnce(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	testTwoSchedulers(t, x, newTestEnvDB(t, x.db))
}

// testTwoSchedulers is TestTwoSchedulersPublishAndEndEachPageOnce on the
// instances given (TestBehindPgBouncer runs it through PgBouncer).
func testTwoSchedulers(t *testing.T, x *approvalEnv, second *testEnv) {
	ctx := context.Background()
	base := x.now
	var ids []int64
	for i := range 6 {
		id := x.draft(t, x.editor, x.site, x.divA, fmt.Sprintf("お知らせ %d", i), 72*time.Hour+time.Duration(i)*time.Minute, db.PageFields{})
		if i%2 == 0 { // half of them end too
			s := x.state(t, id)
			c := s.Working.Content()
			end := base.Add(100 * time.Hour)
			c.EndAt = &end
			if _, err := x.db.SavePage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: x.editor}, Now: base}, c); err != nil {
				t.Fatal(err)
			}
		}
		x.submit(t, x.editor, id)
		if err := x.db.ApprovePage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: x.approver}, Now: base}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}

	clock := &testClock{t: base.Add(71 * time.Hour)}
	x.app.now, second.app.now = clock.Now, clock.Now
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, a := range []*App{x.app, second.app} {
		wg.Go(func() { a.runScheduler(runCtx, 2*time.Millisecond) })
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	live := func() int64 {
		n, err := x.db.Bun.NewSelect().Model((*db.ContentPage)(nil)).Where("id IN (?) AND live_revision_id IS NOT NULL", bun.List(ids)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Before their time the schedulers leave them (give them some rounds).
	time.Sleep(100 * time.Millisecond)
	if n := live(); n != 0 {
		t.Fatalf("%d pages live an hour before their time", n)
	}
	// At the first page's time exactly, that page; then the rest.
	clock.Set(base.Add(72 * time.Hour))
	waitFor("the first page", func() bool { return live() == 1 })
	clock.Set(base.Add(72*time.Hour + 10*time.Minute))
	waitFor("every page live", func() bool { return live() == int64(len(ids)) })
	time.Sleep(100 * time.Millisecond) // more rounds on both instances
	clock.Set(base.Add(100 * time.Hour))
	waitFor("half the pages ended", func() bool { return live() == int64(len(ids)/2) })
	time.Sleep(100 * time.Millisecond)
	stop()
	wg.Wait()

	for i, id := range ids {
		if n := pageHistoryCount(t, x.db, id, db.PageActPublish, db.RevPublished); n != 1 {
			t.Errorf("page %d published %d times, want once", id, n)
		}
		var wantEnd int64
		if i%2 == 0 {
			wantEnd = 1
		}
		if n := pageHistoryCount(t, x.db, id, db.PageActEnd, db.RevEnded); n != wantEnd {
			t.Errorf("page %d ended %d times, want %d", id, n, wantEnd)
		}
	}
	s := x.state(t, ids[0])
	if s.Page.PublishedAt == nil || !s.Page.PublishedAt.Equal(base.Add(72*time.Hour)) {
		t.Errorf("the first page was published at %v, want its time %v", s.Page.PublishedAt, base.Add(72*time.Hour))
	}
}

// TestRemindersOncePerPeriod: a submission waiting longer than the reminder
// period is mailed to its approvers once, however many instances run, and
// again only after another period.
func TestRemindersOncePerPeriod(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	second := newTestEnvDB(t, x.db)
	if x.app.cfg.ApprovalRemind != 24*time.Hour {
		t.Fatalf("default reminder period %v, want 24h", x.app.cfg.ApprovalRemind)
	}
	ctx := context.Background()
	base := x.now
	id := x.submitted(t, x.editor, x.site, x.divA, "粗大ごみの受付日変更", 120*time.Hour)
	decided := x.submitted(t, x.editor, x.site, x.divA, "決まったお知らせ", 120*time.Hour)
	if err := x.db.ApprovePage(ctx, db.Transition{PageID: decided, Actor: db.Actor{Account: x.approver}, Now: base}); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	x.app.now, second.app.now = clock.Now, clock.Now
	runBoth := func(at time.Duration) {
		clock.Set(base.Add(at))
		var wg sync.WaitGroup
		for _, a := range []*App{x.app, second.app} {
			wg.Go(func() { a.schedule(ctx) })
		}
		wg.Wait()
	}
	reminders := func() []db.Mail {
		var ms []db.Mail
		if err := x.db.Bun.NewSelect().Model(&ms).Where("kind = ?", "page_reminder").Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		return ms
	}
	steps := []struct {
		at   time.Duration
		want int
	}{
		{23 * time.Hour, 0},
		{24 * time.Hour, 2}, // the approver and the manager of division A
		{25 * time.Hour, 2},
		{47 * time.Hour, 2},
		{48 * time.Hour, 4},
		{48*time.Hour + 30*time.Second, 4},
	}
	for _, s := range steps {
		runBoth(s.at)
		if got := len(reminders()); got != s.want {
			t.Fatalf("after %v: %d reminders, want %d", s.at, got, s.want)
		}
	}
	ms := reminders()
	if ms[0].To != "approver-ap@city.example.jp" || ms[1].To != "manager-ap@city.example.jp" {
		t.Errorf("reminded %s and %s", ms[0].To, ms[1].To)
	}
	if !strings.Contains(ms[0].Subject, "粗大ごみの受付日変更") || !strings.Contains(ms[0].Body, i18n.DateTime("ja", base)) ||
		!strings.Contains(ms[0].Body, fmt.Sprintf("/staff/approvals#approval-%d", id)) {
		t.Errorf("reminder:\n%s\n%s", ms[0].Subject, ms[0].Body)
	}
	// Decided, it is not reminded of any more.
	if err := x.db.ApprovePage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: x.approver}, Now: base.Add(49 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	runBoth(96 * time.Hour)
	if got := len(reminders()); got != 4 {
		t.Errorf("after approval: %d reminders, want still 4", got)
	}
}

func TestApprovalRemindHoursConfig(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "PORTAL_APPROVAL_REMIND_HOURS" {
				return v
			}
			return ""
		}
	}
	cfg, err := LoadConfig(env("6"))
	if err != nil || cfg.ApprovalRemind != 6*time.Hour {
		t.Errorf("6: %v %v", cfg.ApprovalRemind, err)
	}
	for _, bad := range []string{"0", "-1", "1.5", "721", "day"} {
		if _, err := LoadConfig(env(bad)); err == nil || !strings.Contains(err.Error(), "PORTAL_APPROVAL_REMIND_HOURS") {
			t.Errorf("%q: %v, want an error naming the variable", bad, err)
		}
	}
}
