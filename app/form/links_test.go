package form

import (
	"strings"
	"testing"
	"time"
)

func TestLinkRequestValidate(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	good := func() LinkRequest {
		return LinkRequest{SiteName: "観光協会", URL: "https://www.example.jp/", Content: "観光案内", Administrator: "会長 一郎",
			Reason: "利便性", Start: "2026-12-01", End: "", Contact: "03-0000-0000", None: append([]string(nil), LinkCategories...)}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*LinkRequest)
		field string
	}{
		{"complete", func(*LinkRequest) {}, ""},
		{"with an end date", func(f *LinkRequest) { f.End = "2027-03-31" }, ""},
		{"no site name", func(f *LinkRequest) { f.SiteName = "" }, "site_name"},
		{"not an address", func(f *LinkRequest) { f.URL = "www.example.jp" }, "url"},
		{"javascript", func(f *LinkRequest) { f.URL = "javascript:alert(1)" }, "url"},
		{"credentials in the address", func(f *LinkRequest) { f.URL = "https://a:b@example.jp/" }, "url"},
		{"no administrator", func(f *LinkRequest) { f.Administrator = "" }, "administrator"},
		{"no reason", func(f *LinkRequest) { f.Reason = "" }, "reason"},
		{"no contact", func(f *LinkRequest) { f.Contact = "" }, "contact"},
		{"too long content", func(f *LinkRequest) { f.Content = strings.Repeat("あ", LinkURLMax+1) }, "content"},
		{"bad start", func(f *LinkRequest) { f.Start = "12/1" }, "start_date"},
		{"end before start", func(f *LinkRequest) { f.End = "2026-11-30" }, "end_date"},
		{"one category unconfirmed", func(f *LinkRequest) { f.None = f.None[1:] }, "none"},
		{"none confirmed", func(f *LinkRequest) { f.None = nil }, "none"},
	} {
		f := good()
		tc.edit(&f)
		f.Normalize()
		_, errs := f.Validate(jst)
		if tc.field == "" && errs.Any() || tc.field != "" && (errs[tc.field] == "" || len(errs) != 1) {
			t.Errorf("%s: errors %v, want one on %q", tc.name, errs, tc.field)
		}
	}
	d := LinkDecision{Action: "refuse", Comment: "  "}
	if d.Validate()["comment"] == "" {
		t.Error("a refusal without a comment passed")
	}
	d = LinkDecision{Action: "approve"}
	if d.Validate().Any() {
		t.Error("an approval without a comment was refused")
	}
}
