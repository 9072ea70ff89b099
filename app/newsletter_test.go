package app

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/wardportal/portal/app/apptest"
	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// firstNewsletterList is the first list, made when there is none (a new
// database has no list: the ward makes them).
func firstNewsletterList(t testing.TB, d *db.DB) int64 {
	t.Helper()
	var id *int64
	if err := d.Pool.QueryRow(context.Background(), `SELECT min(id) FROM newsletter_lists`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != nil {
		return *id
	}
	l := &db.NewsletterList{Name: "区からのお知らせ", Description: "区政の最新情報", Active: true}
	if err := d.SaveNewsletterList(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// newsletterFix is what the route walks need of the newsletter.
type newsletterFix struct {
	list                 int64
	confirm, unsubscribe string // addresses with valid tokens
	draft, waiting       int64  // issues
}

// newsletterFixture puts author in division div (with a work address for
// tests) and makes a pending and a confirmed visitor, a draft issue of author's and one of other's (also in
// div) awaiting approval.
func newsletterFixture(t testing.TB, e *testEnv, author, other *db.Account, div int64) newsletterFix {
	t.Helper()
	ctx := context.Background()
	f := newsletterFix{list: firstNewsletterList(t, e.db)}
	for _, acc := range []*db.Account{author, other} {
		if _, err := e.db.Pool.Exec(ctx, `INSERT INTO staff_divisions (account_id, division_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, acc.ID, div); err != nil {
			t.Fatal(err)
		}
	}
	// The author may send themselves a test.
	if _, err := e.db.Pool.Exec(ctx, `UPDATE accounts SET work_email = login_id || '@city.example.jp' WHERE id = $1 AND work_email = ''`, author.ID); err != nil {
		t.Fatal(err)
	}
	links := e.app.newsletterLinks()
	sub := func(email string, confirm bool) int64 {
		var id int64
		err := e.db.RequestSubscription(ctx, db.SubscriptionRequest{Email: email, ListIDs: []int64{f.list}, Now: time.Now(),
			Confirm: func(s int64) *db.Mail {
				id = s
				return &db.Mail{To: email, Subject: "確認", Body: "確認", Kind: "newsletter_confirm"}
			}})
		if err != nil {
			t.Fatal(err)
		}
		if confirm {
			if _, err := e.db.ConfirmSubscriptions(ctx, id, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	f.confirm = "/newsletter/confirm/" + links.ConfirmToken(sub("pending@example.jp", false), time.Now().Add(time.Hour))
	f.unsubscribe = "/newsletter/unsubscribe/" + links.UnsubscribeToken(sub("reader@example.jp", true), 0)
	issue := func(acc *db.Account, subject string) int64 {
		is := &db.NewsletterIssue{DivisionID: div, Subject: subject, Body: "## お知らせ\n\n本文です。"}
		if err := e.db.SaveNewsletterIssue(ctx, is, []int64{f.list}, acc); err != nil {
			t.Fatal(err)
		}
		return is.ID
	}
	f.draft = issue(author, "下書きの号")
	f.waiting = issue(other, "承認待ちの号")
	if st, err := e.db.RequestIssueSend(ctx, f.waiting, time.Now().Add(time.Hour), -1); err != nil || st != db.IssueAwaitingApproval {
		t.Fatalf("RequestIssueSend = %q, %v", st, err)
	}
	return f
}

// ---- an SMTP sink that keeps raw messages ----

type rawMsg struct {
	To   string
	Data []byte
}

type rawBox struct {
	mu   sync.Mutex
	msgs []rawMsg
}

func (b *rawBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &rawSession{b: b}, nil }

type rawSession struct {
	b  *rawBox
	to string
}

func (s *rawSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *rawSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *rawSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.msgs = append(s.b.msgs, rawMsg{To: s.to, Data: data})
	return nil
}
func (s *rawSession) Reset()        { s.to = "" }
func (s *rawSession) Logout() error { return nil }

// sendNewsletter runs the portal's newsletter sender (queuing what is due)
// against an SMTP server of the test until nothing is due, and returns the
// messages that arrived.
func (e *testEnv) sendNewsletter() []rawMsg {
	e.t.Helper()
	box := &rawBox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	s := e.app.NewsletterSender(worker.MailConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port,
		TLS: worker.TLSNone, From: "no-reply@portal.example"}, slog.New(slog.DiscardHandler))
	s.Now = func() time.Time { return time.Now().Add(time.Minute) }
	ctx := context.Background()
	if _, err := e.db.QueueDueIssues(ctx, s.Now()); err != nil {
		e.t.Fatal(err)
	}
	for {
		n, err := s.SendOnce(ctx)
		if err != nil {
			e.t.Fatalf("send: %v", err)
		}
		if n == 0 {
			break
		}
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	return box.msgs
}

// textPart is a newsletter message's decoded text/plain part.
func textPart(t *testing.T, raw []byte) (mail.Header, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, _ := io.ReadAll(p)
			dec, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return msg.Header, string(dec)
		}
	}
}

func subscriptionStatus(t *testing.T, d *db.DB, email string, list int64) string {
	t.Helper()
	var st string
	err := d.Pool.QueryRow(context.Background(), `SELECT ss.status FROM newsletter_subscriptions ss
		JOIN newsletter_subscribers s ON s.id = ss.subscriber_id WHERE s.email = $1 AND ss.list_id = $2`, email, list).Scan(&st)
	if err != nil {
		return "none"
	}
	return st
}

var confirmLinkRe = regexp.MustCompile(`/newsletter/confirm/[A-Za-z0-9_.-]+`)

// ---- tests ----

func TestNewsletterDoubleOptInWithOneClickConfirmation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	list := firstNewsletterList(t, e.db)
	visitor := e.client()
	subscribe := func(email string) *response {
		tok := visitor.get("/newsletter").csrfToken(t)
		return visitor.post("/newsletter", url.Values{"_csrf": {tok}, "email": {email}, "lists": {strconv.FormatInt(list, 10)}})
	}

	// Bad input: the message next to the field, the address kept.
	tok := visitor.get("/newsletter").csrfToken(t)
	res := visitor.post("/newsletter", url.Values{"_csrf": {tok}, "email": {"not-an-address"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if v, _ := res.Doc.Find(`input[name="email"]`).Attr("value"); v != "not-an-address" {
		t.Errorf("typed address not kept: %q", v)
	}
	if res.Doc.Find("#f-email-error, .field-error").Length() == 0 && !strings.Contains(res.Body, "メールアドレス") {
		t.Errorf("no message next to the field:\n%s", res.Body)
	}

	first := subscribe("Hanako@Example.JP")
	first.wantStatus(t, http.StatusOK)
	if st := subscriptionStatus(t, e.db, "hanako@example.jp", list); st != db.SubPending {
		t.Fatalf("after subscribing: %s, want pending", st)
	}
	mails := e.deliverOutbox()
	if len(mails) != 1 || !strings.EqualFold(mails[0].To, "hanako@example.jp") {
		t.Fatalf("confirmation mails: %+v", mails)
	}
	link := confirmLinkRe.FindString(mails[0].Body)
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", mails[0].Body)
	}

	// Opening the link (as a mail scanner does) confirms nothing.
	page := e.client().get(link)
	page.wantStatus(t, http.StatusOK)
	if st := subscriptionStatus(t, e.db, "hanako@example.jp", list); st != db.SubPending {
		t.Fatalf("opening the link changed the subscription to %s", st)
	}
	forms := page.Doc.Find(`main form[method="post"]`)
	if forms.Length() != 1 || forms.Find("button").Length() != 1 {
		t.Fatalf("the confirmation page should have one form with one button:\n%s", page.Body)
	}
	action, _ := forms.Attr("action")
	c := e.client()
	c.get(link)
	c.post(action, url.Values{"_csrf": {c.get(link).csrfToken(t)}}).wantStatus(t, http.StatusOK)
	if st := subscriptionStatus(t, e.db, "hanako@example.jp", list); st != db.SubConfirmed {
		t.Fatalf("after the button: %s, want confirmed", st)
	}

	// Subscribing again never downgrades, sends no mail, and answers exactly
	// as for an unknown address: nobody learns who subscribes.
	again := subscribe("hanako@example.jp")
	if st := subscriptionStatus(t, e.db, "hanako@example.jp", list); st != db.SubConfirmed {
		t.Errorf("subscribing again turned a confirmed address into %s", st)
	}
	if more := e.deliverOutbox(); len(more) != 0 {
		t.Errorf("subscribing a confirmed address again mailed %d", len(more))
	}
	stranger := subscribe("stranger@example.jp")
	if again.StatusCode != stranger.StatusCode || again.Doc.Find("main").Text() != stranger.Doc.Find("main").Text() {
		t.Errorf("answers differ for a subscribed and an unknown address:\n%s\n---\n%s", again.Doc.Find("main").Text(), stranger.Doc.Find("main").Text())
	}
	// An old confirmation link, used again, changes nothing.
	c.post(action, url.Values{"_csrf": {c.get(link).csrfToken(t)}}).wantStatus(t, http.StatusOK)
	if st := subscriptionStatus(t, e.db, "hanako@example.jp", list); st != db.SubConfirmed {
		t.Errorf("second confirmation: %s", st)
	}
	// A forged token is no page.
	e.client().get("/newsletter/confirm/1.zzz.forged").wantStatus(t, http.StatusNotFound)
}

func TestNewsletterUnsubscribeByOneClickPostAndByVisibleLink(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ward := e.staffAccount("ward-n", db.RoleWardStaff)
	var div int64
	if err := e.db.Pool.QueryRow(ctx, `INSERT INTO divisions (code, name) VALUES ('kouhou-n', '広報課') RETURNING id`).Scan(&div); err != nil {
		t.Fatal(err)
	}
	f := newsletterFixture(t, e, ward, e.staffAccount("ed-n", db.RoleEditor), div)
	for _, addr := range []string{"one@example.jp", "two@example.jp"} {
		var id int64
		if err := e.db.RequestSubscription(ctx, db.SubscriptionRequest{Email: addr, ListIDs: []int64{f.list}, Now: time.Now(),
			Confirm: func(s int64) *db.Mail {
				id = s
				return &db.Mail{To: addr, Subject: "確認", Body: "確認", Kind: "x"}
			}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.ConfirmSubscriptions(ctx, id, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.RequestIssueSend(ctx, f.draft, time.Now(), 1000); err != nil {
		t.Fatal(err)
	}
	msgs := e.sendNewsletter()
	byAddr := map[string][]byte{}
	for _, m := range msgs {
		byAddr[strings.Trim(m.To, "<>")] = m.Data
	}
	if len(msgs) != 3 || byAddr["one@example.jp"] == nil || byAddr["two@example.jp"] == nil || byAddr["reader@example.jp"] == nil {
		t.Fatalf("delivered %d messages to %d addresses, want one each to the three subscribers", len(msgs), len(byAddr))
	}

	// RFC 8058: the provider POSTs List-Unsubscribe=One-Click to the header's
	// HTTPS link, with no cookie and no token: unsubscribed at once.
	h, _ := textPart(t, byAddr["one@example.jp"])
	if h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", h.Get("List-Unsubscribe-Post"))
	}
	lu := h.Get("List-Unsubscribe")
	https := lu[strings.Index(lu, "<")+1 : strings.Index(lu, ">")]
	if !strings.HasPrefix(https, testConfig().BaseURL+"/newsletter/unsubscribe/") || !strings.Contains(lu, "<mailto:") {
		t.Fatalf("List-Unsubscribe = %q", lu)
	}
	path := strings.TrimPrefix(https, testConfig().BaseURL)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+path, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := apptest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("one-click POST: %d", res.StatusCode)
	}
	if st := subscriptionStatus(t, e.db, "one@example.jp", f.list); st != db.SubUnsubscribed {
		t.Errorf("after the one-click POST: %s", st)
	}

	// The visible link: GET shows one button and changes nothing; the button
	// unsubscribes.
	_, text := textPart(t, byAddr["two@example.jp"])
	m := regexp.MustCompile(`/newsletter/unsubscribe/[A-Za-z0-9_.-]+`).FindString(text)
	if m == "" {
		t.Fatalf("no visible unsubscribe link in:\n%s", text)
	}
	c := e.client()
	page := c.get(m)
	page.wantStatus(t, http.StatusOK)
	if st := subscriptionStatus(t, e.db, "two@example.jp", f.list); st != db.SubConfirmed {
		t.Fatalf("opening the visible link changed the subscription to %s", st)
	}
	form := page.Doc.Find(`main form[method="post"]`)
	if form.Length() != 1 || form.Find("button").Length() != 1 {
		t.Fatalf("want one form with one button:\n%s", page.Body)
	}
	action, _ := form.Attr("action")
	c.post(action, url.Values{}).wantStatus(t, http.StatusOK)
	if st := subscriptionStatus(t, e.db, "two@example.jp", f.list); st != db.SubUnsubscribed {
		t.Errorf("after the button: %s", st)
	}
	// A forged link unsubscribes nobody.
	e.client().post("/newsletter/unsubscribe/1.0.forged", url.Values{}).wantStatus(t, http.StatusNotFound)
}

func TestMemberSubscribesFromAccountInOneClick(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	list := firstNewsletterList(t, e.db)
	acc := e.memberAccount("M7100001", "めるまが")
	m := e.client()
	m.signIn("M7100001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	page := m.get("/account")
	btn := page.Doc.Find(`#newsletter-section button[value="subscribe"]`)
	if btn.Length() != 1 {
		t.Fatalf("no subscribe button on /account:\n%s", page.Body)
	}
	res := m.post("/account/newsletter", url.Values{"_csrf": {page.csrfToken(t)}, "list": {strconv.FormatInt(list, 10)}, "action": {"subscribe"}})
	res.wantStatus(t, http.StatusSeeOther)
	subs, err := e.db.MemberSubscriptions(context.Background(), acc.ID)
	if err != nil || subs[list] != db.SubConfirmed {
		t.Fatalf("after one click: %v, %v", subs, err)
	}
	page = m.get("/account")
	if page.Doc.Find(`#newsletter-section button[value="unsubscribe"]`).Length() != 1 {
		t.Errorf("no unsubscribe button once subscribed")
	}
	// The member's data download tells when they subscribed.
	if data := m.get("/account/data"); !strings.Contains(data.Body, "newsletter_since") {
		t.Errorf("data download lacks the subscription: %.300s", data.Body)
	}
	m.post("/account/newsletter", url.Values{"_csrf": {page.csrfToken(t)}, "list": {strconv.FormatInt(list, 10)}, "action": {"unsubscribe"}}).
		wantStatus(t, http.StatusSeeOther)
	if subs, _ := e.db.MemberSubscriptions(context.Background(), acc.ID); subs[list] != db.SubUnsubscribed {
		t.Errorf("after unsubscribing: %v", subs)
	}
	m.post("/account/newsletter", url.Values{"_csrf": {page.csrfToken(t)}, "list": {"999999"}, "action": {"subscribe"}}).
		wantStatus(t, http.StatusNotFound)
}

func TestStaffComposePreviewTestSendScheduleAndApproval(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Newsletter.ApprovalOver = 1
	e := newTestEnvConfig(t, dbtest.New(t), cfg)
	ctx := context.Background()
	ward := e.staffAccount("ward-c", db.RoleWardStaff)
	approver := e.staffAccount("appr-c", db.RoleApprover)
	var div int64
	if err := e.db.Pool.QueryRow(ctx, `INSERT INTO divisions (code, name) VALUES ('kouhou-c', '広報課') RETURNING id`).Scan(&div); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool.Exec(ctx, `UPDATE accounts SET work_email = 'ward-c@city.example.jp' WHERE id = $1`, ward.ID); err != nil {
		t.Fatal(err)
	}
	f := newsletterFixture(t, e, ward, approver, div) // two confirmed-or-pending visitors; one confirmed
	member := e.memberAccount("M7200001", "こうどく")
	if err := e.db.SetMemberSubscription(ctx, member.ID, f.list, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := e.client()
	s.signIn("ward-c", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	tok := s.get("/staff/newsletter/new").csrfToken(t)
	listID := strconv.FormatInt(f.list, 10)
	divID := strconv.FormatInt(div, 10)

	// Invalid: 422, typed values kept, message next to the field.
	res := s.post("/staff/newsletter/new", url.Values{"_csrf": {tok}, "division": {divID}, "subject": {""}, "body": {"本文だけ"}, "lists": {listID}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find(`textarea[name="body"]`).Text() != "本文だけ" {
		t.Errorf("typed body lost")
	}
	res = s.post("/staff/newsletter/new", url.Values{"_csrf": {tok}, "division": {divID}, "subject": {"区報 1月号"},
		"body": {"## 新年のごあいさつ\n\n[区のサイト](https://www.city.example.jp/)"}, "lists": {listID}})
	res.wantStatus(t, http.StatusSeeOther)
	loc := strings.TrimSuffix(res.Header.Get("Location"), "#preview")
	page := s.get(loc)
	page.wantStatus(t, http.StatusOK)
	if page.Doc.Find("#issue-preview h3").Text() != "新年のごあいさつ" {
		t.Errorf("preview lacks the rendered body:\n%s", page.Body)
	}
	if got := page.Doc.Find("#issue-audience").Text(); got != "2" {
		t.Errorf("audience = %q, want 2 (the confirmed visitor and the member)", got)
	}

	// Test send to themselves.
	s.post(loc+"/test", url.Values{"_csrf": {page.csrfToken(t)}}).wantStatus(t, http.StatusSeeOther)
	msgs := e.sendNewsletter()
	if len(msgs) != 1 || !strings.Contains(msgs[0].To, "ward-c@city.example.jp") {
		t.Fatalf("test send: %+v", msgs)
	}
	// The sender encodes headers as RFC 2047 base64 words (EncodingB64).
	h, _ := textPart(t, msgs[0].Data)
	if subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subj != "[TEST] 区報 1月号" {
		t.Errorf("test subject %q (raw %q, %v), want \"[TEST] 区報 1月号\"", subj, h.Get("Subject"), err)
	}

	// Schedule: a past time is refused next to the field; the audience (2)
	// exceeds the approval size (1), so it waits for the approver.
	page = s.get(loc)
	res = s.post(loc+"/send", url.Values{"_csrf": {page.csrfToken(t)}, "when": {"schedule"}, "send_date": {"2020-01-01"}, "send_time": {"09:00"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if v, _ := res.Doc.Find(`input[name="send_date"]`).Attr("value"); v != "2020-01-01" {
		t.Errorf("typed date lost: %q", v)
	}
	at := time.Now().In(time.FixedZone("JST", 9*3600)).Add(48 * time.Hour)
	s.post(loc+"/send", url.Values{"_csrf": {page.csrfToken(t)}, "when": {"schedule"}, "send_date": {at.Format("2006-01-02")}, "send_time": {"09:00"}}).
		wantStatus(t, http.StatusSeeOther)
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/staff/newsletter/"), 10, 64)
	is, err := e.db.NewsletterIssue(ctx, id)
	if err != nil || is.Status != db.IssueAwaitingApproval || is.SendAt == nil {
		t.Fatalf("after scheduling: %+v, %v", is, err)
	}
	// The author cannot approve; an approver of the division can.
	if err := e.db.ApproveIssue(ctx, id, ward, time.Now()); err == nil {
		t.Error("the ward staff (no approver) approved")
	}
	a := e.client()
	a.signIn("appr-c", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	ap := a.get(loc)
	if ap.Doc.Find(`form[action$="/approve"]`).Length() != 1 {
		t.Fatalf("no approve form for the division's approver:\n%s", ap.Body)
	}
	a.post(loc+"/approve", url.Values{"_csrf": {ap.csrfToken(t)}}).wantStatus(t, http.StatusSeeOther)
	if is, _ := e.db.NewsletterIssue(ctx, id); is.Status != db.IssueScheduled || is.ApprovedBy == nil || *is.ApprovedBy != approver.ID {
		t.Errorf("after approval: %+v", is)
	}
	// Not due yet: nothing goes.
	if msgs := e.sendNewsletter(); len(msgs) != 0 {
		t.Errorf("a scheduled issue went early: %d", len(msgs))
	}
	// A draft cannot be changed once scheduled.
	s.post(loc, url.Values{"_csrf": {page.csrfToken(t)}, "division": {divID}, "subject": {"変更"}, "body": {"x"}, "lists": {listID}}).
		wantStatus(t, http.StatusConflict)
	list := s.get("/staff/newsletter")
	if !strings.Contains(list.Doc.Find("#newsletter-issues").Text(), "区報 1月号") {
		t.Errorf("issue missing from the list")
	}
}

func TestNewsletterListsKeptByWardStaff(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.staffAccount("ward-l", db.RoleWardStaff)
	s := e.client()
	s.signIn("ward-l", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	tok := s.get("/staff/newsletter/lists").csrfToken(t)
	s.post("/staff/newsletter/lists", url.Values{"_csrf": {tok}, "name": {"防災情報"}, "description": {"災害時の情報"}}).wantStatus(t, http.StatusSeeOther)
	res := s.post("/staff/newsletter/lists", url.Values{"_csrf": {tok}, "name": {"防災情報"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if v, _ := res.Doc.Find(`input[name="name"]`).Attr("value"); v != "防災情報" {
		t.Errorf("typed name lost")
	}
	lists, err := e.db.NewsletterLists(context.Background(), true)
	if err != nil || len(lists) != 1 {
		t.Fatalf("lists %v, %v", lists, err)
	}
	var id int64
	for _, l := range lists {
		if l.Name == "防災情報" {
			id = l.ID
		}
	}
	// Stop offering it: it leaves the public form.
	s.post("/staff/newsletter/lists/"+strconv.FormatInt(id, 10), url.Values{"_csrf": {tok}, "name": {"防災情報"}}).wantStatus(t, http.StatusSeeOther)
	if strings.Contains(e.client().get("/newsletter").Body, "防災情報") {
		t.Error("an inactive list is still offered")
	}
}
