package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/wardportal/portal/db"
)

// Defaults of MailSender's tunables.
const (
	DefaultMailPoll  = 5 * time.Second
	DefaultMailBatch = 20

	// MailListenerName is the application_name of the connection a sender
	// listens for wake-ups on, as pg_stat_activity shows it. A lost one is
	// reconnected after a backoff doubling up to a limit; the poll covers
	// the gap.
	MailListenerName   = "portal mail"
	listenFirstBackoff = 100 * time.Millisecond
	listenMaxBackoff   = 10 * time.Second

	// Retries back off exponentially from the first to the last delay; the
	// attempts are unlimited, so a temporary failure never drops a mail.
	FirstRetryDelay = time.Minute
	MaxRetryDelay   = time.Hour
)

// MailSender delivers the outbox over SMTP. Run it in every app instance
// that has SMTP configured; instances never send the same mail at once (see
// db.ClaimDueMail).
//
// Delivery is at least once: a sender that dies after the server accepted a
// mail but before recording it sends that mail again after db.MailLease.
// The Message-ID is the same on every attempt so receivers can tell.
type MailSender struct {
	db  *db.DB
	cfg MailConfig
	log *slog.Logger

	// Now is the clock; tests replace it. Set before Run.
	Now func() time.Time
	// Poll is how often Run looks for due mail when nobody kicks it.
	Poll time.Duration
	// Batch is how many mails one SMTP connection carries at most.
	Batch int

	kick      chan struct{}
	domain    string      // of the From address, for Message-IDs
	tlsConfig *tls.Config // tests trust their own certificate; nil: the system roots
}

// NewMailSender returns a sender for cfg; cfg should be Enabled.
func NewMailSender(d *db.DB, cfg MailConfig, log *slog.Logger) *MailSender {
	if log == nil {
		log = slog.Default()
	}
	domain := "localhost"
	if a, err := mail.ParseAddress(cfg.From); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i < len(a.Address)-1 {
			domain = a.Address[i+1:]
		}
	}
	return &MailSender{
		db: d, cfg: cfg, log: log.With("worker", "mail"),
		Now: time.Now, Poll: DefaultMailPoll, Batch: DefaultMailBatch,
		kick: make(chan struct{}, 1), domain: domain,
	}
}

// Kick wakes Run at once, e.g. right after a commit that enqueued mail. It
// never blocks, and a nil sender (no SMTP configured) ignores it.
func (s *MailSender) Kick() {
	if s == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run delivers due mail until ctx is done, waking every Poll, on Kick, and
// whenever a transaction that queued mail commits on any instance (see
// listen). Failures are logged and retried, never returned; Run returns nil
// when ctx ends.
func (s *MailSender) Run(ctx context.Context) error {
	s.log.Info("mail sender started", "smtp", s.cfg)
	lctx, stopListening := context.WithCancel(ctx)
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		s.listen(lctx)
	}()
	defer func() {
		stopListening()
		<-listening
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			s.log.Info("mail sender stopped")
			return nil
		case <-timer.C:
		case <-s.kick:
		}
		claimed, sent, err := s.sendBatch(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("mail delivery", "claimed", claimed, "sent", sent, "err", logSafe(err))
		} else if sent > 0 {
			s.log.Info("mail delivered", "sent", sent)
		}
		wait := s.Poll
		if wait <= 0 {
			wait = DefaultMailPoll
		}
		if claimed >= s.batch() && err == nil {
			wait = 0 // a full batch: there may be more due
		}
		timer.Reset(wait)
	}
}

// listen kicks Run on every notification on db.MailChannel, which
// db.EnqueueMail sends in the transaction that queues a mail, so the mail
// leaves as soon as it is committed. It uses a connection of its own (a
// LISTEN holds it for good), reconnects when it is lost, and kicks once
// after each connect for what was committed while it was not listening.
func (s *MailSender) listen(ctx context.Context) {
	backoff := listenFirstBackoff
	for {
		connected, err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = listenFirstBackoff
		}
		s.log.Warn("mail wake-up listener lost; polling meanwhile", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, listenMaxBackoff)
	}
}

