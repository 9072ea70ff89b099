package form

import "slices"

// Limits of the board's forms, stated on them.
const (
	TitleMax   = 80
	BodyMax    = 2000
	ReportMax  = 500
	MessageMax = 1000
	WordMax    = 40
)

// Post is a board topic (with a title) or a reply.
type Post struct {
	Title string
	Body  string
	Topic bool
}

// PostFields is the order of the post form's fields.
var PostFields = []string{"category", "title", "body"}

// Normalize tidies the title like any one-line field and the body's line
// breaks; it keeps the body's characters as typed.
func (p *Post) Normalize() {
	p.Title = Text(p.Title)
	p.Body = Multiline(p.Body)
}

// Validate returns a message id per bad field. Call Normalize first.
func (p *Post) Validate() Errors {
	e := Errors{}
	if p.Topic {
		switch {
		case p.Title == "":
			e.Add("title", "form.err.title_required")
		case Len(p.Title) > TitleMax:
			e.Add("title", "form.err.title_long")
		}
	}
	switch {
	case p.Body == "":
		e.Add("body", "form.err.body_required")
	case Len(p.Body) > BodyMax:
		e.Add("body", "form.err.body_long")
	}
	return e
}

// Rejection is a moderator's reason and message to the author.
type Rejection struct {
	Reason  string
	Message string
}

// Validate checks the reason is on the prohibited list and the author gets
// an explanation.
func (r *Rejection) Validate(reasons []string) Errors {
	e := Errors{}
	if !slices.Contains(reasons, r.Reason) {
		e.Add("reason", "form.err.reason_required")
	}
	switch {
	case r.Message == "":
		e.Add("message", "form.err.message_required")
	case Len(r.Message) > MessageMax:
		e.Add("message", "form.err.message_long")
	}
	return e
}
