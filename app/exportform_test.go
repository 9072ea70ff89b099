package app

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestMemberExportFormOnAPhone: the event is chosen by name from
// suggestions (and the choice filters the export), each format names the
// file it gives, the choices are one per line, and the "nothing exported
// yet" line is marked for the report to replace.
func TestMemberExportFormOnAPhone(t *testing.T) {
	t.Parallel()
	x := newExportEnv(t)
	page := x.ward.get("/staff/members/export")
	page.wantStatus(t, http.StatusOK)
	if list := page.Doc.Find("#f-event").AttrOr("list", ""); list != "export-events" {
		t.Fatalf("event field list=%q", list)
	}
	var choice string
	page.Doc.Find("#export-events option").Each(func(_ int, o *goquery.Selection) {
		if v := o.AttrOr("value", ""); strings.HasSuffix(v, "#"+strconv.FormatInt(x.event.ID, 10)) {
			choice = v
		}
	})
	if choice == "" || !strings.HasPrefix(choice, x.event.Title) {
		t.Fatalf("the event with sign-ups is not suggested by name (%q)", choice)
	}
	res := x.export(x.ward, url.Values{"columns": {"login_id"}, "format": {"csv_utf8"}, "token": {""}, "event": {choice}})
	body := strings.TrimPrefix(string(readAll(t, res)), "\uFEFF")
	if res.StatusCode != http.StatusOK || strings.Join(strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")[1:], " ") != "M5000002" {
		t.Errorf("export of the event chosen by name: %d %q", res.StatusCode, body)
	}
	for value, ext := range map[string]string{"csv_cp932": ".csv", "csv_utf8": ".csv", "xlsx": ".xlsx"} {
		note := page.Doc.Find(`label[for="f-format-` + value + `"] .meta`).Text()
		if !strings.Contains(note, "members-") || !strings.HasSuffix(strings.TrimSpace(note), ext) {
			t.Errorf("format %s: file name %q", value, note)
		}
	}
	if page.Doc.Find("form.export-form fieldset.choices label.check").Length() < 5 {
		t.Error("the choices are not laid out as a list of large labels")
	}
	if page.Doc.Find("#export-none").Length() != 1 {
		t.Error("the empty line has no id for the report to replace")
	}
}
