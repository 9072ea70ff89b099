package form

import (
	"strings"
	"testing"
)

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"/events": true, "/s/kurashi/pages/3": true, "/events?month=2026-12": true, "/": true,
		"": false, "events": false, "//evil.example/x": false, "https://evil.example/": false, "/\\evil.example": false,
		"javascript:alert(1)": false, "/a b": false, "/" + strings.Repeat("a", NavPathMax): false,
	} {
		if _, ok := LocalPath(s); ok != want {
			t.Errorf("LocalPath(%q) = %v, want %v", s, ok, want)
		}
	}
}

func TestSiteSettingsValidate(t *testing.T) {
	t.Parallel()
	nav := func(kv ...string) []NavEntry {
		out := make([]NavEntry, NavRows)
		for i := 0; i+1 < len(kv); i += 2 {
			out[i/2] = NavEntry{Label: kv[i], Target: kv[i+1]}
		}
		return out
	}
	cases := []struct {
		s     SiteSettings
		want  string
		lead  int
		links int
	}{
		{SiteSettings{Name: "くらし", LeadDays: "2", Nav: nav()}, "", 2, 0},
		{SiteSettings{Name: "くらし", LeadDays: "０", Nav: nav("イベント", "/events", "ごあいさつ", "１２")}, "", 0, 2},
		{SiteSettings{Name: "くらし", LeadDays: "30", Host: "Kurashi.Example.JP.", Nav: nav()}, "", 30, 0},
		{SiteSettings{Name: "", LeadDays: "31", Nav: nav()}, "lead_days:form.err.lead_days name:form.err.site_name", 0, 0},
		{SiteSettings{Name: "くらし", LeadDays: "-1", Nav: nav()}, "lead_days:form.err.lead_days", 0, 0},
		{SiteSettings{Name: "くらし", LeadDays: "2", Host: "localhost", Nav: nav()}, "host:form.err.host_portal", 2, 0},
		{SiteSettings{Name: "くらし", LeadDays: "2", Host: "kurashi", Nav: nav()}, "host:form.err.host", 2, 0},
		{SiteSettings{Name: "くらし", LeadDays: "2", Nav: nav("", "/events", "外", "https://evil.example/")},
			"nav_label_0:form.err.nav_label nav_target_1:form.err.nav_target", 2, 2},
	}
	for _, c := range cases {
		c.s.Normalize()
		p, errs := c.s.Validate("localhost")
		if got := describe(errs); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
		if c.want == "" && (p.LeadDays != c.lead || len(p.Nav) != c.links) {
			t.Errorf("%+v: parsed %+v", c.s, p)
		}
	}
	s := SiteSettings{Name: "くらし", LeadDays: "2", Host: "Kurashi.Example.JP.", Nav: nav("ごあいさつ", "１２", "イベント", "/events")}
	s.Normalize()
	p, _ := s.Validate("localhost")
	if s.Host != "kurashi.example.jp" || p.Nav[0].PageID != 12 || p.Nav[1].Path != "/events" {
		t.Errorf("normalised %+v parsed %+v", s, p)
	}
}

func TestSiteApplicationValidate(t *testing.T) {
	t.Parallel()
	a := SiteApplication{Slug: "ＫＵＲＡＳＨＩ", Name: "くらし", Purpose: "案内", Division: "３"}
	a.Normalize()
	div, errs := a.Validate([]int64{3}, "portal.example.jp")
	if errs.Any() || div != 3 || a.Slug != "kurashi" {
		t.Errorf("%+v: %d %v", a, div, errs)
	}
	a = SiteApplication{Slug: "-x", Name: strings.Repeat("あ", SiteNameMax+1), Division: "4", Host: "portal.example.jp"}
	a.Normalize()
	if _, errs := a.Validate([]int64{3}, "portal.example.jp"); describe(errs) !=
		"division:form.err.site_division host:form.err.host_portal name:form.err.site_name purpose:form.err.purpose_required slug:form.err.code" {
		t.Errorf("%+v: %q", a, describe(errs))
	}
}

func TestPlacementAndDivisionValidate(t *testing.T) {
	t.Parallel()
	p := Placement{Divisions: []string{"１", "2"}, WorkEmail: "Ward@City.Example.JP"}
	p.Normalize()
	ids, errs := p.Validate([]int64{1, 2})
	if errs.Any() || len(ids) != 2 || p.WorkEmail != "Ward@city.example.jp" {
		t.Errorf("%+v: %v %v", p, ids, errs)
	}
	p = Placement{Divisions: []string{"9", "x"}, WorkEmail: "ward@"}
	p.Normalize()
	if _, errs := p.Validate([]int64{1, 2}); describe(errs) != "divisions:form.err.divisions work_email:form.err.email" {
		t.Errorf("%q", describe(errs))
	}
	d := Division{Code: " Kurashi-Suishin ", Name: "くらし推進課", Contact: "3階\r\n電話"}
	d.Normalize()
	if errs := d.Validate(); errs.Any() || d.Code != "kurashi-suishin" || d.Contact != "3階\n電話" {
		t.Errorf("%+v: %v", d, errs)
	}
	d = Division{Code: "k", Name: ""}
	if got := describe(d.Validate()); got != "code:form.err.code name:form.err.division_name" {
		t.Errorf("%q", got)
	}
}

func TestSiteDecisionValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d       SiteDecision
		approve bool
		want    string
		ok      bool
	}{
		{SiteDecision{Decision: SiteApprove}, true, "", true},
		{SiteDecision{Decision: SiteRefuse}, false, "comment:form.err.refusal_reason", true},
		{SiteDecision{Decision: SiteRefuse, Comment: "公式サイトで足ります"}, false, "", true},
		{SiteDecision{Decision: SiteApprove, Comment: strings.Repeat("あ", DecisionMax+1)}, true, "comment:form.err.comment_long", true},
		{SiteDecision{Decision: "maybe"}, false, "", false},
	} {
		c.d.Normalize()
		approve, errs, ok := c.d.Validate()
		if approve != c.approve || describe(errs) != c.want || ok != c.ok {
			t.Errorf("%+v: %v %q %v", c.d, approve, describe(errs), ok)
		}
	}
}
