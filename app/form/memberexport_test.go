package form

import (
	"strings"
	"testing"
	"time"
)

func TestMemberExportValidate(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	statuses, columns := []string{"active", "pending"}, []string{"login_id", "name"}
	for _, c := range []struct {
		name string
		form MemberExport
		want string // field:message, sorted by field
	}{
		{"fine", MemberExport{Columns: []string{"name"}, Purpose: "案内"}, ""},
		{"everything wrong", MemberExport{Status: "withdrawn", From: "2026/04/01", Town: strings.Repeat("町", 41),
			Newsletter: "maybe", Joined: "x", Event: "0", Columns: []string{"password_hash"}},
			"columns:form.err.columns event:form.err.event_id from:form.err.date joined:form.err.choice " +
				"newsletter:form.err.choice purpose:form.err.required_purpose status:form.err.choice town:form.err.too_long"},
		{"dates the wrong way round", MemberExport{From: "2026-05-01", To: "2026-04-30", Columns: []string{"name"}, Purpose: "p"},
			"to:form.err.to_before_from"},
		{"one known and one unknown column", MemberExport{Columns: []string{"name", "roles"}, Purpose: "p"}, "columns:form.err.columns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.form
			f.Normalize()
			_, errs := f.Validate(statuses, columns, jst)
			if got := describe(errs); got != c.want {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
		})
	}
	f := MemberExport{From: "２０２６－０４－０１", To: "2026-04-30", Event: "１２", Columns: []string{"name"}, Purpose: "p"}
	f.Normalize()
	p, errs := f.Validate(statuses, columns, jst)
	if errs.Any() || p.From.Format(time.RFC3339) != "2026-04-01T00:00:00+09:00" || p.To.Format(time.RFC3339) != "2026-05-01T00:00:00+09:00" ||
		p.EventID != 12 || f.Format != FormatCP932 {
		t.Errorf("parsed %+v %v, format %q", p, errs, f.Format)
	}
}
