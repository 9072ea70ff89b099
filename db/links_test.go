package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func linkRequest(url string, start time.Time, end *time.Time) *db.LinkRequest {
	return &db.LinkRequest{SiteName: "中野区観光協会", URL: url, Content: "区内の観光案内", Administrator: "中野 太郎",
		Reason: "区民の利便性のため", StartDate: start, EndDate: end, Contact: "03-0000-0000 info@example.jp",
		NoneAdult: true, NoneCrime: true, NoneDefame: true, NonePolitical: true, NoneElection: true, NoneMalware: true}
}

func TestLinkRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	editor := dbtest.Staff(t, d, dbtest.StaffOptions{Login: "editor1", Roles: []string{db.RoleEditor}})
	mgr := dbtest.Staff(t, d, dbtest.StaffOptions{Login: "manager1", Roles: []string{db.RoleSiteManager}})
	ed, ma := db.Actor{Account: editor, Role: db.RoleEditor}, db.Actor{Account: mgr, Role: db.RoleSiteManager}
	// 2026-12-03 in Japan (the evening before, in UTC).
	now := time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	end := day(12, 10)

	open := linkRequest("https://WWW.Example.jp./kanko?x=1", day(12, 1), nil)
	ending := linkRequest("https://ends.example.jp/", day(11, 1), &end)
	later := linkRequest("https://later.example.jp/", day(12, 4), nil)
	refused := linkRequest("https://refused.example.jp/", day(12, 1), nil)
	waiting := linkRequest("https://waiting.example.jp/", day(12, 1), nil)
	for _, r := range []*db.LinkRequest{open, ending, later, refused, waiting} {
		if err := d.RequestLink(ctx, ed, r); err != nil {
			t.Fatal(err)
		}
		if r.Status != db.LinkRequested || r.RequestedBy != editor.ID {
			t.Fatalf("stored %+v", r)
		}
	}
	if open.Domain != "www.example.jp" {
		t.Errorf("domain %q, want www.example.jp", open.Domain)
	}
	// A request not confirming every category of 第16条 is not taken.
	bad := linkRequest("https://bad.example.jp/", day(12, 1), nil)
	bad.NoneElection = false
	if err := d.RequestLink(ctx, ed, bad); err == nil {
		t.Error("a request with an unconfirmed category was stored")
	}
	for _, r := range []*db.LinkRequest{open, ending, later} {
		if err := d.DecideLink(ctx, ma, r.ID, true, "", now); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DecideLink(ctx, ma, refused.ID, false, "", now); err == nil {
		t.Error("refused without a comment")
	}
	if err := d.DecideLink(ctx, ma, refused.ID, false, "政治団体の主張を含む", now); err != nil {
		t.Fatal(err)
	}
	if err := d.DecideLink(ctx, ma, open.ID, false, "やはり不可", now); !errors.Is(err, db.ErrDecided) {
		t.Errorf("deciding twice: %v, want ErrDecided", err)
	}
	if err := d.DecideLink(ctx, ma, 999999, true, "", now); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("deciding nothing: %v, want ErrNotFound", err)
	}

	for _, tc := range []struct {
		name string
		at   time.Time
		want []string
	}{
		{"today", now, []string{"ends.example.jp", "www.example.jp"}},
		{"on the end date", day(12, 10).Add(14 * time.Hour), []string{"ends.example.jp", "later.example.jp", "www.example.jp"}},
		{"after the end date", day(12, 11).Add(2 * time.Hour), []string{"later.example.jp", "www.example.jp"}},
	} {
		got, err := d.ApprovedDomains(ctx, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: ApprovedDomains = %v, want %v", tc.name, got, tc.want)
		}
	}
	for host, want := range map[string]bool{"www.example.jp": true, "WWW.EXAMPLE.JP.": true, "example.jp": false,
		"refused.example.jp": false, "waiting.example.jp": false, "later.example.jp": false} {
		if got, err := d.DomainApproved(ctx, host, now); err != nil || got != want {
			t.Errorf("DomainApproved(%q) = %v, %v; want %v", host, got, err, want)
		}
	}

	list, err := d.LinkRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 5 || list[0].ID != waiting.ID {
		t.Fatalf("list: %d requests, first %d; want 5, the waiting one first", len(list), list[0].ID)
	}
	statusOf := map[int64]string{}
	for i := range list {
		statusOf[list[i].ID] = list[i].StatusAt(day(12, 11).Add(2 * time.Hour))
	}
	if statusOf[ending.ID] != db.LinkExpired || statusOf[open.ID] != db.LinkApproved || statusOf[refused.ID] != db.LinkRefused {
		t.Errorf("statuses after the end date: %v", statusOf)
	}

	// The decisions are on the audit log.
	var n int64
	if n, err = d.Bun.NewSelect().Table("audit_log").Where("actor_id = ? AND action IN (?, ?)", mgr.ID, db.AuditLinkApprove, db.AuditLinkRefuse).Count(ctx); err != nil || n != 4 {
		t.Errorf("audit entries of decisions: %d, %v; want 4", n, err)
	}
}

func TestLinkDomain(t *testing.T) {
	for in, want := range map[string]string{"https://www.Example.jp:8443/a": "www.example.jp", "http://a.example.": "a.example",
		"ftp://x.example/": "", "/local": "", "https://u:p@x.example/": "", "https://": ""} {
		got, ok := db.LinkDomain(in)
		if got != want || ok != (want != "") {
			t.Errorf("LinkDomain(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
