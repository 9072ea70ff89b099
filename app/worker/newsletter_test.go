package worker

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// ---- fixtures of the newsletter ----

type nlEnv struct {
	t     *testing.T
	d     *db.DB
	be    *backend
	cfg   MailConfig
	clock *clock
	list  int64
	staff *db.Account
	div   int64
	links NewsletterLinks
}

func newNLEnv(t *testing.T) *nlEnv {
	t.Helper()
	d := dbtest.New(t)
	ctx := context.Background()
	e := &nlEnv{t: t, d: d, be: &backend{}, clock: newClock(),
		links: NewsletterLinks{BaseURL: "https://portal.example", Secret: strings.Repeat("k", 32)}}
	e.cfg = startSMTP(t, e.be, nil)
	l := &db.NewsletterList{Name: "防災情報", Active: true}
	if err := d.SaveNewsletterList(ctx, l); err != nil {
		t.Fatal(err)
	}
	e.list = l.ID
	e.staff = dbtest.Staff(t, d, dbtest.StaffOptions{Login: "ward1", Roles: []string{db.RoleWardStaff}})
	if err := d.Pool.QueryRow(ctx, `INSERT INTO divisions (code, name) VALUES ('kouhou', '広報課') RETURNING id`).Scan(&e.div); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `INSERT INTO staff_divisions (account_id, division_id) VALUES ($1, $2)`, e.staff.ID, e.div); err != nil {
		t.Fatal(err)
	}
	return e
}

// subscribe makes n confirmed visitor subscribers r0@…, r1@… and returns
// their addresses.
func (e *nlEnv) subscribe(prefix string, n int) []string {
	e.t.Helper()
	ctx := context.Background()
	var out []string
	for i := range n {
		addr := fmt.Sprintf("%s%d@example.jp", prefix, i)
		var sub int64
		err := e.d.RequestSubscription(ctx, db.SubscriptionRequest{Email: addr, ListIDs: []int64{e.list}, Now: time.Now(),
			Confirm: func(id int64) *db.Mail {
				sub = id
				return &db.Mail{To: addr, Subject: "確認", Body: "確認してください", Kind: "newsletter_confirm"}
			}})
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.d.ConfirmSubscriptions(ctx, sub, time.Now()); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, addr)
	}
	return out
}

// issue composes an issue to the list, schedules it now and queues it.
func (e *nlEnv) issue(subject string) int64 {
	e.t.Helper()
	ctx := context.Background()
	is := &db.NewsletterIssue{DivisionID: e.div, Subject: subject,
		Body: "## 今月のお知らせ\n\n[区のサイト](https://www.city.example.jp/) をご覧ください。"}
	if err := e.d.SaveNewsletterIssue(ctx, is, []int64{e.list}, e.staff); err != nil {
		e.t.Fatal(err)
	}
	st, err := e.d.RequestIssueSend(ctx, is.ID, time.Now(), 1_000_000)
	if err != nil || st != db.IssueScheduled {
		e.t.Fatalf("RequestIssueSend = %q, %v", st, err)
	}
	if n, err := e.d.QueueDueIssues(ctx, e.clock.Now()); err != nil || n != 1 {
		e.t.Fatalf("QueueDueIssues = %d, %v", n, err)
	}
	return is.ID
}

func (e *nlEnv) sender() *NewsletterSender {
	s := NewNewsletterSender(e.d, e.cfg, NewsletterConfig{Connections: 2, SuppressAfter: 2}, e.links, IssueMail{
		HTML: func(body string) string { return "<h2>今月のお知らせ</h2><p>" + body + "</p>" },
		Footer: func(u string) (string, string) {
			return "配信停止: " + u, `<p><a href="` + u + `">配信停止</a></p>`
		},
	}, quietLog())
	s.Now = e.clock.Now
	s.Poll = 20 * time.Millisecond
	return s
}

