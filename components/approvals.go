package components

import (
	"github.com/wardportal/portal/app/check"
	"time"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// ApprovalsView is the approver's page: the submissions waiting for them and
// the pages of their reach that are approved or live.
type ApprovalsView struct {
	Queue    []ApprovalEntry // submitted, oldest first
	Pages    []ApprovalEntry // approved (公開待ち) and live (公開中)
	More     bool            // Pages holds only the first of more
	LeadDays int             // the official site's lead time, for the lead paragraph
}

// ApprovalEntry is one page as the approver sees it.
type ApprovalEntry struct {
	State       db.PageState
	Author      string // who wrote the revision shown
	BodyHTML    string // the revision's body rendered as it will be published (app/markup, sanitised)
	Earliest    time.Time
	TooSoon     bool // the working revision's publish time is inside the site's lead time
	SiteManager bool // the viewer manages the page's site: may override the two-day rule
	// Problems are the content checks' findings on the revision decided.
	Problems []check.Problem
	// LinkFlags are the domains whose link approval ended while the page
	// links to them (第16条).
	LinkFlags []string
}

// Rev is the revision the entry is about: the one being decided, else the
// live one.
func (e *ApprovalEntry) Rev() *db.Revision { return e.State.Latest() }

// ApprovalState is what an item's form shows besides the page: what the
// approver typed, what was wrong with it, and whether the two-day rule has
// just refused the approval.
type ApprovalState struct {
	Action   string
	Note     string
	Override string
	Comment  string
	// CheckOverride is the approver's reason for approving despite check errors.
	CheckOverride string
	Errs          form.Errors
	Refused       bool // ApprovePage answered db.ErrTooSoon
}

func approvalID(pageID int64) string { return "approval-" + itoa(pageID) }

func livePageID(pageID int64) string { return "live-" + itoa(pageID) }

func pageKindKey(kind string) string { return "page_kind." + kind }

// staffPageURL is the page's full view with its history and diff, built by
// the authoring screens.
func staffPageURL(pageID int64) string { return "/staff/pages/" + itoa(pageID) }

// overrideValue is the reason the override field starts with: what was
// typed, else for an urgent notice the usual reason, so the site manager
// confirms it in one tap.
func overrideValue(e *ApprovalEntry, s ApprovalState, urgent string) string {
	if s.Override != "" || s.Action == form.DecideOverride {
		return s.Override
	}
	if r := e.Rev(); r != nil && e.State.Page.Kind == db.PageNotice && r.Fields.Urgent {
		return urgent
	}
	return ""
}

// approvalText is a text area of the decision form, with an id of its item.
// An optional note gets two lines, so the approve button stays near.
func approvalText(pageID int64, name, labelKey, hintKey, value string, required bool) FieldSpec {
	rows := 3
	if !required {
		rows = 2
	}
	return FieldSpec{Name: name, ID: approvalID(pageID) + "-" + name, LabelKey: labelKey, HintKey: hintKey,
		Required: required, MaxLen: form.MessageMax, Rows: rows, Value: value}
}
