package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/seed"
)

// The signup_storm scenario as the issue states it: 1,000 members sign up
// for one event at the same moment, and the counts come out exact.
const (
	stormMembers  = 1000
	stormCapacity = 100
	stormWaitlist = 50
	// Members signed in through the sign-in form, all at once. Each costs
	// the server an argon2id check (64 MiB, 3 passes, about 0.1 s of two
	// CPUs), so the rest get sessions made like theirs (mintSessions).
	stormSignIns = 4
	// Event pages opened at a time just before the storm.
	stormPages = 32
	// stormMarker starts the title of the scenario's event, so that it and
	// what hangs off it can be found and deleted again.
	stormMarker = "[bench signup_storm]"
	// stormAgent is the User-Agent of every request of the scenario. The
	// portal writes it into the access history, which is how the sign-in
	// and sign-up rows of the scenario are told from everyone else's.
	stormAgent = "portal-bench signup_storm"
)

// runSignupStorm fires 1,000 sign-ups at one event at once, each by its own
// signed-in member over HTTP, the way htmx sends them.
func runSignupStorm(ctx context.Context, env *Env) ([]Figure, error) {
	return stormRun{Members: stormMembers, Capacity: stormCapacity, Waitlist: stormWaitlist}.run(ctx, env)
}

// stormRun is one storm: Members sign up for an event of Capacity seats and
// Waitlist waiting places.
type stormRun struct {
	Members  int
	Capacity int
	Waitlist int
}

// stormClient is one member with a browser of its own: a cookie jar (its
// session) and one keep-alive connection.
type stormClient struct {
	account   int64
	login     string
	lastLogin pgtype.Timestamptz // before the sign-in, to put back
	tr        *http.Transport
	http      *http.Client
	token     string // the CSRF token of the event page

	// The sign-up.
	start, end time.Time
	status     int
	body       []byte
	err        error
}

// run goes through the storm's phases: setup signs the members in and opens
// the event page for each; load releases every sign-up at once; measure
// checks each answer and the rows against the seats and times the answers;
// report logs what it saw and returns the figures.
func (sr stormRun) run(ctx context.Context, env *Env) ([]Figure, error) {
	var undo undoStack
	defer undo.run()
	s, err := sr.setup(ctx, env, &undo)
	if err != nil {
		return nil, err
	}
	l, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.measure(ctx, l)
	if err != nil {
		return nil, err
	}
	return s.report(l, m), nil
}

// storm is a storm ready to be released: its event and members, each
// signed in with the event page open.
type storm struct {
	stormRun
	env     *Env
	catalog *i18n.Catalog
	event   *db.Event
	page    string
	clients []*stormClient
}

