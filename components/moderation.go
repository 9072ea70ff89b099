package components

import (
	"context"
	"net/url"

	"github.com/a-h/templ"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// QueueView is the moderation page: the moderators' open items and the
// ward's escalated ones, each shown to whoever may decide it.
type QueueView struct {
	Moderator bool // the viewer decides open items
	Ward      bool // the viewer decides escalated items
	Open      []db.QueueEntry
	Escalated []db.QueueEntry
	Counts    map[string]int
	After     int64 // the live-event id the queue was rendered at: its stream resumes after it

	// The filter and the pages (issue 17): the filter as chosen, its
	// errors, the count of each choice, and where each list goes on.
	Filter        form.QueueFilter
	Errs          form.Errors
	Facets        db.QueueFacets
	OpenNext      string
	EscalatedNext string
}

// queueNextURL is the address of the next page of a status's list, with
// the filter kept.
func (v QueueView) queueNextURL(status, next string) string {
	q := url.Values{"status": {status}, "after": {next}}
	for k, val := range map[string]string{"kind": v.Filter.Kind, "flag": v.Filter.Flag, "age": v.Filter.Age} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if v.Filter.Order != "" && v.Filter.Order != db.QueueOldest {
		q.Set("order", v.Filter.Order)
	}
	return "/moderation?" + q.Encode()
}

// facetOptions labels each choice with how many items it holds: 投稿（12件）.
func facetOptions(ctx context.Context, prefix string, values []string, counts map[string]int) []Option {
	opts := make([]Option, len(values))
	for i, val := range values {
		opts[i] = Option{Value: val, Label: Tf(ctx, "moderation.filter.count", map[string]any{"Label": T(ctx, prefix+val), "Count": counts[val]})}
	}
	return opts
}

// ItemState is what an item's form shows besides the item: what the
// decider typed and what was wrong with it.
type ItemState struct {
	Action  string // the action the errors belong to
	Reason  string
	Message string
	Errs    form.Errors
	// Collide names the details a refused approval of a group's event
	// change collides on (see db.EventChange.Merge).
	Collide []string
}

// itemView is how the queue shows one kind of content (see db.ItemKind):
// the category in the item's meta line and the content itself, each
// nothing when the content is gone.
type itemView struct {
	category func(ctx context.Context, s *db.ItemSubject) string
	subject  func(s *db.ItemSubject) templ.Component
}

// itemViews has an entry for every db.ItemKindNames kind.
var itemViews = map[string]itemView{
	db.ItemBoardPost: {
		category: func(ctx context.Context, s *db.ItemSubject) string {
			if s.Post == nil {
				return ""
			}
			return categoryName(ctx, s.Post)
		},
		subject: func(s *db.ItemSubject) templ.Component {
			if s.Post == nil {
				return templ.NopComponent
			}
			return postSubject(s.Post)
		},
	},
	db.ItemEvent: {
		category: func(_ context.Context, s *db.ItemSubject) string {
			if s.Event == nil {
				return ""
			}
			return s.Event.Category
		},
		subject: func(s *db.ItemSubject) templ.Component {
			if s.Event == nil {
				return templ.NopComponent
			}
			return eventSubject(s.Event)
		},
	},
	db.ItemEventChange: {
		category: func(_ context.Context, s *db.ItemSubject) string {
			if s.Change == nil {
				return ""
			}
			return s.Change.Category
		},
		subject: func(s *db.ItemSubject) templ.Component {
			if s.Change == nil || s.Change.Event == nil {
				return templ.NopComponent
			}
			return eventChangeSubject(s.Change)
		},
	},
	db.ItemGroupProfile: {
		category: func(ctx context.Context, s *db.ItemSubject) string {
			if s.GroupProfile == nil {
				return ""
			}
			return T(ctx, "moderation.kind.group_profile")
		},
		subject: func(s *db.ItemSubject) templ.Component {
			if s.GroupProfile == nil {
				return templ.NopComponent
			}
			return groupProfileSubject(s.GroupProfile)
		},
	},
}

func itemCategory(ctx context.Context, e *db.QueueEntry) string {
	v, ok := itemViews[e.Item.Kind]
	if !ok {
		return ""
	}
	return v.category(ctx, &e.ItemSubject)
}

func itemSubject(e *db.QueueEntry) templ.Component {
	v, ok := itemViews[e.Item.Kind]
	if !ok {
		return templ.NopComponent
	}
	return v.subject(&e.ItemSubject)
}

func itemID(id int64) string { return "item-" + itoa(id) }

func queueList(status string) string { return "queue-" + status }

func flagKey(kind string) string { return "moderation.flag." + kind }

func originKey(e *db.QueueEntry) string {
	return "moderation.origin." + e.Item.Kind + "." + e.Item.Origin
}

// decidable reports whether the viewer may act on the item as it is now.
func decidable(v QueueView, it *db.ModerationItem) bool {
	return it.Status == db.ItemOpen && v.Moderator || it.Status == db.ItemEscalated && v.Ward
}

// decisionText is a text area of the decision form. The decider's text
// shows back only in the area of the action they took: a rejection's
// message and an escalation's note are separate.
func decisionText(e *db.QueueEntry, name, labelKey, hintKey string, s ItemState, action string) FieldSpec {
	f := FieldSpec{Name: name, ID: itemID(e.Item.ID) + "-" + name, LabelKey: labelKey, HintKey: hintKey,
		Required: true, MaxLen: form.MessageMax, Rows: 3}
	if s.Action == action {
		f.Value = s.Message
	}
	return f
}
