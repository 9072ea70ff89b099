package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"github.com/wardportal/portal/app/faults"
	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// faultPlan is how long each database fault of TestDatabaseFaultsUnderLoad
// lasts. The defaults are the figures of the review the test repeats (a cut
// of 10 s, a stall of 5 s, 200 ms of added latency); PORTAL_FAULT_CUT,
// PORTAL_FAULT_STALL, PORTAL_FAULT_LATENCY and PORTAL_FAULT_SLOW_FOR (Go
// durations) change them, e.g. for a longer run by hand.
type faultPlan struct {
	cut, stall       time.Duration
	latency, slowFor time.Duration
	// timeout is the portal's request timeout in the test: shorter than the
	// stall, so a stalled request must be answered before the stall ends.
	timeout time.Duration
}

func loadFaultPlan(t *testing.T) faultPlan {
	p := faultPlan{cut: 10 * time.Second, stall: 5 * time.Second, latency: 200 * time.Millisecond,
		slowFor: 4 * time.Second, timeout: 3 * time.Second}
	for k, d := range map[string]*time.Duration{"PORTAL_FAULT_CUT": &p.cut, "PORTAL_FAULT_STALL": &p.stall,
		"PORTAL_FAULT_LATENCY": &p.latency, "PORTAL_FAULT_SLOW_FOR": &p.slowFor} {
		if v := os.Getenv(k); v != "" {
			var err error
			if *d, err = time.ParseDuration(v); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
	}
	return p
}

// outcome is one answer the load got, with the phase it was sent in.
type outcome struct {
	phase  string
	what   string // "GET /events" or "signup 12 M..." or "topic <title>"
	status int    // 0: no answer (the client gave up)
	took   time.Duration
	err    string // what was wrong with the answer, if anything
}

// faultLoad is the mixed load of the test: visitors reading pages and htmx
// fragments, members posting topics and signing up for events. Every answer
// is checked as it comes (right status, a proper 503 page or fragment, in
// time); writes are remembered as acknowledged or refused.
type faultLoad struct {
	t       *testing.T
	e       *testEnv
	plan    faultPlan
	boardCt int64
	events  []int64

	mu      sync.Mutex
	phase   string
	results []outcome
	topics  map[string]int     // title → status of its POST
	signups map[[2]int64][]int // (event, account) → statuses of its sign-ups
}

func (l *faultLoad) setPhase(p string) {
	l.mu.Lock()
	l.phase = p
	l.mu.Unlock()
}

func (l *faultLoad) record(o outcome) {
	l.mu.Lock()
	o.phase = l.phase
	l.results = append(l.results, o)
	l.mu.Unlock()
}

// check sends req and judges the answer: 503 must be the translated page
// (or, for htmx, the fragment) with Retry-After; nothing may take longer
// than the request timeout and a margin for a busy machine.
func (l *faultLoad) check(c *testEnv, req *http.Request, what string, ok ...int) int {
	start := time.Now()
	res, err := c.http.Do(req)
	o := outcome{what: what, took: time.Since(start)}
	if err != nil {
		o.err = "no answer: " + err.Error()
		l.record(o)
		return 0
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	o.status = res.StatusCode
	partial := req.Header.Get("HX-Request") == "true"
	switch {
	case o.took > l.plan.timeout+3*time.Second:
		o.err = fmt.Sprintf("answered after %s, past the request timeout %s", o.took.Round(time.Millisecond), l.plan.timeout)
	case res.StatusCode == http.StatusServiceUnavailable:
		doc, derr := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
		switch {
		case derr != nil:
			o.err = "503 is not HTML"
		case res.Header.Get("Retry-After") == "":
			o.err = "503 without Retry-After"
		case title(doc) == "保存されたか確認できませんでした":
			o.status = unconfirmed
		case title(doc) != "ただいま利用できません":
			o.err = fmt.Sprintf("503 is not the translated page: %.200s", body)
		}
		switch {
		case o.err != "":
		case strings.Contains(string(body), "<html") == partial:
			o.err = fmt.Sprintf("503 as a full page = %v for an htmx request = %v", !partial, partial)
		}
	default:
		good := false
		for _, s := range ok {
			good = good || res.StatusCode == s
		}
		if !good {
			o.err = fmt.Sprintf("status %d: %.200s", res.StatusCode, body)
		}
	}
	l.record(o)
	return o.status
}

// unconfirmed stands for a 503 that says a write may or may not have been
// saved (db.ErrOutcomeUnknown: its COMMIT was sent, the answer was lost).
const unconfirmed = 1503

func title(doc *goquery.Document) string {
	return strings.TrimSpace(doc.Find("h1, .request-error-title").First().Text())
}

func (l *faultLoad) get(c *testEnv, path string, hx bool) int {
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path, nil)
	what := "GET " + path
	if hx {
		req.Header.Set("HX-Request", "true")
		what += " (htmx)"
	}
	return l.check(c, req, what, http.StatusOK)
}

func (l *faultLoad) post(c *testEnv, path string, form url.Values, hx bool, what string, ok int) int {
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	return l.check(c, req, what, ok)
}

// visitor reads until ctx ends.
func (l *faultLoad) visitor(ctx context.Context, c *testEnv, n int) {
	paths := []string{"/", "/board", "/events", fmt.Sprintf("/events/%d", l.events[n%len(l.events)]), "/groups"}
	for i := 0; ctx.Err() == nil; i++ {
		pause := 50 * time.Millisecond
		if l.get(c, paths[i%len(paths)], false) != http.StatusOK || l.get(c, "/notices", true) != http.StatusOK {
			pause = 300 * time.Millisecond
		}
		sleepCtx(ctx, pause)
	}
}

// member posts a topic and signs up for an event, round the events, until
// ctx ends. After a refusal it waits a little, as a person reads the page.
func (l *faultLoad) member(ctx context.Context, c *testEnv, acc *db.Account, tok string) {
	for i := 0; ctx.Err() == nil; i++ {
		title := fmt.Sprintf("障害試験 %s の投稿 %d", acc.LoginID, i)
		st1 := l.post(c, "/board", url.Values{"_csrf": {tok}, "inline": {"1"}, "category": {strconv.FormatInt(l.boardCt, 10)},
			"title": {title}, "body": {"停電の中でも書き込みます。"}}, true, "topic "+title, http.StatusOK)
		l.mu.Lock()
		l.topics[title] = st1
		l.mu.Unlock()
		ev := l.events[i%len(l.events)]
		st2 := l.post(c, fmt.Sprintf("/events/%d/signup", ev), url.Values{"_csrf": {tok}}, false,
			fmt.Sprintf("signup %d %s", ev, acc.LoginID), http.StatusSeeOther)
		key := [2]int64{ev, acc.ID}
		l.mu.Lock()
		l.signups[key] = append(l.signups[key], st2)
		l.mu.Unlock()
		pause := 100 * time.Millisecond
		if st1 != http.StatusOK || st2 != http.StatusSeeOther {
			pause = 700 * time.Millisecond
		}
		sleepCtx(ctx, pause)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// liveReader follows the board's event stream like a browser: when the
// stream ends or cannot be opened it reconnects with Last-Event-ID, until
// ctx ends. It returns every id it got, in order.
func liveReader(ctx context.Context, base string, after int64) <-chan []int64 {
	out := make(chan []int64, 1)
	go func() {
		var got []int64
		last := after
		defer func() { out <- got }()
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/board/live", nil)
			req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
			res, err := http.DefaultClient.Do(req)
			if err == nil && res.StatusCode == http.StatusOK {
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
						n, _ := strconv.ParseInt(id, 10, 64)
						got = append(got, n)
						last = n
					}
				}
			}
			if res != nil {
				res.Body.Close()
			}
			sleepCtx(ctx, 200*time.Millisecond) // the browser's retry
		}
	}()
	return out
}

