package form

import (
	"regexp"
	"slices"
)

// Limits of the board's forms, stated on them.
const (
	TitleMax   = 80
	BodyMax    = 2000
	ReportMax  = 500
	MessageMax = 1000
	WordMax    = 40
	SearchMax  = 100
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

// NewTopic is a topic as first posted: a post with its title, in a category.
type NewTopic struct {
	Post
	Category int64 // the chosen category's id; 0 when none (or not a number)
}

// Validate checks the post, which as a topic needs a title, and that the
// category is one of the board's. Call Normalize first.
func (t *NewTopic) Validate(categories []int64) Errors {
	p := t.Post
	p.Topic = true
	e := p.Validate()
	if !slices.Contains(categories, t.Category) {
		e.Add("category", "form.err.category")
	}
	return e
}

// SearchQuery tidies a board search like any one-line field and cuts it to
// SearchMax characters: a longer query is a paste accident, not a search
// worth an error page.
func SearchQuery(q string) string {
	// Search matches folded widths on both sides (issue 11 item 16).
	q = Fold(q)
	if r := []rune(q); len(r) > SearchMax {
		q = string(r[:SearchMax])
	}
	return q
}

// Report is a member's reason to have a published post looked at again.
type Report struct {
	Reason string
	Own    bool // the reporter wrote the post
}

// Normalize tidies the reason's line breaks.
func (r *Report) Normalize() { r.Reason = Multiline(r.Reason) }

// Validate checks there is a reason of a readable length, and that nobody
// reports their own post (they edit or withdraw it instead).
func (r *Report) Validate() Errors {
	e := Errors{}
	switch {
	case r.Reason == "":
		e.Add("reason", "form.err.report_required")
	case Len(r.Reason) > ReportMax:
		e.Add("reason", "form.err.report_long")
	case r.Own:
		e.Add("reason", "board.report_own")
	}
	return e
}

// Escalation is a moderator's note referring an item to the ward.
type Escalation struct {
	Note string
}

// Normalize tidies the note's line breaks.
func (x *Escalation) Normalize() { x.Note = Multiline(x.Note) }

// Validate checks the ward is told what to decide, in a readable length.
func (x *Escalation) Validate() Errors {
	e := Errors{}
	switch {
	case x.Note == "":
		e.Add("note", "form.err.note_required")
	case Len(x.Note) > MessageMax:
		e.Add("note", "form.err.message_long")
	}
	return e
}

// Rejection is a moderator's reason and message to the author.
type Rejection struct {
	Reason  string
	Message string
}

// Normalize tidies the message's line breaks.
func (r *Rejection) Normalize() { r.Message = Multiline(r.Message) }

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

// Word is a word staff add to the pre-check dictionary, which flags posts
// containing it for the moderators.
type Word struct {
	Text string
}

// Normalize tidies the word like any one-line field.
func (w *Word) Normalize() { w.Text = Text(w.Text) }

// Validate checks there is a word of at most WordMax characters.
func (w *Word) Validate() Errors {
	e := Errors{}
	if w.Text == "" || Len(w.Text) > WordMax {
		e.Add("word", "form.err.word")
	}
	return e
}

// Limits of the board category form.
const (
	CategoryNameMax = 30
	SortOrderMax    = 9999
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,29}$`)

// Category is staff's form for a board category, as typed: ID is empty for
// a new one.
type Category struct {
	ID, Slug, NameJa, NameEn, SortOrder string
}

// ParsedCategory is what a valid category form says.
type ParsedCategory struct {
	ID        int64 // 0: a new category
	SortOrder int
}

// Normalize folds the slug and the numbers and tidies the names.
func (c *Category) Normalize() {
	c.ID, c.Slug, c.SortOrder = Fold(c.ID), Fold(c.Slug), Fold(c.SortOrder)
	c.NameJa, c.NameEn = Text(c.NameJa), Text(c.NameEn)
}

// Validate returns what the form says and a message id per bad field; ok is
// false when the hidden id names no category a form could have carried.
func (c *Category) Validate() (p ParsedCategory, e Errors, ok bool) {
	e = Errors{}
	if c.ID != "" {
		if p.ID, ok = ID(c.ID); !ok {
			return p, e, false
		}
	}
	if !slugPattern.MatchString(c.Slug) {
		e.Add("slug", "form.err.slug")
	}
	if c.NameJa == "" || Len(c.NameJa) > CategoryNameMax {
		e.Add("name_ja", "form.err.category_name")
	}
	if c.NameEn == "" || Len(c.NameEn) > CategoryNameMax {
		e.Add("name_en", "form.err.category_name")
	}
	if c.SortOrder != "" {
		var ok bool
		if p.SortOrder, ok = Int(c.SortOrder, 0, SortOrderMax); !ok {
			e.Add("sort_order", "form.err.sort_order")
		}
	}
	return p, e, true
}
