package db_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// livePage is a page of division A published at f.now (the clock moves to
// the publication time).
func (f *pagesFixture) livePage(t *testing.T) *db.ContentPage {
	t.Helper()
	ctx := context.Background()
	p := f.draft(t, 72*time.Hour)
	if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil); err != nil {
		t.Fatal(err)
	}
	if err := f.d.ApprovePage(ctx, f.step(p.ID, f.approver)); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(72 * time.Hour)
	if _, _, err := f.d.RunSchedule(ctx, f.now, 10); err != nil {
		t.Fatal(err)
	}
	if s := f.state(t, p.ID); s.Live == nil || s.Live.Status != db.RevPublished {
		t.Fatalf("page %d not live", p.ID)
	}
	return p
}

func cday(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func auditCount(t *testing.T, d *db.DB, action, detailLike string) int {
	t.Helper()
	n, err := d.Bun.NewSelect().Table("audit_log").Where("action = ? AND detail LIKE ?", action, detailLike).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestConsentCreateListViewAndRefusals(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	p := f.draft(t, 72*time.Hour)
	nc := db.NewConsent{PageID: p.ID, SubjectName: "中野 花子", Purpose: "表彰の紹介", Content: "氏名・所属団体・受賞歴",
		StartDate: cday(2026, 12, 1), EndDate: cday(2027, 3, 31), Method: db.ConsentWritten}
	rec, err := f.d.CreateConsent(ctx, f.as(f.editor), nc)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DivisionID != f.divA.ID {
		t.Fatalf("division = %d, want %d", rec.DivisionID, f.divA.ID)
	}
	if n := auditCount(t, f.d, db.AuditEdit, "consent %"); n != 1 {
		t.Fatalf("create audit entries = %d, want 1", n)
	}
	// The approver of the division may record too; other divisions may not.
	if _, err := f.d.CreateConsent(ctx, f.as(f.approver), nc); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.CreateConsent(ctx, f.as(f.editorB), nc); !errors.Is(err, db.ErrForbidden) {
		t.Fatalf("other division's editor: err = %v, want ErrForbidden", err)
	}
	if _, err := f.d.ViewConsent(ctx, f.as(f.editorB), rec.ID); !errors.Is(err, db.ErrForbidden) {
		t.Fatalf("other division's view: err = %v, want ErrForbidden", err)
	}
	got, err := f.d.ViewConsent(ctx, f.as(f.editor), rec.ID)
	if err != nil || got.SubjectName != "中野 花子" || got.PageTitle == "" || got.DivisionName != f.divA.Name {
		t.Fatalf("view = %+v, %v", got, err)
	}
	if n := auditCount(t, f.d, db.AuditView, "consent "+itoa(rec.ID)); n != 1 {
		t.Fatalf("view audit entries = %d, want 1", n)
	}

	list, err := f.d.Consents(ctx, f.as(f.editor), db.ConsentQuery{Filter: db.ConsentFilterActive, Now: f.now}, false)
	if err != nil || len(list) != 2 {
		t.Fatalf("active list = %d, %v", len(list), err)
	}
	if list, _ := f.d.Consents(ctx, f.as(f.editor), db.ConsentQuery{Filter: db.ConsentFilterExpired, Now: f.now}, false); len(list) != 0 {
		t.Fatalf("expired list = %d, want 0", len(list))
	}
	if list, _ := f.d.Consents(ctx, f.as(f.editorB), db.ConsentQuery{Now: f.now}, false); len(list) != 0 {
		t.Fatalf("other division sees %d records", len(list))
	}
	if _, err := f.d.Consents(ctx, f.as(f.editor), db.ConsentQuery{Now: f.now}, true); err != nil {
		t.Fatal(err)
	}
	if n := auditCount(t, f.d, db.AuditExport, "consents export%"); n != 1 {
		t.Fatalf("export audit entries = %d, want 1", n)
	}

	names, err := f.d.ConsentedNames(ctx, p.ID, f.now)
	if err != nil || len(names) != 1 || names[0] != "中野 花子" {
		t.Fatalf("names = %v, %v", names, err)
	}
	if names, _ := f.d.ConsentedNames(ctx, p.ID, time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)); len(names) != 0 {
		t.Fatalf("names after the period = %v", names)
	}
}

func TestConsentExpiryEndsPageOnceAndMailsOnce(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	if _, err := f.d.Bun.NewUpdate().Model(f.editor).Set("work_email = 'editor1@city.example.jp'").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	p := f.livePage(t)
	end := jstDay(f.now).AddDate(0, 0, 2)
	if _, err := f.d.CreateConsent(ctx, f.as(f.editor), db.NewConsent{PageID: p.ID, SubjectName: "野方 太郎",
		Purpose: "講師紹介", Content: "氏名・経歴", StartDate: jstDay(f.now), EndDate: end, Method: db.ConsentOral}); err != nil {
		t.Fatal(err)
	}
	var mailed []string
	mailFor := func(to *db.Account, rec *db.ConsentRecord, s *db.PageState) *db.Mail {
		mailed = append(mailed, to.LoginID)
		return &db.Mail{Kind: "consent_expired", Subject: "同意期間終了", Body: rec.SubjectName}
	}
	// The last day of the period: still live.
	if n, err := f.d.EndPagesWithExpiredConsent(ctx, f.now.AddDate(0, 0, 2), mailFor); err != nil || n != 0 {
		t.Fatalf("on the last day: n = %d, %v", n, err)
	}
	after := f.now.AddDate(0, 0, 3)
	for i := 0; i < 2; i++ {
		n, err := f.d.EndPagesWithExpiredConsent(ctx, after, mailFor)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{1, 0}[i]; n != want {
			t.Fatalf("run %d: n = %d, want %d", i, n, want)
		}
	}
	if s := f.state(t, p.ID); s.Live != nil {
		t.Fatalf("page still live: %+v", s.Live)
	}
	if len(mailed) != 1 || mailed[0] != "editor1" {
		t.Fatalf("mailed = %v, want [editor1]", mailed)
	}
	n, err := f.d.Bun.NewSelect().Table("mail_outbox").Where("kind = 'consent_expired'").Count(ctx)
	if err != nil || n != 1 {
		t.Fatalf("outbox = %d, %v", n, err)
	}
	ended, err := f.d.Bun.NewSelect().Table("page_history").Where("page_id = ? AND action = ?", p.ID, db.PageActEnd).Count(ctx)
	if err != nil || ended != 1 {
		t.Fatalf("end history = %d, %v", ended, err)
	}
}

func jstDay(t time.Time) time.Time {
	y, m, d := t.In(time.FixedZone("JST", 9*3600)).Date()
	return cday(y, m, d)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestConsentExpirySendsBackAWaitingRevision: an approved revision waiting
// for its time is sent back when the consent ends, so the schedule never
// publishes it.
func TestConsentExpirySendsBackAWaitingRevision(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	p := f.draft(t, 10*24*time.Hour)
	if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil); err != nil {
		t.Fatal(err)
	}
	if err := f.d.ApprovePage(ctx, f.step(p.ID, f.approver)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.CreateConsent(ctx, f.as(f.editor), db.NewConsent{PageID: p.ID, SubjectName: "野方 太郎",
		Purpose: "講師紹介", Content: "氏名", StartDate: jstDay(f.now), EndDate: jstDay(f.now).AddDate(0, 0, 1), Method: db.ConsentEmail}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.d.EndPagesWithExpiredConsent(ctx, f.now.AddDate(0, 0, 2), nil); err != nil || n != 1 {
		t.Fatalf("n = %d, %v", n, err)
	}
	s := f.state(t, p.ID)
	if s.Working == nil || s.Working.Status != db.RevSentBack {
		t.Fatalf("working revision: %+v", s.Working)
	}
	if pub, _, err := f.d.RunSchedule(ctx, f.now.AddDate(0, 0, 11), 10); err != nil || pub != 0 {
		t.Fatalf("published %d, %v", pub, err)
	}
}