func (s *MailSender) listenOnce(ctx context.Context) (connected bool, err error) {
	cfg := s.db.DirectConfig() // LISTEN needs a session: not through a pooler
	cfg.RuntimeParams["application_name"] = MailListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+db.MailChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	s.Kick()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		s.Kick()
	}
}

// SendOnce claims the mail that is due now (up to Batch), delivers it over
// one SMTP connection and records each outcome. It returns how many were
// sent; err reports trouble with the database or the connection, not a
// single mail's rejection (that is in the outbox row).
func (s *MailSender) SendOnce(ctx context.Context) (sent int, err error) {
	_, sent, err = s.sendBatch(ctx)
	return sent, err
}

func (s *MailSender) batch() int {
	if s.Batch <= 0 {
		return DefaultMailBatch
	}
	return s.Batch
}

func (s *MailSender) sendBatch(ctx context.Context) (claimed, sent int, err error) {
	mails, err := s.db.ClaimDueMail(ctx, s.batch(), s.Now())
	if err != nil || len(mails) == 0 {
		return 0, 0, err
	}
	claimed = len(mails)
	// Outcomes are recorded even when ctx ends mid-batch, so a mail the server
	// took is not sent again after the lease.
	mctx := context.WithoutCancel(ctx)

	client, conn, err := s.dial(ctx)
	if err != nil && ctx.Err() != nil {
		s.release(mctx, mails) // shutting down: not the server's fault
		return claimed, 0, ctx.Err()
	}
	if err != nil {
		err = fmt.Errorf("connect to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
		for i := range mails {
			s.retry(mctx, &mails[i], err)
		}
		return claimed, 0, err
	}
	defer func() {
		if cerr := client.CloseWithSMTPClient(conn); cerr != nil {
			s.log.Debug("close SMTP connection", "err", cerr)
		}
	}()

	start := time.Now() // the lease is wall time, whatever s.Now says
	for i := range mails {
		m := &mails[i]
		if ctx.Err() != nil || time.Since(start) > db.MailLease/2 {
			// Out of time: hand the rest back untried rather than risk another
			// sender claiming them while this one is still at it.
			s.release(mctx, mails[i:])
			return claimed, sent, ctx.Err()
		}
		msg, merr := s.message(m)
		if merr != nil {
			s.fail(mctx, m, merr)
			continue
		}
		serr := client.SendWithSMTPClient(conn, msg)
		switch {
		case serr == nil:
			sent++
			err := s.db.MarkMailSent(mctx, m.ID, s.Now())
			switch {
			case errors.Is(err, db.ErrNotFound):
				// Deleted meanwhile (a withdrawal erases unsent mail): nothing to record.
				s.log.Info("mail sent but its row is gone", "mail", m.ID)
			case err != nil:
				s.log.Error("mail sent but not recorded; it will be sent again", "mail", m.ID, "err", err)
				s.release(mctx, mails[i+1:])
				return claimed, sent, err
			}
		case permanent(serr):
			s.fail(mctx, m, serr)
		default:
			s.retry(mctx, m, serr)
			if replyCode(serr) == 0 {
				// Not an answer from the server: the connection is suspect.
				// The rest go out on a fresh one at the next round.
				s.release(mctx, mails[i+1:])
				return claimed, sent, serr
			}
		}
	}
	return claimed, sent, nil
}

// dial opens one SMTP connection for a batch.
func (s *MailSender) dial(ctx context.Context) (*gomail.Client, *gosmtp.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(30 * time.Second)}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN only
		// over TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	if s.tlsConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.tlsConfig))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, nil, err
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	return client, conn, nil
}