// setup prepares the storm, none of it measured. What it leaves behind is
// taken away again by undo.
func (sr stormRun) setup(ctx context.Context, env *Env, undo *undoStack) (*storm, error) {
	d := env.DB
	if sr.Members < sr.Capacity+sr.Waitlist {
		return nil, fmt.Errorf("%d members cannot fill %d seats and %d waiting places", sr.Members, sr.Capacity, sr.Waitlist)
	}
	// One connection per client, both ends in this process.
	if err := ensureOpenFiles(uint64(2*sr.Members + 256)); err != nil {
		return nil, err
	}
	catalog, err := i18n.Load()
	if err != nil {
		return nil, err
	}

	// Whatever a run that died left behind goes first, and this run's
	// rows go afterwards: a database holding more events than it was seeded
	// with would be dropped and reseeded by the next run.
	if _, err := deleteStorm(ctx, d); err != nil {
		return nil, fmt.Errorf("deleting a previous run's rows: %w", err)
	}
	undo.push(func() {
		n, err := deleteStorm(context.WithoutCancel(ctx), d)
		if err != nil {
			env.Logf("signup_storm: deleting the scenario's rows: %v", err)
			return
		}
		env.Logf("signup_storm: deleted %s", n)
	})

	clients, err := stormMembersOf(ctx, d, sr.Members)
	if err != nil {
		return nil, err
	}
	// Signing in sets last_login_at; the seeded value comes back, and the
	// sessions go.
	undo.push(func() {
		ctx := context.WithoutCancel(ctx)
		if err := restoreLastLogin(ctx, d, clients); err != nil {
			env.Logf("signup_storm: restoring last_login_at: %v", err)
		}
		n, err := deleteSessions(ctx, d, env.PortalURL, clients)
		if err != nil {
			env.Logf("signup_storm: deleting the sessions: %v", err)
		} else {
			env.Logf("signup_storm: deleted %d sessions", n)
		}
		for _, c := range clients {
			c.tr.CloseIdleConnections()
		}
	})

	now := time.Now()
	capacity := sr.Capacity
	ev := &db.Event{
		OrganiserKind: db.OrganiserWard, Title: fmt.Sprintf("%s 先着%d名の講座", stormMarker, sr.Capacity),
		Description: "申し込みの集中を計測するためのイベントです。計測が終わると削除されます。",
		Category:    "disaster", Town: "四谷", Venue: "四谷区民センター",
		StartsAt: now.Add(72 * time.Hour), EndsAt: now.Add(74 * time.Hour),
		Capacity: &capacity, WaitlistSize: sr.Waitlist, Status: db.EventPublished,
	}
	if _, err := d.Bun.NewInsert().Model(ev).Returning("*").Exec(ctx); err != nil {
		return nil, fmt.Errorf("create the event: %w", err)
	}
	page := fmt.Sprintf("%s/events/%d", env.PortalURL, ev.ID)

	// The members sign in, then open the event page for its CSRF token,
	// which leaves a fresh keep-alive connection.
	signed := clients[:min(stormSignIns, len(clients))]
	start := time.Now()
	if err := forEach(ctx, signed, len(signed), func(ctx context.Context, c *stormClient) error {
		return c.signIn(ctx, env.PortalURL)
	}); err != nil {
		return nil, err
	}
	signedIn := time.Since(start)
	start = time.Now()
	if err := mintSessions(ctx, d, env.PortalURL, signed[0], clients[len(signed):]); err != nil {
		return nil, err
	}
	env.Logf("signup_storm: signed %d members in through POST /login in %s at once; made %d sessions like theirs in the session store in %s (signing them all in at this pace would take %s)",
		len(signed), signedIn.Round(time.Millisecond), len(clients)-len(signed), time.Since(start).Round(time.Millisecond),
		(signedIn * time.Duration(len(clients)) / time.Duration(len(signed))).Round(time.Second))
	start = time.Now()
	if err := forEach(ctx, clients, stormPages, func(ctx context.Context, c *stormClient) error {
		return c.openEvent(ctx, page, ev.ID)
	}); err != nil {
		return nil, err
	}
	env.Logf("signup_storm: %d members opened the event page in %s", len(clients), time.Since(start).Round(time.Millisecond))
	return &storm{stormRun: sr, env: env, catalog: catalog, event: ev, page: page, clients: clients}, nil
}

// stormLoad is what the release of the storm saw besides each client's
// answer: when it was released, when the database had given the last
// place, and the pool's and the process's counters around it.
type stormLoad struct {
	released, placesGone time.Time
	pool0, pool1         *pgxpool.Stat
	run, wait            time.Duration // this process on a CPU, and waiting for one
	sched                bool          // run and wait are known
}

