package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// checkedPage stores and submits a notice of division A with body.
func (x *approvalEnv) checkedPage(t *testing.T, title, body string) int64 {
	t.Helper()
	p, _, err := x.db.CreatePage(context.Background(), db.Actor{Account: x.editor}, db.NewPage{SiteID: x.site.ID, DivisionID: x.divA.ID,
		Kind: db.PageNotice, PageContent: db.PageContent{Title: title, Body: body, PublishAt: x.now.Add(72 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	x.submit(t, x.editor, p.ID)
	return p.ID
}

func (x *approvalEnv) setContact(t *testing.T, dv *db.Division, contact string) {
	t.Helper()
	if _, err := x.db.Bun.NewUpdate().Table("divisions").Set("contact = ?", contact).Where("id = ?", dv.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCheckResultsInTheEditorPreview(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	x.setContact(t, x.divA, "くらし推進課 担当 佐藤一郎\n電話 03-3389-1111\nkurashi@city.example.jp")
	ed := x.as(t, x.editor)
	body := "詳しくは090-1234-5678へ。課の電話は03-3389-1111です。\n\n![](/files/1/map.png)"
	res := ed.post("/staff/pages/preview", url.Values{"_csrf": {ed.token()}, "title": {"説明会"}, "body": {body},
		"division": {fmt.Sprint(x.divA.ID)}, "kind": {db.PageNotice}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	list := res.Doc.Find("section.check-results li")
	text := squash(list.Text())
	for _, want := range []string{ja("checks.severity.error"), "090-1234-5678", ja("check.pii.phone"), ja("check.pii.phone.fix"), ja("check.a11y.img_alt")} {
		if !strings.Contains(text, want) {
			t.Errorf("the preview's check results lack %q: %q", want, text)
		}
	}
	if marks := list.Find("mark").Text(); strings.Contains(marks, "03-3389-1111") {
		t.Errorf("the division's own contact phone is flagged: %q", text)
	}
	if h := res.Doc.Find("section.check-results h3").Text(); h != ja("checks.heading") {
		t.Errorf("check results heading %q", h)
	}

	// Without JavaScript: the saved page's view lists the same findings, the
	// division known from the page.
	id := x.draft(t, x.editor, x.site, x.divA, "説明会", 72*time.Hour, db.PageFields{})
	if _, err := x.db.SavePage(context.Background(), db.Transition{PageID: id, Actor: db.Actor{Account: x.editor}, Now: x.now},
		db.PageContent{Title: "説明会", Body: body, PublishAt: x.now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	page := ed.get(fmt.Sprintf("/staff/pages/%d", id))
	page.wantStatus(t, http.StatusOK)
	text = squash(page.Doc.Find("section.check-results").Text())
	if !strings.Contains(text, "090-1234-5678") || strings.Contains(page.Doc.Find("section.check-results mark").Text(), "03-3389-1111") ||
		!strings.Contains(text, ja("check.a11y.img_alt")) {
		t.Errorf("the page view's check results: %q", text)
	}
	// The htmx preview of an existing page knows its division from the page.
	res = ed.post("/staff/pages/preview", url.Values{"_csrf": {ed.token()}, "title": {"説明会"}, "body": {"課の電話は03-3389-1111です。"},
		"page": {fmt.Sprint(id)}}, "HX-Request", "true")
	if got := squash(res.Doc.Find("section.check-results").Text()); !strings.Contains(got, ja("checks.none")) {
		t.Errorf("an existing page's preview flags its division's phone: %q", got)
	}
}

func TestCheckErrorsBlockApprovalUntilOverridden(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	id := x.checkedPage(t, "講演会", "講師の田中さん（090-1234-5678）が話します。")
	approver := x.as(t, x.approver)

	queue := approver.get("/staff/approvals")
	item := queue.Doc.Find(fmt.Sprintf("#approval-%d", id))
	if got := squash(item.Find("section.check-results").Text()); !strings.Contains(got, "田中さん") || !strings.Contains(got, "090-1234-5678") {
		t.Errorf("the queue's check results: %q", got)
	}
	if item.Find(`textarea[name="check_override"]`).Length() != 1 {
		t.Error("no override reason field on an item with check errors")
	}

	res := decide(approver, id, url.Values{"action": {"approve"}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	field := res.Doc.Find(fmt.Sprintf("#approval-%d-check_override", id))
	if field.Length() != 1 || !strings.Contains(squash(res.Body), ja("form.err.check_override_required")) {
		t.Errorf("the refusal does not ask for a reason next to the field: %q", squash(res.Doc.Text()))
	}
	if s := x.state(t, id); s.Working.Status != db.RevSubmitted {
		t.Fatalf("approved without a reason: %s", s.Working.Status)
	}

	reason := "講師本人の同意を得ています"
	res = decide(approver, id, url.Values{"action": {"approve"}, "check_override": {reason}})
	res.wantStatus(t, http.StatusSeeOther)
	if s := x.state(t, id); s.Working == nil || s.Working.Status != db.RevApproved {
		t.Fatalf("not approved with a reason: %+v", s.Working)
	}
	h := x.history(t, id)
	if last := h[len(h)-1]; !strings.Contains(last, db.CheckOverridePrefix+reason) {
		t.Errorf("history ends %q", last)
	}
	n, err := x.db.Bun.NewSelect().Table("audit_log").Where("action = ? AND actor_id = ? AND detail LIKE ?",
		db.AuditCheckOverride, x.approver.ID, "%"+reason+"%").Count(context.Background())
	if err != nil || n != 1 {
		t.Errorf("audit entries of the override: %d, %v", n, err)
	}
}

func TestCheckWarningsDoNotBlockApproval(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	x.setContact(t, x.divA, "電話 03-3389-1111")
	id := x.checkedPage(t, "窓口のご案内", "受付はｶﾀｶﾅで書いた窓口です。電話は03-3389-1111へ。")
	approver := x.as(t, x.approver)
	item := approver.get("/staff/approvals").Doc.Find(fmt.Sprintf("#approval-%d", id))
	if got := squash(item.Find("section.check-results").Text()); !strings.Contains(got, ja("checks.severity.warning")) || item.Find("li.check-item.error").Length() != 0 {
		t.Errorf("the warning-only item's results: %q", got)
	}
	if item.Find(`textarea[name="check_override"]`).Length() != 0 {
		t.Error("a reason is asked for warnings only")
	}
	decide(approver, id, url.Values{"action": {"approve"}}).wantStatus(t, http.StatusSeeOther)
	if s := x.state(t, id); s.Working == nil || s.Working.Status != db.RevApproved {
		t.Fatalf("warnings blocked approval: %+v", s.Working)
	}
}

// TestConsentedNameDoesNotBlockApproval: a name whose consent record covers
// today may stand on its page (第14条); the same name without one blocks.
func TestConsentedNameDoesNotBlockApproval(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	ctx := context.Background()
	body := "講師の田中一郎さんが子育てについて話します。"
	consented, other := x.checkedPage(t, "講演会", body), x.checkedPage(t, "講演会（別）", body)
	today := time.Now().In(i18n.JST).Truncate(24 * time.Hour)
	if _, err := x.db.CreateConsent(ctx, db.Actor{Account: x.editor, Role: db.RoleEditor}, db.NewConsent{PageID: consented,
		SubjectName: "田中一郎", Purpose: "講演会の案内", Content: "氏名", StartDate: today.AddDate(0, 0, -1), EndDate: today.AddDate(0, 1, 0),
		Method: "written"}); err != nil {
		t.Fatal(err)
	}
	approver := x.as(t, x.approver)
	decide(approver, other, url.Values{"action": {"approve"}}).wantStatus(t, http.StatusUnprocessableEntity)
	decide(approver, consented, url.Values{"action": {"approve"}}).wantStatus(t, http.StatusSeeOther)
	if s := x.state(t, consented); s.Working == nil || s.Working.Status != db.RevApproved {
		t.Fatalf("the page with a consented name is not approved: %+v", s.Working)
	}
}

// Each finding says where it is — line and column, the words marked in
// their context — in the htmx preview and in the page view without
// JavaScript; next to the editor the position links to the field with the
// UTF-16 range js/checks.js selects; on the approver's screen, which has
// no field, it is plain text.
func TestCheckResultsShowPosition(t *testing.T) {
	t.Parallel()
	x := newApprovalEnv(t)
	ed := x.as(t, x.editor)
	body := "## 案内\n\n𠮷野家の前に集合。連絡は090-1234-5678まで。"
	wantFinding := func(what string, res *response, linked bool) {
		t.Helper()
		item := res.Doc.Find("section.check-results li").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return s.Find("mark").Text() == "090-1234-5678"
		})
		if item.Length() != 1 {
			t.Fatalf("%s: no finding marks the phone number: %q", what, squash(res.Doc.Find("section.check-results").Text()))
		}
		if q := item.Find("q.check-excerpt").Text(); q != "𠮷野家の前に集合。連絡は090-1234-5678まで。" {
			t.Errorf("%s: excerpt in context %q", what, q)
		}
		at := item.Find(".check-at")
		if got := at.Text(); got != "本文 3行目 13文字目" {
			t.Errorf("%s: position %q", what, got)
		}
		if !linked {
			if goquery.NodeName(at) == "a" {
				t.Errorf("%s: the position links to a field that is not there", what)
			}
			return
		}
		// 𠮷 is two UTF-16 units: before the number come "## 案内\n\n"
		// (7 units) and 12 characters of its line (13 units).
		if at.AttrOr("href", "") != "#f-body" || at.AttrOr("data-start", "") != "20" || at.AttrOr("data-end", "") != "33" ||
			at.AttrOr("data-line", "") != "3" {
			t.Errorf("%s: position link %s %s–%s", what, at.AttrOr("href", ""), at.AttrOr("data-start", ""), at.AttrOr("data-end", ""))
		}
	}
	res := ed.post("/staff/pages/preview", url.Values{"_csrf": {ed.token()}, "title": {"集合場所"}, "body": {body},
		"division": {fmt.Sprint(x.divA.ID)}, "kind": {db.PageNotice}}, "HX-Request", "true")
	res.wantStatus(t, http.StatusOK)
	wantFinding("htmx preview", res, true)

	id := x.draft(t, x.editor, x.site, x.divA, "集合場所", 72*time.Hour, db.PageFields{})
	if _, err := x.db.SavePage(context.Background(), db.Transition{PageID: id, Actor: db.Actor{Account: x.editor}, Now: x.now},
		db.PageContent{Title: "集合場所", Body: body, PublishAt: x.now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	page := ed.get(fmt.Sprintf("/staff/pages/%d", id))
	page.wantStatus(t, http.StatusOK)
	wantFinding("page view", page, true)
	if page.Doc.Find(`script[src*="checks"]`).Length() != 1 {
		t.Error("the editor page does not load js/checks.js")
	}
	x.submit(t, x.editor, id)
	wantFinding("approver's screen", x.as(t, x.approver).get("/staff/approvals"), false)
	wantFinding("submitted page view", ed.get(fmt.Sprintf("/staff/pages/%d", id)), false)
}
