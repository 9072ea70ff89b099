package live

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// wait bounds every wait for something to arrive.
const wait = 5 * time.Second

// runHub starts a hub, as one app instance would, until the test ends.
func runHub(t *testing.T, d *db.DB) *Hub {
	t.Helper()
	h := NewHub(d, slog.New(slog.NewTextHandler(t.Output(), nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

func openDB(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func subscribe(t *testing.T, h *Hub, after int64, streams ...string) <-chan db.LiveEvent {
	t.Helper()
	ch, err := h.Subscribe(t.Context(), streams, after)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// publish commits one transaction publishing an event per stream and
// returns their ids.
func publish(t *testing.T, d *db.DB, streams ...string) []int64 {
	t.Helper()
	var ids []int64
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		for _, s := range streams {
			ev := &db.LiveEvent{Stream: s, Name: "changed"}
			if err := db.PublishLive(ctx, tx, ev); err != nil {
				return err
			}
			ids = append(ids, ev.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// recv returns the next n events on ch, failing if they do not come.
func recv(t *testing.T, ch <-chan db.LiveEvent, n int) []int64 {
	t.Helper()
	timeout := time.After(wait)
	var ids []int64
	for len(ids) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("closed after %v, want %d events", ids, n)
			}
			ids = append(ids, ev.ID)
		case <-timeout:
			t.Fatalf("got %v, want %d events", ids, n)
		}
	}
	return ids
}

func want(t *testing.T, got []int64, want ...int64) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got events %v, want %v", got, want)
	}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTwoInstancesBothDeliverCommittedEvents(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	d1, d2 := openDB(t, url), openDB(t, url)
	h1, h2 := runHub(t, d1), runHub(t, d2)
	board1, board2 := subscribe(t, h1, -1, "board"), subscribe(t, h2, -1, "board")
	moderation2 := subscribe(t, h2, -1, "moderation", "board")

	boom := errors.New("boom")
	err := d1.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		if err := db.PublishLive(ctx, tx, &db.LiveEvent{Stream: "board", Name: "rolled_back"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// Nothing of the rolled-back transaction comes before these.
	ids := publish(t, d1, "board", "moderation", "other")
	want(t, recv(t, board1, 1), ids[0])
	want(t, recv(t, board2, 1), ids[0])
	want(t, recv(t, moderation2, 2), ids[0], ids[1])

	more := publish(t, d2, "board")
	want(t, recv(t, board1, 1), more[0])
	want(t, recv(t, board2, 1), more[0])
	for _, h := range []*Hub{h1, h2} {
		if h.Last() < more[0] {
			t.Errorf("Last() = %d after delivering %d", h.Last(), more[0])
		}
	}
}

func TestSubscribeReplaysTheGapOnceThenGoesLive(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	h := runHub(t, d)
	all := subscribe(t, h, -1, "board", "moderation")
	ids := publish(t, d, "board", "board", "moderation", "board", "board")
	recv(t, all, len(ids)) // the hub has fanned them out

	// A client that got ids[1] reconnects.
	again := subscribe(t, h, ids[1], "board")
	want(t, recv(t, again, 2), ids[3], ids[4])
	live := publish(t, d, "board", "board")
	want(t, recv(t, again, 2), live...)

	// From Last(), as a page embeds it: only what comes after.
	fresh := subscribe(t, h, h.Last(), "board")
	if _, err := h.Subscribe(t.Context(), nil, 0); err == nil {
		t.Error("subscribed to no stream")
	}
	next := publish(t, d, "board")
	want(t, recv(t, fresh, 1), next...)
	want(t, recv(t, again, 1), next...)
}

// Subscribers that join while events are being published, from the start of
// the table, see the replay hand over to the live events without a gap or a
// repeat.
func TestConcurrentPublishersEverySubscriberSeesAllInOrder(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	h := runHub(t, d)
	const publishers, each, joiners = 8, 10, 6
	const total = publishers * each

	type result struct {
		ids []int64
		err string
	}
	results := make(chan result, 2*joiners)
	read := func(ch <-chan db.LiveEvent) {
		var r result
		timeout := time.After(wait)
		for len(r.ids) < total && r.err == "" {
			select {
			case ev, ok := <-ch:
				if ok {
					r.ids = append(r.ids, ev.ID)
				} else {
					r.err = "closed"
				}
			case <-timeout:
				r.err = "timed out"
			}
		}
		results <- r
	}
	for range joiners {
		go read(subscribe(t, h, -1, "board"))
	}

	var mu sync.Mutex
	var published []int64
	halfway := make(chan struct{})
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for range each {
				ev := &db.LiveEvent{Stream: "board", Name: "changed"}
				err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
					return db.PublishLive(ctx, tx, ev)
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				published = append(published, ev.ID)
				if len(published) == total/2 {
					close(halfway)
				}
				mu.Unlock()
			}
		})
	}
	for range joiners {
		wg.Go(func() {
			<-halfway
			ch, err := h.Subscribe(t.Context(), []string{"board"}, 0)
			if err != nil {
				t.Error(err)
				return
			}
			read(ch)
		})
	}
	wg.Wait()
	slices.Sort(published)
	for range 2 * joiners {
		if r := <-results; !slices.Equal(r.ids, published) {
			t.Errorf("subscriber got %v (%s)\nwant %v", r.ids, r.err, published)
		}
	}
}

func TestHubReconnectsAndCatchesUp(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	h := runHub(t, d)
	ch := subscribe(t, h, -1, "board")

	listener := func() (pid int32) {
		_ = d.Pool.QueryRow(context.Background(), `
			SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, ListenerName).Scan(&pid)
		return pid
	}
	var old int32
	waitFor(t, "the listener", func() bool { old = listener(); return old != 0 })
	if _, err := d.Pool.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, old); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the listener to die", func() bool { return listener() != old })

	ids := publish(t, d, "board")
	want(t, recv(t, ch, 1), ids...)
	// A new backend listens again (pg_stat_activity may show it a moment late).
	waitFor(t, "a new listener", func() bool { pid := listener(); return pid != 0 && pid != old })
	more := publish(t, d, "board")
	want(t, recv(t, ch, 1), more...)
}

func TestSlowSubscriberIsDroppedAndResumes(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	h := runHub(t, d)
	slow := subscribe(t, h, -1, "board")
	fast := subscribe(t, h, -1, "board")

	var ids []int64
	for len(ids) <= Buffer {
		round := publish(t, d, slices.Repeat([]string{"board"}, 100)...)
		want(t, recv(t, fast, len(round)), round...)
		ids = append(ids, round...)
	}

	var got []int64
	for ev := range slow {
		got = append(got, ev.ID)
	}
	want(t, got, ids[:Buffer]...)

	// The browser reconnects with the last id it got.
	resumed := subscribe(t, h, got[len(got)-1], "board")
	want(t, recv(t, resumed, len(ids)-Buffer), ids[Buffer:]...)
}
