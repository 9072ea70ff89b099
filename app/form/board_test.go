package form

import (
	"slices"
	"strings"
	"testing"
)

func TestPostValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p    Post
		want string
	}{
		{Post{Topic: true, Title: "公園の清掃", Body: "日曜です"}, ""},
		{Post{Topic: true, Title: "　", Body: " "}, "body:form.err.body_required title:form.err.title_required"},
		{Post{Topic: true, Title: strings.Repeat("あ", TitleMax+1), Body: strings.Repeat("い", BodyMax)}, "title:form.err.title_long"},
		{Post{Body: strings.Repeat("い", BodyMax+1)}, "body:form.err.body_long"},
		{Post{Title: "", Body: "返信"}, ""},
	}
	for _, c := range cases {
		c.p.Normalize()
		if got := describe(c.p.Validate()); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

func TestRejectionValidate(t *testing.T) {
	t.Parallel()
	reasons := []string{"privacy", "other"}
	if got := describe((&Rejection{Reason: "privacy", Message: "電話番号を消してください"}).Validate(reasons)); got != "" {
		t.Error(got)
	}
	if got := describe((&Rejection{Reason: "rude"}).Validate(reasons)); got != "message:form.err.message_required reason:form.err.reason_required" {
		t.Error(got)
	}
}

// describe renders errors in field order, for comparing in tests.
func describe(e Errors) string {
	keys := make([]string, 0, len(e))
	for k, v := range e {
		keys = append(keys, k+":"+v)
	}
	slices.Sort(keys)
	return strings.Join(keys, " ")
}
