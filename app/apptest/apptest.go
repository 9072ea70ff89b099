// Package apptest is the harness the portal's handler tests (package app)
// and browser tests (app/e2e) share: the environment a test portal is
// configured from, its log kept in memory and shown when the test fails, the
// httptest server in front of it, and a browser-like client.
//
// It does not import package app, whose own tests use it: Start takes a
// function that builds the application from the logger.
package apptest

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Secret is the PORTAL_SECRET of every test portal (32+ characters).
const Secret = "test-secret-0123456789abcdefghijklmnop"

// Getenv is the environment of a test portal: PORTAL_SECRET and nothing
// else, so the defaults of everything else apply. The test hands the portal
// its own database, not a DATABASE_URL.
func Getenv(k string) string {
	if k == "PORTAL_SECRET" {
		return Secret
	}
	return ""
}

// Portal is what Start serves: *app.App.
type Portal interface {
	Handler() http.Handler
	Close()
}

// Server is a portal served for one test.
type Server[P Portal] struct {
	App    P
	Server *httptest.Server
	URL    string // base address, no trailing slash: http://127.0.0.1:port
	Logs   *Logs  // what the portal logged, at info level and above
}

// Start builds a portal with build, logging to memory, and serves it until
// the test ends. If the test fails, the last 16 KiB of the log are shown.
//
// Cleanups run last in, first out: the server closes (waiting for the
// requests in flight), then the portal, and only then the database, which
// the caller made (dbtest.New) before calling Start.
func Start[P Portal](t testing.TB, build func(*slog.Logger) (P, error)) *Server[P] {
	t.Helper()
	logs := new(Logs)
	t.Cleanup(func() {
		if t.Failed() && logs.String() != "" {
			t.Logf("application log:\n%s", logs.Tail(16<<10))
		}
	})
	a, err := build(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatalf("apptest: start the portal: %v", err)
	}
	t.Cleanup(a.Close)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &Server[P]{App: a, Server: srv, URL: srv.URL, Logs: logs}
}

// Client is a browser without JavaScript: it keeps its own cookies and does
// not follow redirects, so a test sees every 303 and where it points.
func Client() *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Logs is a log kept in memory that the portal's goroutines may write to
// while the test reads it.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Tail returns the last n bytes logged, marked with … when cut.
func (l *Logs) Tail(n int) string {
	s := l.String()
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