// drain sends with s until nothing is due.
func (e *nlEnv) drain(s *NewsletterSender) {
	e.t.Helper()
	for range 1000 {
		n, err := s.SendOnce(context.Background())
		if err != nil {
			e.t.Fatalf("SendOnce: %v", err)
		}
		if n == 0 {
			return
		}
	}
	e.t.Fatal("deliveries never ran out")
}

func (e *nlEnv) counts(issue int64) map[string]int {
	e.t.Helper()
	c, err := e.d.IssueCounts(context.Background(), issue)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// received counts the messages the server took per recipient.
func (e *nlEnv) received() map[string]int {
	out := map[string]int{}
	for _, m := range e.be.messages() {
		for _, to := range m.To {
			out[strings.Trim(to, "<>")]++
		}
	}
	return out
}

func (e *nlEnv) exactlyOnce(addrs []string) {
	e.t.Helper()
	got := e.received()
	for _, a := range addrs {
		if got[a] != 1 {
			e.t.Errorf("%s received %d messages, want exactly 1", a, got[a])
		}
	}
	if len(got) != len(addrs) {
		e.t.Errorf("server received mail for %d addresses, want %d", len(got), len(addrs))
	}
}

// nlParts reads a newsletter message: headers, text and HTML parts decoded.
func nlParts(t *testing.T, raw []byte) (mail.Header, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	var text, html string
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		dec, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
		if err != nil {
			t.Fatalf("part not base64: %v", err)
		}
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			text = string(dec)
		case strings.HasPrefix(ct, "text/html"):
			html = string(dec)
		}
	}
	return msg.Header, text, html
}

// ---- tests ----

