package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/app/apptest"
	"github.com/wardportal/portal/app/faults"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
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

// TestDatabaseOutageIs503 takes the database away from a running portal:
// visitors, signed-in members and htmx requests all get the translated 503
// page or fragment with Retry-After and the request id, never a bare text
// and never a 500.
func TestDatabaseOutageIs503(t *testing.T) {
	t.Parallel()
	direct := dbtest.NewURL(t)
	proxy := faults.StartURL(t, direct)
	d, err := db.Open(context.Background(), proxy.URL(direct))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	e := newTestEnvDB(t, d)
	e.memberAccount("M4700001", "停電の人")
	member := e.client()
	member.signIn("M4700001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	member.get("/account").wantStatus(t, http.StatusOK)
	tok := member.token()
	visitor := e.client()
	visitor.get("/").wantStatus(t, http.StatusOK)

	check := func(how string) {
		t.Helper()
		for _, c := range []struct {
			who    string
			client *testEnv
			req    func() *response
			full   bool
		}{
			{"visitor page", visitor, func() *response { return visitor.get("/") }, true},
			{"visitor htmx", visitor, func() *response { return visitor.get("/notices", hx, "true") }, false},
			{"member page", member, func() *response { return member.get("/account") }, true},
			{"member htmx post", member, func() *response {
				return member.post("/lang", url.Values{"lang": {"en"}, "_csrf": {tok}}, hx, "true")
			}, false},
		} {
			res := c.req()
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("%s, %s: status %d, want 503: %.300s", how, c.who, res.StatusCode, res.Body)
				continue
			}
			if ra := res.Header.Get("Retry-After"); ra == "" {
				t.Errorf("%s, %s: no Retry-After", how, c.who)
			}
			// A page has it as its heading; an htmx answer is the message for
			// the page's alert region, with the same words as its title.
			if got := strings.TrimSpace(res.Doc.Find("h1, .request-error-title").First().Text()); got != "ただいま利用できません" {
				t.Errorf("%s, %s: h1 %q, body %.300s", how, c.who, got, res.Body)
			}
			if id := res.Header.Get("X-Request-Id"); id == "" || res.Doc.Find(".meta code").Text() != id {
				t.Errorf("%s, %s: the request id %q is not shown", how, c.who, id)
			}
			if full := strings.Contains(res.Body, "<html"); full != c.full {
				t.Errorf("%s, %s: full page = %v, want %v", how, c.who, full, c.full)
			}
		}
	}
	proxy.Cut()
	check("server hangs up")
	proxy.Close()
	check("connection refused")
}

// serveProcess runs `portal serve` through Main in the background, the way
// the binary does, with its log in a buffer.
type serveProcess struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{} // closed when Main has returned code
	code   int
	log    *apptest.Logs
}

func startServe(t *testing.T, env map[string]string) *serveProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &serveProcess{t: t, cancel: cancel, done: make(chan struct{}), log: new(apptest.Logs)}
	getenv := func(k string) string {
		if k == "PORTAL_ADDR" {
			return "127.0.0.1:0"
		}
		return env[k]
	}
	go func() {
		p.code = Main(ctx, []string{"portal", "serve"}, getenv, io.Discard, p.log)
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(60 * time.Second):
			t.Error("serve did not stop within a minute of its cleanup")
		}
	})
	return p
}

func (p *serveProcess) logs() string { return p.log.String() }

