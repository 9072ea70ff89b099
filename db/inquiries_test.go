package db_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func TestInquiriesWorkflow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	admin := dbtest.Staff(t, d, dbtest.StaffOptions{Login: "iqadmin", Roles: []string{db.RoleWardStaff}})
	act := db.Actor{Account: admin, Role: db.RoleWardStaff}
	divA, divB := &db.Division{Code: "kurashi", Name: "くらし推進課"}, &db.Division{Code: "kankyo", Name: "環境課"}
	for _, dv := range []*db.Division{divA, divB} {
		if err := d.CreateDivision(ctx, act, dv); err != nil {
			t.Fatal(err)
		}
	}
	staffA := dbtest.Staff(t, d, dbtest.StaffOptions{Login: "iqeditA", Roles: []string{db.RoleEditor}})
	staffB := dbtest.Staff(t, d, dbtest.StaffOptions{Login: "iqeditB", Roles: []string{db.RoleEditor}})
	if err := d.SetStaffDivisions(ctx, act, staffA.ID, []int64{divA.ID}); err != nil {
		t.Fatal(err)
	}
	if err := d.SetStaffDivisions(ctx, act, staffB.ID, []int64{divB.ID}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	lim := db.InquiryLimit{IP: "192.0.2.7", Since: now.Add(-time.Hour), Max: 2}
	newInq := func() *db.Inquiry {
		return &db.Inquiry{DivisionID: divA.ID, Subject: "ごみの出し方", Body: "粗大ごみの出し方を教えてください。",
			Name: "中野 花子", Email: "hanako@example.jp"}
	}
	inq := newInq()
	if err := d.CreateInquiry(ctx, inq, &db.Mail{Subject: "受付", Body: "受け付けました", Kind: "inquiry_receipt"}, lim); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateInquiry(ctx, newInq(), nil, lim); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateInquiry(ctx, newInq(), nil, lim); !errors.Is(err, db.ErrRateLimited) {
		t.Fatalf("third inquiry from one address: %v, want ErrRateLimited", err)
	}
	var n int
	if err := d.Bun.NewRaw(`SELECT count(*) FROM inquiries`).Scan(ctx, &n); err != nil || n != 2 {
		t.Fatalf("inquiries stored: %d (%v), want 2", n, err)
	}

	rowsA, err := d.Inquiries(ctx, staffA, "")
	if err != nil || len(rowsA) != 2 {
		t.Fatalf("division A's inbox: %d rows (%v), want 2", len(rowsA), err)
	}
	if rowsB, err := d.Inquiries(ctx, staffB, ""); err != nil || len(rowsB) != 0 {
		t.Fatalf("division B's inbox: %d rows (%v), want 0", len(rowsB), err)
	}
	actA, actB := db.Actor{Account: staffA, Role: db.RoleEditor, IP: "10.0.0.1"}, db.Actor{Account: staffB, Role: db.RoleEditor}
	if _, err := d.ViewInquiry(ctx, inq.ID, actB); !errors.Is(err, db.ErrForbidden) {
		t.Fatalf("another division's view: %v, want ErrForbidden", err)
	}
	if err := d.AnswerInquiry(ctx, inq.ID, actB, "x", func(*db.Inquiry) *db.Mail { return &db.Mail{Subject: "s", Body: "b"} }); !errors.Is(err, db.ErrForbidden) {
		t.Fatalf("another division's answer: %v, want ErrForbidden", err)
	}
	countAudit := func() int {
		var k int
		if err := d.Bun.NewRaw(`SELECT count(*) FROM audit_log WHERE actor_id = ? AND action = 'view' AND detail = ?`,
			staffA.ID, "inquiry "+strconv.FormatInt(inq.ID, 10)).Scan(ctx, &k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	det, err := d.ViewInquiry(ctx, inq.ID, actA)
	if err != nil || det.Inquiry.Name != "中野 花子" || len(det.Events) != 1 {
		t.Fatalf("view: %+v %v", det, err)
	}
	if countAudit() != 1 {
		t.Fatalf("audit entries after one view: %d, want 1", countAudit())
	}
	if err := d.AssignInquiry(ctx, inq.ID, actA); err != nil {
		t.Fatal(err)
	}
	if err := d.NoteInquiry(ctx, inq.ID, actA, "収集課に確認中"); err != nil {
		t.Fatal(err)
	}
	if err := d.AnswerInquiry(ctx, inq.ID, actA, "月曜日に出してください。", func(i *db.Inquiry) *db.Mail {
		return &db.Mail{Subject: "回答：" + i.Subject, Body: "月曜日に出してください。", Kind: "inquiry_answer"}
	}); err != nil {
		t.Fatal(err)
	}
	var to string
	if err := d.Bun.NewRaw(`SELECT to_addr FROM mail_outbox WHERE kind = 'inquiry_answer'`).Scan(ctx, &to); err != nil || to != "hanako@example.jp" {
		t.Fatalf("answer mail to %q (%v)", to, err)
	}
	if err := d.CloseInquiry(ctx, inq.ID, actA); err != nil {
		t.Fatal(err)
	}
	det, err = d.ViewInquiry(ctx, inq.ID, actA)
	if err != nil {
		t.Fatal(err)
	}
	if det.Inquiry.Status != db.InquiryClosed || det.Inquiry.AssigneeID == nil || *det.Inquiry.AssigneeID != staffA.ID {
		t.Fatalf("after close: %+v", det.Inquiry)
	}
	var kinds []string
	for _, e := range det.Events {
		kinds = append(kinds, e.Kind)
	}
	if got := len(kinds); got != 5 || kinds[1] != db.InquiryAssigned || kinds[2] != db.InquiryNote || kinds[3] != db.InquiryAnswer || kinds[4] != db.InquiryStatus {
		t.Fatalf("history: %v", kinds)
	}
	if countAudit() != 2 {
		t.Fatalf("audit entries after two views: %d", countAudit())
	}
	if closed, err := d.Inquiries(ctx, staffA, db.InquiryClosed); err != nil || len(closed) != 1 {
		t.Fatalf("closed filter: %d (%v)", len(closed), err)
	}

	// Retention: inquiries idle before the cutoff go, with their history.
	if _, err := d.Bun.NewRaw(`UPDATE inquiries SET updated_at = now() - interval '10 days' WHERE id = ?`, inq.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.PurgeOlderThan(ctx, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := d.Bun.NewRaw(`SELECT count(*) FROM inquiries`).Scan(ctx, &n); err != nil || n != 1 {
		t.Fatalf("after retention: %d inquiries (%v), want 1", n, err)
	}
	if err := d.Bun.NewRaw(`SELECT count(*) FROM inquiry_events WHERE inquiry_id = ?`, inq.ID).Scan(ctx, &n); err != nil || n != 0 {
		t.Fatalf("after retention: %d events of the purged inquiry (%v)", n, err)
	}
}
