package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// TestModerationQueuePages: the queue comes a page at a time, narrowed by
// kind, flag and age with a count beside each choice, optionally flagged
// and newest first, and a reply comes with the opening lines of the topic
// it answers.
func TestModerationQueuePages(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	cat := &db.BoardCategory{Slug: "queue", NameJa: "まちの話題", NameEn: "Town"}
	if err := e.db.SaveBoardCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	author := e.memberAccount("M7200001", "ならぶひと")
	topic := dbtest.Post(t, e.db, db.BoardPost{CategoryID: cat.ID, AuthorID: author.ID, Title: "公園の花壇", Body: "花壇の手入れを一緒にしませんか。毎月第一日曜です。"})
	now := time.Now()
	// 20 waiting items: 3 flagged today, 2 reported, 15 plain of various
	// ages; one plain item is a reply.
	var flagged, reported, old []int64
	item := func(i int, at time.Time, origin string, flags []db.Flag, reply bool) int64 {
		p := db.BoardPost{CategoryID: cat.ID, AuthorID: author.ID, Status: db.PostPending, Title: fmt.Sprintf("確認待ち%02d", i), Body: "本文です。"}
		if origin == db.OriginReport {
			p.Status = db.PostPublished
		}
		if reply {
			p.TopicID, p.Title, p.Body = &topic.ID, "", "参加します。"
		}
		post := dbtest.Post(t, e.db, p)
		it := &db.ModerationItem{Kind: db.ItemBoardPost, SubjectID: post.ID, Origin: origin, SubmittedBy: author.ID, SubmittedAt: at, Flags: flags}
		if _, err := e.db.Bun.NewInsert().Model(it).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return it.ID
	}
	for i := 0; i < 20; i++ {
		switch {
		case i < 3:
			flagged = append(flagged, item(i, now.Add(-time.Duration(i+1)*time.Hour), db.OriginSubmission, []db.Flag{{Kind: db.FlagPhone, Match: "03-1234-5678"}}, false))
		case i < 5:
			reported = append(reported, item(i, now.Add(-time.Duration(i)*24*time.Hour-time.Hour), db.OriginReport, nil, false))
		case i < 10:
			old = append(old, item(i, now.Add(-time.Duration(i+5)*24*time.Hour), db.OriginSubmission, nil, i == 9))
		default:
			item(i, now.Add(-time.Duration(i)*time.Minute), db.OriginSubmission, nil, false)
		}
	}

	mod := e.client()
	e.staffAccount("queue-mod", db.RoleModerator)
	mod.signIn("queue-mod", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	ids := func(res *response) []string {
		return res.Doc.Find("#queue-open > li.queue-item").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("id", "") })
	}

	// Pages of queuePage, following the next link, cover the queue once.
	first := mod.get("/moderation")
	first.wantStatus(t, http.StatusOK)
	seen := ids(first)
	if len(seen) != queuePage {
		t.Fatalf("first page holds %d items, want %d", len(seen), queuePage)
	}
	next := first.Doc.Find(`#queue-open ~ nav.pager a[rel="next"]`).AttrOr("href", "")
	if next == "" {
		t.Fatal("no next page")
	}
	second := mod.get(next)
	second.wantStatus(t, http.StatusOK)
	seen = append(seen, ids(second)...)
	if len(seen) != 20 || second.Doc.Find(`#queue-open ~ nav.pager a[rel="next"]`).Length() != 0 {
		t.Errorf("two pages hold %d items (want 20) or a third page is offered", len(seen))
	}
	dup := map[string]bool{}
	for _, id := range seen {
		if dup[id] {
			t.Errorf("%s listed twice", id)
		}
		dup[id] = true
	}

	// Counts beside each choice, with the other filters applied.
	option := func(res *response, name, value string) string {
		return strings.TrimSpace(res.Doc.Find(`select[name="` + name + `"] option[value="` + value + `"]`).Text())
	}
	cat_ := e.app.catalog
	for _, c := range []struct {
		name, value, label string
		n                  int
	}{
		{"flag", db.QueueFlagged, "moderation.flag.flagged", 3},
		{"flag", db.QueueReported, "moderation.flag.reported", 2},
		{"flag", db.QueueClean, "moderation.flag.clean", 15},
		{"age", db.QueueAgeDay, "moderation.age.day", 13},
		{"age", db.QueueAgeOlder, "moderation.age.older", 5},
		{"kind", db.ItemBoardPost, "moderation.kind.board_post", 20},
	} {
		want := cat_.T("ja", "moderation.filter.count", map[string]any{"Label": cat_.T("ja", c.label), "Count": c.n})
		if got := option(first, c.name, c.value); got != want {
			t.Errorf("%s=%s: option %q, want %q", c.name, c.value, got, want)
		}
	}

	// A filter narrows the list and the other counts follow it.
	fl := mod.get("/moderation?flag=flagged")
	fl.wantStatus(t, http.StatusOK)
	if got := ids(fl); len(got) != 3 {
		t.Errorf("flagged: %v", got)
	}
	if fl.Doc.Find("details.queue-filter[open] .filter-count").Length() != 1 {
		t.Error("the filter does not say a filter is on")
	}
	if got := option(fl, "age", db.QueueAgeDay); !strings.Contains(got, "3件") {
		t.Errorf("age count with flag=flagged: %q", got)
	}
	olderPage := mod.get("/moderation?age=older")
	if got := ids(olderPage); len(got) != len(old) {
		t.Errorf("older: %d items, want %d", len(got), len(old))
	}
	// The reply among the old ones shows the topic it answers.
	ctxBox := olderPage.Doc.Find(".thread-context")
	if ctxBox.Length() != 1 || !strings.Contains(ctxBox.Text(), "公園の花壇") || !strings.Contains(ctxBox.Find("blockquote").Text(), "花壇の手入れを一緒にしませんか") {
		t.Errorf("reply context: %q", ctxBox.Text())
	}

	// Flagged and reported first, newest first.
	nf := mod.get("/moderation?order=newest_flagged")
	got := ids(nf)
	want := []string{}
	for _, id := range append(append([]int64{}, flagged...), reported...) {
		want = append(want, fmt.Sprintf("item-%d", id))
	}
	if len(got) < 5 || strings.Join(got[:5], " ") != strings.Join(want, " ") {
		t.Errorf("newest flagged first: %v, want first %v", got, want)
	}
	if nx := nf.Doc.Find(`#queue-open ~ nav.pager a[rel="next"]`).AttrOr("href", ""); !strings.Contains(nx, "order=newest_flagged") {
		t.Errorf("the next page forgets the order: %q", nx)
	} else if more := ids(mod.get(nx)); len(more) != 20-queuePage {
		t.Errorf("newest flagged, second page: %d items", len(more))
	}

	// A choice not offered: 422 with the message beside the field.
	bad := mod.get("/moderation?kind=nonsense")
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	if fieldError(bad, "kind") == "" {
		t.Error("no message beside the kind filter")
	}
}
