package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// subSiteFixture extends the pages fixture with two active sub-sites, A
// (run by division A) and B (division B), each with an editor and a site
// manager of its own; the pages fixture's site manager runs the official site.
type subSiteFixture struct {
	*pagesFixture
	siteA, siteB       *db.Site
	editorA, editorBB  *db.Account
	managerA, managerB *db.Account
}

func newSubSiteFixture(t *testing.T) *subSiteFixture {
	t.Helper()
	ctx := context.Background()
	f := &subSiteFixture{pagesFixture: newPagesFixture(t)}
	d := f.d
	staff := func(login string, div *db.Division, roles ...string) *db.Account {
		acc, err := d.CreateStaff(ctx, login, "職員 "+login, roles, "x")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.SetStaffDivisions(ctx, f.as(f.admin), acc.ID, []int64{div.ID}); err != nil {
			t.Fatal(err)
		}
		return acc
	}
	f.editorA, f.managerA = staff("sub-editor-a", f.divA, db.RoleEditor), staff("sub-manager-a", f.divA, db.RoleSiteManager, db.RoleEditor)
	f.editorBB, f.managerB = staff("sub-editor-b", f.divB, db.RoleEditor), staff("sub-manager-b", f.divB, db.RoleSiteManager)
	apply := func(by *db.Account, slug string, div *db.Division) *db.Site {
		s, err := d.ApplySite(ctx, f.as(by), db.SiteApplication{Slug: slug, Name: slug + " のサイト", Purpose: "事業の案内", DivisionID: div.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.DecideSite(ctx, db.SiteDecision{SiteID: s.ID, Approve: true, Actor: f.as(f.mgr), Now: f.now}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.siteA, f.siteB = apply(f.managerA, "kurashi", f.divA), apply(f.managerB, "kankyo", f.divB)
	if err := d.AddSiteStaff(ctx, f.as(f.admin), f.siteA.ID, f.editorA.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.AddSiteStaff(ctx, f.as(f.admin), f.siteB.ID, f.editorBB.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSubSiteEditorsStayOnTheirSite(t *testing.T) {
	f := newSubSiteFixture(t)
	ctx := context.Background()
	content := db.PageContent{Title: "資源回収のお知らせ", Body: "本文", PublishAt: f.now.Add(72 * time.Hour)}
	// Each editor writes on their own site.
	pa, _, err := f.d.CreatePage(ctx, f.as(f.editorA), db.NewPage{SiteID: f.siteA.ID, DivisionID: f.divA.ID, Kind: db.PageGeneral, PageContent: content})
	if err != nil {
		t.Fatal(err)
	}
	// Not on the other site, whichever division the page names.
	for _, div := range []*db.Division{f.divA, f.divB} {
		if _, _, err := f.d.CreatePage(ctx, f.as(f.editorA), db.NewPage{SiteID: f.siteB.ID, DivisionID: div.ID, Kind: db.PageGeneral, PageContent: content}); !errors.Is(err, db.ErrForbidden) {
			t.Errorf("editor of A creating a page of B (division %s): %v, want ErrForbidden", div.Code, err)
		}
	}
	// And not editing a page of another site.
	if _, err := f.d.SavePage(ctx, f.step(pa.ID, f.editorBB), content); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("editor of B editing a page of A: %v, want ErrForbidden", err)
	}
	if ok, err := f.d.CanAuthor(ctx, f.editorBB, db.PageGeneral, f.siteA.ID, f.divB.ID); ok || err != nil {
		t.Errorf("CanAuthor(editor of B, site A) = %v, %v", ok, err)
	}
}

func TestSubSiteApplicationsAndManagers(t *testing.T) {
	f := newSubSiteFixture(t)
	ctx := context.Background()
	// The applicant joined the approved site's staff.
	rights, err := f.d.SiteRights(ctx, f.managerA)
	if err != nil || !rights.MayManage(f.siteA.ID) || rights.MayManage(f.siteB.ID) || rights.OfficialManager {
		t.Fatalf("rights of A's manager: %+v %v", rights, err)
	}
	// An approver is no applicant; an editor cannot apply for another division.
	if _, err := f.d.ApplySite(ctx, f.as(f.approver), db.SiteApplication{Slug: "shien", Name: "支援", Purpose: "x", DivisionID: f.divA.ID}); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("approver applying: %v", err)
	}
	if _, err := f.d.ApplySite(ctx, f.as(f.editorA), db.SiteApplication{Slug: "shien", Name: "支援", Purpose: "x", DivisionID: f.divB.ID}); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("editor applying for another division: %v", err)
	}
	app, err := f.d.ApplySite(ctx, f.as(f.editorA), db.SiteApplication{Slug: "shien", Name: "支援", Purpose: "相談窓口の案内", DivisionID: f.divA.ID})
	if err != nil {
		t.Fatal(err)
	}
	var fc *db.FieldConflict
	if _, err := f.d.ApplySite(ctx, f.as(f.editorA), db.SiteApplication{Slug: "shien", Name: "支援2", Purpose: "x", DivisionID: f.divA.ID}); !errors.As(err, &fc) || fc.Field != "slug" {
		t.Errorf("a taken slug: %v", err)
	}
	// Only the official site's managers decide; a sub-site's manager does not.
	for _, who := range []*db.Account{f.managerA, f.approver, f.editorA} {
		if err := f.d.DecideSite(ctx, db.SiteDecision{SiteID: app.ID, Approve: true, Actor: f.as(who), Now: f.now}); !errors.Is(err, db.ErrForbidden) {
			t.Errorf("%s deciding: %v, want ErrForbidden", who.LoginID, err)
		}
	}
	if err := f.d.DecideSite(ctx, db.SiteDecision{SiteID: app.ID, Actor: f.as(f.mgr), Now: f.now}); !errors.Is(err, db.ErrConflict) {
		t.Errorf("a refusal without a reason: %v", err)
	}
	if err := f.d.DecideSite(ctx, db.SiteDecision{SiteID: app.ID, Comment: "公式サイトで足ります", Actor: f.as(f.mgr), Now: f.now}); err != nil {
		t.Fatal(err)
	}
	if err := f.d.DecideSite(ctx, db.SiteDecision{SiteID: app.ID, Approve: true, Actor: f.as(f.mgr), Now: f.now}); !errors.Is(err, db.ErrConflict) {
		t.Errorf("approving a refused site: %v", err)
	}

	// Settings: A's manager changes A, not B; the official site's manager both.
	set := db.SiteSettings{Name: "くらしのサイト", LeadDays: 3, Host: ptr("kurashi.example.jp"),
		Nav: []db.NavLink{{Label: "イベント", Path: "/events"}, {Label: "ごあいさつ", PageID: 7}}}
	if err := f.d.UpdateSiteSettings(ctx, f.as(f.managerA), f.siteB.ID, set); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("A's manager changing B: %v", err)
	}
	if err := f.d.UpdateSiteSettings(ctx, f.as(f.managerA), f.siteA.ID, set); err != nil {
		t.Fatal(err)
	}
	s, _, err := f.d.SiteDetail(ctx, f.siteA.ID)
	if err != nil || s.LeadDays != 3 || *s.Host != "kurashi.example.jp" || len(s.Nav) != 2 || s.Nav[1].PageID != 7 {
		t.Fatalf("settings stored: %+v %v", s, err)
	}
	if err := f.d.UpdateSiteSettings(ctx, f.as(f.mgr), f.siteB.ID, db.SiteSettings{Name: "環境", LeadDays: 2, Host: ptr("kurashi.example.jp")}); !errors.As(err, &fc) || fc.Field != "host" {
		t.Errorf("a host another site has: %v", err)
	}
	hosts, err := f.d.SiteHosts(ctx)
	if err != nil || hosts["kurashi.example.jp"] != "kurashi" || len(hosts) != 1 {
		t.Errorf("hosts: %v %v", hosts, err)
	}

	// Staff: A's manager adds to A, not to B; the official site keeps a manager.
	if err := f.d.AddStaffToSite(ctx, f.as(f.managerA), f.siteB.ID, f.editorA.ID); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("A's manager adding to B: %v", err)
	}
	if err := f.d.RemoveStaffFromSite(ctx, f.as(f.managerA), f.siteB.ID, f.editorBB.ID); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("A's manager removing from B: %v", err)
	}
	if err := f.d.AddStaffToSite(ctx, f.as(f.managerA), f.siteA.ID, f.admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.d.RemoveStaffFromSite(ctx, f.as(f.mgr), f.site.ID, f.mgr.ID); !errors.Is(err, db.ErrLastManager) {
		t.Errorf("removing the official site's last manager: %v", err)
	}

	// Closing hides it from the public addresses and its host.
	if err := f.d.CloseSite(ctx, f.as(f.managerB), f.siteA.ID, ""); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("B's manager closing A: %v", err)
	}
	if err := f.d.CloseSite(ctx, f.as(f.managerA), f.siteA.ID, "統合のため"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.SiteBySlug(ctx, "kurashi"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a closed site by slug: %v", err)
	}
	if hosts, _ := f.d.SiteHosts(ctx); len(hosts) != 0 {
		t.Errorf("a closed site keeps its host: %v", hosts)
	}
	var entries []string
	if err := f.d.Bun.NewSelect().Table("audit_log").Column("detail").Where("action = ?", db.AuditSiteChange).Order("id").Scan(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(entries, "\n")
	for _, want := range []string{"site shien applied for: 相談窓口の案内", "site shien refused: 公式サイトで足ります",
		`lead days 2 → 3`, `host "" → "kurashi.example.jp"`, "site kurashi closed: 統合のため"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit log lacks %q:\n%s", want, all)
		}
	}
}

func TestSitePagesShowLiveRevisionsOfTheSite(t *testing.T) {
	f := newSubSiteFixture(t)
	ctx := context.Background()
	if err := f.d.UpdateSiteSettings(ctx, f.as(f.managerA), f.siteA.ID, db.SiteSettings{Name: f.siteA.Name, LeadDays: 0}); err != nil {
		t.Fatal(err)
	}
	if err := f.d.AddStaffToSite(ctx, f.as(f.mgr), f.siteA.ID, f.approver.ID); err != nil {
		t.Fatal(err)
	}
	publish := func(site *db.Site, editor *db.Account, title string) int64 {
		p, _, err := f.d.CreatePage(ctx, f.as(editor), db.NewPage{SiteID: site.ID, DivisionID: site.DivisionID, Kind: db.PageGeneral,
			PageContent: db.PageContent{Title: title, Body: "本文", PublishAt: f.now}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.d.SubmitPage(ctx, f.step(p.ID, editor), nil); err != nil {
			t.Fatal(err)
		}
		if err := f.d.ApprovePage(ctx, f.step(p.ID, f.approver)); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	live := publish(f.siteA, f.editorA, "公開中の版")
	// A new revision in the works does not show until it is published.
	if _, err := f.d.SavePage(ctx, f.step(live, f.editorA), db.PageContent{Title: "作業中の版", Body: "下書き", PublishAt: f.now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// A draft never published, and a page of the official site.
	if _, _, err := f.d.CreatePage(ctx, f.as(f.editorA), db.NewPage{SiteID: f.siteA.ID, DivisionID: f.divA.ID, Kind: db.PageGeneral,
		PageContent: db.PageContent{Title: "下書きだけ", PublishAt: f.now.Add(72 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	f.draft(t, 72*time.Hour)

	pages, err := f.d.SitePages(ctx, f.siteA.ID, db.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages.Items) != 1 || pages.Items[0].ID != live || pages.Items[0].Title != "公開中の版" {
		t.Fatalf("site A's pages: %+v", pages.Items)
	}
	p, err := f.d.SitePublishedPage(ctx, f.siteA.ID, live)
	if err != nil || p.Live.Title != "公開中の版" || p.Division.ID != f.divA.ID {
		t.Fatalf("site A's page: %+v %v", p, err)
	}
	if _, err := f.d.SitePublishedPage(ctx, f.siteB.ID, live); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("A's page under B: %v, want not found", err)
	}
}

func TestStaffPlacementIsOnRecord(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	act := f.as(f.admin)
	act.Role = db.RoleWardStaff
	if err := f.d.SetStaffPlacement(ctx, act, db.Placement{AccountID: f.admin.ID, DivisionIDs: []int64{f.divA.ID}}); !errors.Is(err, db.ErrOwnPlacement) {
		t.Errorf("own divisions: %v", err)
	}
	if err := f.d.SetStaffPlacement(ctx, act, db.Placement{AccountID: f.editor.ID, DivisionIDs: []int64{f.divB.ID, 999999}}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("an unknown division: %v", err)
	}
	p := db.Placement{AccountID: f.editor.ID, DivisionIDs: []int64{f.divB.ID, f.divA.ID}, WorkEmail: "editor1@city.example.jp"}
	if err := f.d.SetStaffPlacement(ctx, act, p); err != nil {
		t.Fatal(err)
	}
	// The same again writes nothing.
	if err := f.d.SetStaffPlacement(ctx, act, p); err != nil {
		t.Fatal(err)
	}
	got, err := f.d.StaffPlacementOf(ctx, f.editor.ID)
	if err != nil || len(got.DivisionIDs) != 2 || got.WorkEmail != "editor1@city.example.jp" || len(got.SiteIDs) != 1 {
		t.Fatalf("placement: %+v %v", got, err)
	}
	var entries []db.AuditEntry
	if err := f.d.Bun.NewSelect().Model(&entries).Where("action = ? AND subject_id = ? AND actor_id = ?", db.AuditDivisionChange, f.editor.ID, f.admin.ID).
		Where("detail LIKE 'divisions: kurashi → %'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Detail != `divisions: kurashi → kankyo,kurashi; work e-mail: "" → "editor1@city.example.jp"` ||
		entries[0].ActorRole != db.RoleWardStaff {
		t.Errorf("audit entries: %+v", entries)
	}
}
