package form

// What an approver decides on a submitted page (app/approvals.go).
const (
	DecideApprove  = "approve"   // approve for the revision's publish time
	DecideOverride = "override"  // approve inside the lead time: a site manager, with a reason
	DecideSendBack = "send_back" // return to the author with a comment (差し戻し)
)

// PageDecision is an approver's decision on a submitted page, as typed.
// Every text is kept as typed, so a form shown again with an error loses
// nothing.
type PageDecision struct {
	Action   string
	Note     string // approving: an optional note, kept in the page's history
	Override string // overriding the two-day rule: the reason, for the audit log and the history
	Comment  string // sending back: what the author should change
	// CheckOverride is the reason for approving despite the content checks'
	// errors: required then (RequireCheckOverride), for the history and audit log.
	CheckOverride string
}

// Normalize tidies the texts' line breaks.
func (d *PageDecision) Normalize() {
	d.Note, d.Override, d.Comment = Multiline(d.Note), Multiline(d.Override), Multiline(d.Comment)
	d.CheckOverride = Multiline(d.CheckOverride)
}

// KnownAction reports whether Action is one of the decisions; anything else
// is not a form this portal renders.
func (d *PageDecision) KnownAction() bool {
	return d.Action == DecideApprove || d.Action == DecideOverride || d.Action == DecideSendBack
}

// Validate checks the text the action needs: a reason for an override, a
// comment for sending back, and nothing overlong.
func (d *PageDecision) Validate() Errors {
	e := Errors{}
	if Len(d.Note) > MessageMax {
		e.Add("note", "form.err.message_long")
	}
	if Len(d.CheckOverride) > MessageMax {
		e.Add("check_override", "form.err.message_long")
	}
	switch d.Action {
	case DecideOverride:
		switch {
		case d.Override == "":
			e.Add("override", "form.err.override_required")
		case Len(d.Override) > MessageMax:
			e.Add("override", "form.err.message_long")
		}
	case DecideSendBack:
		switch {
		case d.Comment == "":
			e.Add("comment", "form.err.comment_required")
		case Len(d.Comment) > MessageMax:
			e.Add("comment", "form.err.message_long")
		}
	}
	return e
}

// PageEnd is an approver ending a live page now (公開終了), with an
// optional reason for the page's history.
type PageEnd struct {
	Comment string
}

// Normalize tidies the reason's line breaks.
func (p *PageEnd) Normalize() { p.Comment = Multiline(p.Comment) }

// Validate checks the reason's length.
func (p *PageEnd) Validate() Errors {
	e := Errors{}
	if Len(p.Comment) > MessageMax {
		e.Add("comment", "form.err.message_long")
	}
	return e
}

// RequireCheckOverride adds the error of an approval without a reason when
// the content checks found errors.
func (d *PageDecision) RequireCheckOverride(e Errors) {
	if d.Action != DecideSendBack && d.CheckOverride == "" {
		e.Add("check_override", "form.err.check_override_required")
	}
}
