package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

func TestDisasterModeSwitch(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()

	s, err := f.d.Settings(ctx)
	if err != nil || s.DisasterMode || s.ChangedBy != nil {
		t.Fatalf("a new portal: %+v, %v; want off, never switched", s, err)
	}
	// Only a site manager of the official site: not an approver, not a
	// site manager who works on no site (or only a sub-site), not ward staff.
	stranger, err := f.d.CreateStaff(ctx, "manager9", "職員 manager9", []string{db.RoleSiteManager}, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range []*db.Account{f.approver, f.admin, f.editor, stranger} {
		if _, err := f.d.SetDisasterMode(ctx, f.as(acc), true); !errors.Is(err, db.ErrForbidden) {
			t.Errorf("%s switches on: %v, want ErrForbidden", acc.LoginID, err)
		}
	}
	last, err := f.d.LastLiveEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := f.d.SetDisasterMode(ctx, f.as(f.mgr), true); err != nil || !changed {
		t.Fatalf("manager switches on: %v, %v", changed, err)
	}
	if changed, err := f.d.SetDisasterMode(ctx, f.as(f.mgr), true); err != nil || changed {
		t.Fatalf("switching on again: changed %v, %v; want nothing changed", changed, err)
	}
	s, err = f.d.Settings(ctx)
	if err != nil || !s.DisasterMode || s.ChangedBy == nil || *s.ChangedBy != f.mgr.ID || s.ChangedByName != f.mgr.DisplayName {
		t.Fatalf("after switching on: %+v, %v", s, err)
	}
	if changed, err := f.d.SetDisasterMode(ctx, f.as(f.mgr), false); err != nil || !changed {
		t.Fatalf("manager switches off: %v, %v", changed, err)
	}
	if s, err = f.d.Settings(ctx); err != nil || s.DisasterMode {
		t.Fatalf("after switching off: %+v, %v", s, err)
	}

	// One live event and one audit entry per change, in order.
	evs, err := f.d.LiveEventsAfter(ctx, last, 10, db.StreamSettings)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Name != db.LiveDisasterOn || evs[1].Name != db.LiveDisasterOff {
		t.Errorf("live events %+v, want on then off", evs)
	}
	var details []string
	if err := f.d.Bun.NewSelect().Table("audit_log").Column("detail").
		Where("action = ? AND actor_id = ? AND actor_role = ?", db.AuditDisasterMode, f.mgr.ID, db.RoleSiteManager).
		OrderExpr("id").Scan(ctx, &details); err != nil {
		t.Fatal(err)
	}
	if len(details) != 2 || details[0] != "disaster mode on" || details[1] != "disaster mode off" {
		t.Errorf("audit entries %q, want on then off", details)
	}
}

func TestUrgentNotices(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	publish := func(title string, kind string, urgent bool, end *time.Time) int64 {
		t.Helper()
		p, _, err := f.d.CreatePage(ctx, f.as(f.editor), db.NewPage{SiteID: f.site.ID, DivisionID: f.divA.ID, Kind: kind,
			PageContent: db.PageContent{Title: title, Body: "本文", Fields: db.PageFields{Urgent: urgent}, PublishAt: f.now, EndAt: end}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil); err != nil {
			t.Fatal(err)
		}
		tr := f.step(p.ID, f.mgr)
		tr.Override = "避難情報のため至急"
		if err := f.d.ApprovePage(ctx, tr); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Minute)
		return p.ID
	}
	publish("避難所を開設しました", db.PageNotice, true, nil)
	publish("粗大ごみの受付日変更", db.PageNotice, false, nil)
	publish("給水所のご案内", db.PageNotice, true, nil)
	soon := f.now.Add(30 * time.Minute)
	publish("停電のお知らせ", db.PageNotice, true, &soon)
	ended := publish("道路の通行止め", db.PageNotice, true, nil)
	if err := f.d.EndPage(ctx, f.step(ended, f.approver)); err != nil {
		t.Fatal(err)
	}

	titles := func(now time.Time) []string {
		t.Helper()
		revs, err := f.d.UrgentNotices(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range revs {
			out = append(out, r.Title)
		}
		return out
	}
	want := []string{"停電のお知らせ", "給水所のご案内", "避難所を開設しました"}
	if got := titles(f.now); !slices.Equal(got, want) {
		t.Errorf("urgent notices %q, want %q (newest first, live and urgent only)", got, want)
	}
	if got := titles(soon.Add(time.Minute)); !slices.Equal(got, want[1:]) {
		t.Errorf("after the power-cut notice's end: %q, want %q", got, want[1:])
	}
}