// load releases the storm: every request is built and its goroutine
// waiting before the barrier lifts.
func (s *storm) load(ctx context.Context) (stormLoad, error) {
	var l stormLoad
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	reqs := make([]*http.Request, len(s.clients))
	for i, c := range s.clients {
		var err error
		if reqs[i], err = c.signupRequest(sctx, s.page); err != nil {
			return l, err
		}
	}
	placesGone, err := watchPlaces(sctx, s.env.DB, s.event.ID, s.Capacity+s.Waitlist)
	if err != nil {
		return l, err
	}
	var ready, done sync.WaitGroup
	release := make(chan struct{})
	for i, c := range s.clients {
		ready.Add(1)
		done.Add(1)
		go pprof.Do(sctx, pprof.Labels("role", "client"), func(context.Context) {
			defer done.Done()
			ready.Done()
			<-release
			c.start = time.Now()
			c.status, c.body, c.err = send(c.http, reqs[i])
			c.end = time.Now()
		})
	}
	ready.Wait()
	stopProfile := s.env.startProfile("signup_storm")
	l.pool0 = s.env.DB.Pool.Stat()
	run0, wait0, sched := schedStat()
	l.released = time.Now()
	close(release)
	done.Wait()
	run1, wait1, _ := schedStat()
	l.pool1 = s.env.DB.Pool.Stat()
	stopProfile()
	l.placesGone = placesGone()
	l.run, l.wait, l.sched = run1-run0, wait1-wait0, sched
	return l, nil
}

// stormMeasures are the storm's answers, checked, and their times.
type stormMeasures struct {
	lat, fromRelease            []time.Duration // per request; and counted from the release
	first, last                 time.Time       // the first and the last answer
	lastStart                   time.Duration   // when the last request left, after the release
	confirmed, waitlisted, full int
	mails                       int
}

// measure checks every answer — 200, and a box that says confirmed,
// waitlisted or full, as many of each as there are places — and the rows
// behind them, and times the answers.
func (s *storm) measure(ctx context.Context, l stormLoad) (stormMeasures, error) {
	var (
		m      stormMeasures
		answer = make(map[int64]string, len(s.clients))
		counts = map[string]int{}
		failed []string
	)
	for _, c := range s.clients {
		fail := func(format string, args ...any) {
			if len(failed) < 3 {
				failed = append(failed, fmt.Sprintf("%s: ", c.login)+fmt.Sprintf(format, args...))
			}
		}
		m.last = later(m.last, c.end)
		if m.first.IsZero() || c.end.Before(m.first) {
			m.first = c.end
		}
		m.lastStart = max(m.lastStart, c.start.Sub(l.released))
		switch {
		case c.err != nil:
			fail("%v", c.err)
			continue
		case c.status != http.StatusOK:
			fail("status %d: %.200s", c.status, c.body)
			continue
		}
		got, err := signupAnswer(s.catalog, c.body)
		if err != nil {
			fail("%v", err)
			continue
		}
		answer[c.account] = got
		counts[got]++
		m.lat = append(m.lat, c.end.Sub(c.start))
		m.fromRelease = append(m.fromRelease, c.end.Sub(l.released))
	}
	if err := ctx.Err(); err != nil {
		return m, err
	}
	if len(failed) > 0 {
		return m, fmt.Errorf("%d of %d sign-ups failed or got an unexpected answer: %s",
			len(s.clients)-len(m.lat), len(s.clients), strings.Join(failed, "; "))
	}
	m.confirmed, m.waitlisted, m.full = counts[db.SignupConfirmed], counts[db.SignupWaitlisted], counts[db.SignupFull]
	if m.confirmed != s.Capacity || m.waitlisted != s.Waitlist || m.confirmed+m.waitlisted+m.full != len(s.clients) {
		return m, fmt.Errorf("answers: %d confirmed, %d waitlisted, %d full; want %d, %d and %d",
			m.confirmed, m.waitlisted, m.full, s.Capacity, s.Waitlist, len(s.clients)-s.Capacity-s.Waitlist)
	}
	var err error
	m.mails, err = checkStormRows(ctx, s.env.DB, s.event.ID, s.stormRun, answer)
	return m, err
}

