package form

import (
	"slices"
	"time"
)

// Consent record limits.
const (
	ConsentNameMax = 200
	ConsentTextMax = 2000
	ConsentNoteMax = 500
)

// ConsentMethods are how consent may have been obtained (db.ConsentMethods).
var ConsentMethods = []string{"written", "oral", "email", "electronic", "other"}

// ConsentFields is the order of the consent form's fields (and its error summary).
var ConsentFields = []string{"page_id", "subject_name", "purpose", "content", "start_date", "end_date", "method", "method_note"}

// Consent is a consent record (第14条) as typed.
type Consent struct {
	PageID, SubjectName, Purpose, Content, Start, End, Method, MethodNote string
}

// ParsedConsent is what a valid consent form means.
type ParsedConsent struct {
	PageID     int64
	Start, End time.Time
}

// Normalize tidies what was typed.
func (f *Consent) Normalize() {
	f.PageID, f.SubjectName, f.Start, f.End = Text(f.PageID), Text(f.SubjectName), Text(f.Start), Text(f.End)
	f.Method, f.MethodNote = Text(f.Method), Text(f.MethodNote)
	f.Purpose, f.Content = Multiline(f.Purpose), Multiline(f.Content)
}

// Validate checks every item 第14条 asks for and the period.
func (f *Consent) Validate(loc *time.Location) (ParsedConsent, Errors) {
	e := Errors{}
	var p ParsedConsent
	if n, ok := Int(f.PageID, 1, 1<<31-1); ok {
		p.PageID = int64(n)
	} else {
		e.Add("page_id", "form.err.consent_page")
	}
	text := func(name, v string, max int) {
		e.Required(name, v, max, "form.err.consent_"+name+"_required", "form.err.consent_long")
	}
	text("subject_name", f.SubjectName, ConsentNameMax)
	text("purpose", f.Purpose, ConsentTextMax)
	text("content", f.Content, ConsentTextMax)
	if Len(f.MethodNote) > ConsentNoteMax {
		e.Add("method_note", "form.err.consent_long")
	}
	if !slices.Contains(ConsentMethods, f.Method) {
		e.Add("method", "form.err.consent_method")
	}
	var ok bool
	if p.Start, ok = Date(f.Start, loc); !ok {
		e.Add("start_date", "form.err.date")
	}
	if p.End, ok = Date(f.End, loc); !ok {
		e.Add("end_date", "form.err.date")
	} else if e["start_date"] == "" && p.End.Before(p.Start) {
		e.Add("end_date", "form.err.consent_end_before_start")
	}
	return p, e
}
