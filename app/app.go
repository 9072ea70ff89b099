// Package app is the composition root and HTTP layer: configuration, the echo
// server, middleware, and one file of handlers per feature.
package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/wardportal/portal/app/check"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/furigana"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/app/live"
	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/static"
)

// App holds every dependency of the handlers. Handlers are its methods.
type App struct {
	cfg      Config
	db       *db.DB
	log      *slog.Logger
	catalog  *i18n.Catalog
	assets   *static.Assets
	hasher   *auth.Hasher // every password hash and check of a request goes through it
	sessions *scs.SessionManager
	store    *pgxstore.PostgresStore
	echo     *echo.Echo
	now      func() time.Time

	// Live updates: the hub fans events out; liveCtx ends at shutdown and
	// closes every open stream.
	hub        *live.Hub
	liveCtx    context.Context
	stopLive   context.CancelFunc
	fragments  onceCache[string, fragment]
	categories ttlValue[[]db.BoardCategory]
	facets     ttlValue[components.EventFacets]
	towns      ttlValue[[]string] // members' towns, offered by the export form
	items      onceCache[int64, *db.QueueEntry]
	imaging    chan struct{} // one upload's images decoded at a time (files.go)
	admission  *admission    // requests at work at once (shed.go)

	// Disaster mode as this instance knows it (disaster.go), and the pages
	// it shares between visitors meanwhile (pagecache.go).
	disaster atomic.Bool
	// changesSeen is the id of the last page or settings change this
	// instance has applied (pagecache.go followChanges).
	changesSeen atomic.Int64
	pages       *pageCache
	urgentHTML  onceCache[int64, string]
	siteHosts   ttlValue[map[string]string] // sub-sites' own host names → their slugs
	// markup renders Markdown with outbound links signed for /leave: use
	// a.markup.Render, not markup.Render, for anything the portal shows.
	markup markup.Renderer
	// furigana adds ruby to the pages of visitors who ask for it (reading.go).
	furigana *furigana.Annotator
	policies onceCache[string, string] // lang/name → the policy's HTML (policypages.go)
}

// New wires the application. Close releases what it started.
func New(cfg Config, d *db.DB, log *slog.Logger) (*App, error) {
	go check.Warm() // the name dictionary loads once, before the first editor asks
	assets, err := static.Load()
	if err != nil {
		return nil, err
	}
	catalog, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	// The board's pre-check runs the checks of app/check (db stays free of app).
	d.Precheck = precheck
	budget := int64(cfg.HashMemoryMiB) * 1024
	hasher, err := auth.NewHasher(auth.HasherConfig{BudgetKiB: budget, Wait: hashWait, Queue: hashQueuePerSlot * int(budget/int64(auth.Params.Memory))})
	if err != nil {
		return nil, err
	}
	a := &App{
		hasher:  hasher,
		cfg:     cfg,
		db:      d,
		log:     log,
		catalog: catalog,
		assets:  assets,
		now:     time.Now,
		imaging: make(chan struct{}, 1),
		// The dictionary loads on the first page asked for with furigana.
		furigana: furigana.New(furiganaKeep),
	}
	a.markup = markup.Renderer{Sign: a.leaveSig}
	places := cfg.MaxInFlight
	if places == 0 {
		places = admissionPerConn * int(d.Pool.Config().MaxConns)
	}
	a.admission = newAdmission(places)
	a.store = pgxstore.NewWithCleanupInterval(d.Pool, 30*time.Minute)
	a.sessions = scs.New()
	a.sessions.Store = a.store
	a.sessions.Lifetime = cfg.SessionLife
	// Idle sessions end after sessionIdle, checked by touchSession: scs's
	// IdleTimeout would write every session back on every request.
	a.sessions.IdleTimeout = 0
	a.sessions.Cookie.Name = sessionCookieName(cfg)
	a.sessions.Cookie.HttpOnly = true
	a.sessions.Cookie.SameSite = http.SameSiteLaxMode
	a.sessions.Cookie.Secure = cfg.Secure()
	a.sessions.Cookie.Path = "/"
	// Marks requests that have begun writing, which shutdown lets finish.
	d.Bun = d.Bun.WithQueryHook(writeMarker{})
	a.hub = live.NewHub(d, log)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.EnsureOfficialSite(sctx); err != nil {
		return nil, err
	}
	if err := a.hub.Start(sctx); err != nil {
		return nil, err
	}
	// The mode is read after the id it is current at: every switch after
	// that id reaches followChanges.
	a.pages = newPageCache(pageTTL, pageMaxEntries, pageMaxBytes, a.now)
	a.hub.OnPublicChange(a.publicChanged)
	since := a.hub.Last()
	settings, err := d.Settings(sctx)
	if err != nil {
		return nil, err
	}
	a.disaster.Store(settings.DisasterMode)
	a.liveCtx, a.stopLive = context.WithCancel(context.Background())
	go func() {
		if err := a.hub.Run(a.liveCtx); err != nil && a.liveCtx.Err() == nil {
			log.Error("live hub stopped", "err", err)
		}
	}()
	go a.followChanges(a.liveCtx, since)
	a.echo = a.routes()
	return a, nil
}

// Beyond the hashing budget a request queues behind at most
// hashQueuePerSlot others per place, and is refused at once (503,
// Retry-After) when the queue is that long. What bounds the queue is its
// length, not a clock: each place frees up when its run ends (a tenth of a
// second on a quiet server, seconds on an overloaded one), so the wait is at
// most a few runs long, and a machine that is merely slow refuses nobody
// who would have been served. hashWait only guards against the unforeseen.
const (
	hashWait         = 30 * time.Second
	hashQueuePerSlot = 4
	hashRetryAfter   = 5 // seconds
)

// sessionCookieName uses the __Host- prefix over TLS, which browsers only
// accept for Secure, host-only cookies with Path=/.
func sessionCookieName(cfg Config) string {
	if cfg.Secure() {
		return "__Host-portal_session"
	}
	return "portal_session"
}

// Handler is the whole HTTP application.
func (a *App) Handler() http.Handler { return a.echo }

// Close stops background work started by New.
func (a *App) Close() {
	a.stopLive()
	a.store.StopCleanup()
}

// Serve listens on addr until ctx is cancelled, then shuts down: requests
// in flight may finish within cfg.ShutdownGrace; then those that have not
// begun writing are cancelled and those that have get as long again (see
// shutdown.go). It returns ErrRequestsRunning if some were still running
// after that: the caller must then not close the database pool.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	reqs := newInflight()
	srv := &http.Server{
		Handler:           reqs.wrap(a.echo),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(a.stopLive) // event streams never end on their own
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := a.cfg.ShutdownGrace
	a.log.Info("shutting down", "grace", grace)
	stopped := func() error {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	if err := shutdownWithin(srv, grace); !errors.Is(err, context.DeadlineExceeded) {
		return errors.Join(err, stopped())
	}
	cancelled, writing := reqs.cancelReaders()
	a.log.Warn("shutdown grace over: cancelled the requests that had not written; waiting for the ones writing",
		"cancelled", cancelled, "writing", writing, "up_to", grace)
	if err := shutdownWithin(srv, grace); !errors.Is(err, context.DeadlineExceeded) {
		return errors.Join(err, stopped())
	}
	n := reqs.count()
	a.log.Error("shutdown: requests still running; ending without them", "requests", n)
	_ = srv.Close()
	return fmt.Errorf("%w: %d", ErrRequestsRunning, n)
}

// shutdownWithin stops srv accepting and waits up to d for its connections
// to go idle; it may be called again after it timed out.
func shutdownWithin(srv *http.Server, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return srv.Shutdown(ctx)
}
