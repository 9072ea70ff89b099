package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardportal/portal/app/handover"
	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/migrations"
)

// ---- the member's mailbox: a real SMTP server the mail sender delivers to ----

type mailbox struct {
	mu   sync.Mutex
	msgs []sentMail
}

type sentMail struct {
	To   string
	Body string
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailboxSession{b: b}, nil }

type mailboxSession struct {
	b  *mailbox
	to string
}

func (s *mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *mailboxSession) Reset()        { s.to = "" }
func (s *mailboxSession) Logout() error { return nil }

func (s *mailboxSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(msg.Body)
	if err != nil {
		return err
	}
	body, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.msgs = append(s.b.msgs, sentMail{To: s.to, Body: string(body)})
	return nil
}

// deliverOutbox runs the portal's mail sender against an SMTP server of the
// test until the outbox has nothing due, and returns what arrived.
func (e *testEnv) deliverOutbox() []sentMail {
	e.t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	s := worker.NewMailSender(e.db, worker.MailConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port,
		TLS: worker.TLSNone, From: "no-reply@portal.example"}, slog.New(slog.DiscardHandler))
	// A minute ahead of the database's now(), so what was just enqueued is due.
	s.Now = func() time.Time { return time.Now().Add(time.Minute) }
	for {
		n, err := s.SendOnce(context.Background())
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

var resetLinkRe = regexp.MustCompile(`/password/reset/([A-Za-z0-9_-]{20,})`)

// requestReset asks for a reset link for login and e-mail address.
func (e *testEnv) requestReset(login, email string) {
	e.t.Helper()
	tok := e.get("/password/forgot").csrfToken(e.t)
	e.post("/password/forgot", url.Values{"login_id": {login}, "email": {email}, "_csrf": {tok}}).wantStatus(e.t, http.StatusOK)
}

// resetLinks are the reset links in the mails that reached address.
func resetLinks(t *testing.T, mails []sentMail, address string) []string {
	t.Helper()
	var links []string
	for _, m := range mails {
		if m.To == address {
			if l := resetLinkRe.FindString(m.Body); l != "" {
				links = append(links, l)
			}
		}
	}
	return links
}

// mailSecrets reads what the database holds in mail_secrets.
func mailSecrets(t *testing.T, d *db.DB) []string {
	t.Helper()
	var s []string
	if err := d.Bun.NewRaw(`SELECT secret FROM mail_secrets ORDER BY mail_id`).Scan(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// tablesHolding lists the tables of the database with a row whose text
// contains s, however the data is laid out.
func tablesHolding(t *testing.T, d *db.DB, s string) []string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	if err := d.Bun.NewRaw(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	var holding []string
	for _, table := range tables {
		var found bool
		if err := d.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %q AS t WHERE strpos(t::text, $1) > 0)`, table), s).
			Scan(&found); err != nil {
			t.Fatal(err)
		}
		if found {
			holding = append(holding, table)
		}
	}
	return holding
}

// handoverText is every file of a fresh handover export, concatenated.
func handoverText(t *testing.T, d *db.DB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "handover")
	if _, err := handover.Export(context.Background(), d, dir, nil); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}

// TestResetLinkReachesOnlyTheMember: the link of a password-reset mail works
// for the member who receives the mail, and appears on no staff screen, in
// no handover and in no data download, before or after the mail leaves; once
// sent it is kept nowhere.
func TestResetLinkReachesOnlyTheMember(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	member := e.memberAccount("M3000001", "さくら")
	owner := e.client()
	owner.signIn("M3000001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	ward := e.client()
	ward.staffAccount("ward1", db.RoleWardStaff)
	ward.signIn("ward1", "staff-password-1").wantStatus(t, http.StatusSeeOther)

	// Anyone may ask; the link goes to the address on record.
	stranger := e.client()
	stranger.requestReset("M3000001", "m3000001@example.jp")
	var m db.Mail
	if err := e.db.Bun.NewSelect().Model(&m).Where("kind = 'reset' AND account_id = ?", member.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}

	// noLink checks every view of the mail that is not the member's
	// mailbox: no reset link (any token) and not the one of the mail.
	noLink := func(when, token string) {
		t.Helper()
		view := ward.get(fmt.Sprintf("/staff/mail/%d", m.ID))
		view.wantStatus(t, http.StatusOK)
		views := map[string]string{
			"the staff mail view": view.Body,
			"the staff outbox":    ward.get("/staff/mail").Body,
			"the handover":        handoverText(t, e.db),
			"the data download":   owner.get("/account/data").Body,
		}
		for name, text := range views {
			if l := resetLinkRe.FindString(text); l != "" || token != "" && strings.Contains(text, token) {
				t.Errorf("%s: %s holds a reset link %q", when, name, l)
			}
		}
		if !strings.Contains(view.Body, "/password/reset/"+db.SecretMark) || !strings.Contains(view.Body, "本人だけが使える資格情報") {
			t.Errorf("%s: the staff view does not show the link as withheld:\n%s", when, view.Doc.Find("main").Text())
		}
	}
	noLink("waiting", "")

	sent := e.deliverOutbox()
	links := resetLinks(t, sent, "m3000001@example.jp")
	if len(links) != 1 {
		t.Fatalf("the member's mailbox has reset links %q, want one", links)
	}
	token := resetLinkRe.FindStringSubmatch(links[0])[1]
	noLink("sent", token)
	// Once sent, the token is in the member's mailbox and nowhere else.
	if in := tablesHolding(t, e.db, token); len(in) != 0 {
		t.Errorf("after sending, the database holds the token in %v", in)
	}

	// The link from the mail works, once.
	form := stranger.get(links[0])
	form.wantStatus(t, http.StatusOK)
	stranger.post(links[0], url.Values{"password": {"sakura-no-hanabira-7"}, "confirm": {"sakura-no-hanabira-7"},
		"_csrf": {form.csrfToken(t)}}).wantStatus(t, http.StatusSeeOther)
	e.client().signIn("M3000001", "sakura-no-hanabira-7").wantStatus(t, http.StatusSeeOther)
	e.client().get(links[0]).wantStatus(t, http.StatusNotFound)
}

// Reset mails written before the secrets moved out keep their link in the
// body; the migration moves the token of one still waiting into
// mail_secrets and redacts every body, so no row holds a usable link.
func TestMigrationRedactsStoredResetLinks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	member := e.memberAccount("M3000002", "もみじ")
	down, err := fs.ReadFile(migrations.FS, "0012_account_secrets.down.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool.Exec(ctx, string(down)+`; DELETE FROM schema_migrations WHERE version = '0012_account_secrets'`); err != nil {
		t.Fatal(err)
	}
	// As the portal wrote them before: the link in the body; one mail sent,
	// one waiting.
	const sentTok, waitingTok = "SentTokenSentTokenSentToken0123456789abcd", "WaitTokenWaitTokenWaitToken0123456789abcd"
	for _, row := range []struct{ tok, sentAt string }{{sentTok, "now()"}, {waitingTok, "NULL"}} {
		if _, err := e.db.Pool.Exec(ctx, `INSERT INTO mail_outbox (to_addr, subject, body, kind, account_id, sent_at)
			VALUES ('m3000002@example.jp', 'パスワードの再設定', $1, 'reset', $2, `+row.sentAt+`)`,
			"リンク:\n\nhttp://localhost:8080/password/reset/"+row.tok+"\n\n以上", member.ID); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if done, err := e.db.Migrate(ctx, ms); err != nil || len(done) != 1 {
		t.Fatalf("migrate: %v %v", done, err)
	}
	var bodies []string
	if err := e.db.Bun.NewRaw(`SELECT body FROM mail_outbox WHERE kind = 'reset' ORDER BY id`).Scan(ctx, &bodies); err != nil {
		t.Fatal(err)
	}
	want := "リンク:\n\nhttp://localhost:8080/password/reset/" + db.SecretMark + "\n\n以上"
	if len(bodies) != 2 || bodies[0] != want || bodies[1] != want {
		t.Errorf("bodies after the migration: %q", bodies)
	}
	if s := mailSecrets(t, e.db); len(s) != 1 || s[0] != waitingTok {
		t.Errorf("secrets after the migration: %q, want only the waiting mail's", s)
	}
	// The waiting one still goes out with its working link.
	if links := resetLinks(t, e.deliverOutbox(), "m3000002@example.jp"); len(links) != 1 || links[0] != "/password/reset/"+waitingTok {
		t.Errorf("delivered links %q", links)
	}
	// And no reset body may hold a link again.
	_, err = e.db.Pool.Exec(ctx, `UPDATE mail_outbox SET body = 'http://x/password/reset/abcdefghijklmnopqrstu' WHERE kind = 'reset'`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
		t.Errorf("storing a reset link in a body: %v, want a check violation", err)
	}
}
