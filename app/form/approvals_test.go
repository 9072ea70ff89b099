package form

import (
	"strings"
	"testing"
)

func TestPageDecisionValidate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("あ", MessageMax+1)
	cases := []struct {
		name string
		in   PageDecision
		want string
	}{
		{"approve without a note", PageDecision{Action: DecideApprove}, ""},
		{"approve with a note", PageDecision{Action: DecideApprove, Note: "確認しました"}, ""},
		{"approve with an overlong note", PageDecision{Action: DecideApprove, Note: long}, "note:form.err.message_long"},
		{"override without a reason", PageDecision{Action: DecideOverride, Note: "急ぎ"}, "override:form.err.override_required"},
		{"override with blank lines", PageDecision{Action: DecideOverride, Override: "\r\n \r\n"}, "override:form.err.override_required"},
		{"override with a reason", PageDecision{Action: DecideOverride, Override: "台風の接近による緊急のお知らせ"}, ""},
		{"override with an overlong reason", PageDecision{Action: DecideOverride, Override: long}, "override:form.err.message_long"},
		{"send back without a comment", PageDecision{Action: DecideSendBack, Override: "x"}, "comment:form.err.comment_required"},
		{"send back with a comment", PageDecision{Action: DecideSendBack, Comment: "日付を直してください"}, ""},
		{"send back with an overlong comment", PageDecision{Action: DecideSendBack, Comment: long}, "comment:form.err.message_long"},
		// A reason or comment typed for another action is kept, not checked.
		{"approve with a stray comment", PageDecision{Action: DecideApprove, Comment: long}, ""},
	}
	for _, c := range cases {
		d := c.in
		d.Normalize()
		if got := describe(d.Validate()); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	for _, a := range []string{"", "publish", "APPROVE"} {
		if (&PageDecision{Action: a}).KnownAction() {
			t.Errorf("action %q is taken as a decision", a)
		}
	}
}

func TestPageEndValidate(t *testing.T) {
	t.Parallel()
	if got := describe((&PageEnd{}).Validate()); got != "" {
		t.Errorf("no reason: %q, want none (the reason is optional)", got)
	}
	if got := describe((&PageEnd{Comment: strings.Repeat("a", MessageMax+1)}).Validate()); got != "comment:form.err.message_long" {
		t.Errorf("overlong reason: %q", got)
	}
}
