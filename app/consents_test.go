package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

func consentForm(tok string, pageID int64, kv ...string) url.Values {
	v := url.Values{"_csrf": {tok}, "page_id": {idStr(pageID)}, "subject_name": {"中野 花子"},
		"purpose": {"区民表彰の受賞者紹介"}, "content": {"氏名・所属団体・受賞歴"}, "start_date": {"2026-12-01"},
		"end_date": {"2027-03-31"}, "method": {"written"}, "method_note": {"同意書を課で保管"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func consentAudits(t *testing.T, e *testEnv, action, like string) int {
	t.Helper()
	n, err := e.db.Bun.NewSelect().Table("audit_log").Where("action = ? AND detail LIKE ?", action, like).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestConsentRecordsHTTP: an editor records a consent for a page of the
// division (an invalid form comes back with what was typed), opens it and
// exports the list for the report; each view and the export are audited;
// another division's editor is refused.
func TestConsentRecordsHTTP(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	p.app.now = func() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, pagesJST) }
	id := p.create(t, "editor", db.PageNotice)
	ed := p.as["editor"]

	// The staff page links to the page's consent records.
	sp := ed.get("/staff/pages/" + idStr(id))
	sp.wantStatus(t, http.StatusOK)
	if sp.Doc.Find(`a[href="/staff/consents?page=`+idStr(id)+`"]`).Length() != 1 {
		t.Error("the staff page does not link to its consent records")
	}
	list := ed.get("/staff/consents?page=" + idStr(id))
	list.wantStatus(t, http.StatusOK)
	if v := list.Doc.Find(`select[name="page_id"] option[selected]`).AttrOr("value", ""); v != idStr(id) {
		t.Errorf("page not chosen in the form: %q", v)
	}
	tok := list.csrfToken(t)

	bad := ed.post("/staff/consents", consentForm(tok, id, "purpose", "", "end_date", "2026-11-01", "method", "fax"))
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	if v := bad.Doc.Find(`input[name="subject_name"]`).AttrOr("value", ""); v != "中野 花子" {
		t.Errorf("name not kept: %q", v)
	}
	for _, f := range []string{"purpose", "end_date", "method"} {
		if fieldError(bad, f) == "" {
			t.Errorf("no error at %s", f)
		}
	}

	res := ed.post("/staff/consents", consentForm(tok, id))
	res.wantStatus(t, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/staff/consents/") {
		t.Fatalf("redirected to %q", loc)
	}
	detail := ed.get(loc)
	detail.wantStatus(t, http.StatusOK)
	if !strings.Contains(detail.Doc.Find("main").Text(), "中野 花子") || !strings.Contains(detail.Body, "同意書を課で保管") {
		t.Error("the detail does not show the record")
	}
	if n := consentAudits(t, p.testEnv, db.AuditEdit, "consent %"); n != 1 {
		t.Errorf("record audit entries = %d, want 1", n)
	}
	if n := consentAudits(t, p.testEnv, db.AuditView, "consent "+strings.TrimPrefix(loc, "/staff/consents/")); n != 1 {
		t.Errorf("view audit entries = %d, want 1", n)
	}
	if got := ed.get("/staff/consents"); got.Doc.Find(`a[href="`+loc+`"]`).Length() != 1 {
		t.Error("the list does not show the record")
	}

	// The export: CSV with a byte-order mark for Excel, audited.
	exp := ed.get("/staff/consents/export")
	exp.wantStatus(t, http.StatusOK)
	if ct := exp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	if !strings.HasPrefix(exp.Body, "\xef\xbb\xbf") {
		t.Error("no byte-order mark")
	}
	if !strings.Contains(exp.Body, "中野 花子") || !strings.Contains(exp.Body, "区民表彰の受賞者紹介") || !strings.Contains(exp.Body, "書面") {
		t.Errorf("export lacks the record:\n%s", exp.Body)
	}
	if n := consentAudits(t, p.testEnv, db.AuditExport, "consents export%"); n != 1 {
		t.Errorf("export audit entries = %d, want 1", n)
	}

	// Another division's editor: no record in the list, refused at the
	// record and when recording one for the page.
	other := p.as["editorB"]
	if ol := other.get("/staff/consents"); strings.Contains(ol.Body, "中野 花子") {
		t.Error("another division sees the record")
	}
	other.get(loc).wantStatus(t, http.StatusForbidden)
	otok := other.get("/staff/consents").csrfToken(t)
	other.post("/staff/consents", consentForm(otok, id)).wantStatus(t, http.StatusForbidden)
	// The approver of the division may record; a moderator may not open the list.
	atok := p.as["approver"].get("/staff/consents").csrfToken(t)
	p.as["approver"].post("/staff/consents", consentForm(atok, id)).wantStatus(t, http.StatusSeeOther)
	p.as["moderator"].get("/staff/consents").wantStatus(t, http.StatusForbidden)
}

// TestConsentExpiryEndsPageOnce: with a controllable clock, the scheduler
// leaves a page up through the last day of its consent, ends it the day
// after, and mails the division's editor once however often it runs.
func TestConsentExpiryEndsPageOnce(t *testing.T) {
	t.Parallel()
	p := newPagesEnv(t)
	ctx := context.Background()
	if _, err := p.db.Bun.NewUpdate().Model(p.acc["editor"]).Set("work_email = 'editor@city.example.jp'").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p.app.now = func() time.Time { return now }
	id := p.create(t, "editor", db.PageNotice)
	if err := p.db.SubmitPage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: p.acc["editor"]}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.db.ApprovePage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: p.acc["approver"]}, Now: now}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(4 * 24 * time.Hour)
	p.app.schedule(ctx)
	if s := p.state(t, id); s.Live == nil {
		t.Fatal("the page was not published")
	}
	last := dateOnly(now)
	if _, err := p.db.CreateConsent(ctx, db.Actor{Account: p.acc["editor"], Role: db.RoleEditor}, db.NewConsent{PageID: id,
		SubjectName: "野方 太郎", Purpose: "講師紹介", Content: "氏名・経歴", StartDate: last.AddDate(0, 0, -7), EndDate: last,
		Method: db.ConsentOral}); err != nil {
		t.Fatal(err)
	}
	mails := func() int {
		n, err := p.db.Bun.NewSelect().Table("mail_outbox").Where("kind = 'consent_expired'").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	p.app.schedule(ctx)
	if s := p.state(t, id); s.Live == nil || mails() != 0 {
		t.Fatal("the page ended on the last day of its consent")
	}
	now = now.Add(24 * time.Hour)
	p.app.schedule(ctx)
	p.app.schedule(ctx)
	if s := p.state(t, id); s.Live != nil {
		t.Fatal("the page is still live after its consent ended")
	}
	if n := mails(); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
	var m db.Mail
	if err := p.db.Bun.NewSelect().Model(&m).Where("kind = 'consent_expired'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if m.To != "editor@city.example.jp" || !strings.Contains(m.Body, "野方 太郎") || !strings.Contains(m.Subject, "年末年始の窓口のご案内") || !strings.Contains(m.Body, "自動で公開終了しました") {
		t.Errorf("mail to %s: %s\n%s", m.To, m.Subject, m.Body)
	}
	n, err := p.db.Bun.NewSelect().Table("page_history").Where("page_id = ? AND action = ?", id, db.PageActEnd).Count(ctx)
	if err != nil || n != 1 {
		t.Fatalf("end history %d, %v", n, err)
	}
}