// report logs how the storm went and returns its figures.
func (s *storm) report(l stormLoad, m stormMeasures) []Figure {
	env := s.env
	window := m.last.Sub(l.released)
	st, rst := Summarize(m.lat), Summarize(m.fromRelease)
	env.Logf("signup_storm: %d sign-ups released at once, all answered in %s: %d confirmed, %d waitlisted, %d full; %d mails queued",
		st.N, window.Round(time.Millisecond), m.confirmed, m.waitlisted, m.full, m.mails)
	env.Logf("signup_storm: per request p50 %s, p90 %s, p99 %s, min %s, max %s; the last request left %s after the release",
		roundDur(st.P50), roundDur(st.P90), roundDur(st.P99), roundDur(st.Min), roundDur(st.Max), roundDur(m.lastStart))
	env.Logf("signup_storm: answered, counted from the release: first %s, p50 %s, p99 %s", roundDur(m.first.Sub(l.released)), roundDur(rst.P50), roundDur(rst.P99))
	if !l.placesGone.IsZero() {
		env.Logf("signup_storm: the last of the %d places was committed %s after the release", s.Capacity+s.Waitlist, roundDur(l.placesGone.Sub(l.released)))
	}
	if acq := l.pool1.AcquireCount() - l.pool0.AcquireCount(); acq > 0 {
		env.Logf("signup_storm: db pool (%d connections): %d acquires, %.0f%% waited, %s mean wait",
			l.pool1.MaxConns(), acq, 100*float64(l.pool1.EmptyAcquireCount()-l.pool0.EmptyAcquireCount())/float64(acq),
			roundDur((l.pool1.AcquireDuration()-l.pool0.AcquireDuration())/time.Duration(acq)))
	}
	if l.sched {
		// Clients and portal share this process and its CPUs.
		env.Logf("signup_storm: over the storm this process ran %s on a CPU and its threads waited %s for one",
			l.run.Round(time.Millisecond), l.wait.Round(time.Millisecond))
	}
	return []Figure{
		Throughput("signup_storm_rps", float64(st.N)/window.Seconds()),
		Millis("signup_storm_p50", st.P50),
		Millis("signup_storm_p99", st.P99),
		{Name: "signup_storm_confirmed", Value: float64(m.confirmed), Unit: "signups"},
		{Name: "signup_storm_waitlisted", Value: float64(m.waitlisted), Unit: "signups"},
		{Name: "signup_storm_full", Value: float64(m.full), Unit: "signups"},
	}
}

// watchPlaces polls the event's counters on a connection of its own, beside
// the portal's pool, until want places are taken. placesGone stops it and
// returns when it saw them taken (zero if it did not): the database's pace,
// to set beside the answers'.
func watchPlaces(ctx context.Context, d *db.DB, eventID int64, want int) (placesGone func() time.Time, err error) {
	conn, err := pgx.ConnectConfig(ctx, d.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	var at time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer conn.Close(context.WithoutCancel(ctx))
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var taken int
			err := conn.QueryRow(ctx, `SELECT confirmed + waitlisted FROM events WHERE id = $1`, eventID).Scan(&taken)
			if err == nil && taken >= want {
				at = time.Now()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() time.Time {
		stop()
		<-done
		return at
	}, nil
}

// stormMembersOf returns a client for each of the first n active members who
// can sign in straight away: no password to change, no lock.
func stormMembersOf(ctx context.Context, d *db.DB, n int) ([]*stormClient, error) {
	rows, err := d.Pool.Query(ctx, `SELECT id, login_id, last_login_at FROM accounts
		WHERE kind = $1 AND status = $2 AND NOT must_change_password
		ORDER BY id LIMIT $3`, db.KindMember, db.StatusActive, n)
	if err != nil {
		return nil, err
	}
	var clients []*stormClient
	for rows.Next() {
		c := new(stormClient)
		if err := rows.Scan(&c.account, &c.login, &c.lastLogin); err != nil {
			rows.Close()
			return nil, err
		}
		jar, err := cookiejar.New(nil)
		if err != nil {
			rows.Close()
			return nil, err
		}
		c.tr = &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     5 * time.Minute,
		}
		c.http = &http.Client{
			Transport: c.tr,
			Jar:       jar,
			// The answers are read as they come, redirects included.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		clients = append(clients, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(clients) < n {
		return nil, fmt.Errorf("%d members who can sign in, want %d: is the database seeded?", len(clients), n)
	}
	return clients, nil
}

// forEach runs fn for every client, at most n at a time, and stops at the
// first error.
func forEach(ctx context.Context, clients []*stormClient, n int, fn func(context.Context, *stormClient) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan *stormClient)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				if err := fn(ctx, c); err != nil {
					cancel(fmt.Errorf("%s: %w", c.login, err))
				}
			}
		}()
	}
