package form

import "time"

// DateRange is a list filter's from and to dates (YYYY-MM-DD, Japan time),
// folded as typed; "" is no bound.
type DateRange struct {
	From, To string
	Loc      *time.Location
}

// Normalize folds full-width digits and separators.
func (r *DateRange) Normalize() {
	r.From, r.To = Fold(r.From), Fold(r.To)
}

// Validate says which bound cannot be read.
func (r DateRange) Validate() Errors {
	e := Errors{}
	if _, ok := r.bound(r.From, 0); !ok {
		e.Add("from", "form.err.date")
	}
	if _, ok := r.bound(r.To, 1); !ok {
		e.Add("to", "form.err.date")
	}
	return e
}

// Bounds returns the start of the from day and the start of the day after
// to, each nil when empty or unreadable (Validate says which).
func (r DateRange) Bounds() (from, to *time.Time) {
	from, _ = r.bound(r.From, 0)
	to, _ = r.bound(r.To, 1)
	return from, to
}

func (r DateRange) bound(s string, days int) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	d, ok := Date(s, r.Loc)
	if !ok {
		return nil, false
	}
	d = d.AddDate(0, 0, days)
	return &d, true
}

// ExportPurpose is the purpose staff give for an export, on record with it.
type ExportPurpose struct{ Purpose string }

// Normalize tidies the text as typed.
func (p *ExportPurpose) Normalize() { p.Purpose = Text(p.Purpose) }

// Validate limits its length.
func (p ExportPurpose) Validate() Errors {
	e := Errors{}
	if Len(p.Purpose) > PurposeMax {
		e.Add("purpose", "form.err.too_long")
	}
	return e
}
