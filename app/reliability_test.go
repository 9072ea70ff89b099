package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

// TestFailedLiveRenderIsNotCached: a render that fails (here because a table
// the query joins is briefly gone) cuts that reader off and is logged, but
// the failure is not kept: the next reader renders the event afresh and
// receives it.
func TestFailedLiveRenderIsNotCached(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := e.publishedEvent(2, 0)
	src, ok := e.get(fmt.Sprintf("/events/%d", ev.ID)).Doc.Find("dl[sse-connect]").Attr("sse-connect")
	if !ok {
		t.Fatal("the event page has no live seat count")
	}
	acc := e.memberAccount("M4600001", "見ている人")
	if _, err := e.db.SignUp(ctx, ev.ID, acc, time.Now(), db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}

	exec := func(sql string) {
		t.Helper()
		if _, err := e.db.Bun.ExecContext(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE facilities RENAME TO facilities_away`)
	first := openStream(t, ctx, e.srv.URL+src, "")
	select {
	case got, open := <-first:
		if open {
			t.Fatalf("the first reader got %+v while the event could not be read", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first reader's stream neither failed nor delivered")
	}
	exec(`ALTER TABLE facilities_away RENAME TO facilities`)

	second := openStream(t, ctx, e.srv.URL+src, "")
	got := nextEvent(t, second)
	if got.name != db.LiveSeats || !strings.Contains(got.data, "残り1席") {
		t.Fatalf("the next reader got %+v", got)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "live render failed") || !strings.Contains(logs, "facilities") {
		t.Errorf("the failed render was not logged:\n%s", logs)
	}
}