feed:
	for _, c := range clients {
		select {
		case next <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// signIn signs the member in as a browser does: the sign-in page for its
// CSRF token, then the form.
func (c *stormClient) signIn(ctx context.Context, base string) error {
	token, err := c.formToken(ctx, base+"/login", `form[action="/login"] input[name="_csrf"]`)
	if err != nil {
		return err
	}
	form := neturl.Values{"login_id": {c.login}, "password": {seed.Password}, "_csrf": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", stormAgent)
	status, body, err := send(c.http, req)
	if err != nil {
		return err
	}
	if status != http.StatusSeeOther {
		return fmt.Errorf("POST /login: status %d: %.200s", status, body)
	}
	return nil
}

// mintSessions gives each of clients a session like the one the sign-in form
// gave tmpl: the same values, with the client's account id for tmpl's. That is
// what the sign-in leaves in the store, less the argon2id check (and the
// access-history row and last_login_at, which the storm does not read).
func mintSessions(ctx context.Context, d *db.DB, base string, tmpl *stormClient, clients []*stormClient) error {
	u, err := neturl.Parse(base)
	if err != nil {
		return err
	}
	// The session cookie is the one whose value the store holds.
	var (
		cookie       *http.Cookie
		data         []byte
		expiry       time.Time
		codec        scs.GobCodec
		sessionCount int
	)
	for _, ck := range tmpl.http.Jar.Cookies(u) {
		err := d.Pool.QueryRow(ctx, `SELECT data, expiry FROM sessions WHERE token = $1`, ck.Value).Scan(&data, &expiry)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			continue
		case err != nil:
			return err
		}
		cookie = ck
		sessionCount++
	}
	if sessionCount != 1 {
		return fmt.Errorf("%s: %d of the cookies after signing in are sessions in the store, want 1", tmpl.login, sessionCount)
	}
	deadline, values, err := codec.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: the session: %w", tmpl.login, err)
	}
	var key string
	for k, v := range values {
		if id, ok := v.(int64); ok && id == tmpl.account {
			if key != "" {
				return fmt.Errorf("%s: the session holds the account id twice (%s, %s)", tmpl.login, key, k)
			}
			key = k
		}
	}
	if key == "" {
		return fmt.Errorf("%s: the session %v does not hold the account id %d", tmpl.login, values, tmpl.account)
	}
	rows := make([][]any, len(clients))
	for i, c := range clients {
		vals := maps.Clone(values)
		vals[key] = c.account
		b, err := codec.Encode(deadline, vals)
		if err != nil {
			return err
		}
		// As scs makes its tokens.
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		token := base64.RawURLEncoding.EncodeToString(raw)
		rows[i] = []any{token, b, expiry}
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: cookie.Name, Value: token, Path: "/"}})
	}
	_, err = d.Pool.CopyFrom(ctx, pgx.Identifier{"sessions"}, []string{"token", "data", "expiry"}, pgx.CopyFromRows(rows))
	return err
}

// openEvent opens the event page, which must offer this member the sign-up
// form, and keeps its CSRF token.
func (c *stormClient) openEvent(ctx context.Context, page string, id int64) error {
	var err error
	c.token, err = c.formToken(ctx, page, fmt.Sprintf(`#signup form[hx-post="/events/%d/signup"] input[name="_csrf"]`, id))
	return err
}

