package components

import (
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
	Live      int64
}

// ItemState is what an item's form shows besides the item: what the
// decider typed and what was wrong with it.
type ItemState struct {
	Action  string // the action the errors belong to
	Reason  string
	Message string
	Errs    form.Errors
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

func mineText(mine bool, text string) string {
	if mine {
		return text
	}
	return ""
}
