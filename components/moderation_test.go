package components

import (
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// Every kind the queue holds has a view and a name in both languages, so a
// new kind cannot reach the queue showing only its buttons.
func TestEveryItemKindHasAView(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range db.ItemKindNames() {
		if _, ok := itemViews[kind]; !ok {
			t.Errorf("kind %s has no entry in itemViews", kind)
		}
		for _, lang := range []string{"ja", "en"} {
			if key := "moderation.origin." + kind + "." + db.OriginSubmission; !cat.Has(lang, key) {
				t.Errorf("%s: no message %s", lang, key)
			}
		}
	}
}

func TestQueueItemShowsEachKindsContent(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 5, 10, 10, 0, 0, 0, time.UTC)
	topicID := int64(3)
	cases := []struct {
		name     string
		entry    db.QueueEntry
		heading  string
		category string
		body     string
	}{
		{"reply", db.QueueEntry{
			Item: db.ModerationItem{ID: 1, Kind: db.ItemBoardPost, Origin: db.OriginSubmission, Status: db.ItemOpen, SubmittedAt: when},
			ItemSubject: db.ItemSubject{Post: &db.BoardPost{ID: 9, TopicID: &topicID, TopicTitle: "公園の清掃", Body: "参加します",
				AuthorName: "ぼぶ", AuthorKind: db.KindMember, CategoryNameJa: "まちの話題", CategoryNameEn: "Town"}},
		}, "「公園の清掃」への返信", "まちの話題", "参加します"},
		{"event", db.QueueEntry{
			Item: db.ModerationItem{ID: 2, Kind: db.ItemEvent, Origin: db.OriginSubmission, Status: db.ItemOpen, SubmittedAt: when},
			ItemSubject: db.ItemSubject{Event: &db.Event{ID: 4, Title: "食堂の会", Description: "どなたでも", Category: "子育て",
				Venue: "新宿センター", Town: "新宿", StartsAt: when, EndsAt: when.Add(time.Hour)}},
		}, "食堂の会", "子育て", "どなたでも"},
		{"gone", db.QueueEntry{
			Item: db.ModerationItem{ID: 3, Kind: db.ItemEvent, Origin: db.OriginSubmission, Status: db.ItemOpen, SubmittedAt: when},
		}, "", "", ""},
	}
	for _, c := range cases {
		doc := render(t, "ja", QueueItem(QueueView{Moderator: true}, &c.entry, ItemState{}))
		li := doc.Find("li.queue-item")
		if got := strings.TrimSpace(li.Find("h3").Text()); got != c.heading {
			t.Errorf("%s: heading %q, want %q", c.name, got, c.heading)
		}
		spans := li.Find("p.meta").First().Find("span")
		if c.category == "" {
			if spans.Length() != 1 {
				t.Errorf("%s: meta line has %d spans, want the origin tag only", c.name, spans.Length())
			}
		} else if got := spans.Eq(1).Text(); got != c.category {
			t.Errorf("%s: category %q, want %q", c.name, got, c.category)
		}
		if got := li.Find(".body-text").Text(); got != c.body {
			t.Errorf("%s: body %q, want %q", c.name, got, c.body)
		}
		if li.Find("form").Length() != 1 {
			t.Errorf("%s: no decision form", c.name)
		}
	}
}