func TestNewsletterMessageCarriesUnsubscribeHeadersAndLink(t *testing.T) {
	t.Parallel()
	e := newNLEnv(t)
	addrs := e.subscribe("r", 3)
	issue := e.issue("区報　12月号")
	e.drain(e.sender())
	e.exactlyOnce(addrs)
	if c := e.counts(issue); c[db.DeliverySent] != 3 || len(c) != 1 {
		t.Errorf("counts = %v, want 3 sent", c)
	}
	if _, err := e.d.QueueDueIssues(context.Background(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	is, err := e.d.NewsletterIssue(context.Background(), issue)
	if err != nil || is.Status != db.IssueSent || is.FinishedAt == nil {
		t.Errorf("issue after delivery: %+v, %v", is, err)
	}

	h, text, html := nlParts(t, e.be.messages()[0].Data)
	lu := h.Get("List-Unsubscribe")
	if !strings.Contains(lu, "<https://portal.example/newsletter/unsubscribe/") || !strings.Contains(lu, "<mailto:no-reply@portal.example?subject=unsubscribe%20") {
		t.Errorf("List-Unsubscribe = %q, want the signed HTTPS link and a mailto", lu)
	}
	if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	link := lu[1:strings.Index(lu, ">")]
	tok := strings.TrimPrefix(link, "https://portal.example/newsletter/unsubscribe/")
	sub, iss, ok := e.links.ParseUnsubscribe(tok)
	if !ok || iss != issue || sub == 0 {
		t.Errorf("unsubscribe token %q: sub %d issue %d ok %v", tok, sub, iss, ok)
	}
	if !strings.Contains(text, "今月のお知らせ") || !strings.Contains(text, "配信停止: "+link) {
		t.Errorf("text part lacks the body or the visible unsubscribe link:\n%s", text)
	}
	if !strings.Contains(html, `<a href="`+link+`">配信停止</a>`) || !strings.Contains(html, "<h2>今月のお知らせ</h2>") {
		t.Errorf("HTML part lacks the body or the visible unsubscribe link:\n%s", html)
	}
	if _, ok := e.links.ParseConfirm(tok, time.Now()); ok {
		t.Error("an unsubscribe token passes as a confirmation token")
	}
}

func TestNewsletter450IsRetriedUntilDelivered(t *testing.T) {
	t.Parallel()
	e := newNLEnv(t)
	addrs := e.subscribe("g", 1)
	issue := e.issue("再送のテスト")
	e.be.mu.Lock()
	e.be.tempFails, e.be.tempAt, e.be.tempCode = 2, "rcpt", 450
	e.be.mu.Unlock()
	s := e.sender()
	gap := s.pace.Gap()

	e.drain(s)
	if c := e.counts(issue); c[db.DeliveryDeferred] != 1 {
		t.Fatalf("after a 450: %v, want deferred", c)
	}
	if s.pace.Gap() <= gap {
		t.Errorf("the 450 did not slow the sender down: gap %v", s.pace.Gap())
	}
	var reply string
	if err := e.d.Pool.QueryRow(context.Background(), `SELECT last_reply FROM newsletter_deliveries WHERE issue_id = $1`, issue).Scan(&reply); err != nil || !strings.HasPrefix(reply, "450 ") {
		t.Errorf("last_reply = %q, %v", reply, err)
	}
	e.drain(s) // not due yet: nothing happens
	if len(e.be.messages()) != 0 {
		t.Fatal("deferred mail sent before its time")
	}
	e.clock.Advance(RetryDelay(1) + time.Second)
	e.drain(s) // second 450
	e.clock.Advance(RetryDelay(2) + time.Second)
	e.drain(s)
	if c := e.counts(issue); c[db.DeliverySent] != 1 {
		t.Fatalf("after the retries: %v, want sent", c)
	}
	e.exactlyOnce(addrs)
}

func TestNewsletter550IsRecordedAndSuppressesAfterTheSetCount(t *testing.T) {
	t.Parallel()
	e := newNLEnv(t)
	addrs := e.subscribe("b", 2)
	bad := addrs[0]
	e.be.mu.Lock()
	e.be.refuse = map[string]bool{bad: true}
	e.be.mu.Unlock()
	ctx := context.Background()
	s := e.sender() // SuppressAfter 2

	suppressed := func() bool {
		var at *time.Time
		if err := e.d.Pool.QueryRow(ctx, `SELECT suppressed_at FROM newsletter_subscribers WHERE email = $1`, bad).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at != nil
	}
	first := e.issue("第1号")
	e.drain(s)
	var status, reply string
	if err := e.d.Pool.QueryRow(ctx, `SELECT status, last_reply FROM newsletter_deliveries WHERE issue_id = $1 AND address = $2`,
		first, bad).Scan(&status, &reply); err != nil {
		t.Fatal(err)
	}
	if status != db.DeliveryFailed || !strings.HasPrefix(reply, "550 ") || !strings.Contains(reply, "No such user") {
		t.Errorf("refused delivery: %s %q, want failed with the server's reply", status, reply)
	}
	if suppressed() {
		t.Fatal("suppressed after one failure; the set count is 2")
	}
	e.issue("第2号")
	e.drain(s)
	if !suppressed() {
		t.Fatal("not suppressed after two failures in a row")
	}
	third := e.issue("第3号")
	if c := e.counts(third); c[db.DeliveryQueued] != 1 {
		t.Errorf("third issue queued %v, want only the good address", c)
	}
	e.drain(s)
	if got := e.received()[addrs[1]]; got != 3 {
		t.Errorf("good address received %d, want 3", got)
	}
	// Subscribing again (still confirmed) mails a confirmation, whose
	// button lifts the suppression without ever downgrading the subscription.
	var confirmFor int64
	if err := e.d.RequestSubscription(ctx, db.SubscriptionRequest{Email: bad, ListIDs: []int64{e.list}, Now: time.Now(),
		Confirm: func(id int64) *db.Mail {
			confirmFor = id
			return &db.Mail{To: bad, Subject: "確認", Body: "確認", Kind: "newsletter_confirm"}
		}}); err != nil {
		t.Fatal(err)
	}
	if confirmFor == 0 {
		t.Fatal("no confirmation mail for a suppressed address")
	}
	if _, susp, err := e.d.PendingLists(ctx, confirmFor); err != nil || !susp {
		t.Fatalf("PendingLists: suppressed %v, %v", susp, err)
	}
	var st string
	if err := e.d.Pool.QueryRow(ctx, `SELECT status FROM newsletter_subscriptions WHERE subscriber_id = $1`, confirmFor).Scan(&st); err != nil || st != db.SubConfirmed {
		t.Errorf("subscribing again turned the subscription %s", st)
	}
	if _, err := e.d.ConfirmSubscriptions(ctx, confirmFor, time.Now()); err != nil {
		t.Fatal(err)
	}
	if suppressed() {
		t.Error("confirming did not lift the suppression")
	}
}

func TestNewsletterCrashAfterAcceptanceIsNotResent(t *testing.T) {
	t.Parallel()
	e := newNLEnv(t)
	addrs := e.subscribe("c", 10)
	issue := e.issue("クラッシュのテスト")
	s := e.sender()
	var crashedOn int64
	s.crash = func(dl *db.Delivery, stage string) bool {
		if stage == "accepted" && dl.Address == addrs[3] {
			crashedOn = dl.ID
			return true
		}
		return false
	}
	if _, err := s.SendOnce(context.Background()); !errors.Is(err, errCrashed) {
		t.Fatalf("SendOnce = %v, want the simulated crash", err)
	}
	if got := len(e.be.messages()); got != 4 {
		t.Fatalf("before the crash the server took %d, want 4", got)
	}
	// A new process, after the dead one's lease has run out.
	e.clock.Advance(NewsletterLease + time.Second)
	e.drain(e.sender())
	e.exactlyOnce(addrs)
	c := e.counts(issue)
	if c[db.DeliverySent] != 9 || c[db.DeliveryUnknown] != 1 {
		t.Errorf("counts %v, want 9 sent and the crashed one unknown", c)
	}
	var status string
	if err := e.d.Pool.QueryRow(context.Background(), `SELECT status FROM newsletter_deliveries WHERE id = $1`, crashedOn).Scan(&status); err != nil || status != db.DeliveryUnknown {
		t.Errorf("crashed delivery %s, %v", status, err)
	}
}

func TestNewsletterCrashBeforeTheDotSendsNothingTwice(t *testing.T) {
	t.Parallel()
	e := newNLEnv(t)
	addrs := e.subscribe("d", 5)
	issue := e.issue("ドット前のクラッシュ")
	s := e.sender()
	s.crash = func(dl *db.Delivery, stage string) bool { return stage == "committed" && dl.Address == addrs[2] }
	if _, err := s.SendOnce(context.Background()); !errors.Is(err, errCrashed) {
		t.Fatalf("SendOnce = %v", err)
	}
	e.clock.Advance(NewsletterLease + time.Second)
	e.drain(e.sender())
	got := e.received()
	for i, a := range addrs {
		want := 1
		if i == 2 {
			want = 0 // committed, never ended: recorded unknown, not sent again
		}
		if got[a] != want {
			t.Errorf("%s received %d, want %d", a, got[a], want)
		}
	}
	if c := e.counts(issue); c[db.DeliverySent] != 4 || c[db.DeliveryUnknown] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestNewsletterTwoSendersDeliverEachOnce(t *testing.T) {
	t.Parallel()
	e := newNLEnv(t)
	addrs := e.subscribe("t", 120)
	issue := e.issue("二台で送る")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		s := e.sender()
		s.Batch = 7
		wg.Go(func() { _ = s.Run(ctx) })
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if e.counts(issue)[db.DeliverySent] == len(addrs) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	e.exactlyOnce(addrs)
	if c := e.counts(issue); c[db.DeliverySent] != len(addrs) {
		t.Errorf("counts %v", c)
	}
	// The retention job removes settled rows (addresses) past the period.
	if _, _, err := e.d.PurgeOlderThan(context.Background(), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c := e.counts(issue); c[db.DeliverySent] != len(addrs) {
		t.Errorf("rows within the period purged: %v", c)
	}
	if _, _, err := e.d.PurgeOlderThan(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c := e.counts(issue); len(c) != 0 {
		t.Errorf("settled rows past the period kept: %v", c)
	}
}

func TestNewsletterLinks(t *testing.T) {
	t.Parallel()
	l := NewsletterLinks{BaseURL: "https://p.example", Secret: strings.Repeat("s", 32)}
	tok := l.UnsubscribeToken(42, 7)
	if sub, iss, ok := l.ParseUnsubscribe(tok); !ok || sub != 42 || iss != 7 {
		t.Errorf("ParseUnsubscribe(%q) = %d %d %v", tok, sub, iss, ok)
	}
	for _, bad := range []string{"", tok + "x", "17.7." + strings.Split(tok, ".")[2], "a.b", "z.z.z.z"} {
		if _, _, ok := l.ParseUnsubscribe(bad); ok {
			t.Errorf("ParseUnsubscribe(%q) accepted", bad)
		}
	}
	other := NewsletterLinks{Secret: strings.Repeat("o", 32)}
	if _, _, ok := other.ParseUnsubscribe(tok); ok {
		t.Error("a token signed with another secret passes")
	}
	now := time.Now()
	c := l.ConfirmToken(9, now.Add(time.Hour))
	if sub, ok := l.ParseConfirm(c, now); !ok || sub != 9 {
		t.Errorf("ParseConfirm = %d %v", sub, ok)
	}
	if _, ok := l.ParseConfirm(c, now.Add(2*time.Hour)); ok {
		t.Error("expired confirmation accepted")
	}
	if _, _, ok := l.ParseUnsubscribe(c); ok {
		t.Error("a confirmation token passes as an unsubscribe token")
	}
}

func TestPacerSlowsDownAndRecovers(t *testing.T) {
	t.Parallel()
	p := newPacer(100) // 10 ms
	p.SlowDown()
	p.SlowDown()
	if p.Gap() != 40*time.Millisecond {
		t.Errorf("gap after two 4xx = %v, want 40ms", p.Gap())
	}
	for range 200 {
		p.SpeedUp()
	}
	if p.Gap() != 10*time.Millisecond {
		t.Errorf("gap after recovery = %v, want the base 10ms", p.Gap())
	}
	u := newPacer(0)
	u.SlowDown()
	if u.Gap() != throttleFirstGap {
		t.Errorf("unlimited pacer after a 4xx: %v", u.Gap())
	}
	for range 500 {
		u.SpeedUp()
	}
	if u.Gap() != 0 {
		t.Errorf("unlimited pacer never recovers: %v", u.Gap())
	}
}

func TestLoadNewsletterConfig(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := LoadNewsletterConfig(env(nil))
	if err != nil || c.Connections != DefaultNewsletterConnections || c.SuppressAfter != DefaultNewsletterSuppressAfter ||
		c.ApprovalOver != DefaultNewsletterApprovalOver || c.Rate != 0 {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	c, err = LoadNewsletterConfig(env(map[string]string{"PORTAL_NEWSLETTER_RATE": "14.5", "PORTAL_NEWSLETTER_APPROVAL_OVER": "0"}))
	if err != nil || c.Rate != 14.5 || c.ApprovalOver != 0 {
		t.Errorf("set: %+v, %v", c, err)
	}
	for k, v := range map[string]string{"PORTAL_NEWSLETTER_RATE": "-1", "PORTAL_NEWSLETTER_CONNECTIONS": "0",
		"PORTAL_NEWSLETTER_SUPPRESS_AFTER": "x", "PORTAL_NEWSLETTER_UNSUBSCRIBE_MAILTO": "not an address"} {
		if _, err := LoadNewsletterConfig(env(map[string]string{k: v})); err == nil {
			t.Errorf("%s=%q accepted", k, v)
		}
	}
}