// formToken GETs url and returns the value of the hidden input sel finds.
func (c *stormClient) formToken(ctx context.Context, url, sel string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", stormAgent)
	status, body, err := send(c.http, req)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d", req.URL.Path, status)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	token, ok := doc.Find(sel).Attr("value")
	if !ok || token == "" {
		return "", fmt.Errorf("GET %s: no %s", req.URL.Path, sel)
	}
	return token, nil
}

// signupRequest is the POST htmx sends from the sign-up form of the page.
func (c *stormClient) signupRequest(ctx context.Context, page string) (*http.Request, error) {
	body := neturl.Values{"_csrf": {c.token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, page+"/signup", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("User-Agent", stormAgent)
	h.Set("HX-Request", "true")
	h.Set("HX-Target", "signup")
	h.Set("HX-Current-URL", page)
	return req, nil
}

// send does req and reads the whole answer.
func send(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// signupAnswer reads the outcome off an htmx answer to a sign-up: the message
// says what happened, and the box shows the member's status, or none when
// the event was full. Anything else (already signed up, closed) is an error.
func signupAnswer(catalog *i18n.Catalog, body []byte) (string, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	box := doc.Find("#signup")
	msg := strings.TrimSpace(box.Find(".flash").First().Text())
	status, shown := box.Find("[data-signup-status]").Attr("data-signup-status")
	for _, want := range []string{db.SignupConfirmed, db.SignupWaitlisted, db.SignupFull} {
		if msg != catalog.T(i18n.Default, "signup.result."+want) {
			continue
		}
		if (want == db.SignupFull && !shown) || (shown && status == want) {
			return want, nil
		}
		return "", fmt.Errorf("the answer says %q, the box shows status %q", msg, status)
	}
	if box.Length() == 0 {
		return "", fmt.Errorf("no sign-up box in the answer: %.200s", body)
	}
	return "", fmt.Errorf("unexpected answer %q", msg)
}

// checkStormRows checks the database against the answers: the event's
// counters agree with its sign-up rows, and each member's row (or its
// absence) with what the member was told. It returns the mails queued.
func checkStormRows(ctx context.Context, d *db.DB, eventID int64, sr stormRun, answer map[int64]string) (mails int, err error) {
	var counted struct{ confirmed, waitlisted, rowsConfirmed, rowsWaitlisted, rows int }
	if err := d.Pool.QueryRow(ctx, `SELECT e.confirmed, e.waitlisted,
			count(*) FILTER (WHERE s.status = $2), count(*) FILTER (WHERE s.status = $3), count(s.id)
		FROM events e LEFT JOIN event_signups s ON s.event_id = e.id
		WHERE e.id = $1 GROUP BY e.id`, eventID, db.SignupConfirmed, db.SignupWaitlisted).
		Scan(&counted.confirmed, &counted.waitlisted, &counted.rowsConfirmed, &counted.rowsWaitlisted, &counted.rows); err != nil {
		return 0, fmt.Errorf("counting the sign-ups: %w", err)
	}
	if counted.confirmed != sr.Capacity || counted.waitlisted != sr.Waitlist ||
		counted.rowsConfirmed != counted.confirmed || counted.rowsWaitlisted != counted.waitlisted ||
		counted.rows != counted.confirmed+counted.waitlisted {
		return 0, fmt.Errorf("the event counts %d confirmed and %d waitlisted, its sign-up rows %d and %d of %d; want %d and %d",
			counted.confirmed, counted.waitlisted, counted.rowsConfirmed, counted.rowsWaitlisted, counted.rows, sr.Capacity, sr.Waitlist)
	}
	rows, err := d.Pool.Query(ctx, `SELECT account_id, status FROM event_signups WHERE event_id = $1`, eventID)
	if err != nil {
		return 0, err
	}
	stored := map[int64]string{}
	for rows.Next() {
		var id int64
		var status string
		if err := rows.Scan(&id, &status); err != nil {
			rows.Close()
			return 0, err
		}
		stored[id] = status
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for id, told := range answer {
		if got, ok := stored[id]; (told == db.SignupFull && ok) || (told != db.SignupFull && got != told) {
			return 0, fmt.Errorf("account %d was told %s, its sign-up row says %q", id, told, got)
		}
	}
	for id := range stored {
		if _, ok := answer[id]; !ok {
			return 0, fmt.Errorf("account %d has a sign-up but took no part in the storm", id)
		}
	}
	err = d.Pool.QueryRow(ctx, `SELECT count(*) FROM mail_outbox m JOIN event_signups s ON s.account_id = m.account_id
		WHERE s.event_id = $1 AND `+stormMailMatch, eventID, stormMarker).Scan(&mails)
	return mails, err
}

// stormMailMatch is the condition on a mail m that the sign-up s caused: the
// mail to that member of a sign-up kind whose body shows the event's title
// ($2) and ends with its address.
const stormMailMatch = `m.kind LIKE 'signup\_%' AND strpos(m.body, $2) > 0
	AND m.body LIKE '%/events/' || s.event_id || E'\n'`

// stormDeleted counts what deleteStorm deleted.
type stormDeleted struct{ events, signups, mails, history, live int64 }

func (n stormDeleted) String() string {
	return fmt.Sprintf("%d events, %d sign-ups, %d mails, %d access-history rows, %d live events",
		n.events, n.signups, n.mails, n.history, n.live)
}

// deleteStorm deletes the scenario's events and everything they left: sign-
// ups, the mails they queued, their seat-count live events, and the access
// history of the scenario's requests (sign-ins and sign-ups).
func deleteStorm(ctx context.Context, d *db.DB) (stormDeleted, error) {
	var n stormDeleted
	err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		var events []int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM events WHERE starts_with(title, $1)`,
			stormMarker).Scan(&events); err != nil {
			return err
		}
		for _, q := range []struct {
			n    *int64
			sql  string
			args []any
		}{
			{&n.mails, `DELETE FROM mail_outbox m USING event_signups s WHERE s.event_id = ANY($1) AND s.account_id = m.account_id AND ` + stormMailMatch,
				[]any{events, stormMarker}},
			{&n.history, `DELETE FROM access_history WHERE user_agent = $1`, []any{stormAgent}},
			{&n.live, `DELETE FROM live_events WHERE stream = $1 AND subject_id = ANY($2)`, []any{db.StreamEvents, events}},
			{&n.signups, `DELETE FROM event_signups WHERE event_id = ANY($1)`, []any{events}},
			{&n.events, `DELETE FROM events WHERE id = ANY($1)`, []any{events}},
		} {
			tag, err := tx.Exec(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			*q.n = tag.RowsAffected()
		}
		return nil
	})
	return n, err
}

// restoreLastLogin puts back the members' last_login_at from before the
// scenario signed them in.
func restoreLastLogin(ctx context.Context, d *db.DB, clients []*stormClient) error {
	ids := make([]int64, len(clients))
	at := make([]pgtype.Timestamptz, len(clients))
	for i, c := range clients {
		ids[i], at[i] = c.account, c.lastLogin
	}
	_, err := d.Pool.Exec(ctx, `UPDATE accounts a SET last_login_at = v.at
		FROM unnest($1::bigint[], $2::timestamptz[]) AS v(id, at) WHERE a.id = v.id`, ids, at)
	return err
}

// deleteSessions deletes the clients' sessions. Whichever of the cookies the
// portal gave them is a session token, the session store holds it.
func deleteSessions(ctx context.Context, d *db.DB, base string, clients []*stormClient) (int64, error) {
	u, err := neturl.Parse(base)
	if err != nil {
		return 0, err
	}
	var tokens []string
	for _, c := range clients {
		for _, ck := range c.http.Jar.Cookies(u) {
			tokens = append(tokens, ck.Value)
		}
	}
	if len(tokens) == 0 {
		return 0, nil
	}
	tag, err := d.Pool.Exec(ctx, `DELETE FROM sessions WHERE token = ANY($1)`, tokens)
	return tag.RowsAffected(), err
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
