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
	r := Rejection{Reason: "other", Message: "\r\n  \r\n"}
	r.Normalize()
	if got := describe(r.Validate(reasons)); got != "message:form.err.message_required" {
		t.Errorf("blank lines as a message: %q", got)
	}
}

func TestNewTopicValidate(t *testing.T) {
	t.Parallel()
	cats := []int64{3, 5}
	cases := []struct {
		name string
		in   NewTopic
		want string
	}{
		{"fine", NewTopic{Post: Post{Title: "公園の清掃", Body: "日曜です"}, Category: 5}, ""},
		{"no category chosen", NewTopic{Post: Post{Title: "公園の清掃", Body: "日曜です"}}, "category:form.err.category"},
		{"a category that is not the board's", NewTopic{Post: Post{Title: "公園の清掃", Body: "日曜です"}, Category: 4}, "category:form.err.category"},
		{"a topic needs a title even if Topic is unset", NewTopic{Post: Post{Body: "日曜です"}, Category: 3}, "title:form.err.title_required"},
		{"everything missing", NewTopic{Post: Post{Title: " ", Body: "\n"}}, "body:form.err.body_required category:form.err.category title:form.err.title_required"},
		{"title too long", NewTopic{Post: Post{Title: strings.Repeat("あ", TitleMax+1), Body: "x"}, Category: 3}, "title:form.err.title_long"},
	}
	for _, c := range cases {
		c.in.Normalize()
		if got := describe(c.in.Validate(cats)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSearchQuery(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"  清掃 ", "清掃"},
		{"ＡＢＣ　まつり", "ABC まつり"},
		{strings.Repeat("祭", SearchMax), strings.Repeat("祭", SearchMax)},
		{strings.Repeat("祭", SearchMax+5), strings.Repeat("祭", SearchMax)},
		{"", ""},
	}
	for _, c := range cases {
		if got := SearchQuery(c.in); got != c.want {
			t.Errorf("SearchQuery(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReportValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   Report
		want string
	}{
		{"fine", Report{Reason: "個人の電話番号が載っています"}, ""},
		{"empty", Report{Reason: " \r\n "}, "reason:form.err.report_required"},
		{"at the limit", Report{Reason: strings.Repeat("あ", ReportMax)}, ""},
		{"too long", Report{Reason: strings.Repeat("あ", ReportMax+1)}, "reason:form.err.report_long"},
		{"own post", Report{Reason: "消したい", Own: true}, "reason:board.report_own"},
		{"own post without a reason says the reason first", Report{Own: true}, "reason:form.err.report_required"},
	}
	for _, c := range cases {
		c.in.Normalize()
		if got := describe(c.in.Validate()); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestEscalationValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		note string
		want string
	}{
		{"fine", "政治的な内容か判断がつきません", ""},
		{"empty", "\n\n", "note:form.err.note_required"},
		{"at the limit", strings.Repeat("あ", MessageMax), ""},
		{"too long", strings.Repeat("あ", MessageMax+1), "note:form.err.message_long"},
	}
	for _, c := range cases {
		x := Escalation{Note: c.note}
		x.Normalize()
		if got := describe(x.Validate()); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestWordValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want string // the word as stored
		errs string
	}{
		{"fine", "電話番号", "電話番号", ""},
		{"spaces tidied, widths kept", "  ＬＩＮＥ　　ＩＤ ", "ＬＩＮＥ ＩＤ", ""},
		{"empty", "", "", "word:form.err.word"},
		{"blank", " 　 ", "", "word:form.err.word"},
		{"at the limit", strings.Repeat("あ", WordMax), strings.Repeat("あ", WordMax), ""},
		{"too long", strings.Repeat("あ", WordMax+1), strings.Repeat("あ", WordMax+1), "word:form.err.word"},
	}
	for _, c := range cases {
		w := Word{Text: c.in}
		w.Normalize()
		if got := describe(w.Validate()); got != c.errs || w.Text != c.want {
			t.Errorf("%s: %q %q, want %q %q", c.name, w.Text, got, c.want, c.errs)
		}
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
