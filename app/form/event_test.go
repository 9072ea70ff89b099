package form

import (
	"strings"
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
	p, errs := ok.Validate(now, jst, nil)
	if errs.Any() || *p.Capacity != 30 || p.Waitlist != 5 || p.StartsAt != time.Date(2026, 12, 1, 10, 0, 0, 0, jst) ||
		*p.ApplyUntil != time.Date(2026, 12, 1, 0, 0, 0, 0, jst) {
		t.Fatalf("valid form: %+v %v", p, errs)
	}
	bad := Event{Date: "2026-11-01", Start: "10:00", End: "09:00", Capacity: "0", ApplyUntil: "2026-12-24"}
	bad.Normalize()
	_, errs = bad.Validate(now, jst, nil)
	want := map[string]string{"title": "form.err.required_title", "date": "form.err.past", "end": "form.err.end_before_start",
		"capacity": "form.err.capacity", "apply_until": "form.err.apply_after_event"}
	for field, id := range want {
		if errs[field] != id {
			t.Errorf("%s: %q, want %q", field, errs[field], id)
		}
	}
}

// The facility is one of those the form offered, or none.
func TestEventFacility(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, jst)
	offered := []int64{3, 12}
	cases := []struct {
		name     string
		facility string
		offered  []int64
		want     int64 // the facility chosen; 0 for none
		err      string
	}{
		{"none chosen", "", offered, 0, ""},
		{"one offered", "12", offered, 12, ""},
		{"typed in full width", "１２", offered, 12, ""},
		{"not offered (deleted meanwhile)", "7", offered, 0, "form.err.facility"},
		{"none offered at all", "3", nil, 0, "form.err.facility"},
		{"not a number", "twelve", offered, 0, "form.err.facility"},
		{"zero", "0", offered, 0, "form.err.facility"},
		{"negative", "-3", offered, 0, "form.err.facility"},
	}
	for _, c := range cases {
		f := Event{Title: "防災訓練", Description: "みんなで", Category: "防災", Town: "四谷", Venue: "四谷区民センター",
			Date: "2026-12-01", Start: "10:00", End: "12:00", Facility: c.facility}
		f.Normalize()
		p, errs := f.Validate(now, jst, c.offered)
		want := Errors{}
		if c.err != "" {
			want["facility"] = c.err
		}
		if describe(errs) != describe(want) {
			t.Errorf("%s: errors %q, want %q", c.name, describe(errs), describe(want))
		}
		var got int64
		if p.Facility != nil {
			got = *p.Facility
		}
		if got != c.want {
			t.Errorf("%s: facility %d, want %d", c.name, got, c.want)
		}
	}
}

// An emergency correction is the event form plus a required reason.
func TestEventCorrectionValidate(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, jst)
	ev := Event{Title: "防災訓練", Description: "みんなで", Category: "防災", Town: "四谷", Venue: "四谷区民センター",
		Date: "2026-12-01", Start: "10:00", End: "12:00", Capacity: "20", Waitlist: "0"}
	for _, c := range []struct {
		reason, want string
	}{
		{"", "form.err.correction_reason"},
		{" \n ", "form.err.correction_reason"},
		{strings.Repeat("あ", CorrectionMax+1), "form.err.too_long"},
		{"会場が台風で使えなくなったため変更", ""},
	} {
		f := EventCorrection{Event: ev, Reason: c.reason}
		f.Normalize()
		p, errs := f.Validate(now, jst, nil)
		if errs["reason"] != c.want || len(errs) > 1 || (c.want == "" && (errs.Any() || *p.Capacity != 20)) {
			t.Errorf("reason %q: %v", c.reason, errs)
		}
	}
}
