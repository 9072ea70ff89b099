package db

import (
	"strings"
	"testing"
	"time"
)

// TestEventChangeMerge: a change based on an event that moved on since
// applies the group's details that the move left alone, and collides where
// both touched the same time or place, named whole.
func TestEventChangeMerge(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 10, 10, 0, 0, 0, time.UTC)
	base := &Event{ID: 1, Title: "観察会", Venue: "森の公園", Town: "江古田", StartsAt: at, EndsAt: at.Add(2 * time.Hour), Fee: "無料", Version: 3}
	type edit func(e *Event)
	tests := []struct {
		name          string
		group, moved  edit // nil moved: the event has not moved on
		mine, collide string
	}{
		{"not moved: whole", func(e *Event) { e.Title = "親子観察会" }, nil, "title", ""},
		{"other details: merged", func(e *Event) { e.Title, e.Fee = "親子観察会", "100円" }, func(e *Event) { e.Venue = "平和の森公園" }, "title,fee", ""},
		{"same detail: collides", func(e *Event) { e.Venue = "森の公園 南口" }, func(e *Event) { e.Venue = "平和の森公園" }, "", "venue"},
		{"same detail, same value: nothing to do", func(e *Event) { e.Venue = "平和の森公園" }, func(e *Event) { e.Venue = "平和の森公園" }, "", ""},
		{"start against end: the time collides whole", func(e *Event) { e.StartsAt = at.Add(time.Hour) },
			func(e *Event) { e.EndsAt = at.Add(3 * time.Hour) }, "", "starts_at,ends_at"},
		{"town against venue: the place collides whole", func(e *Event) { e.Town, e.Title = "野方", "野方の観察会" },
			func(e *Event) { e.Venue = "平和の森公園" }, "title", "town,venue"},
		{"time against place: merged", func(e *Event) { e.StartsAt, e.EndsAt = at.Add(time.Hour), at.Add(3*time.Hour) },
			func(e *Event) { e.Venue = "平和の森公園" }, "starts_at,ends_at", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := *base
			tt.group(&to)
			ch := changeOf(&to, 0)
			v := base.Version
			ch.BaseVersion, ch.Base = &v, changeOf(base, 0)
			cur := *base
			if tt.moved != nil {
				tt.moved(&cur)
				cur.Version++
			}
			mine, collide := ch.Merge(&cur)
			if strings.Join(mine, ",") != tt.mine || strings.Join(collide, ",") != tt.collide {
				t.Fatalf("mine %v collide %v, want %q %q", mine, collide, tt.mine, tt.collide)
			}
			if tt.collide == "" {
				ch.ApplyFields(&cur, mine)
				if tt.moved != nil && !strings.Contains(tt.name, "same value") && cur.Venue != "平和の森公園" {
					t.Errorf("the move was undone: %+v", cur)
				}
			}
		})
	}
}
