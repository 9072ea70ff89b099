package app

import (
	"bytes"
	"context"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/live"
	"github.com/wardportal/portal/components"
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
	return live.Stream(c.Response(), c.Request().WithContext(ctx), events, render)
}

// renderString renders a fragment that depends on nothing but the language,
// for sharing between the readers of a stream.
func (a *App) renderString(lang string, comp templ.Component) (string, error) {
	ctx := components.WithRequest(context.Background(), &components.Request{Lang: lang, Catalog: a.catalog, Assets: a.assets})
	var buf bytes.Buffer
	err := comp.Render(ctx, &buf)
	return buf.String(), err
}

// fragment is a live update rendered once and sent to every reader.
type fragment struct {
	html     string
	category int64
}

// onceCache computes each value once, however many streams ask for it at the
// same moment, and remembers the latest few hundred: one database read per
// live event, not one per reader.
type onceCache[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]*onceEntry[V]
	order []K
}

type onceEntry[V any] struct {
	once sync.Once
	v    V
	err  error
}

const onceCacheSize = 512

func (oc *onceCache[K, V]) get(key K, build func() (V, error)) (V, error) {
	oc.mu.Lock()
	if oc.m == nil {
		oc.m = map[K]*onceEntry[V]{}
	}
	e := oc.m[key]
	if e == nil {
		e = &onceEntry[V]{}
		oc.m[key] = e
		oc.order = append(oc.order, key)
		if len(oc.order) > onceCacheSize {
			delete(oc.m, oc.order[0])
			oc.order = oc.order[1:]
		}
	}
	oc.mu.Unlock()
	e.once.Do(func() { e.v, e.err = build() })
	return e.v, e.err
}

// renderTo renders a fragment for one client, with its request's view state.
func renderTo(ctx context.Context, comp templ.Component) (string, error) {
	var buf bytes.Buffer
	err := comp.Render(ctx, &buf)
	return buf.String(), err
}
