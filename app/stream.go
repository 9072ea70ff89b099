package app

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/live"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// stream serves one SSE client of a stream until it leaves or the server
// shuts down.
func (a *App) stream(c echo.Context, name string, render live.RenderFunc) error {
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	stop := context.AfterFunc(a.liveCtx, cancel)
	defer stop()
	events, err := a.hub.Subscribe(ctx, []string{name}, live.LastEventID(c.Request()))
	if err != nil {
		return err
	}
	// A failed render ends this reader's stream (the browser reconnects and
	// is replayed the event); the response has begun, so the error handler
	// would not say anything: say it here.
	logged := func(ev db.LiveEvent) (live.Message, error) {
		msg, err := render(ev)
		if err != nil {
			a.log.LogAttrs(ctx, slog.LevelError, "live render failed",
				slog.String("request_id", requestID(c)), slog.String("stream", name),
				slog.Int64("event", ev.ID), slog.Any("err", err))
		}
		return msg, err
	}
	return live.Stream(c.Response(), c.Request().WithContext(ctx), events, logged)
}

// renderString renders a fragment that depends on nothing but the language,
// for sharing between the readers of a stream.
func (a *App) renderString(lang string, comp templ.Component) (string, error) {
	ctx := components.WithRequest(context.Background(), &components.Request{Lang: lang, Catalog: a.catalog, Assets: a.assets})
	return renderTo(ctx, comp)
}

// fragment is a live update rendered once and sent to every reader.
type fragment struct {
	html     string
	category int64
	gone     bool // the subject was taken off again: nothing to send, and that is final
}

// onceCache computes each value once, however many streams ask for it at the
// same moment, and remembers the latest few hundred: one database read per
// live event, not one per reader. It keeps only successes: a build that
// fails (the database was briefly away) is forgotten once the readers
// waiting for it have its error, so the next reader builds it again instead
// of being cut off by the same error until the entry ages out. A result that
// is final, such as "taken off again", belongs in V, not in the error.
type onceCache[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]*onceEntry[V]
	order []K
}

type onceEntry[V any] struct {
	done chan struct{} // closed when v and err are set
	v    V
	err  error
}

const onceCacheSize = 512

func (oc *onceCache[K, V]) get(key K, build func() (V, error)) (V, error) {
	oc.mu.Lock()
	if oc.m == nil {
		oc.m = map[K]*onceEntry[V]{}
	}
	if e := oc.m[key]; e != nil {
		oc.mu.Unlock()
		<-e.done
		return e.v, e.err
	}
	e := &onceEntry[V]{done: make(chan struct{})}
	oc.m[key] = e
	oc.order = append(oc.order, key)
	if len(oc.order) > onceCacheSize {
		delete(oc.m, oc.order[0])
		oc.order = oc.order[1:]
	}
	oc.mu.Unlock()

	e.v, e.err = build()
	if e.err != nil {
		oc.mu.Lock()
		if oc.m[key] == e {
			delete(oc.m, key)
			if i := slices.Index(oc.order, key); i >= 0 {
				oc.order = slices.Delete(oc.order, i, i+1)
			}
		}
		oc.mu.Unlock()
	}
	close(e.done)
	return e.v, e.err
}

// renderTo renders a fragment for one client, with its request's view state.
func renderTo(ctx context.Context, comp templ.Component) (string, error) {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	err := comp.Render(ctx, buf)
	return buf.String(), err
}
