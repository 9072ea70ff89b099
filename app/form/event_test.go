package form

import (
	"testing"
	"time"
)

func TestEventValidate(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, jst)
	ok := Event{Title: "防災訓練", Description: "みんなで", Category: "防災", Town: "四谷", Venue: "四谷区民センター",
		Date: "２０２６－１２－０１", Start: "10:00", End: "12:00", Capacity: "３０", Waitlist: "5", ApplyUntil: "2026-11-30"}
	ok.Normalize()
	p, errs := ok.Validate(now, jst)
	if errs.Any() || *p.Capacity != 30 || p.Waitlist != 5 || p.StartsAt != time.Date(2026, 12, 1, 10, 0, 0, 0, jst) ||
		*p.ApplyUntil != time.Date(2026, 12, 1, 0, 0, 0, 0, jst) {
		t.Fatalf("valid form: %+v %v", p, errs)
	}
	bad := Event{Date: "2026-11-01", Start: "10:00", End: "09:00", Capacity: "0", ApplyUntil: "2026-12-24"}
	bad.Normalize()
	_, errs = bad.Validate(now, jst)
	want := map[string]string{"title": "form.err.required_title", "date": "form.err.past", "end": "form.err.end_before_start",
		"capacity": "form.err.capacity", "apply_until": "form.err.apply_after_event"}
	for field, id := range want {
		if errs[field] != id {
			t.Errorf("%s: %q, want %q", field, errs[field], id)
		}
	}
}