// message builds the MIME message: text/plain in UTF-8, base64 body and
// B-encoded headers (the usual form for Japanese mail), a Message-ID that
// stays the same across retries, and Auto-Submitted so auto-responders keep
// quiet. An error means the mail can never be sent as it is.
func (s *MailSender) message(m *db.Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingB64),
		gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.cfg.From); err != nil {
		return nil, &badMessageError{"sender address", err}
	}
	if err := msg.To(m.To); err != nil {
		return nil, &badMessageError{"recipient address", err}
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(s.messageID(m))
	msg.SetDateWithValue(s.Now())
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	body, err := m.Delivered()
	if err != nil {
		return nil, &badMessageError{"body", err}
	}
	msg.SetBodyString(gomail.TypeTextPlain, crlf(body))
	return msg, nil
}

func (s *MailSender) messageID(m *db.Mail) string {
	return "portal-mail." + strconv.FormatInt(m.ID, 10) + "." +
		strconv.FormatInt(m.CreatedAt.UnixMicro(), 36) + "@" + s.domain
}

func (s *MailSender) retry(ctx context.Context, m *db.Mail, cause error) {
	next := s.Now().Add(RetryDelay(m.Attempts))
	s.log.Warn("mail not delivered; will retry", "mail", m.ID, "kind", m.Kind,
		"attempts", m.Attempts, "next", next, "err", logSafe(cause))
	if err := s.db.MarkMailRetry(ctx, m.ID, next, cause.Error()); err != nil {
		s.log.Error("record mail retry", "mail", m.ID, "err", err)
	}
}

func (s *MailSender) fail(ctx context.Context, m *db.Mail, cause error) {
	s.log.Error("mail rejected permanently", "mail", m.ID, "kind", m.Kind, "err", logSafe(cause))
	if err := s.db.MarkMailFailed(ctx, m.ID, s.Now(), cause.Error()); err != nil {
		s.log.Error("record mail failure", "mail", m.ID, "err", err)
	}
}

func (s *MailSender) release(ctx context.Context, ms []db.Mail) {
	for i := range ms {
		if err := s.db.ReleaseMail(ctx, ms[i].ID, s.Now()); err != nil {
			s.log.Error("release mail", "mail", ms[i].ID, "err", err)
		}
	}
}

// RetryDelay is the wait after the given number of attempts: 1 min, 2, 4, …
// up to an hour.
func RetryDelay(attempts int) time.Duration {
	d := FirstRetryDelay
	for i := 1; i < attempts && d < MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, MaxRetryDelay)
}

// replyCode is the SMTP reply code behind a send error, 0 when the error did
// not come from the server (a broken connection, a timeout).
func replyCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

// badMessageError is a mail that cannot be put into a message at all.
type badMessageError struct {
	what string
	err  error
}

func (e *badMessageError) Error() string { return "invalid " + e.what + ": " + e.err.Error() }
func (e *badMessageError) Unwrap() error { return e.err }

// logSafe describes err for the log without the recipient address go-mail
// puts in its errors (addresses are personal data; the outbox row, which
// staff with the right role read, keeps the full text).
func logSafe(err error) string {
	var bm *badMessageError
	if errors.As(err, &bm) {
		return "invalid " + bm.what
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		s := se.Reason.String()
		if code := se.ErrorCode(); code != 0 {
			s += ": " + strconv.Itoa(code)
			if esc := se.EnhancedStatusCode(); esc != "" {
				s += " " + esc
			}
		}
		return s
	}
	return err.Error()
}

// permanent reports whether the server rejected this mail for good: a 5xx
// reply to RCPT TO (no such recipient) or to the message itself. A 5xx to
// MAIL FROM or AUTH says our configuration is wrong, which is no reason to
// give up on the mail, so it is retried like a 4xx until someone fixes it.
func permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.ErrorCode()/100 != 5 {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return true
	}
	return false
}

// oneLine keeps a subject to one header line (and leaves full-width spaces
// alone).
func oneLine(s string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s))
}

// crlf gives a text body the line ends mail requires.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