// waitLog waits until the log holds want and returns true, or returns false
// once serve has exited or within tells it will not come.
func (p *serveProcess) waitLog(want string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if strings.Contains(p.logs(), want) {
			return true
		}
		select {
		case <-p.done:
			return strings.Contains(p.logs(), want)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

var servingAddr = regexp.MustCompile(`msg=serving addr=(http://\S+)`)

// baseURL is where serve listens, from its "serving" log line.
func (p *serveProcess) baseURL() string {
	p.t.Helper()
	if !p.waitLog("msg=serving", 30*time.Second) {
		p.t.Fatalf("serve is not serving:\n%s", p.logs())
	}
	return servingAddr.FindStringSubmatch(p.logs())[1]
}

// stop cancels serve's context, as SIGTERM does, and returns its exit code,
// or false if it has not exited within the given time.
func (p *serveProcess) stop(within time.Duration) (int, bool) {
	p.cancel()
	return p.wait(within)
}

func (p *serveProcess) wait(within time.Duration) (int, bool) {
	select {
	case <-p.done:
		return p.code, true
	case <-time.After(within):
		return 0, false
	}
}

// TestServeWaitsForTheDatabase starts serve before its database answers:
// it logs each attempt, keeps trying, and serves once the database is up.
func TestServeWaitsForTheDatabase(t *testing.T) {
	t.Parallel()
	direct := dbtest.NewURL(t)
	proxy := faults.StartURL(t, direct)
	proxy.Cut()
	p := startServe(t, map[string]string{"DATABASE_URL": proxy.URL(direct), "PORTAL_DB_WAIT_SECONDS": "120"})
	if !p.waitLog("database not reachable yet", 30*time.Second) {
		t.Fatalf("serve did not wait for the database:\n%s", p.logs())
	}
	if !p.waitLog("attempt=2", 30*time.Second) {
		t.Fatalf("serve tried only once:\n%s", p.logs())
	}
	proxy.Restore()
	base := p.baseURL()
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	if code, ok := p.stop(30 * time.Second); !ok || code != 0 {
		t.Errorf("serve stopped: %v, exit %d\n%s", ok, code, p.logs())
	}
}

// TestServeGivesUpOnAWrongDatabase: waiting is for a database that is not
// up yet; an answer that will not change (no such database) ends serve at once.
func TestServeGivesUpOnAWrongDatabase(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := databaseEnv(dbtest.WithDatabase(dbtest.AdminURL(), "portal_no_such_database"))
	start := time.Now()
	code := Main(context.Background(), []string{"portal", "serve"}, func(k string) string {
		if k == "PORTAL_DB_WAIT_SECONDS" {
			return "600"
		}
		return env(k)
	}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "portal_no_such_database") || strings.Contains(stderr.String(), "retrying") {
		t.Errorf("exit %d after %s:\n%s", code, time.Since(start), stderr.String())
	}
}

func TestWaitSettings(t *testing.T) {
	t.Parallel()
	load := func(k, v string) (Config, error) {
		return LoadConfig(func(key string) string {
			if key == k {
				return v
			}
			return ""
		})
	}
	cfg, err := load("", "")
	if err != nil || cfg.DBWait != time.Minute || cfg.ShutdownGrace != 20*time.Second || cfg.RequestTimeout != 15*time.Second {
		t.Errorf("defaults: %v %v %v %v", cfg.DBWait, cfg.ShutdownGrace, cfg.RequestTimeout, err)
	}
	if cfg, err := load("PORTAL_DB_WAIT_SECONDS", "0"); err != nil || cfg.DBWait != 0 {
		t.Errorf("no waiting: %v %v", cfg.DBWait, err)
	}
	for k, bad := range map[string][]string{
		"PORTAL_DB_WAIT_SECONDS":         {"-1", "1m", "86401"},
		"PORTAL_SHUTDOWN_GRACE_SECONDS":  {"0", "ten", "1e3"},
		"PORTAL_REQUEST_TIMEOUT_SECONDS": {"0", "-5", "15s"},
	} {
		for _, v := range bad {
			if _, err := load(k, v); err == nil || !strings.HasPrefix(err.Error(), k+": ") {
				t.Errorf("%s=%s: error %v", k, v, err)
			}
		}
	}
}

// serveClient is a browser-like client of a serve process, with the test
// helpers of testEnv (d is the test's own connection to the database).
func serveClient(t *testing.T, d *db.DB, base string) *testEnv {
	client := apptest.Client()
	client.Timeout = 60 * time.Second
	return &testEnv{t: t, db: d, srv: &httptest.Server{URL: base}, logs: new(apptest.Logs), http: client}
}

// shutdownScene is a served portal with a signed-in member whose sign-up
// (a write) and a visitor whose page (a read) are both held up by table
// locks the test holds, when shutdown begins.
type shutdownScene struct {
	p              *serveProcess
	d              *db.DB
	event          int64
	locks          pgx.Tx
	writer, reader chan *http.Response
}

func newShutdownScene(t *testing.T, graceSeconds string) *shutdownScene {
	t.Helper()
	ctx := context.Background()
	direct := dbtest.NewURL(t)
	d, err := db.Open(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	s := &shutdownScene{d: d, writer: make(chan *http.Response, 1), reader: make(chan *http.Response, 1)}
	s.p = startServe(t, map[string]string{"DATABASE_URL": direct, "PORTAL_SHUTDOWN_GRACE_SECONDS": graceSeconds})
	base := s.p.baseURL()
	setup := serveClient(t, d, base)
	s.event = setup.publishedEvent(5, 0).ID
	setup.memberAccount("M4800001", "駆け込みの人")
	member := serveClient(t, d, base)
	member.signIn("M4800001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	tok := member.get(fmt.Sprintf("/events/%d", s.event)).csrfToken(t)

	// The sign-up writes its row and the seat count, then waits to record
	// it in the access history; the notices page waits to read. (The
	// retention job, which deletes from the access history at start, is
	// done first.)
	if !s.p.waitLog("msg=retention", 30*time.Second) {
		t.Fatalf("the retention job did not run:\n%s", s.p.logs())
	}
	conn, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if s.locks, err = conn.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.locks.Rollback(context.Background()) })
	if _, err := s.locks.Exec(ctx, `LOCK TABLE access_history IN EXCLUSIVE MODE; LOCK TABLE pages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	send := func(c *testEnv, req *http.Request, out chan<- *http.Response) {
		res, err := c.http.Do(req)
		if err != nil {
			t.Logf("%s %s: %v", req.Method, req.URL.Path, err)
			out <- nil
			return
		}
		res.Body.Close()
		out <- res
	}
	form := url.Values{"_csrf": {tok}}
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/events/%d/signup", base, s.event), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	go send(member, req, s.writer)
	req, _ = http.NewRequest(http.MethodGet, base+"/notices", nil)
	go send(serveClient(t, d, base), req, s.reader)

	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := d.Bun.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
			AND (query ILIKE '%INSERT INTO "access_history"%' OR query ILIKE '%FROM pages AS p%')`).
			Scan(ctx, &waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests wait for the locks, want 2", waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *shutdownScene) release(t *testing.T) {
	t.Helper()
	if err := s.locks.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func receive(t *testing.T, ch <-chan *http.Response, what string) *http.Response {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: no answer within a minute", what)
	}
	return nil
}

// TestShutdownKeepsCommittedWrites: a shutdown whose grace runs out while
// a sign-up is between its writes and its commit lets that sign-up finish
// and answers it as a success (the session saved, the pool still open),
// cancels the page that was only reading with a 503, and then ends.
func TestShutdownKeepsCommittedWrites(t *testing.T) {
	t.Parallel()
	s := newShutdownScene(t, "5")
	s.p.cancel() // SIGTERM
	if !s.p.waitLog("shutdown grace over", 25*time.Second) {
		t.Log("no word that the grace is over")
	}
	s.release(t)

	w := receive(t, s.writer, "the sign-up")
	if w == nil || w.StatusCode != http.StatusSeeOther || w.Header.Get("Location") != fmt.Sprintf("/events/%d#signup", s.event) {
		t.Errorf("the sign-up was answered %v", w)
	}
	var status string
	if err := s.d.Bun.NewRaw(`SELECT status FROM event_signups WHERE event_id = ?`, s.event).Scan(context.Background(), &status); err != nil || status != db.SignupConfirmed {
		t.Errorf("the sign-up in the database: %q, %v", status, err)
	}
	if r := receive(t, s.reader, "the notices page"); r == nil || r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("the page that was only reading was answered %v", r)
	}
	if code, ok := s.p.wait(30 * time.Second); !ok || code != 0 {
		t.Errorf("serve ended: %v, exit %d", ok, code)
	}
	if logs := s.p.logs(); strings.Contains(logs, "session not saved") || strings.Contains(logs, "closed pool") {
		t.Errorf("the log:\n%s", logs)
	}
}

// TestShutdownIsBounded: a request that is still writing after the grace
// and as long again is left behind — the process ends (exit 1, said in the
// log) without closing the pool under it and without answering it 500.
func TestShutdownIsBounded(t *testing.T) {
	t.Parallel()
	s := newShutdownScene(t, "1")
	code, ok := s.p.stop(30 * time.Second)
	if !ok {
		s.release(t)
		t.Fatal("serve did not end while a request was stuck")
	}
	if code != 1 || !strings.Contains(s.p.logs(), "requests still running") {
		t.Errorf("exit %d:\n%s", code, s.p.logs())
	}
	if w := receive(t, s.writer, "the sign-up"); w != nil && w.StatusCode >= 500 {
		t.Errorf("the stuck sign-up was answered %d", w.StatusCode)
	}
	s.release(t)
}
