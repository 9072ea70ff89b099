package worker

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// ---- an in-process SMTP server ----

type received struct {
	From string
	To   []string
	Data []byte
}

// backend records what it accepts; it can be told to refuse.
type backend struct {
	mu        sync.Mutex
	msgs      []received
	tempFails int             // answer 451 to the next tempFails deliveries
	tempAt    string          // "rcpt" or "data": where the 451 comes
	permFail  bool            // answer 550 to every RCPT TO
	tempCode  int             // the code of the planned temporary failures; 451 when 0
	refuse    map[string]bool // answer 550 to RCPT TO these addresses
	user      string          // when set, AUTH PLAIN with user/pass is required
	pass      string
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

func (b *backend) failNext(n int, at string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tempFails, b.tempAt = n, at
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

// tempFail uses up one of the 451s planned at stage at.
func (b *backend) tempFail(at string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tempFails > 0 && b.tempAt == at {
		b.tempFails--
		code := b.tempCode
		if code == 0 {
			code = 451
		}
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"}
	}
	return nil
}

type session struct {
	b      *backend
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	perm := s.b.permFail || s.b.refuse[strings.Trim(to, "<>")]
	s.b.mu.Unlock()
	if perm {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	if err := s.b.tempFail("rcpt"); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.b.tempFail("data"); err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, received{From: s.from, To: s.to, Data: data})
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// startSMTP runs a server on 127.0.0.1:0 for the test and returns a config
// that reaches it without TLS.
func startSMTP(t *testing.T, be *backend, tlsConf *tls.Config) MailConfig {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = tlsConf
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return MailConfig{
		Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: TLSNone,
		From: "区民活動ポータル <no-reply@portal.example>",
	}
}

// ---- a clock the test moves ----

type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts a minute ahead of the database's now(), so mail enqueued
// with the default next_attempt_at is due however slowly the test runs.
func newClock() *clock { return &clock{t: time.Now().Add(time.Minute)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ---- helpers ----

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newSender(d *db.DB, cfg MailConfig, c *clock) *MailSender {
	s := NewMailSender(d, cfg, quietLog())
	s.Now = c.Now
	return s
}

func enqueue(t *testing.T, d *db.DB, ms ...*db.Mail) {
	t.Helper()
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		for _, m := range ms {
			if err := db.EnqueueMail(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func getMail(t *testing.T, d *db.DB, id int64) *db.Mail {
	t.Helper()
	m, err := d.GetMail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sendOnce(t *testing.T, s *MailSender) int {
	t.Helper()
	n, err := s.SendOnce(context.Background())
	if err != nil {
		t.Fatalf("SendOnce: %v", err)
	}
	return n
}

type parsed struct {
	Header  mail.Header
	Subject string
	Body    string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", msg.Header.Get("Subject"), err)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); strings.EqualFold(cte, "base64") {
		body, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
		if err != nil {
			t.Fatalf("decode body: %v", err)
		}
	} else {
		t.Errorf("Content-Transfer-Encoding = %q, want base64", cte)
	}
	return parsed{Header: msg.Header, Subject: subject, Body: string(body)}
}

// ---- tests ----

func TestRolledBackMailIsNeverSent(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	be := &backend{}
	s := newSender(d, startSMTP(t, be, nil), newClock())

	errRollback := errors.New("roll back")
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		for i := range 3 {
			m := &db.Mail{To: fmt.Sprintf("r%d@example.jp", i), Subject: "件名", Body: "本文", Kind: "test"}
			if err := db.EnqueueMail(ctx, tx, m); err != nil {
				return err
			}
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v", err)
	}
	if n := sendOnce(t, s); n != 0 {
		t.Errorf("sent %d", n)
	}
	if got := be.messages(); len(got) != 0 {
		t.Errorf("server received %d messages", len(got))
	}
	p, err := d.ListMail(context.Background(), db.Cursor{}, 10)
	if err != nil || len(p.Items) != 0 {
		t.Errorf("outbox after rollback: %d rows, %v", len(p.Items), err)
	}
}

func TestCommittedMailIsDeliveredOnce(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	be := &backend{}
	c := newClock()
	cfg := startSMTP(t, be, nil)
	s := newSender(d, cfg, c)

	subject := "【区民活動ポータル】仮登録を受け付けました　ご確認ください（第１報）"
	body := "山田 太郎 様\n\nご登録ありがとうございます。\n区と運営事務局の確認をお待ちください。\n\n-- \n区民活動ポータル"
	m := &db.Mail{To: "taro@example.jp", Subject: subject, Body: body, Kind: "registration"}
	enqueue(t, d, m)
	if m.ID == 0 || m.CreatedAt.IsZero() {
		t.Fatalf("enqueue did not fill id/created_at: %+v", m)
	}

	if n := sendOnce(t, s); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	if n := sendOnce(t, s); n != 0 {
		t.Errorf("second round sent %d more", n)
	}
	c.Advance(3 * time.Hour)
	if n := sendOnce(t, s); n != 0 {
		t.Errorf("a later round sent %d more", n)
	}

	got := be.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "no-reply@portal.example" || len(r.To) != 1 || r.To[0] != "taro@example.jp" {
		t.Errorf("envelope from %q to %q", r.From, r.To)
	}
	p := parse(t, r.Data)
	if p.Subject != subject {
		t.Errorf("subject = %q, want %q", p.Subject, subject)
	}
	if raw := p.Header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") {
		t.Errorf("subject not MIME-encoded: %q", raw)
	}
	if p.Body != strings.ReplaceAll(body, "\n", "\r\n") {
		t.Errorf("body = %q", p.Body)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "charset=utf-8") {
		t.Errorf("Content-Type = %q", ct)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "taro@example.jp" {
		t.Errorf("To = %v, %v", to, err)
	}
	from, err := p.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "no-reply@portal.example" || from[0].Name != "区民活動ポータル" {
		t.Errorf("From = %v, %v", from, err)
	}
	if id := p.Header.Get("Message-ID"); !strings.HasPrefix(id, "<portal-mail.") || !strings.HasSuffix(id, "@portal.example>") {
		t.Errorf("Message-ID = %q", id)
	}
	if p.Header.Get("Date") == "" || p.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Date %q, Auto-Submitted %q", p.Header.Get("Date"), p.Header.Get("Auto-Submitted"))
	}

	row := getMail(t, d, m.ID)
	if row.Status() != db.MailSent || row.SentAt == nil || row.Attempts != 1 || row.FailedAt != nil {
		t.Errorf("row after delivery: %+v", row)
	}
}

func TestTemporaryFailureIsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	for _, at := range []string{"rcpt", "data"} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			d := dbtest.New(t)
			be := &backend{}
			be.failNext(2, at)
			c := newClock()
			s := newSender(d, startSMTP(t, be, nil), c)
			m := &db.Mail{To: "hanako@example.jp", Subject: "イベント申込のお知らせ", Body: "本文", Kind: "event_signup"}
			enqueue(t, d, m)

			// First try: 451, retry in a minute.
			if n := sendOnce(t, s); n != 0 {
				t.Fatalf("sent %d despite 451", n)
			}
			row := getMail(t, d, m.ID)
			if row.Status() != db.MailWaiting || row.Attempts != 1 || !strings.Contains(row.LastError, "451") {
				t.Fatalf("after first 451: %+v", row)
			}
			if want := c.Now().Add(time.Minute); !row.NextAttemptAt.Equal(want.Truncate(time.Microsecond)) {
				t.Errorf("next attempt %v, want %v", row.NextAttemptAt, want)
			}

			// Not due yet.
			c.Advance(59 * time.Second)
			if n := sendOnce(t, s); n != 0 || getMail(t, d, m.ID).Attempts != 1 {
				t.Fatalf("retried before the backoff")
			}

			// Second try: 451 again, now two minutes.
			c.Advance(time.Second)
			if n := sendOnce(t, s); n != 0 {
				t.Fatalf("sent %d despite second 451", n)
			}
			row = getMail(t, d, m.ID)
			if row.Attempts != 2 || !row.NextAttemptAt.Equal(c.Now().Add(2*time.Minute).Truncate(time.Microsecond)) {
				t.Fatalf("after second 451: attempts %d next %v", row.Attempts, row.NextAttemptAt)
			}
			c.Advance(time.Minute)
			if n := sendOnce(t, s); n != 0 {
				t.Fatalf("retried before the second backoff")
			}

			// Third try goes through.
			c.Advance(time.Minute)
			if n := sendOnce(t, s); n != 1 {
				t.Fatalf("third try sent %d", n)
			}
			row = getMail(t, d, m.ID)
			if row.Status() != db.MailSent || row.Attempts != 3 || row.FailedAt != nil {
				t.Errorf("after delivery: %+v", row)
			}
			if got := be.messages(); len(got) != 1 {
				t.Errorf("server received %d messages, want 1", len(got))
			} else if p := parse(t, got[0].Data); p.Subject != m.Subject {
				t.Errorf("subject %q", p.Subject)
			}
		})
	}
}

func TestPermanentRejectionIsRecordedNotDeleted(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	be := &backend{permFail: true}
	c := newClock()
	s := newSender(d, startSMTP(t, be, nil), c)
	bad := &db.Mail{To: "nobody@example.jp", Subject: "パスワード再設定", Body: "本文", Kind: "password_reset"}
	enqueue(t, d, bad)

	if n := sendOnce(t, s); n != 0 {
		t.Fatalf("sent %d", n)
	}
	row := getMail(t, d, bad.ID)
	if row.Status() != db.MailFailed || row.FailedAt == nil || row.SentAt != nil || !strings.Contains(row.LastError, "550") {
		t.Fatalf("after 550: %+v", row)
	}

	// Never tried again, and the row stays for staff to read.
	c.Advance(24 * time.Hour)
	if n := sendOnce(t, s); n != 0 {
		t.Errorf("sent %d later", n)
	}
	if row := getMail(t, d, bad.ID); row.Attempts != 1 || row.Body != "本文" {
		t.Errorf("failed mail changed: %+v", row)
	}

	// The rejection of one mail does not hold up the next.
	be.mu.Lock()
	be.permFail = false
	be.mu.Unlock()
	good := &db.Mail{To: "ok@example.jp", Subject: "ok", Body: "ok", Kind: "test"}
	enqueue(t, d, good)
	if n := sendOnce(t, s); n != 1 {
		t.Errorf("next mail: sent %d", n)
	}
}

// A mail's secret (a reset link's token) is put into the body only on the
// way out: it survives a retry, is gone once the mail is sent or rejected for
// good, and a mail whose secret is no longer held (a handover leaves secrets
// out) is failed rather than sent with a link that does not work.
func TestSecretIsSentOnceAndThenForgotten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	be := &backend{}
	c := newClock()
	s := newSender(d, startSMTP(t, be, nil), c)
	body := "再設定用のリンク:\nhttps://portal.example/password/reset/" + db.SecretMark + "\n"
	secrets := func() int {
		n, err := d.Bun.NewSelect().Table("mail_secrets").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}

	m := &db.Mail{To: "hanako@example.jp", Subject: "再設定", Body: body, Kind: "reset", Secret: "TOKEN-abc_123"}
	enqueue(t, d, m)
	if row := getMail(t, d, m.ID); row.Body != body || !row.SecretWithheld || row.Secret != "" {
		t.Fatalf("stored mail %+v", row)
	}
	be.failNext(1, "data")
	if n := sendOnce(t, s); n != 0 || secrets() != 1 {
		t.Fatalf("after a 451: sent %d, %d secrets held", n, secrets())
	}
	c.Advance(time.Hour)
	if n := sendOnce(t, s); n != 1 {
		t.Fatalf("retry sent %d", n)
	}
	got := be.messages()
	if len(got) != 1 || parse(t, got[0].Data).Body != strings.ReplaceAll(strings.Replace(body, db.SecretMark, "TOKEN-abc_123", 1), "\n", "\r\n") {
		t.Fatalf("delivered %+v", got)
	}
	if row := getMail(t, d, m.ID); row.Status() != db.MailSent || row.Body != body || secrets() != 0 {
		t.Errorf("after delivery: %+v, %d secrets held", row, secrets())
	}

	// Rejected for good: the secret goes too.
	be.mu.Lock()
	be.permFail = true
	be.mu.Unlock()
	rejected := &db.Mail{To: "nobody@example.jp", Subject: "再設定", Body: body, Kind: "reset", Secret: "TOKEN-def"}
	enqueue(t, d, rejected)
	sendOnce(t, s)
	if row := getMail(t, d, rejected.ID); row.Status() != db.MailFailed || secrets() != 0 {
		t.Errorf("after a 550: %+v, %d secrets held", row, secrets())
	}
	be.mu.Lock()
	be.permFail = false
	be.mu.Unlock()

	// Its secret lost: failed, never sent with the mark in the link.
	lost := &db.Mail{To: "hanako@example.jp", Subject: "再設定", Body: body, Kind: "reset", Secret: "TOKEN-ghi"}
	enqueue(t, d, lost)
	if _, err := d.Pool.Exec(ctx, `DELETE FROM mail_secrets`); err != nil {
		t.Fatal(err)
	}
	if n := sendOnce(t, s); n != 0 || len(be.messages()) != 1 {
		t.Errorf("a mail without its secret was sent")
	}
	if row := getMail(t, d, lost.ID); row.Status() != db.MailFailed || !strings.Contains(row.LastError, "secret") {
		t.Errorf("a mail without its secret: %+v", row)
	}

	// A secret needs exactly one place in the body.
	err := db.EnqueueMail(ctx, d.Bun, &db.Mail{To: "a@example.jp", Subject: "s", Body: "no mark", Kind: "reset", Secret: "x"})
	if err == nil {
		t.Error("a secret without its mark was enqueued")
	}
}

func TestUnusableAddressFailsWithoutBotheringTheServer(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	be := &backend{}
	c := newClock()
	s := newSender(d, startSMTP(t, be, nil), c)
	bad := &db.Mail{To: "山田 太郎", Subject: "s", Body: "b", Kind: "test"}
	good := &db.Mail{To: "ok@example.jp", Subject: "s", Body: "b", Kind: "test"}
	enqueue(t, d, bad, good)
	if n := sendOnce(t, s); n != 1 {
		t.Errorf("sent %d, want the good one", n)
	}
	if row := getMail(t, d, bad.ID); row.Status() != db.MailFailed || !strings.Contains(row.LastError, "recipient address") {
		t.Errorf("bad address: %+v", row)
	}
	if got := be.messages(); len(got) != 1 || got[0].To[0] != "ok@example.jp" {
		t.Errorf("server received %+v", got)
	}
}

func TestUnreachableServerIsRetried(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close() // nothing listens there now
	c := newClock()
	s := newSender(d, MailConfig{Host: "127.0.0.1", Port: port, TLS: TLSNone, From: "no-reply@localhost"}, c)
	m := &db.Mail{To: "a@example.jp", Subject: "s", Body: "b", Kind: "test"}
	enqueue(t, d, m)

	if _, err := s.SendOnce(context.Background()); err == nil {
		t.Error("SendOnce reported no error with the server down")
	}
	row := getMail(t, d, m.ID)
	if row.Status() != db.MailWaiting || row.Attempts != 1 || row.LastError == "" ||
		!row.NextAttemptAt.Equal(c.Now().Add(time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("after a refused connection: %+v", row)
	}
}

func TestTwoSendersDeliverEachMailExactlyOnce(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	be := &backend{}
	cfg := startSMTP(t, be, nil)
	const total = 50
	ms := make([]*db.Mail, total)
	for i := range ms {
		ms[i] = &db.Mail{To: fmt.Sprintf("m%02d@example.jp", i), Subject: fmt.Sprintf("お知らせ %02d", i), Body: "本文", Kind: "test"}
	}
	enqueue(t, d, ms...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newClock()
	var wg sync.WaitGroup
	senders := make([]*MailSender, 2)
	for i := range senders {
		s := newSender(d, cfg, c)
		s.Batch = 4
		s.Poll = 10 * time.Millisecond
		senders[i] = s
		wg.Go(func() { _ = s.Run(ctx) })
	}
	for _, s := range senders {
		s.Kick()
	}

	deadline := time.Now().Add(30 * time.Second)
	for len(be.messages()) < total && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a duplicate to show up
	cancel()
	wg.Wait()

	seen := map[string]int{}
	for _, r := range be.messages() {
		seen[parse(t, r.Data).Subject]++
	}
	for _, m := range ms {
		if seen[m.Subject] != 1 {
			t.Errorf("%q delivered %d times", m.Subject, seen[m.Subject])
		}
		if row := getMail(t, d, m.ID); row.Status() != db.MailSent || row.Attempts != 1 {
			t.Errorf("mail %d: status %s attempts %d", m.ID, row.Status(), row.Attempts)
		}
	}
	if n := len(be.messages()); n != total {
		t.Errorf("server received %d messages, want %d", n, total)
	}
}

func TestStartTLSWithAuth(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	cert, pool := selfSigned(t)
	be := &backend{user: "portal", pass: "s3cret pass"}
	cfg := startSMTP(t, be, &tls.Config{Certificates: []tls.Certificate{cert}})
	cfg.TLS, cfg.Username, cfg.Password = TLSStartTLS, "portal", "s3cret pass"
	c := newClock()
	s := newSender(d, cfg, c)
	s.tlsConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	m := &db.Mail{To: "a@example.jp", Subject: "認証つき送信", Body: "本文", Kind: "test"}
	enqueue(t, d, m)
	if n := sendOnce(t, s); n != 1 {
		t.Fatalf("sent %d", n)
	}

	// A wrong password is our mistake, not the mail's: it waits, it is not failed.
	s.cfg.Password = "wrong"
	m2 := &db.Mail{To: "b@example.jp", Subject: "x", Body: "y", Kind: "test"}
	enqueue(t, d, m2)
	if _, err := s.SendOnce(context.Background()); err == nil {
		t.Error("no error with a wrong password")
	}
	if row := getMail(t, d, m2.ID); row.Status() != db.MailWaiting {
		t.Errorf("wrong password: %+v", row)
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// With no SMTP configured the portal has no sender (nil) and may still
// kick it after enqueuing mail: a no-op, not a panic, and the mail stays
// in the outbox for /staff/mail.
func TestKickOnNilSender(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	m := &db.Mail{To: "a@example.jp", Subject: "s", Body: "b", Kind: "test"}
	enqueue(t, d, m)
	before := getMail(t, d, m.ID)
	var s *MailSender
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Kick on a nil sender panicked: %v", r)
			}
		}()
		s.Kick()
		s.Kick()
	}()
	after := getMail(t, d, m.ID)
	if after.Status() != db.MailWaiting || after.Attempts != before.Attempts || !after.NextAttemptAt.Equal(before.NextAttemptAt) {
		t.Errorf("a nil sender's Kick touched the outbox: before %+v, after %+v", before, after)
	}
}

// Kick never blocks, whether or not Run is listening, and wakes a running
// sender at once rather than at its next poll.
func TestKickWakesRun(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	be := &backend{}
	cfg := startSMTP(t, be, nil)

	// Nobody runs this sender: kicks find nobody listening and return.
	idle := newSender(d, cfg, newClock())
	returned := make(chan struct{})
	go func() {
		for range 3 {
			idle.Kick()
		}
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(30 * time.Second):
		t.Fatal("Kick blocked with no Run listening")
	}

	s := newSender(d, cfg, newClock())
	s.Poll = time.Hour // only a Kick can make it look again within the test
	first := &db.Mail{To: "a@example.jp", Subject: "first", Body: "b", Kind: "test"}
	enqueue(t, d, first)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = s.Run(ctx)
	}()
	defer func() {
		cancel()
		<-stopped
	}()
	delivered := func(n int) bool {
		deadline := time.Now().Add(30 * time.Second)
		for len(be.messages()) < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		return len(be.messages()) >= n
	}
	// Run looks once as it starts, then waits for the poll or a Kick.
	if !delivered(1) {
		t.Fatal("Run did not deliver the mail waiting when it started")
	}

	second := &db.Mail{To: "b@example.jp", Subject: "second", Body: "b", Kind: "test"}
	enqueue(t, d, second)
	s.Kick()
	if !delivered(2) {
		t.Fatalf("a kicked sender did not deliver within 30 s (polls every %s)", s.Poll)
	}
	if got := parse(t, be.messages()[1].Data).Subject; got != "second" {
		t.Errorf("second delivery %q", got)
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	want := map[int]time.Duration{0: time.Minute, 1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute,
		6: 32 * time.Minute, 7: time.Hour, 8: time.Hour, 1000: time.Hour}
	for n, w := range want {
		if got := RetryDelay(n); got != w {
			t.Errorf("RetryDelay(%d) = %v, want %v", n, got, w)
		}
	}
}

func TestLoadMailConfig(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := LoadMailConfig(env())
	if err != nil || c.Enabled() {
		t.Errorf("no host: %+v, %v", c, err)
	}
	c, err = LoadMailConfig(env("PORTAL_SMTP_HOST", "smtp.example.jp"))
	if err != nil || c != (MailConfig{Host: "smtp.example.jp", Port: 587, From: "no-reply@localhost", TLS: TLSStartTLS}) {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	c, err = LoadMailConfig(env("PORTAL_SMTP_HOST", "smtp.example.jp", "PORTAL_SMTP_TLS", "TLS",
		"PORTAL_SMTP_USER", "u", "PORTAL_SMTP_PASSWORD", "hunter2pass", "PORTAL_SMTP_FROM", "区民活動ポータル <info@ward.example.jp>"))
	if err != nil || c.Port != 465 || c.TLS != TLSImplicit || c.Username != "u" || c.Password != "hunter2pass" {
		t.Errorf("tls: %+v, %v", c, err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("smtp", "cfg", c)
	if strings.Contains(logged.String(), "hunter2pass") || !strings.Contains(logged.String(), "smtp.example.jp") {
		t.Errorf("log line: %s", logged.String())
	}
	for _, bad := range [][]string{
		{"PORTAL_SMTP_PORT", "0"},
		{"PORTAL_SMTP_PORT", "smtp"},
		{"PORTAL_SMTP_TLS", "ssl"},
		{"PORTAL_SMTP_FROM", "not an address"},
		{"PORTAL_SMTP_PASSWORD", "p"},
	} {
		if _, err := LoadMailConfig(env("PORTAL_SMTP_HOST", "h", bad[0], bad[1])); err == nil {
			t.Errorf("%s=%q accepted", bad[0], bad[1])
		}
	}
}
