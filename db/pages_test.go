package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// pagesFixture is the official site with two divisions: an editor, an
// approver and a site manager of division A, an editor of division B, and
// an editor of A who does not work on the official site.
type pagesFixture struct {
	d                        *db.DB
	site                     *db.Site
	divA, divB               *db.Division
	editor, approver, mgr    *db.Account
	editorB, outsider, admin *db.Account
	now                      time.Time
}

func newPagesFixture(t *testing.T) *pagesFixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.New(t)
	f := &pagesFixture{d: d, now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	if err := d.EnsureOfficialSite(ctx); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.site, err = d.OfficialSite(ctx); err != nil {
		t.Fatal(err)
	}
	staff := func(login string, roles ...string) *db.Account {
		return dbtest.Staff(t, d, dbtest.StaffOptions{Login: login, Roles: roles})
	}
	f.admin = staff("admin1", db.RoleWardStaff)
	act := db.Actor{Account: f.admin, Role: db.RoleWardStaff}
	f.divA, f.divB = &db.Division{Code: "kurashi", Name: "くらし推進課"}, &db.Division{Code: "kankyo", Name: "環境課"}
	for _, dv := range []*db.Division{f.divA, f.divB} {
		if err := d.CreateDivision(ctx, act, dv); err != nil {
			t.Fatal(err)
		}
	}
	f.editor, f.approver, f.mgr = staff("editor1", db.RoleEditor), staff("approver1", db.RoleApprover), staff("manager1", db.RoleSiteManager, db.RoleApprover)
	f.editorB, f.outsider = staff("editor2", db.RoleEditor), staff("editor3", db.RoleEditor)
	for _, a := range []*db.Account{f.approver, f.mgr} {
		if _, err := d.Bun.NewUpdate().Model(a).Set("work_email = ?", a.LoginID+"@city.example.jp").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []*db.Account{f.editor, f.approver, f.mgr, f.outsider} {
		if err := d.SetStaffDivisions(ctx, act, a.ID, []int64{f.divA.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.SetStaffDivisions(ctx, act, f.editorB.ID, []int64{f.divB.ID}); err != nil {
		t.Fatal(err)
	}
	if err := d.AddSiteStaff(ctx, act, f.site.ID, f.editor.ID, f.approver.ID, f.mgr.ID, f.editorB.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *pagesFixture) as(acc *db.Account) db.Actor {
	return db.Actor{Account: acc, IP: "192.0.2.1"}
}

func (f *pagesFixture) draft(t *testing.T, publishIn time.Duration) *db.ContentPage {
	t.Helper()
	p, _, err := f.d.CreatePage(context.Background(), f.as(f.editor), db.NewPage{SiteID: f.site.ID, DivisionID: f.divA.ID,
		Kind: db.PageNotice, PageContent: db.PageContent{Title: "粗大ごみの受付日変更", Body: "年末年始は受付を休みます。",
			PublishAt: f.now.Add(publishIn)}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *pagesFixture) step(pageID int64, acc *db.Account) db.Transition {
	return db.Transition{PageID: pageID, Actor: f.as(acc), Now: f.now}
}

func (f *pagesFixture) state(t *testing.T, id int64) *db.PageState {
	t.Helper()
	s, err := f.d.PageState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPageWorkflowFromDraftToEnd(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	p := f.draft(t, 72*time.Hour)

	var mailed []string
	if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editor), func(to *db.Account, s *db.PageState) *db.Mail {
		mailed = append(mailed, to.LoginID)
		return &db.Mail{Kind: "page_submitted", Subject: "申請: " + s.Working.Title, Body: "."}
	}); err != nil {
		t.Fatal(err)
	}
	// Approvers of the page's division on its site, and nobody else.
	if strings.Join(mailed, ",") != "approver1,manager1" {
		t.Errorf("approvers mailed: %v, want approver1 and manager1", mailed)
	}
	if err := f.d.ApprovePage(ctx, f.step(p.ID, f.approver)); err != nil {
		t.Fatal(err)
	}
	if s := f.state(t, p.ID); s.Working.Status != db.RevApproved || s.Live != nil {
		t.Fatalf("after approval: working %s live %v, want approved and nothing live", s.Working.Status, s.Live)
	}
	// Not yet due: the schedule leaves it.
	if n, _, err := f.d.RunSchedule(ctx, f.now.Add(71*time.Hour), 10); err != nil || n != 0 {
		t.Fatalf("early run published %d (%v), want 0", n, err)
	}
	// Due, with two schedulers at once: published once.
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Go(func() {
			n, _, err := f.d.RunSchedule(ctx, f.now.Add(72*time.Hour), 10)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != 1 {
		t.Fatalf("two schedulers published %v, want exactly one publication", counts)
	}
	s := f.state(t, p.ID)
	if s.Live == nil || s.Live.Status != db.RevPublished || s.Working != nil || s.Page.PublishedAt == nil {
		t.Fatalf("after the schedule: %+v", s)
	}

	// A revision while live: the live one stays up until the new one is approved and due.
	if _, err := f.d.SavePage(ctx, f.step(p.ID, f.editor), db.PageContent{Title: "粗大ごみの受付日変更（訂正）",
		Body: "年末年始は12月29日から受付を休みます。", PublishAt: f.now.Add(96 * time.Hour), EndAt: ptr(f.now.Add(240 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	s = f.state(t, p.ID)
	if s.Live == nil || s.Live.Number != 1 || s.Working == nil || s.Working.Number != 2 {
		t.Fatalf("revision while live: live %v working %v", s.Live, s.Working)
	}
	for _, step := range []func() error{
		func() error { return f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil) },
		func() error { return f.d.ApprovePage(ctx, f.step(p.ID, f.approver)) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, _ := f.d.RunSchedule(ctx, f.now.Add(96*time.Hour), 10); n != 1 {
		t.Fatalf("revision 2 published %d times", n)
	}
	s = f.state(t, p.ID)
	if s.Live.Number != 2 || !strings.Contains(s.Live.Title, "訂正") {
		t.Fatalf("live after replacement: revision %d %q", s.Live.Number, s.Live.Title)
	}
	old, err := f.d.Revision(ctx, p.ID, 1)
	if err != nil || old.Status != db.RevReplaced {
		t.Fatalf("revision 1: %v %v, want replaced", old.Status, err)
	}
	// Ends at its end time, once.
	if _, n, _ := f.d.RunSchedule(ctx, f.now.Add(240*time.Hour), 10); n != 1 {
		t.Fatalf("ended %d, want 1", n)
	}
	if s = f.state(t, p.ID); s.Live != nil || s.Page.LiveRevisionID != nil {
		t.Fatalf("ended page still live: %+v", s.Page)
	}
	hist, err := f.d.PageHistory(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, h := range hist {
		actions = append(actions, h.Action+":"+h.ToStatus)
	}
	want := "create:draft submit:submitted approve:approved publish:published create:draft submit:submitted approve:approved publish:replaced publish:published end:ended"
	if strings.Join(actions, " ") != want {
		t.Errorf("history:\n got %s\nwant %s", strings.Join(actions, " "), want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPageRefusals(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	// Wrong division, wrong site.
	for _, acc := range []*db.Account{f.editorB, f.outsider} {
		_, _, err := f.d.CreatePage(ctx, f.as(acc), db.NewPage{SiteID: f.site.ID, DivisionID: f.divA.ID, Kind: db.PageNotice,
			PageContent: db.PageContent{Title: "x", PublishAt: f.now}})
		if !errors.Is(err, db.ErrForbidden) {
			t.Errorf("%s creating a page of division A: %v, want ErrForbidden", acc.LoginID, err)
		}
	}
	// A site applied for (not yet active) takes no pages, even from its staff.
	var applied int64
	if err := f.d.Bun.NewRaw(`INSERT INTO sites (slug, name, division_id, status) VALUES ('kurashi', 'くらしのサイト', ?, ?) RETURNING id`,
		f.divA.ID, db.SiteApplied).Scan(ctx, &applied); err != nil {
		t.Fatal(err)
	}
	if err := f.d.AddSiteStaff(ctx, f.as(f.admin), applied, f.editor.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.d.CreatePage(ctx, f.as(f.editor), db.NewPage{SiteID: applied, DivisionID: f.divA.ID, Kind: db.PageGeneral,
		PageContent: db.PageContent{Title: "x", PublishAt: f.now}}); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("a page on a site not yet approved: %v, want ErrForbidden", err)
	}
	p := f.draft(t, 72*time.Hour)
	if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editorB), nil); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("editor of another division submitting: %v", err)
	}
	// An approver cannot approve a draft; an editor cannot approve at all.
	if err := f.d.ApprovePage(ctx, f.step(p.ID, f.approver)); !errors.Is(err, db.ErrConflict) {
		t.Errorf("approving a draft: %v, want ErrConflict", err)
	}
	if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil); err != nil {
		t.Fatal(err)
	}
	if err := f.d.ApprovePage(ctx, f.step(p.ID, f.editor)); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("editor approving: %v, want ErrForbidden", err)
	}
	// Saving a submitted revision is refused: withdraw first.
	if _, err := f.d.SavePage(ctx, f.step(p.ID, f.editor), db.PageContent{Title: "y", PublishAt: f.now}); !errors.Is(err, db.ErrConflict) {
		t.Errorf("saving a submitted revision: %v, want ErrConflict", err)
	}
	// Sending back needs a comment.
	if err := f.d.SendBackPage(ctx, f.step(p.ID, f.approver)); !errors.Is(err, db.ErrConflict) {
		t.Errorf("sending back without a comment: %v", err)
	}
	tr := f.step(p.ID, f.approver)
	tr.Comment = "担当課の連絡先を追記してください。"
	if err := f.d.SendBackPage(ctx, tr); err != nil {
		t.Fatal(err)
	}
	s := f.state(t, p.ID)
	if s.Working.Status != db.RevSentBack || s.Working.Comment != tr.Comment {
		t.Fatalf("sent back: %s %q", s.Working.Status, s.Working.Comment)
	}
	// A stale version is refused.
	tr = f.step(p.ID, f.editor)
	tr.Version = s.Working.Version - 1
	if _, err := f.d.SavePage(ctx, tr, db.PageContent{Title: "z", PublishAt: f.now}); !errors.Is(err, db.ErrConflict) {
		t.Errorf("saving over a newer version: %v, want ErrConflict", err)
	}
	if err := f.d.WithdrawPage(ctx, f.step(p.ID, f.editor)); err != nil {
		t.Fatal(err)
	}
	if s := f.state(t, p.ID); s.Working != nil {
		t.Errorf("withdrawn revision still working: %v", s.Working.Status)
	}
}

func TestTwoDayRuleAndItsRecordedOverride(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	p := f.draft(t, 47*time.Hour) // one hour inside the two days
	if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil); err != nil {
		t.Fatal(err)
	}
	var soon *db.ErrTooSoon
	if err := f.d.ApprovePage(ctx, f.step(p.ID, f.approver)); !errors.As(err, &soon) || soon.LeadDays != 2 ||
		!soon.Earliest.Equal(f.now.Add(48*time.Hour)) {
		t.Fatalf("approving inside the lead time: %v, want ErrTooSoon with the earliest time", err)
	}
	// An approver who is not a site manager cannot override.
	tr := f.step(p.ID, f.approver)
	tr.Override = "台風接近のため"
	if err := f.d.ApprovePage(ctx, tr); !errors.Is(err, db.ErrForbidden) {
		t.Fatalf("approver overriding: %v, want ErrForbidden", err)
	}
	// The site manager overrides with a reason; an urgent notice goes live at once.
	p2 := f.draft(t, 0)
	for _, id := range []int64{p2.ID} {
		if err := f.d.SubmitPage(ctx, f.step(id, f.editor), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int64{p.ID, p2.ID} {
		tr := f.step(id, f.mgr)
		tr.Override = "台風接近のため緊急に掲載"
		if err := f.d.ApprovePage(ctx, tr); err != nil {
			t.Fatalf("site manager overriding: %v", err)
		}
	}
	if s := f.state(t, p2.ID); s.Live == nil {
		t.Fatal("an urgent notice approved with an override is not live at once")
	}
	if s := f.state(t, p.ID); s.Working.Status != db.RevApproved || s.Working.OverrideReason == "" {
		t.Fatalf("overridden approval: %s %q", s.Working.Status, s.Working.OverrideReason)
	}
	hist, _ := f.d.PageHistory(ctx, p.ID)
	last := hist[len(hist)-1]
	if last.Action != db.PageActOverride || last.ActorRole != db.RoleSiteManager || last.Comment != "台風接近のため緊急に掲載" || last.ActorName == "" {
		t.Errorf("history of the override: %+v", last)
	}
	var audit []db.AuditEntry
	if err := f.d.Bun.NewSelect().Model(&audit).Where("action = ?", db.AuditLeadOverride).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].ActorID != f.mgr.ID || !strings.Contains(audit[0].Detail, "台風接近") {
		t.Errorf("audit of overrides: %+v", audit)
	}
}

func TestFacilityPagesKeepTheEventsFacilityRow(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	p, _, err := f.d.CreatePage(ctx, f.as(f.editor), db.NewPage{SiteID: f.site.ID, DivisionID: f.divA.ID, Kind: db.PageFacility,
		PageContent: db.PageContent{Title: "中央図書館", PublishAt: f.now.Add(72 * time.Hour),
			Fields: db.PageFields{Category: "図書館", Town: "中央", Address: "中央1-1-1", Phone: "03-1111-2222", URL: "https://lib.example.jp/"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil) },
		func() error { return f.d.ApprovePage(ctx, f.step(p.ID, f.approver)) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.d.RunSchedule(ctx, f.now.Add(72*time.Hour), 10); err != nil {
		t.Fatal(err)
	}
	s := f.state(t, p.ID)
	if s.Page.FacilityID == nil {
		t.Fatal("published facility page has no facilities row")
	}
	var fac db.Facility
	if err := f.d.Bun.NewSelect().Model(&fac).Where("id = ?", *s.Page.FacilityID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if fac.Name != "中央図書館" || fac.Phone != "03-1111-2222" {
		t.Errorf("facility row: %+v", fac)
	}
}
