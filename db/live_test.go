package db_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func publishLive(t *testing.T, d *db.DB, evs ...*db.LiveEvent) {
	t.Helper()
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		for _, ev := range evs {
			if err := db.PublishLive(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPublishLiveNotifiesOnCommitOnly(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, d.Pool.Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+db.LiveChannel); err != nil {
		t.Fatal(err)
	}

	boom := errors.New("boom")
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.PublishLive(ctx, tx, &db.LiveEvent{Stream: "board", Name: "rolled_back"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if id, err := d.LastLiveEventID(ctx); err != nil || id != 0 {
		t.Fatalf("after a rollback: last id %d, %v", id, err)
	}

	ev := &db.LiveEvent{Stream: "board", Name: "post_published", SubjectID: 7, ScopeID: 3}
	publishLive(t, d, ev)
	if ev.ID == 0 || ev.CreatedAt.IsZero() {
		t.Fatalf("not filled in: %+v", ev)
	}
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The rolled-back event sent nothing: the first notification is ours.
	if n.Channel != db.LiveChannel || n.Payload != strconv.FormatInt(ev.ID, 10) {
		t.Errorf("notification %+v, want the id %d", n, ev.ID)
	}
	got, err := d.LiveEventsAfter(ctx, 0, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("stored: %+v, %v", got, err)
	}
	if g := got[0]; g.ID != ev.ID || g.Stream != "board" || g.Name != "post_published" || g.SubjectID != 7 || g.ScopeID != 3 || !g.CreatedAt.Equal(ev.CreatedAt) {
		t.Errorf("stored %+v, published %+v", g, ev)
	}
	if id, err := d.LastLiveEventID(ctx); err != nil || id != ev.ID {
		t.Errorf("last id %d, %v; want %d", id, err, ev.ID)
	}

	for _, bad := range []db.LiveEvent{{Name: "n"}, {Stream: "s"}} {
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return db.PublishLive(ctx, tx, &bad) })
		if err == nil {
			t.Errorf("published %+v", bad)
		}
	}
}

func TestLiveEventsAfterPagesByStream(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	var evs []*db.LiveEvent
	for i, s := range []string{"board", "moderation", "board", "other", "board"} {
		evs = append(evs, &db.LiveEvent{Stream: s, Name: "n", SubjectID: int64(i)})
	}
	publishLive(t, d, evs...)

	ids := func(after int64, limit int, streams ...string) []int64 {
		t.Helper()
		got, err := d.LiveEventsAfter(ctx, after, limit, streams...)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, ev := range got {
			out = append(out, ev.ID)
		}
		return out
	}
	for _, c := range []struct {
		after   int64
		limit   int
		streams []string
		want    []int64
	}{
		{0, 10, nil, []int64{evs[0].ID, evs[1].ID, evs[2].ID, evs[3].ID, evs[4].ID}},
		{evs[1].ID, 2, nil, []int64{evs[2].ID, evs[3].ID}},
		{0, 10, []string{"board"}, []int64{evs[0].ID, evs[2].ID, evs[4].ID}},
		{evs[0].ID, 10, []string{"board", "moderation"}, []int64{evs[1].ID, evs[2].ID, evs[4].ID}},
		{evs[4].ID, 10, nil, nil},
	} {
		if got := ids(c.after, c.limit, c.streams...); !slices.Equal(got, c.want) {
			t.Errorf("after %d limit %d %v: %v, want %v", c.after, c.limit, c.streams, got, c.want)
		}
	}
}

// Publishers that commit in a random order must still make their ids
// visible in id order, or a reader asking for "id > last seen" skips one.
func TestPublishLiveIDsCommitInOrder(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	const publishers, each = 6, 10

	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	done := make(chan struct{})
	var seen []int64
	var readErr error
	go func() {
		defer close(done)
		var last int64
		for len(seen) < publishers*each {
			evs, err := d.LiveEventsAfter(readCtx, last, 100)
			if err != nil {
				readErr = err
				return
			}
			for _, ev := range evs {
				seen = append(seen, ev.ID)
				last = ev.ID
			}
		}
	}()

	var mu sync.Mutex
	var published []int64
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for range each {
				ev := &db.LiveEvent{Stream: "board", Name: "n"}
				err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					if err := db.PublishLive(ctx, tx, ev); err != nil {
						return err
					}
					// Widen the window between drawing the id and committing.
					time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				published = append(published, ev.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// A reader that skipped an id waits for it forever.
	time.AfterFunc(2*time.Second, stopReading)
	<-done
	if readErr != nil {
		t.Fatalf("reader saw %d of %d events: %v", len(seen), publishers*each, readErr)
	}
	slices.Sort(published)
	if !slices.Equal(seen, published) {
		t.Errorf("reader saw %v\npublished %v", seen, published)
	}
}

func TestPruneLiveEvents(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	publishLive(t, d, &db.LiveEvent{Stream: "board", Name: "n"}, &db.LiveEvent{Stream: "board", Name: "n"})
	if n, err := d.PruneLiveEvents(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("pruned %d recent events, %v", n, err)
	}
	if n, err := d.PruneLiveEvents(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("pruned %d, %v; want 2", n, err)
	}
	if evs, err := d.LiveEventsAfter(ctx, 0, 10); err != nil || len(evs) != 0 {
		t.Errorf("left %+v, %v", evs, err)
	}
}
