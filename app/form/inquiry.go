package form

import "slices"

// Limits of an inquiry's texts.
const (
	InquirySubjectMax = 80
	InquiryBodyMax    = 4000
	InquiryAnswerMax  = 4000
)

// InquiryFields are the inquiry form's fields in the order shown.
var InquiryFields = []string{"division", "subject", "body", "name", "email", "phone"}

// Inquiry is a resident's question to a division (第8条2項3号), as typed.
type Inquiry struct {
	Division string // the division's id, when the form lets the resident choose
	Subject  string
	Body     string
	Name     string
	Email    string
	Phone    string // optional
}

// Normalize tidies the texts: one line for the short ones, line breaks for
// the body, the address's domain in lower case, the phone's digits folded.
func (q *Inquiry) Normalize() {
	q.Division = Fold(q.Division)
	q.Subject, q.Name = Text(q.Subject), Text(q.Name)
	q.Body = Multiline(q.Body)
	if e, ok := Email(q.Email); ok {
		q.Email = e
	} else {
		q.Email = Fold(q.Email)
	}
	if q.Phone = Fold(q.Phone); q.Phone != "" {
		if p, ok := Phone(q.Phone); ok {
			q.Phone = p
		}
	}
}

// Validate checks the required fields, the address and the phone, and the
// lengths; divisions are the ids the resident may choose from.
func (q *Inquiry) Validate(divisions []string) Errors {
	e := Errors{}
	if !slices.Contains(divisions, q.Division) {
		e.Add("division", "inquiry.err.division")
	}
	switch {
	case q.Subject == "":
		e.Add("subject", "inquiry.err.subject_required")
	case Len(q.Subject) > InquirySubjectMax:
		e.Add("subject", "inquiry.err.subject_long")
	}
	switch {
	case q.Body == "":
		e.Add("body", "inquiry.err.body_required")
	case Len(q.Body) > InquiryBodyMax:
		e.Add("body", "inquiry.err.body_long")
	}
	switch {
	case q.Name == "":
		e.Add("name", "form.err.name_required")
	case Len(q.Name) > NameMax:
		e.Add("name", "form.err.name_long")
	}
	if _, ok := Email(q.Email); !ok || Len(q.Email) > 254 {
		e.Add("email", "form.err.email")
	}
	if q.Phone != "" {
		if _, ok := Phone(q.Phone); !ok {
			e.Add("phone", "form.err.phone")
		}
	}
	return e
}

// InquiryText is a staff member's note or answer.
type InquiryText struct {
	Text string
}

// Normalize tidies the line breaks.
func (t *InquiryText) Normalize() { t.Text = Multiline(t.Text) }

// Validate requires a text of at most InquiryAnswerMax characters.
func (t *InquiryText) Validate() Errors {
	e := Errors{}
	switch {
	case t.Text == "":
		e.Add("text", "inquiry.err.text_required")
	case Len(t.Text) > InquiryAnswerMax:
		e.Add("text", "inquiry.err.text_long")
	}
	return e
}

// InquiryTemplateTitleMax is the longest answer template title.
const InquiryTemplateTitleMax = 60

// InquiryTemplate is a division's answer template, as typed.
type InquiryTemplate struct {
	Division string
	Title    string
	Body     string
}

// Normalize tidies the title and the body's line breaks.
func (t *InquiryTemplate) Normalize() {
	t.Division, t.Title, t.Body = Fold(t.Division), Text(t.Title), Multiline(t.Body)
}

// Validate checks the division is one of divisions, and the texts.
func (t *InquiryTemplate) Validate(divisions []string) Errors {
	e := Errors{}
	if !slices.Contains(divisions, t.Division) {
		e.Add("division", "inquiry.err.division")
	}
	switch {
	case t.Title == "":
		e.Add("title", "inquiry.err.subject_required")
	case Len(t.Title) > InquiryTemplateTitleMax:
		e.Add("title", "inquiry.err.template_title_long")
	}
	switch {
	case t.Body == "":
		e.Add("body", "inquiry.err.text_required")
	case Len(t.Body) > InquiryAnswerMax:
		e.Add("body", "inquiry.err.text_long")
	}
	return e
}
