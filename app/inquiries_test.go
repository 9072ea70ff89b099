package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// inquiryDivisions makes two divisions and a staff member of each, signed
// in; it returns the divisions' ids and the two clients.
func inquiryDivisions(t *testing.T, e *testEnv) (divA, divB int64, staffA, staffB *testEnv) {
	t.Helper()
	ctx := context.Background()
	admin := e.staffAccount("iq-admin", db.RoleWardStaff)
	act := db.Actor{Account: admin, Role: db.RoleWardStaff}
	a, b := &db.Division{Code: "gomi", Name: "ごみゼロ推進課"}, &db.Division{Code: "hoiku", Name: "保育園・幼稚園課"}
	for _, dv := range []*db.Division{a, b} {
		if err := e.db.CreateDivision(ctx, act, dv); err != nil {
			t.Fatal(err)
		}
	}
	for i, dv := range []*db.Division{a, b} {
		acc := e.staffAccount("iq-staff-"+strconv.Itoa(i), db.RoleEditor)
		if err := e.db.SetStaffDivisions(ctx, act, acc.ID, []int64{dv.ID}); err != nil {
			t.Fatal(err)
		}
		c := e.client()
		c.signIn(acc.LoginID, "staff-password-1").wantStatus(t, http.StatusSeeOther)
		if i == 0 {
			staffA = c
		} else {
			staffB = c
		}
	}
	return a.ID, b.ID, staffA, staffB
}

// inquiryValues is a filled form, as a browser without JavaScript sends it,
// shown long enough ago.
func inquiryValues(e *testEnv, form *response) url.Values {
	e.t.Helper()
	return url.Values{"_csrf": {form.csrfToken(e.t)}, "started": {e.app.inquiryStamp(time.Now().Add(-10 * time.Second))},
		"subject": {"粗大ごみの出し方"}, "body": {"ソファを捨てたいのですが、どうすればよいですか。"},
		"name": {"中野 花子"}, "email": {"hanako@example.jp"}, "phone": {"03-1234-5678"}, "website": {""}}
}

