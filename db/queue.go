package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The moderation queue as a paged, filtered list (issue 17): a moderator
// on a phone sees a page of items at a time, narrowed by kind, by flag and
// by age, with how many items each choice holds.

// Flag filters of the queue.
const (
	QueueFlagged  = "flagged"  // the pre-check flagged something
	QueueReported = "reported" // a member reported published content
	QueueClean    = "clean"    // neither
)

// Age filters of the queue: how long an item has waited.
const (
	QueueAgeDay   = "day"   // less than a day
	QueueAgeWeek  = "week"  // one to seven days
	QueueAgeOlder = "older" // more than seven days
)

// Orders of the queue.
const (
	QueueOldest        = "oldest"         // first come, first decided (the default)
	QueueNewestFlagged = "newest_flagged" // flagged and reported items first, newest first
)

// QueueFlags, QueueAges and QueueOrders are the choices in the order a
// filter form offers them.
var (
	QueueFlags  = []string{QueueFlagged, QueueReported, QueueClean}
	QueueAges   = []string{QueueAgeDay, QueueAgeWeek, QueueAgeOlder}
	QueueOrders = []string{QueueOldest, QueueNewestFlagged}
)

// QueueFilter selects a page of the queue.
type QueueFilter struct {
	Status string // ItemOpen or ItemEscalated
	Kind   string // "" or one of ItemKindNames
	Flag   string // "" or one of QueueFlags
	Age    string // "" or one of QueueAges
	Order  string // one of QueueOrders; "" is QueueOldest
	After  string // the cursor of the page before (QueuePage.Next)
	Limit  int
	Now    time.Time
}

// QueuePage is one page of the queue and the cursor of the next ("" at the end).
type QueuePage struct {
	Entries []QueueEntry
	Next    string
}

// flaggedExpr is true for an item the decider should look at first.
const flaggedExpr = "(jsonb_array_length(i.flags) > 0 OR i.origin = 'report')"

func (f QueueFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	q = q.Where("i.status = ?", f.Status)
	if f.Kind != "" {
		q = q.Where("i.kind = ?", f.Kind)
	}
	switch f.Flag {
	case QueueFlagged:
		q = q.Where("jsonb_array_length(i.flags) > 0")
	case QueueReported:
		q = q.Where("i.origin = ?", OriginReport)
	case QueueClean:
		q = q.Where("jsonb_array_length(i.flags) = 0 AND i.origin <> ?", OriginReport)
	}
	day, week := f.Now.Add(-24*time.Hour), f.Now.Add(-7*24*time.Hour)
	switch f.Age {
	case QueueAgeDay:
		q = q.Where("i.submitted_at > ?", day)
	case QueueAgeWeek:
		q = q.Where("i.submitted_at <= ? AND i.submitted_at > ?", day, week)
	case QueueAgeOlder:
		q = q.Where("i.submitted_at <= ?", week)
	}
	return q
}

// ModerationPage returns a page of the queue, keyset-paginated in the
// filter's order.
func (d *DB) ModerationPage(ctx context.Context, f QueueFilter) (_ QueuePage, err error) {
	defer wrap(&err, "moderation page")
	var items []ModerationItem
	q := f.apply(d.itemQuery(&items)).ColumnExpr(flaggedExpr + " AS first")
	cur, ok := parseQueueCursor(f.After)
	switch f.Order {
	case QueueNewestFlagged:
		if ok {
			q = q.Where("("+flaggedExpr+", i.submitted_at, i.id) < (?, ?, ?)", cur.first, cur.at, cur.id)
		}
		q = q.OrderExpr(flaggedExpr + " DESC, i.submitted_at DESC, i.id DESC")
	default:
		if ok {
			q = q.Where("(i.submitted_at, i.id) > (?, ?)", cur.at, cur.id)
		}
		q = q.OrderExpr("i.submitted_at, i.id")
	}
	if err := q.Limit(int64(f.Limit) + 1).Scan(ctx); err != nil {
		return QueuePage{}, err
	}
	var page QueuePage
	if len(items) > f.Limit {
		items = items[:f.Limit]
		last := items[len(items)-1]
		page.Next = queueCursor{first: last.First, at: last.SubmittedAt, id: last.ID}.String()
	}
	page.Entries, err = d.queueEntries(ctx, items)
	return page, err
}

