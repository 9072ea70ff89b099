// Package live delivers live_events to browsers as Server-Sent Events.
//
// Fan-out goes through PostgreSQL so every app instance sees every event:
// db.PublishLive writes an outbox row and NOTIFYs in the transaction that
// causes it, each instance's Hub LISTENs on one connection of its own, reads
// the new rows once and hands them to its subscribers in memory. A client
// that reconnects names the last id it got and the Hub replays the gap from
// the table.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardportal/portal/db"
)

const (
	// batch is how many events one read of the table takes.
	batch = 500
	// pollEvery bounds how late an event is if its notification never
	// arrives.
	pollEvery = 5 * time.Second
	// Retention is how long events stay in the table, and so how long a
	// client may be away and still catch up.
	Retention  = 24 * time.Hour
	pruneEvery = time.Hour
	// A lost listener connection is retried after minBackoff, doubling up
	// to maxBackoff while the database stays away. maxBackoff is short:
	// pages are answered again within moments of the database's return,
	// and live lists must not stay silent for seconds after them (at 10 s,
	// a 10 s outage left the streams without events for up to 10 s more);
	// one connection attempt a second per instance costs PostgreSQL nothing.
	minBackoff = 100 * time.Millisecond
	maxBackoff = time.Second
	// Buffer is how many events a subscriber may fall behind before it is
	// dropped.
	Buffer = 256
	// ListenerName is the listening connection's application_name, as
	// pg_stat_activity shows it.
	ListenerName = "portal live"
)

// Hub is one instance's end of the fan-out. Run it once; Subscribe and Last
// are safe for concurrent use.
type Hub struct {
	db  *db.DB
	log *slog.Logger

	mu   sync.Mutex
	last int64 // id of the last event fanned out; -1 until the table was read
	subs map[*subscriber]struct{}

	pruned time.Time // owned by Run

	// onPublic are told of every notification on db.PublicChannel (the
	// table that changed), and of "" whenever the listener (re)connects:
	// what changed while nobody listened is unknown.
	onPublic []func(table string)
}

// subscriber is guarded by Hub.mu, which is also held for every send to and
// the close of ch.
type subscriber struct {
	streams []string
	ch      chan db.LiveEvent
	after   int64 // events up to this id are never sent (again)
	// While the gap before a subscription is read from the table, live events
	// wait here so they go out after it.
	replaying bool
	pending   []db.LiveEvent
}

// NewHub returns a Hub reading from d. It does not touch the database until
// Run or Subscribe.
func NewHub(d *db.DB, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{db: d, log: log.With("worker", "live"), last: -1, subs: map[*subscriber]struct{}{}}
}

// Last returns the id of the last event this instance has fanned out. A page
// puts it in its event-stream URL so that what happens between rendering the
// page and connecting is not lost. It is 0 until the hub has first read the
// table: a subscription from 0 replays everything retained, which is
// redundant but misses nothing.
func (h *Hub) Last() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return max(h.last, 0)
}

// Subscribe delivers every event of the given streams (at least one) with
// an id above after, each once and in id order; after < 0 means from now on.
// Events the hub has already fanned out are replayed from the table first.
// The channel is closed when ctx ends, or when the subscriber falls more than
// Buffer events behind: the client should then reconnect from the last id it
// got.
func (h *Hub) Subscribe(ctx context.Context, streams []string, after int64) (<-chan db.LiveEvent, error) {
	if len(streams) == 0 {
		return nil, errors.New("live: subscribe to no stream")
	}
	if err := h.start(ctx); err != nil {
		return nil, err
	}
	s := &subscriber{streams: slices.Clone(streams), ch: make(chan db.LiveEvent, Buffer)}
	h.mu.Lock()
	if after < 0 {
		after = h.last
	}
	s.after = after
	upto := h.last // the hub fans out everything after upto from now on
	s.replaying = after < upto
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { h.unsubscribe(s) })
	if !s.replaying {
		return s.ch, nil
	}

	// One more than fits tells that the subscriber is too far behind.
	missed, err := h.db.LiveEventsAfter(ctx, after, Buffer+1, s.streams...)
	if err != nil {
		h.unsubscribe(s)
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; !ok {
		return s.ch, nil // dropped, or ctx ended, meanwhile
	}
	s.replaying = false
	for _, ev := range missed {
		if ev.ID > upto {
			break // fanned out live, so in pending or still to come
		}
		if !h.offer(s, ev) {
			return s.ch, nil
		}
	}
	for _, ev := range s.pending {
		if !h.offer(s, ev) {
			break
		}
	}
	s.pending = nil
	return s.ch, nil
}

func (h *Hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(s)
}