func countRows(t *testing.T, e *testEnv, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Bun.NewRaw(sql, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestInquiryEndToEnd: a resident sends an inquiry without JavaScript and
// gets a receipt; the division's staff see it (another division's do not),
// every view is audited, and the answer is mailed to the resident by the
// portal, never showing either side's address to the other.
func TestInquiryEndToEnd(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	divA, _, staffA, staffB := inquiryDivisions(t, e)
	resident := e.client()
	path := "/inquiry?division=" + strconv.FormatInt(divA, 10)
	page := resident.get(path)
	page.wantStatus(t, http.StatusOK)
	if !strings.Contains(page.Doc.Find("main").Text(), "ごみゼロ推進課") {
		t.Fatal("the form does not name the division")
	}
	if page.Doc.Find(`form[action="`+path+`"] input[name="started"]`).Length() != 1 {
		t.Fatal("no signed stamp in the form")
	}
	if page.Doc.Find(`.visually-hidden label[for="f-website"]`).Length() != 1 {
		t.Fatal("the honeypot has no label telling people to leave it empty")
	}
	res := resident.post(path, inquiryValues(resident, page))
	res.wantStatus(t, http.StatusOK)
	if res.Doc.Find("h1").Text() != "お問い合わせを受け付けました" {
		t.Fatalf("after sending: %q", res.Doc.Find("h1").Text())
	}
	if n := countRows(t, e, `SELECT count(*) FROM mail_outbox WHERE kind = 'inquiry_receipt' AND to_addr = 'hanako@example.jp'`); n != 1 {
		t.Fatalf("receipt mails: %d", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM mail_outbox WHERE kind = 'inquiry_receipt' AND body LIKE '%ソファ%'`); n != 0 {
		t.Fatal("the receipt repeats the inquiry's text")
	}
	var id int64
	if err := e.db.Bun.NewRaw(`SELECT id FROM inquiries`).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	detail := "/staff/inquiries/" + strconv.FormatInt(id, 10)

	// The inbox of division A lists it, without the inquirer's data; B's does not.
	inbox := staffA.get("/staff/inquiries")
	inbox.wantStatus(t, http.StatusOK)
	if inbox.Doc.Find(`#inquiries a[href="`+detail+`"]`).Length() != 1 || strings.Contains(inbox.Body, "中野 花子") {
		t.Fatal("division A's inbox: inquiry missing or inquirer's name shown")
	}
	if staffB.get("/staff/inquiries").Doc.Find("#inquiries li").Length() != 0 {
		t.Fatal("division B's inbox lists A's inquiry")
	}
	audits := func() int {
		return countRows(t, e, `SELECT count(*) FROM audit_log WHERE action = 'view' AND detail = ?`, "inquiry "+strconv.FormatInt(id, 10))
	}
	if got := staffB.get(detail); got.StatusCode != http.StatusForbidden {
		t.Fatalf("another division's staff: %d, want 403", got.StatusCode)
	}
	if got := staffB.post(detail+"/answer", url.Values{"_csrf": {staffB.token()}, "text": {"x"}}); got.StatusCode != http.StatusForbidden {
		t.Fatalf("another division's answer: %d, want 403", got.StatusCode)
	}
	if audits() != 0 {
		t.Fatal("a refused view was audited as a view")
	}
	view := staffA.get(detail)
	view.wantStatus(t, http.StatusOK)
	if !strings.Contains(view.Doc.Find("#inquirer").Text(), "中野 花子") || !strings.Contains(view.Doc.Find("#inquirer").Text(), "03-1234-5678") || audits() != 1 {
		t.Fatalf("detail: name and phone shown? audit entries %d", audits())
	}
	if strings.Contains(view.Body, "hanako@example.jp") {
		t.Fatal("the resident's e-mail address is shown to staff")
	}

	tok := staffA.token()
	staffA.post(detail+"/assign", url.Values{"_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	staffA.post(detail+"/note", url.Values{"_csrf": {tok}, "text": {"収集日を確認中"}}).wantStatus(t, http.StatusSeeOther)
	empty := staffA.post(detail+"/answer", url.Values{"_csrf": {tok}, "text": {" "}})
	empty.wantStatus(t, http.StatusUnprocessableEntity)
	if empty.Doc.Find("#f-answer-error, .error").Length() == 0 {
		t.Fatal("an empty answer shows no error")
	}
	staffA.post(detail+"/answer", url.Values{"_csrf": {tok}, "text": {"粗大ごみ受付センターにお申し込みください。"}}).wantStatus(t, http.StatusSeeOther)
	var to, body string
	if err := e.db.Bun.NewRaw(`SELECT to_addr, body FROM mail_outbox WHERE kind = 'inquiry_answer'`).Scan(context.Background(), &to, &body); err != nil {
		t.Fatal(err)
	}
	if to != "hanako@example.jp" || !strings.Contains(body, "粗大ごみ受付センター") || strings.Contains(body, "iq-staff") || strings.Contains(body, "@city") {
		t.Fatalf("answer mail to %q:\n%s", to, body)
	}
	// Through a real SMTP server: the receipt and the answer reach the
	// resident, from the portal's address, and nothing else is sent.
	mails := e.deliverOutbox()
	if len(mails) != 2 {
		t.Fatalf("delivered %d mails, want the receipt and the answer: %+v", len(mails), mails)
	}
	for _, m := range mails {
		if m.To != "hanako@example.jp" {
			t.Fatalf("mail delivered to %q", m.To)
		}
	}
	if !strings.Contains(mails[1].Body, "粗大ごみ受付センター") || !strings.Contains(mails[1].Body, "ごみゼロ推進課") {
		t.Fatalf("answer as delivered:\n%s", mails[1].Body)
	}
	staffA.post(detail+"/close", url.Values{"_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	final := staffA.get(detail)
	final.wantStatus(t, http.StatusOK)
	hist := final.Doc.Find("#inquiry-history li")
	if hist.Length() != 5 || !strings.Contains(hist.Text(), "収集日を確認中") {
		t.Fatalf("history: %d lines\n%s", hist.Length(), hist.Text())
	}
	if !strings.Contains(final.Doc.Find(".badge").First().Text(), "完了") {
		t.Fatal("not closed")
	}
	if closed := staffA.get("/staff/inquiries?status=closed"); closed.Doc.Find("#inquiries li").Length() != 1 {
		t.Fatal("status filter: closed inquiry missing")
	}
	if fresh := staffA.get("/staff/inquiries?status=new"); fresh.Doc.Find("#inquiries li").Length() != 0 {
		t.Fatal("status filter: closed inquiry listed as new")
	}
	// Views after the changes were audited too: the redirects' views and the last one.
	if audits() < 2 {
		t.Fatalf("audit entries: %d", audits())
	}
}

// TestInquiryAbuseControl: a filled honeypot gets the thanks and stores
// nothing; a form sent faster than a person fills it is shown again asking
// to send once more, and then goes; an address over its limit is told so.
func TestInquiryAbuseControl(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	divA, _, _, _ := inquiryDivisions(t, e)
	c := e.client()
	path := "/inquiry?division=" + strconv.FormatInt(divA, 10)
	stored := func() int { return countRows(t, e, `SELECT count(*) FROM inquiries`) }

	v := inquiryValues(c, c.get(path))
	v.Set("website", "http://spam.example")
	res := c.post(path, v)
	res.wantStatus(t, http.StatusOK)
	if res.Doc.Find("h1").Text() != "お問い合わせを受け付けました" || stored() != 0 ||
		countRows(t, e, `SELECT count(*) FROM mail_outbox`) != 0 {
		t.Fatal("honeypot: not the thanks page, or something was stored or mailed")
	}

	page := c.get(path)
	v = inquiryValues(c, page)
	v.Set("started", page.Doc.Find(`input[name="started"]`).AttrOr("value", "")) // just now
	fast := c.post(path, v)
	fast.wantStatus(t, http.StatusUnprocessableEntity)
	if fast.Doc.Find("#inquiry-confirm").Length() != 1 || stored() != 0 {
		t.Fatal("too fast: no request to confirm, or stored")
	}
	if fast.Doc.Find(`input[name="subject"]`).AttrOr("value", "") != "粗大ごみの出し方" {
		t.Fatal("too fast: the values typed are lost")
	}
	forged := inquiryValues(c, page)
	forged.Set("started", "1.forged")
	c.post(path, forged).wantStatus(t, http.StatusUnprocessableEntity)

	invalid := inquiryValues(c, page)
	invalid.Set("email", "not an address")
	invalid.Set("body", "")
	bad := c.post(path, invalid)
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	if bad.Doc.Find(".error-summary a").Length() != 2 {
		t.Fatalf("invalid: %d errors listed", bad.Doc.Find(".error-summary a").Length())
	}

	for i := 0; i < maxInquiriesPerAddress; i++ {
		c.post(path, inquiryValues(c, page)).wantStatus(t, http.StatusOK)
	}
	over := c.post(path, inquiryValues(c, page))
	over.wantStatus(t, http.StatusTooManyRequests)
	if stored() != maxInquiriesPerAddress {
		t.Fatalf("stored %d, want %d", stored(), maxInquiriesPerAddress)
	}

	// Without a division named, the resident chooses one; an unknown one is refused.
	choose := c.get("/inquiry")
	choose.wantStatus(t, http.StatusOK)
	if opts := choose.Doc.Find(`select[name="division"]`).Text(); !strings.Contains(opts, "ごみゼロ推進課") || !strings.Contains(opts, "保育園・幼稚園課") {
		t.Fatal("no division chooser")
	}
	if c.get("/inquiry?division=999999").StatusCode != http.StatusNotFound || c.get("/inquiry?page=abc").StatusCode != http.StatusNotFound {
		t.Fatal("unknown division or page not 404")
	}
}

// TestInquiryAboutAPage: the form opened from a live page is routed to the
// page's division and records the page; a page not live is not found.
func TestInquiryAboutAPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newTestEnv(t)
	divA, _, staffA, _ := inquiryDivisions(t, e)
	official, err := e.db.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	editor := e.staffAccount("iq-editor", db.RoleEditor)
	mgr := e.staffAccount("iq-manager", db.RoleApprover, db.RoleSiteManager)
	act := db.Actor{Account: mgr, Role: db.RoleApprover}
	for _, acc := range []*db.Account{editor, mgr} {
		if err := e.db.SetStaffDivisions(ctx, act, acc.ID, []int64{divA}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.AddSiteStaff(ctx, act, official.ID, editor.ID, mgr.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	newPage := func(title string) int64 {
		p, _, err := e.db.CreatePage(ctx, db.Actor{Account: editor}, db.NewPage{SiteID: official.ID, DivisionID: divA, Kind: db.PageNotice,
			PageContent: db.PageContent{Title: title, Body: "本文", PublishAt: now}})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	live, draft := newPage("資源回収のお知らせ"), newPage("下書き")
	if err := e.db.SubmitPage(ctx, db.Transition{PageID: live, Actor: db.Actor{Account: editor}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ApprovePage(ctx, db.Transition{PageID: live, Actor: act, Now: now, Override: "試験"}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if res := c.get("/inquiry?page=" + strconv.FormatInt(draft, 10)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("inquiry about a draft: %d, want 404", res.StatusCode)
	}
	path := "/inquiry?page=" + strconv.FormatInt(live, 10)
	page := c.get(path)
	page.wantStatus(t, http.StatusOK)
	if !strings.Contains(page.Doc.Find("main").Text(), "ごみゼロ推進課") {
		t.Fatal("the form about the page does not name its division")
	}
	v := inquiryValues(c, page)
	v.Set("division", "999") // the page decides the division, not the form
	c.post(path, v).wantStatus(t, http.StatusOK)
	if n := countRows(t, e, `SELECT count(*) FROM inquiries WHERE page_id = ? AND division_id = ?`, live, divA); n != 1 {
		t.Fatalf("inquiries about the page: %d", n)
	}
	if staffA.get("/staff/inquiries").Doc.Find("#inquiries li").Length() != 1 {
		t.Fatal("the division's inbox does not list the inquiry about its page")
	}

	// The notice's public page links to the form about it.
	link := c.get("/notices/" + strconv.FormatInt(live, 10)).Doc.Find(".inquiry-link a")
	href, _ := link.Attr("href")
	if link.Text() != "このページについてのお問い合わせ" || href != path {
		t.Fatalf("notice page's inquiry link: %q → %q, want %q", link.Text(), href, path)
	}
	about := c.get(href)
	about.wantStatus(t, http.StatusOK)
	if action, _ := about.Doc.Find("main form").Attr("action"); action != path {
		t.Fatalf("the form from the notice posts to %q, want %q", action, path)
	}
	// Without a page or division the resident chooses the division.
	chooser := c.get("/inquiry")
	chooser.wantStatus(t, http.StatusOK)
	if chooser.Doc.Find(`select[name="division"]`).Length() != 1 {
		t.Fatal("the inquiry form without a page has no division chooser")
	}
}

// TestInquiryAnswerTemplates: a division's staff add answer templates to
// their own division only, start an answer from one without JavaScript, and
// another division's staff can neither use nor delete them.
func TestInquiryAnswerTemplates(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	divA, divB, staffA, staffB := inquiryDivisions(t, e)
	tok := staffA.token()
	add := func(div int64, title string) *response {
		return staffA.post("/staff/inquiries/templates", url.Values{"_csrf": {tok}, "division": {strconv.FormatInt(div, 10)},
			"title": {title}, "body": {"粗大ごみ受付センター（03-0000-0000）にお申し込みください。"}})
	}
	add(divA, "粗大ごみの申込み").wantStatus(t, http.StatusSeeOther)
	add(divB, "よその課").wantStatus(t, http.StatusUnprocessableEntity)
	add(divA, "").wantStatus(t, http.StatusUnprocessableEntity)
	var tid int64
	if err := e.db.Bun.NewRaw(`SELECT id FROM inquiry_templates`).Scan(context.Background(), &tid); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, e, `SELECT count(*) FROM inquiry_templates`); n != 1 {
		t.Fatalf("templates stored: %d", n)
	}
	if staffB.get("/staff/inquiries/templates").Doc.Find("#inquiry-templates li").Length() != 0 {
		t.Fatal("another division's staff see the template")
	}
	del := "/staff/inquiries/templates/" + strconv.FormatInt(tid, 10) + "/delete"
	if res := staffB.post(del, url.Values{"_csrf": {staffB.token()}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another division's delete: %d", res.StatusCode)
	}

	c := e.client()
	path := "/inquiry?division=" + strconv.FormatInt(divA, 10)
	c.post(path, inquiryValues(c, c.get(path))).wantStatus(t, http.StatusOK)
	var id int64
	if err := e.db.Bun.NewRaw(`SELECT id FROM inquiries`).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	detail := "/staff/inquiries/" + strconv.FormatInt(id, 10)
	page := staffA.get(detail)
	if page.Doc.Find(`form[method="get"] select[name="template"] option[value="`+strconv.FormatInt(tid, 10)+`"]`).Length() != 1 {
		t.Fatal("the detail offers no template")
	}
	started := staffA.get(detail + "?template=" + strconv.FormatInt(tid, 10))
	started.wantStatus(t, http.StatusOK)
	if got := started.Doc.Find("#f-answer").Text(); !strings.Contains(got, "粗大ごみ受付センター") {
		t.Fatalf("answer started from the template holds %q", got)
	}
	staffA.post(del, url.Values{"_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	if n := countRows(t, e, `SELECT count(*) FROM inquiry_templates`); n != 0 {
		t.Fatalf("templates after delete: %d", n)
	}
}