type queueCursor struct {
	first bool
	at    time.Time
	id    int64
}

func (c queueCursor) String() string {
	f := "0"
	if c.first {
		f = "1"
	}
	return f + "." + strconv.FormatInt(c.at.UnixMicro(), 10) + "." + strconv.FormatInt(c.id, 10)
}

func parseQueueCursor(s string) (queueCursor, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") {
		return queueCursor{}, false
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return queueCursor{}, false
	}
	return queueCursor{first: parts[0] == "1", at: time.UnixMicro(us), id: id}, true
}

// QueueFacets counts the items of a status by each filter choice, each
// count with the other filters applied, as the filter form shows them:
// "投稿 (12)" is how many the list would hold with that choice.
type QueueFacets struct {
	Total int
	Kind  map[string]int
	Flag  map[string]int
	Age   map[string]int
}

// CountQueue counts the queue's items for the filter form: one grouped
// query over the status's waiting items.
func (d *DB) CountQueue(ctx context.Context, f QueueFilter) (_ QueueFacets, err error) {
	defer wrap(&err, "count queue")
	var rows []struct {
		Kind     string `bun:"kind"`
		Flagged  bool   `bun:"flagged"`
		Reported bool   `bun:"reported"`
		Age      string `bun:"age"`
		N        int    `bun:"n"`
	}
	day, week := f.Now.Add(-24*time.Hour), f.Now.Add(-7*24*time.Hour)
	err = d.Bun.NewSelect().TableExpr("moderation_items AS i").
		ColumnExpr("i.kind, jsonb_array_length(i.flags) > 0 AS flagged, i.origin = ? AS reported", OriginReport).
		ColumnExpr("CASE WHEN i.submitted_at > ? THEN ? WHEN i.submitted_at > ? THEN ? ELSE ? END AS age", day, QueueAgeDay, week, QueueAgeWeek, QueueAgeOlder).
		ColumnExpr("count(*) AS n").
		Where("i.status = ?", f.Status).
		GroupExpr("1, 2, 3, 4").Scan(ctx, &rows)
	if err != nil {
		return QueueFacets{}, err
	}
	out := QueueFacets{Kind: map[string]int{}, Flag: map[string]int{}, Age: map[string]int{}}
	for _, r := range rows {
		kindOK, flagOK, ageOK := f.Kind == "" || f.Kind == r.Kind, f.Flag == "" || matchesFlag(f.Flag, r.Flagged, r.Reported), f.Age == "" || f.Age == r.Age
		if flagOK && ageOK {
			out.Kind[r.Kind] += r.N
		}
		if kindOK && ageOK {
			for _, fl := range QueueFlags {
				if matchesFlag(fl, r.Flagged, r.Reported) {
					out.Flag[fl] += r.N
				}
			}
		}
		if kindOK && flagOK {
			out.Age[r.Age] += r.N
		}
		if kindOK && flagOK && ageOK {
			out.Total += r.N
		}
	}
	return out, nil
}

func matchesFlag(flag string, flagged, reported bool) bool {
	switch flag {
	case QueueFlagged:
		return flagged
	case QueueReported:
		return reported
	case QueueClean:
		return !flagged && !reported
	}
	return false
}

// ValidQueueFilter reports whether each choice of f is one offered.
func ValidQueueFilter(f QueueFilter) error {
	ok := func(v string, set []string) bool {
		if v == "" {
			return true
		}
		for _, s := range set {
			if s == v {
				return true
			}
		}
		return false
	}
	if !ok(f.Kind, ItemKindNames()) || !ok(f.Flag, QueueFlags) || !ok(f.Age, QueueAges) || !ok(f.Order, QueueOrders) {
		return fmt.Errorf("queue filter %+v: %w", f, ErrNotFound)
	}
	return nil
}