// readiness polls /readyz every 100 ms and keeps what it answered when.
type readiness struct {
	mu  sync.Mutex
	log []readyAt
}

type readyAt struct {
	at     time.Time
	status int
}

func (r *readiness) poll(ctx context.Context, base string) {
	client := &http.Client{Timeout: 5 * time.Second}
	for ctx.Err() == nil {
		st := 0
		if res, err := client.Get(base + "/readyz"); err == nil {
			st = res.StatusCode
			res.Body.Close()
		}
		r.mu.Lock()
		r.log = append(r.log, readyAt{time.Now(), st})
		r.mu.Unlock()
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

// between returns the statuses /readyz answered from from to to.
func (r *readiness) between(from, to time.Time) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, x := range r.log {
		if !x.at.Before(from) && x.at.Before(to) {
			out = append(out, x.status)
		}
	}
	return out
}

// waitReady waits until /readyz answers 200 again and returns how long
// that took.
func (r *readiness) waitReady(t *testing.T, since time.Time, within time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, x := range r.log {
			if x.at.After(since) && x.status == http.StatusOK {
				r.mu.Unlock()
				return x.at.Sub(since)
			}
		}
		r.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/readyz did not recover within %s", within)
	return 0
}

// TestDatabaseFaultsUnderLoad puts a TCP proxy between a running portal
// and PostgreSQL and, under a mixed load (visitors reading, members posting
// topics and signing up for events, a reader on the board's live stream,
// the scheduler and the mail sender at work), cuts the database for 10 s,
// stalls it for 5 s and adds 200 ms of latency (the figures of faultPlan;
// the whole test stays under 40 s). It checks that
//   - /readyz reports each outage and recovers without a restart;
//   - every answer is a page, the 503 page or the 503 fragment, and none
//     comes later than the request timeout (a stalled request is cut off);
//   - every write that was acknowledged is in the database, and none that
//     was refused (a write whose COMMIT was sent when the connection went is
//     answered "could not confirm", and the test accepts either outcome);
//   - the live stream reader, reconnecting with Last-Event-ID, gets every
//     event exactly once;
//   - a page due during the cut is published once the database is back,
//     and every mail queued is delivered exactly once.
func TestDatabaseFaultsUnderLoad(t *testing.T) {
	t.Parallel()
	plan := loadFaultPlan(t)
	ctx := context.Background()
	directURL := dbtest.NewURL(t)
	direct, err := db.Open(ctx, directURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.Close)
	proxy := faults.StartURL(t, directURL)
	proxied, err := db.Open(ctx, proxy.URL(directURL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxied.Close)
	cfg := testConfig()
	cfg.RequestTimeout = plan.timeout
	e := newTestEnvConfig(t, proxied, cfg)
	if path := os.Getenv("PORTAL_FAULT_LOG"); path != "" { // the whole log, for a run by hand
		t.Cleanup(func() { _ = os.WriteFile(path, []byte(e.logs.String()), 0o644) })
	}
	// Fixtures go through the direct connection, like the checks at the end.
	setup := &testEnv{t: t, app: e.app, db: direct, srv: e.srv, http: e.http, logs: e.logs}

	cat := &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Town"}
	if err := direct.SaveBoardCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	l := &faultLoad{t: t, e: e, plan: plan, boardCt: cat.ID, phase: "warm-up", topics: map[string]int{}, signups: map[[2]int64][]int{}}
	for range 20 {
		l.events = append(l.events, setup.publishedEvent(100, 0).ID)
	}
	mod := setup.staffAccount("fault-mod", db.RoleModerator)
	type member struct {
		c   *testEnv
		acc *db.Account
		tok string
	}
	var members []member
	for i := range 3 {
		login := fmt.Sprintf("M7700%03d", i)
		acc := setup.memberAccount(login, fmt.Sprintf("障害試験の人%d", i))
		c := e.client()
		c.http.Timeout = plan.timeout + 10*time.Second
		c.signIn(login, "member-password-1").wantStatus(t, http.StatusSeeOther)
		members = append(members, member{c, acc, c.token()})
	}
	// A page approved for a moment inside the cut: the scheduler must
	// publish it once the database is back.
	pub := newPublisher(t, setup)
	spec := pageSpec{kind: db.PageNotice, title: "停電中に公開予定のお知らせ", body: "本文", publish: time.Now().Add(72 * time.Hour)}
	scheduled := pub.draft(spec)
	pub.submit(scheduled, spec)
	pub.approve(scheduled, spec)

	// The background work of an instance, on the proxied pool.
	smtpSrv := faults.StartSMTP(t)
	sender := worker.NewMailSender(proxied, worker.MailConfig{Host: smtpSrv.Host(), Port: smtpSrv.Port(), TLS: worker.TLSNone,
		From: "区民活動ポータル <no-reply@portal.example>"}, slog.New(slog.NewTextHandler(e.logs, nil)))
	sender.Poll = 250 * time.Millisecond
	jobs, stopJobs := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = sender.Run(jobs) })
	wg.Go(func() { e.app.runScheduler(jobs, 250*time.Millisecond) })
	ready := &readiness{}
	wg.Go(func() { ready.poll(jobs, e.srv.URL) })
	defer func() { stopJobs(); wg.Wait() }()

	var firstLive int64
	if err := direct.Bun.NewRaw(`SELECT coalesce(max(id), 0) FROM live_events`).Scan(ctx, &firstLive); err != nil {
		t.Fatal(err)
	}
	load, stopLoad := context.WithCancel(ctx)
	var loaders sync.WaitGroup
	// The reader outlives the load by a delivery time: a topic approved in
	// the load's last moment is committed, and must still reach it.
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	reader := liveReader(readCtx, e.srv.URL, firstLive)
	for i := range 2 {
		c := e.client()
		c.http.Timeout = plan.timeout + 10*time.Second
		loaders.Go(func() { l.visitor(load, c, i) })
	}
	for _, m := range members {
		loaders.Go(func() { l.member(load, m.c, m.acc, m.tok) })
	}
	// A moderator approves what members post, on a connection of its own
	// (the ward's back office is not behind the proxy): the board's live
	// stream gets events all along, also while the portal cannot see them.
	loaders.Go(func() {
		for load.Err() == nil {
			q, err := direct.ModerationQueue(load, []string{db.ItemOpen}, 3)
			for _, it := range q {
				if _, err := direct.DecideItem(load, db.Decision{ItemID: it.Item.ID, Version: it.Item.Version, Action: db.ActApprove,
					Actor: db.Actor{Account: mod, Role: db.RoleModerator}}, func(db.Outcome) *db.Mail { return nil }); err != nil && load.Err() == nil {
					t.Errorf("approve item %d: %v", it.Item.ID, err)
				}
			}
			if err != nil && load.Err() == nil {
				t.Errorf("moderation queue: %v", err)
			}
			sleepCtx(load, 300*time.Millisecond)
		}
	})

	phase := func(name string, d time.Duration) time.Time {
		l.setPhase(name)
		start := time.Now()
		time.Sleep(d)
		return start
	}
	phase("warm-up", 2*time.Second)

	// Cut: every connection closes, new ones are hung up on. The page comes
	// due meanwhile.
	l.setPhase("cut")
	proxy.Cut()
	if _, err := direct.Bun.ExecContext(ctx, `UPDATE page_revisions SET publish_at = now() WHERE page_id = ? AND status = ?`,
		scheduled, db.RevApproved); err != nil {
		t.Fatal(err)
	}
	cutAt := phase("cut", plan.cut)
	proxy.Restore()
	cutBack := ready.waitReady(t, time.Now(), 15*time.Second)
	phase("after the cut", 2*time.Second)

	l.setPhase("stall")
	proxy.Stall()
	stallAt := phase("stall", plan.stall)
	proxy.Restore()
	stallBack := ready.waitReady(t, time.Now(), 15*time.Second)
	phase("after the stall", time.Second)

	l.setPhase("slow")
	proxy.Slow(plan.latency)
	phase("slow", plan.slowFor)
	proxy.Restore()
	phase("after", 2*time.Second)
	stopLoad()
	loaders.Wait()
	sleepCtx(ctx, 2*time.Second)
	stopReading()
	received := <-reader

	// /readyz said so during each outage (past its first 2 s, the ping's
	// own timeout) and was back within seconds of its end.
	for _, w := range []struct {
		name  string
		from  time.Time
		until time.Duration
	}{{"cut", cutAt, plan.cut}, {"stall", stallAt, plan.stall}} {
		sts := ready.between(w.from.Add(3*time.Second), w.from.Add(w.until))
		if len(sts) == 0 {
			t.Errorf("/readyz was not polled during the %s", w.name)
		}
		for _, st := range sts {
			if st != http.StatusServiceUnavailable {
				t.Errorf("/readyz answered %d during the %s", st, w.name)
				break
			}
		}
	}
	t.Logf("ready again %s after the cut, %s after the stall", cutBack.Round(time.Millisecond), stallBack.Round(time.Millisecond))

	// Every answer was right, and the load met each fault.
	byPhase := map[string]map[int]int{}
	var worst time.Duration
	for _, o := range l.results {
		if o.err != "" {
			t.Errorf("%s, %s: %s", o.phase, o.what, o.err)
		}
		if byPhase[o.phase] == nil {
			byPhase[o.phase] = map[int]int{}
		}
		byPhase[o.phase][o.status]++
		worst = max(worst, o.took)
	}
	t.Logf("answers by phase: %v; slowest %s", byPhase, worst.Round(time.Millisecond))
	for _, p := range []string{"cut", "stall"} {
		if byPhase[p][http.StatusServiceUnavailable] == 0 {
			t.Errorf("no request was refused during the %s: %v", p, byPhase[p])
		}
	}
	for _, p := range []string{"warm-up", "after the cut", "slow", "after"} {
		if byPhase[p][http.StatusOK]+byPhase[p][http.StatusSeeOther] == 0 {
			t.Errorf("nothing was served during %q: %v", p, byPhase[p])
		}
	}

	// Writes: acknowledged ones are there, refused ones are not.
	var acked, refused int
	for title, st := range l.topics {
		var n int
		if err := direct.Bun.NewRaw(`SELECT count(*) FROM board_posts WHERE title = ?`, title).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		switch {
		case st == http.StatusOK && n != 1:
			t.Errorf("topic %q was acknowledged, and %d are in the database", title, n)
		case st == http.StatusServiceUnavailable && n != 0:
			t.Errorf("topic %q was refused, and %d are in the database", title, n)
		}
		acked += b2i(st == http.StatusOK)
		refused += b2i(st == http.StatusServiceUnavailable)
	}
	// A member may sign up for an event again (a double submit counts
	// once): one acknowledged attempt means the sign-up is there, only
	// refused ones mean it is not.
	for k, sts := range l.signups {
		var n int
		if err := direct.Bun.NewRaw(`SELECT count(*) FROM event_signups WHERE event_id = ? AND account_id = ? AND status = ?`,
			k[0], k[1], db.SignupConfirmed).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		ack, ref := 0, 0
		for _, st := range sts {
			ack += b2i(st == http.StatusSeeOther)
			ref += b2i(st == http.StatusServiceUnavailable)
		}
		switch {
		case ack > 0 && n != 1:
			t.Errorf("sign-up %v was acknowledged, and %d are in the database", k, n)
		case ref == len(sts) && n != 0:
			t.Errorf("sign-up %v was refused each time, and %d are in the database", k, n)
		}
		acked += ack
		refused += ref
	}
	unknown := 0
	for _, o := range l.results {
		unknown += b2i(o.status == unconfirmed)
	}
	t.Logf("writes: %d acknowledged, %d refused, %d unconfirmed (commit sent, answer lost)", acked, refused, unknown)
	if acked == 0 || refused == 0 {
		t.Errorf("the load acknowledged %d writes and had %d refused: it did not meet the faults", acked, refused)
	}

	// The live stream: every board event since the start, each once, in order.
	var want []int64
	if err := direct.Bun.NewRaw(`SELECT id FROM live_events WHERE id > ? AND stream = ? AND name = ? ORDER BY id`,
		firstLive, db.StreamBoard, db.LiveTopic).Scan(ctx, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Error("no topic was published during the test")
	}
	if fmt.Sprint(received) != fmt.Sprint(want) {
		t.Errorf("the live reader got %d events %v, want %d %v", len(received), received, len(want), want)
	}

	// The scheduler published the page that came due during the cut.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var status string
		if err := direct.Bun.NewRaw(`SELECT status FROM page_revisions WHERE page_id = ? ORDER BY id DESC LIMIT 1`, scheduled).Scan(ctx, &status); err != nil {
			t.Fatal(err)
		}
		if status == db.RevPublished {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page due during the cut is %s, not published", status)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The mail sender delivered every queued mail, each exactly once.
	var queued []db.Mail
	deadline = time.Now().Add(15 * time.Second)
	for {
		if err := direct.Bun.NewSelect().Model(&queued).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		waiting := 0
		for _, m := range queued {
			if m.SentAt == nil {
				waiting++
			}
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, m := range queued {
				if m.SentAt == nil {
					t.Errorf("mail %d not sent: attempts %d, next %s, last error %q", m.ID, m.Attempts, m.NextAttemptAt, m.LastError)
				}
			}
			t.Fatalf("%d of %d mails are still not sent", waiting, len(queued))
		}
		time.Sleep(100 * time.Millisecond)
	}
	seen := map[string]int{}
	for _, m := range smtpSrv.Messages() {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		seen[msg.Header.Get("Message-Id")]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %s was delivered %d times", id, n)
		}
	}
	if len(seen) != len(queued) || len(queued) == 0 {
		t.Errorf("%d mails queued, %d distinct ones delivered", len(queued), len(seen))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestLostCommitIsUnconfirmed: a transaction whose COMMIT goes out just as
// the database stops answering is reported as db.ErrOutcomeUnknown — it may
// well be committed — while one cut off before its COMMIT is a plain
// failure, with nothing written.
func TestLostCommitIsUnconfirmed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	directURL := dbtest.NewURL(t)
	proxy := faults.StartURL(t, directURL)
	d, err := db.Open(ctx, proxy.URL(directURL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	insert := func(ctx context.Context, tx bun.Tx, v string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO board_categories (slug, name_ja, name_en) VALUES (?, ?, ?)`, v, v, v)
		return err
	}
	// Stalled after the last statement: the COMMIT is sent, no answer.
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err = d.InTx(tctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insert(ctx, tx, "lost-commit"); err != nil {
			return err
		}
		proxy.Stall()
		return nil
	})
	if !errors.Is(err, db.ErrOutcomeUnknown) || statusOf(err) != http.StatusServiceUnavailable {
		t.Errorf("a commit without answer: %v (status %d)", err, statusOf(err))
	}
	proxy.Restore()
	// Cut before the COMMIT: a plain failure, nothing written.
	err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insert(ctx, tx, "cut-before"); err != nil {
			return err
		}
		proxy.Cut()
		return insert(ctx, tx, "cut-before-2")
	})
	if err == nil || errors.Is(err, db.ErrOutcomeUnknown) || statusOf(err) != http.StatusServiceUnavailable {
		t.Errorf("a transaction cut before its commit: %v", err)
	}
	proxy.Restore()
	direct, err := db.Open(ctx, directURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.Close)
	var n int
	if err := direct.Bun.NewRaw(`SELECT count(*) FROM board_categories WHERE slug LIKE 'cut-before%'`).Scan(ctx, &n); err != nil || n != 0 {
		t.Errorf("the cut transaction left %d rows (%v)", n, err)
	}
}