// drop ends s's subscription; h.mu must be held.
func (h *Hub) drop(s *subscriber) {
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// offer passes ev to s if s wants it, dropping s if it is too far behind.
// It reports whether s is still subscribed; h.mu must be held.
func (h *Hub) offer(s *subscriber, ev db.LiveEvent) bool {
	if ev.ID <= s.after || !slices.Contains(s.streams, ev.Stream) {
		return true
	}
	if s.replaying {
		if len(s.pending) < Buffer {
			s.pending = append(s.pending, ev)
			return true
		}
	} else {
		select {
		case s.ch <- ev:
			s.after = ev.ID
			return true
		default:
		}
	}
	h.drop(s)
	return false
}

// OnPublicChange registers fn to be told the table named by every
// notification on db.PublicChannel (a change to what public pages show),
// and "" when the listener (re)connects, when anything may have changed.
// Call it before Run; fn runs on the listener's goroutine and must not block.
func (h *Hub) OnPublicChange(fn func(table string)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onPublic = append(h.onPublic, fn)
}

func (h *Hub) publicChanged(table string) {
	h.mu.Lock()
	fns := slices.Clone(h.onPublic)
	h.mu.Unlock()
	for _, fn := range fns {
		fn(table)
	}
}

// Start reads where fan-out begins, so that Last is right from the first
// page served. Run and Subscribe call it too; calling it first is optional.
func (h *Hub) Start(ctx context.Context) error { return h.start(ctx) }

// start reads where fan-out begins, once: both Run and Subscribe need it,
// and a subscriber must not register before it is known.
func (h *Hub) start(ctx context.Context) error {
	h.mu.Lock()
	known := h.last >= 0
	h.mu.Unlock()
	if known {
		return nil
	}
	id, err := h.db.LastLiveEventID(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if h.last < 0 { // a concurrent start may have won; keep the earlier id
		h.last = id
	}
	h.mu.Unlock()
	return nil
}

// Run listens for events and fans them out until ctx ends, reconnecting
// whenever the connection is lost; it returns nil then. It also prunes
// events older than Retention every hour.
func (h *Hub) Run(ctx context.Context) error {
	h.log.Info("live hub started")
	backoff := minBackoff
	for {
		connected, err := h.listen(ctx)
		if ctx.Err() != nil {
			h.log.Info("live hub stopped")
			return nil
		}
		if connected {
			backoff = minBackoff
		}
		h.log.Warn("live listener lost", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			h.log.Info("live hub stopped")
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen runs one connection: it LISTENs, catches up with what it may have
// missed, then fans out on every notification and every pollEvery. It
// reports whether it got as far as listening.
func (h *Hub) listen(ctx context.Context) (connected bool, err error) {
	if err := h.start(ctx); err != nil {
		return false, err
	}
	// A connection of its own, not the pool's: it sits in LISTEN for good,
	// so it goes straight to PostgreSQL (a pooler in transaction mode would
	// not keep the LISTEN; db.DB.Direct).
	cfg := h.db.DirectConfig()
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+db.LiveChannel+"; LISTEN "+db.PublicChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	h.publicChanged("") // what changed before this LISTEN is unknown
	for {
		if time.Since(h.pruned) >= pruneEvery {
			h.prune(ctx)
		}
		if err := h.catchUp(ctx); err != nil {
			return true, err
		}
		for {
			wctx, cancel := context.WithTimeout(ctx, pollEvery)
			n, err := conn.WaitForNotification(wctx)
			cancel()
			if err != nil && !pgconn.Timeout(err) {
				return true, err
			}
			if n != nil && n.Channel == db.PublicChannel {
				h.publicChanged(n.Payload)
				continue
			}
			// A notification for an event already read needs no query: a
			// burst of commits costs one read, not one per event.
			if n == nil || !h.seen(n.Payload) {
				break
			}
		}
	}
}

func (h *Hub) seen(payload string) bool {
	id, err := strconv.ParseInt(payload, 10, 64)
	return err == nil && id <= h.Last()
}

// catchUp fans out everything committed since the last event fanned out.
func (h *Hub) catchUp(ctx context.Context) error {
	for {
		evs, err := h.db.LiveEventsAfter(ctx, h.Last(), batch)
		if err != nil {
			return err
		}
		h.fanOut(evs)
		if len(evs) < batch {
			return nil
		}
	}
}

// fanOut hands evs to the subscribers without waiting for any of them.
func (h *Hub) fanOut(evs []db.LiveEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range evs {
		for s := range h.subs {
			h.offer(s, ev)
		}
		h.last = ev.ID
	}
}

func (h *Hub) prune(ctx context.Context) {
	h.pruned = time.Now()
	n, err := h.db.PruneLiveEvents(ctx, h.pruned.Add(-Retention))
	switch {
	case err != nil:
		h.log.Warn("prune live events", "err", err)
	case n > 0:
		h.log.Info("pruned live events", "deleted", n)
	}
}
