package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/wardportal/portal/app"
	"github.com/wardportal/portal/db"
)

// Env is what every scenario gets: the seeded database, the running portal
// and the load settings of the command line.
type Env struct {
	DB        *db.DB
	App       *app.App // the in-process portal, for scenarios that run its workers
	PortalURL string   // base address of the in-process portal, e.g. http://127.0.0.1:41234

	Concurrency int           // -c: workers per load run
	Duration    time.Duration // -d: measured window per run
	Warmup      time.Duration // before every measured window
	Rounds      int           // rounds of Compare
	CPUProfile  string        // -cpuprofile: file for the first profiled window
	Soak        time.Duration // -soak: how long the soak scenario keeps its load on

	Log io.Writer // progress and diagnostics (stderr)

	logMu    sync.Mutex
	profiled bool
	closers  []func()
}

// Settings are the load settings of an Env.
type Settings struct {
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	Rounds      int
	CPUProfile  string
	Soak        time.Duration
}

// benchSecret signs the portal's tokens; fixed, so runs are alike.
const benchSecret = "bench-secret-bench-secret-bench-secret"

// NewEnv starts the portal on d, served on a loopback port, the way `portal
// serve` would. Close stops it.
func NewEnv(ctx context.Context, d *db.DB, s Settings, log io.Writer) (*Env, error) {
	e := &Env{
		DB:          d,
		Concurrency: s.Concurrency,
		Duration:    s.Duration,
		Warmup:      s.Warmup,
		Rounds:      s.Rounds,
		CPUProfile:  s.CPUProfile,
		Soak:        s.Soak,
		Log:         log,
	}
	env := map[string]string{
		"DATABASE_URL":     d.Pool.Config().ConnString(),
		"PORTAL_SECRET":    benchSecret,
		"PORTAL_LOG_LEVEL": "warn",
	}
	cfg, err := app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(cfg, d, logger)
	if err != nil {
		return nil, err
	}
	e.App = a
	e.closers = append(e.closers, a.Close)
	url, stop, err := e.Serve("portal", a.Handler())
	if err != nil {
		e.Close()
		return nil, err
	}
	e.PortalURL = url
	e.closers = append(e.closers, stop)
	return e, nil
}

// Serve serves h on a fresh loopback port, with the portal's server settings,
// until stop; it returns the base URL. CPU profile samples of everything the
// server runs carry the label role=name.
func (e *Env) Serve(name string, h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(slog.NewTextHandler(e.Log, nil).WithAttrs([]slog.Attr{slog.String("server", name)}), slog.LevelWarn),
	}
	done := make(chan struct{})
	// Connection goroutines inherit the labels of the serving goroutine.
	go pprof.Do(context.Background(), pprof.Labels("role", name), func(context.Context) {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.Logf("%s server: %v", name, err)
		}
	})
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// Close stops the portal.
func (e *Env) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// Logf writes one progress line to Log.
func (e *Env) Logf(format string, args ...any) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(e.Log, "bench: %s\n", strings.TrimRight(msg, "\n"))
}
