package form

import (
	"strings"

	"github.com/wardportal/portal/db"
)

// QueueFilter narrows the moderation queue: the kind of content, a flag
// (pre-check flags, a member's report, or neither), how long the items
// have waited, and the order.
type QueueFilter struct {
	Kind, Flag, Age, Order string
}

// Normalize trims the choices; no order is the oldest first.
func (x *QueueFilter) Normalize() {
	x.Kind, x.Flag, x.Age, x.Order = strings.TrimSpace(x.Kind), strings.TrimSpace(x.Flag), strings.TrimSpace(x.Age), strings.TrimSpace(x.Order)
	if x.Order == "" {
		x.Order = db.QueueOldest
	}
}

// Validate checks each choice is one the form offers ("" is any).
func (x *QueueFilter) Validate() Errors {
	e := Errors{}
	for _, f := range []struct {
		name, value string
		set         []string
	}{
		{"kind", x.Kind, db.ItemKindNames()}, {"flag", x.Flag, db.QueueFlags}, {"age", x.Age, db.QueueAges},
	} {
		if f.value != "" && !oneOf(f.value, f.set) {
			e.Add(f.name, "reading.err.choice")
		}
	}
	if !oneOf(x.Order, db.QueueOrders) {
		e.Add("order", "reading.err.choice")
	}
	return e
}

// Active counts the filters chosen (the order is not a filter).
func (x QueueFilter) Active() int {
	n := 0
	for _, v := range []string{x.Kind, x.Flag, x.Age} {
		if v != "" {
			n++
		}
	}
	return n
}
