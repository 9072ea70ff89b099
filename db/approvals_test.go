package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// TestApproverPagesAndCounts: what the approver's page lists and counts is
// what they may act on — their divisions on their sites — approved pages
// first by publish time, then live ones, newest first.
func TestApproverPagesAndCounts(t *testing.T) {
	t.Parallel()
	f := newPagesFixture(t)
	ctx := context.Background()
	approve := func(id int64, now time.Time) {
		t.Helper()
		if err := f.d.SubmitPage(ctx, db.Transition{PageID: id, Actor: f.as(f.editor), Now: now}, nil); err != nil {
			t.Fatal(err)
		}
		if err := f.d.ApprovePage(ctx, db.Transition{PageID: id, Actor: f.as(f.approver), Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	liveOld, liveNew := f.draft(t, 72*time.Hour), f.draft(t, 73*time.Hour)
	approve(liveOld.ID, f.now)
	approve(liveNew.ID, f.now)
	if n, _, err := f.d.RunSchedule(ctx, f.now.Add(73*time.Hour), 10); err != nil || n != 2 {
		t.Fatalf("publish: %d %v", n, err)
	}
	later, sooner := f.draft(t, 250*time.Hour), f.draft(t, 150*time.Hour)
	approve(later.ID, f.now.Add(74*time.Hour))
	approve(sooner.ID, f.now.Add(74*time.Hour))
	waiting := f.draft(t, 300*time.Hour)
	if err := f.d.SubmitPage(ctx, db.Transition{PageID: waiting.ID, Actor: f.as(f.editor), Now: f.now}, nil); err != nil {
		t.Fatal(err)
	}
	// Division B's page is nobody's here but division B's.
	other, _, err := f.d.CreatePage(ctx, f.as(f.editorB), db.NewPage{SiteID: f.site.ID, DivisionID: f.divB.ID, Kind: db.PageNotice,
		PageContent: db.PageContent{Title: "環境課のお知らせ", PublishAt: f.now.Add(300 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.d.SubmitPage(ctx, db.Transition{PageID: other.ID, Actor: f.as(f.editorB), Now: f.now}, nil); err != nil {
		t.Fatal(err)
	}

	pages, more, err := f.d.ApproverPages(ctx, f.approver, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, s := range pages {
		got = append(got, s.Page.ID)
		if s.Division.ID != f.divA.ID || s.Site.ID != f.site.ID || s.Latest() == nil {
			t.Errorf("page %d loaded without its division, site or revision: %+v", s.Page.ID, s)
		}
	}
	want := []int64{sooner.ID, later.ID, liveNew.ID, liveOld.ID}
	if len(got) != len(want) || more {
		t.Fatalf("approver pages %v (more %v), want %v", got, more, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("approver pages %v, want %v", got, want)
		}
	}
	if _, more, _ := f.d.ApproverPages(ctx, f.approver, 3); !more {
		t.Error("a list cut at its limit does not say there is more")
	}
	for _, c := range []struct {
		who  *db.Account
		want int
	}{{f.approver, 1}, {f.mgr, 1}, {f.editor, 0}, {f.outsider, 0}} {
		if n, err := f.d.ApprovalCount(ctx, c.who); err != nil || n != c.want {
			t.Errorf("%s: %d waiting (%v), want %d", c.who.LoginID, n, err, c.want)
		}
	}
	if pages, _, _ := f.d.ApproverPages(ctx, f.editor, 10); len(pages) != 0 {
		t.Errorf("an editor is given %d pages to end", len(pages))
	}
	managed, err := f.d.ManagedSites(ctx, f.mgr)
	if err != nil || !managed[f.site.ID] || len(managed) != 1 {
		t.Errorf("managed sites of the manager: %v %v", managed, err)
	}
	if managed, _ := f.d.ManagedSites(ctx, f.approver); len(managed) != 0 {
		t.Errorf("an approver manages %v", managed)
	}
	for _, c := range []struct {
		who  *db.Account
		page *db.ContentPage
		want bool
	}{{f.approver, waiting, true}, {f.approver, other, false}, {f.editor, waiting, false}, {f.outsider, waiting, false}} {
		s := f.state(t, c.page.ID)
		if ok, err := f.d.CanApprove(ctx, c.who, s.Page.Kind, s.Page.SiteID, s.Page.DivisionID); err != nil || ok != c.want {
			t.Errorf("%s may approve page %d: %v (%v), want %v", c.who.LoginID, c.page.ID, ok, err, c.want)
		}
	}
}
