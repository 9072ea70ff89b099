package worker

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/wardportal/portal/db"
)

// Defaults of the newsletter settings.
const (
	DefaultNewsletterConnections   = 8
	DefaultNewsletterSuppressAfter = 3
	DefaultNewsletterApprovalOver  = 1000
	DefaultNewsletterPoll          = 2 * time.Second
	DefaultNewsletterBatch         = 100
	// NewsletterLease is how long a claimed delivery stays a sender's: a
	// sender stops starting messages of a batch after half of it.
	NewsletterLease = 2 * time.Minute
	// ConfirmLinkLife is how long a visitor's confirmation link works.
	ConfirmLinkLife = 7 * 24 * time.Hour
)

// NewsletterConfig holds the newsletter's settings (README, "Newsletter").
type NewsletterConfig struct {
	// Rate is the most messages a second this instance sends to the SMTP
	// server (PORTAL_NEWSLETTER_RATE); 0: no limit. With several instances
	// the server sees the sum.
	Rate float64
	// Connections is how many SMTP connections send at once
	// (PORTAL_NEWSLETTER_CONNECTIONS).
	Connections int
	// SuppressAfter is how many hard failures (5xx) in a row suppress a
	// subscriber (PORTAL_NEWSLETTER_SUPPRESS_AFTER).
	SuppressAfter int
	// ApprovalOver is the audience size above which an issue needs an
	// approver of its division (PORTAL_NEWSLETTER_APPROVAL_OVER).
	ApprovalOver int
	// UnsubscribeMailto is the address of the List-Unsubscribe mailto
	// (PORTAL_NEWSLETTER_UNSUBSCRIBE_MAILTO); the From address when unset.
	UnsubscribeMailto string
}

// LoadNewsletterConfig reads the newsletter settings from the environment,
// refusing malformed values.
func LoadNewsletterConfig(getenv func(string) string) (NewsletterConfig, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	var c NewsletterConfig
	var err error
	if c.Rate, err = strconv.ParseFloat(get("PORTAL_NEWSLETTER_RATE", "0"), 64); err != nil || c.Rate < 0 {
		return c, fmt.Errorf("PORTAL_NEWSLETTER_RATE: want messages per second, 0 for no limit")
	}
	ints := []struct {
		key string
		def int
		min int
		dst *int
	}{
		{"PORTAL_NEWSLETTER_CONNECTIONS", DefaultNewsletterConnections, 1, &c.Connections},
		{"PORTAL_NEWSLETTER_SUPPRESS_AFTER", DefaultNewsletterSuppressAfter, 1, &c.SuppressAfter},
		{"PORTAL_NEWSLETTER_APPROVAL_OVER", DefaultNewsletterApprovalOver, 0, &c.ApprovalOver},
	}
	for _, x := range ints {
		n, err := strconv.Atoi(get(x.key, strconv.Itoa(x.def)))
		if err != nil || n < x.min {
			return c, fmt.Errorf("%s: want a whole number of at least %d", x.key, x.min)
		}
		*x.dst = n
	}
	c.UnsubscribeMailto = get("PORTAL_NEWSLETTER_UNSUBSCRIBE_MAILTO", "")
	if c.UnsubscribeMailto != "" {
		if _, err := mail.ParseAddress(c.UnsubscribeMailto); err != nil {
			return c, fmt.Errorf("PORTAL_NEWSLETTER_UNSUBSCRIBE_MAILTO: %q is not a mail address", c.UnsubscribeMailto)
		}
	}
	return c, nil
}

// ---- signed links ----

// NewsletterLinks makes and checks the signed links of the newsletter: the
// unsubscribe link of every message (it never expires: RFC 8058 asks that it
// work as long as the mail may be read) and a visitor's confirmation link.
type NewsletterLinks struct {
	BaseURL string
	Secret  string
}

func (l NewsletterLinks) sig(payload string) string {
	m := hmac.New(sha256.New, []byte(l.Secret))
	m.Write([]byte("newsletter:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (l NewsletterLinks) token(kind string, parts ...int64) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = strconv.FormatInt(p, 36)
	}
	payload := strings.Join(s, ".")
	return payload + "." + l.sig(kind+":"+payload)
}

func (l NewsletterLinks) parse(kind, tok string, n int) ([]int64, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != n+1 {
		return nil, false
	}
	payload := strings.Join(parts[:n], ".")
	if !hmac.Equal([]byte(parts[n]), []byte(l.sig(kind+":"+payload))) {
		return nil, false
	}
	out := make([]int64, n)
	for i := range n {
		v, err := strconv.ParseInt(parts[i], 36, 64)
		if err != nil || v < 0 {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// UnsubscribeToken signs (subscriber, issue); issue 0 stands for every list.
func (l NewsletterLinks) UnsubscribeToken(subscriberID, issueID int64) string {
	return l.token("u", subscriberID, issueID)
}

// ParseUnsubscribe checks an unsubscribe token.
func (l NewsletterLinks) ParseUnsubscribe(tok string) (subscriberID, issueID int64, ok bool) {
	v, ok := l.parse("u", tok, 2)
	if !ok {
		return 0, 0, false
	}
	return v[0], v[1], true
}

// UnsubscribeURL is the absolute address of the unsubscribe link.
func (l NewsletterLinks) UnsubscribeURL(subscriberID, issueID int64) string {
	return l.BaseURL + "/newsletter/unsubscribe/" + l.UnsubscribeToken(subscriberID, issueID)
}

// ConfirmToken signs a subscriber's confirmation, valid until expires.
func (l NewsletterLinks) ConfirmToken(subscriberID int64, expires time.Time) string {
	return l.token("c", subscriberID, expires.Unix())
}

// ParseConfirm checks a confirmation token at now.
func (l NewsletterLinks) ParseConfirm(tok string, now time.Time) (subscriberID int64, ok bool) {
	v, ok := l.parse("c", tok, 2)
	if !ok || now.Unix() > v[1] {
		return 0, false
	}
	return v[0], true
}

// ---- the sender ----

// IssueMail is how an issue's source becomes the parts of its messages;
// the app supplies it (its Markdown renderer, its message catalogue).
type IssueMail struct {
	// HTML renders the Markdown body as the HTML part, links absolute.
	HTML func(body string) string
	// Footer is the text and HTML footer with the visible unsubscribe link.
	Footer func(unsubscribeURL string) (text, html string)
}

// NewsletterSender delivers the newsletter's delivery rows over SMTP; see
// db/newsletter.go for why each row is sent once. Run it in every instance
// with SMTP configured: instances share the rows.
type NewsletterSender struct {
	db    *db.DB
	cfg   MailConfig
	ncfg  NewsletterConfig
	links NewsletterLinks
	issue IssueMail
	log   *slog.Logger
	pace  *pacer

	// Now is the clock; tests replace it. Set before Run.
	Now func() time.Time
	// Poll is how often an idle connection looks for due rows.
	Poll time.Duration
	// Batch is how many rows one claim takes.
	Batch int
	// Lease is how long a claim holds its rows.
	Lease time.Duration

	from, envelopeFrom, mailto, domain string

	cacheMu sync.Mutex
	cache   map[int64]*issueParts

	// crash, set by tests, stops the sender dead at a stage of a delivery
	// ("committed": before the dot, "accepted": after the server's 250),
	// leaving the database as a killed process would.
	crash func(dl *db.Delivery, stage string) bool
}

type issueParts struct {
	subject string
	text    string
	html    string
}

// errCrashed is how a test's simulated crash unwinds the sender.
var errCrashed = errors.New("sender crashed (test)")

// NewNewsletterSender returns a sender for the SMTP server cfg.
func NewNewsletterSender(d *db.DB, cfg MailConfig, ncfg NewsletterConfig, links NewsletterLinks, issue IssueMail, log *slog.Logger) *NewsletterSender {
	if log == nil {
		log = slog.Default()
	}
	s := &NewsletterSender{
		db: d, cfg: cfg, ncfg: ncfg, links: links, issue: issue, log: log.With("worker", "newsletter"),
		pace: newPacer(ncfg.Rate), Now: time.Now, Poll: DefaultNewsletterPoll, Batch: DefaultNewsletterBatch,
		Lease: NewsletterLease, from: cfg.From, domain: "localhost", cache: map[int64]*issueParts{},
	}
	if a, err := mail.ParseAddress(cfg.From); err == nil {
		s.envelopeFrom = a.Address
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i < len(a.Address)-1 {
			s.domain = a.Address[i+1:]
		}
	}
	s.mailto = ncfg.UnsubscribeMailto
	if s.mailto == "" {
		s.mailto = s.envelopeFrom
	}
	return s
}

// Run queues issues as they fall due and sends their deliveries over
// Connections SMTP connections until ctx ends. It returns nil when ctx ends.
func (s *NewsletterSender) Run(ctx context.Context) error {
	n := max(s.ncfg.Connections, 1)
	s.log.Info("newsletter sender started", "connections", n, "rate", s.ncfg.Rate)
	var wg sync.WaitGroup
	wg.Go(func() {
		Every(ctx, s.poll(), func(ctx context.Context) {
			if _, err := s.db.QueueDueIssues(ctx, s.Now()); err != nil && ctx.Err() == nil {
				s.log.Error("queue due issues", "err", err)
			}
		})
	})
	errc := make(chan error, n)
	for range n {
		wg.Go(func() { errc <- s.runConnection(ctx) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if errors.Is(err, errCrashed) {
			return err
		}
	}
	return nil
}

func (s *NewsletterSender) poll() time.Duration {
	if s.Poll <= 0 {
		return DefaultNewsletterPoll
	}
	return s.Poll
}

// runConnection is one connection's loop: claim a batch, send it, and wait
// for the next poll when nothing is due. The connection stays open while
// there is work and is closed when a round finds none.
func (s *NewsletterSender) runConnection(ctx context.Context) error {
	c := &smtpConn{s: s}
	defer c.close()
	for {
		n, err := s.sendBatch(ctx, c)
		switch {
		case errors.Is(err, errCrashed):
			c.abandon()
			return err
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.log.Warn("newsletter delivery", "err", logSafe(err))
		}
		if n > 0 && err == nil {
			continue
		}
		c.close()
		t := time.NewTimer(s.poll())
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// SendOnce claims one batch and sends it on a fresh connection, for tests
// and the benchmark: it returns how many rows it claimed.
func (s *NewsletterSender) SendOnce(ctx context.Context) (int, error) {
	c := &smtpConn{s: s}
	defer c.close()
	n, err := s.sendBatch(ctx, c)
	if errors.Is(err, errCrashed) {
		c.abandon()
	}
	return n, err
}

// sendBatch claims due rows and sends each on c.
func (s *NewsletterSender) sendBatch(ctx context.Context, c *smtpConn) (int, error) {
	batch := s.Batch
	if batch <= 0 {
		batch = DefaultNewsletterBatch
	}
	lease := s.Lease
	if lease <= 0 {
		lease = NewsletterLease
	}
	dls, err := s.db.ClaimDeliveries(ctx, batch, s.Now(), lease)
	if err != nil || len(dls) == 0 {
		return 0, err
	}
	// Outcomes are recorded even when ctx ends mid-message.
	mctx := context.WithoutCancel(ctx)
	start := time.Now()
	for i := range dls {
		dl := &dls[i]
		if ctx.Err() != nil || time.Since(start) > lease/2 {
			s.release(mctx, dls[i:])
			return len(dls), ctx.Err()
		}
		if err := s.pace.Wait(ctx); err != nil {
			s.release(mctx, dls[i:])
			return len(dls), err
		}
		if err := s.deliver(ctx, mctx, c, dl); err != nil {
			if errors.Is(err, errCrashed) {
				return len(dls), err
			}
			// The connection is gone: the rest wait for the next round.
			s.release(mctx, dls[i+1:])
			c.abandon()
			return len(dls), err
		}
	}
	return len(dls), nil
}

// deliver sends one row and records the outcome. It returns an error only
// when the connection can no longer be used (the row itself is settled or
// handed back before it returns).
func (s *NewsletterSender) deliver(ctx, mctx context.Context, c *smtpConn, dl *db.Delivery) error {
	msg, err := s.message(mctx, dl)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) { // the issue is gone: nothing to send
			s.record(s.db.MarkDeliveryFailed(mctx, dl, s.Now(), "issue deleted", s.ncfg.SuppressAfter), dl)
			return nil
		}
		if _, ok := errors.AsType[*badMessageError](err); ok {
			s.record(s.db.MarkDeliveryFailed(mctx, dl, s.Now(), err.Error(), s.ncfg.SuppressAfter), dl)
			return nil
		}
		s.release(mctx, []db.Delivery{*dl})
		return err
	}
	client, err := c.get(ctx)
	if err != nil {
		s.release(mctx, []db.Delivery{*dl})
		return fmt.Errorf("connect to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	rcpts, _ := msg.GetRecipients()
	// Before the DATA command nothing can be delivered: a 4xx or 5xx here
	// settles the row, a broken connection hands it back.
	step := func(err error) (bool, error) {
		if err == nil {
			return true, nil
		}
		code, reply := smtpReply(err)
		switch {
		case code == 0:
			s.release(mctx, []db.Delivery{*dl})
			return false, err
		case code/100 == 5 && c.rcptStage:
			s.fail(mctx, dl, reply)
		default: // 4xx, or a 5xx to MAIL FROM (our configuration, not the address)
			s.defer_(mctx, dl, reply)
		}
		if rerr := client.Reset(); rerr != nil {
			return false, rerr
		}
		return false, nil
	}
	c.rcptStage = false
	if ok, err := step(client.Mail(s.envelope())); !ok {
		return err
	}
	c.rcptStage = true
	if ok, err := step(client.Rcpt(rcpts[0])); !ok {
		return err
	}
	w, err := client.Data()
	if ok, err := step(err); !ok {
		return err
	}
	if _, err := msg.WriteTo(w); err != nil {
		s.release(mctx, []db.Delivery{*dl}) // no dot was sent: the server discards it
		return err
	}
	// The last moment at which the row can still go back to the queue.
	if err := s.db.CommitDelivery(mctx, dl); err != nil {
		if !errors.Is(err, db.ErrClaimLost) {
			s.log.Error("commit delivery", "delivery", dl.ID, "err", err)
		}
		// Never end this message: drop the connection without the dot.
		return fmt.Errorf("delivery %d not committed: %w", dl.ID, err)
	}
	if s.crash != nil && s.crash(dl, "committed") {
		return errCrashed
	}
	err = w.Close() // the dot, and the server's verdict
	if s.crash != nil && err == nil && s.crash(dl, "accepted") {
		return errCrashed
	}
	code, reply := smtpReply(err)
	switch {
	case err == nil:
		s.pace.SpeedUp()
		s.record(s.db.MarkDeliverySent(mctx, dl, s.Now(), dataReply(w)), dl)
		return nil
	case code/100 == 4:
		s.defer_(mctx, dl, reply)
		return nil
	case code/100 == 5:
		s.fail(mctx, dl, reply)
		return nil
	default:
		// No answer to the dot: the server may have the message.
		s.record(s.db.MarkDeliveryUnknown(mctx, dl, err.Error()), dl)
		return err
	}
}

func (s *NewsletterSender) envelope() string {
	return (&mail.Address{Address: s.envelopeFrom}).String()
}

func (s *NewsletterSender) defer_(ctx context.Context, dl *db.Delivery, reply string) {
	s.pace.SlowDown()
	next := s.Now().Add(RetryDelay(dl.Attempts))
	s.log.Warn("newsletter delivery deferred", "delivery", dl.ID, "attempts", dl.Attempts, "next", next,
		"reply", replyCodeOnly(reply), "gap", s.pace.Gap())
	s.record(s.db.MarkDeliveryDeferred(ctx, dl, next, reply), dl)
}

func (s *NewsletterSender) fail(ctx context.Context, dl *db.Delivery, reply string) {
	s.log.Warn("newsletter delivery refused", "delivery", dl.ID, "reply", replyCodeOnly(reply))
	s.record(s.db.MarkDeliveryFailed(ctx, dl, s.Now(), reply, s.ncfg.SuppressAfter), dl)
}

func (s *NewsletterSender) record(err error, dl *db.Delivery) {
	if err != nil {
		s.log.Error("record newsletter delivery", "delivery", dl.ID, "err", err)
	}
}

func (s *NewsletterSender) release(ctx context.Context, dls []db.Delivery) {
	if len(dls) == 0 {
		return
	}
	if err := s.db.ReleaseDeliveries(ctx, dls); err != nil {
		s.log.Error("release newsletter deliveries", "err", err)
	}
}

// parts renders an issue once and keeps it: an issue leaves its draft state
// before it is queued and never changes after. Test sends are of drafts,
// which may change between two tests, so they are rendered every time.
func (s *NewsletterSender) parts(ctx context.Context, issueID int64, test bool) (*issueParts, error) {
	if !test {
		s.cacheMu.Lock()
		p := s.cache[issueID]
		s.cacheMu.Unlock()
		if p != nil {
			return p, nil
		}
	}
	is, err := s.db.IssueForSending(ctx, issueID)
	if err != nil {
		return nil, err
	}
	p := &issueParts{subject: oneLine(is.Subject), text: is.Body}
	if s.issue.HTML != nil {
		p.html = s.issue.HTML(is.Body)
	}
	if !test {
		s.cacheMu.Lock()
		if len(s.cache) > 64 {
			clear(s.cache)
		}
		s.cache[issueID] = p
		s.cacheMu.Unlock()
	}
	return p, nil
}

// message builds one recipient's message: the issue's text and HTML parts
// with the footer carrying the visible unsubscribe link, List-Unsubscribe
// (signed HTTPS link and mailto) and List-Unsubscribe-Post (RFC 8058).
func (s *NewsletterSender) message(ctx context.Context, dl *db.Delivery) (*gomail.Msg, error) {
	p, err := s.parts(ctx, dl.IssueID, dl.Test)
	if err != nil {
		return nil, err
	}
	var sub int64
	if dl.SubscriberID != nil {
		sub = *dl.SubscriberID
	}
	unsub := s.links.UnsubscribeURL(sub, dl.IssueID)
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingB64),
		gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, &badMessageError{"sender address", err}
	}
	if err := msg.To(dl.Address); err != nil {
		return nil, &badMessageError{"recipient address", err}
	}
	subject := p.subject
	if dl.Test {
		subject = "[TEST] " + subject
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue("portal-newsletter." + strconv.FormatInt(dl.ID, 10) + "@" + s.domain)
	msg.SetDateWithValue(s.Now())
	msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe,
		"<"+unsub+">, <mailto:"+s.mailto+"?subject=unsubscribe%20"+s.links.UnsubscribeToken(sub, dl.IssueID)+">")
	msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	msg.SetGenHeaderPreformatted("List-Id", "<newsletter."+s.domain+">")
	msg.SetGenHeader(gomail.HeaderPrecedence, "bulk")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	var ftext, fhtml string
	if s.issue.Footer != nil {
		ftext, fhtml = s.issue.Footer(unsub)
	}
	msg.SetBodyString(gomail.TypeTextPlain, crlf(p.text+"\n\n-- \n"+ftext))
	if p.html != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, crlf(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>`+
			p.html+`<hr>`+fhtml+`</body></html>`))
	}
	return msg, nil
}

// smtpConn is one SMTP connection, opened when a batch needs it.
type smtpConn struct {
	s         *NewsletterSender
	client    *gomail.Client
	conn      *gosmtp.Client
	rcptStage bool
}

func (c *smtpConn) get(ctx context.Context) (*gosmtp.Client, error) {
	if c.conn != nil {
		return c.conn, nil
	}
	opts := []gomail.Option{gomail.WithPort(c.s.cfg.Port), gomail.WithTimeout(30 * time.Second)}
	switch c.s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(c.s.cfg.Username), gomail.WithPassword(c.s.cfg.Password))
	}
	client, err := gomail.NewClient(c.s.cfg.Host, opts...)
	if err != nil {
		return nil, err
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, err
	}
	c.client, c.conn = client, conn
	return conn, nil
}

// close ends the connection politely (QUIT).
func (c *smtpConn) close() {
	if c.conn != nil {
		_ = c.client.CloseWithSMTPClient(c.conn)
	}
	c.client, c.conn = nil, nil
}

// abandon drops the connection without QUIT: a message begun on it and
// not ended with the dot is discarded by the server.
func (c *smtpConn) abandon() {
	if c.conn != nil {
		_ = c.conn.Close()
	}
	c.client, c.conn = nil, nil
}

// smtpReply is the reply code and text behind an SMTP error; code 0 when
// the error is not a reply (a broken connection, a timeout).
func smtpReply(err error) (int, string) {
	if err == nil {
		return 0, ""
	}
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		return te.Code, strconv.Itoa(te.Code) + " " + te.Msg
	}
	return 0, err.Error()
}

// dataReply is the server's answer to the dot, e.g. "2.0.0 Ok: queued as …".
func dataReply(w io.WriteCloser) string {
	if dc, ok := w.(*gosmtp.DataCloser); ok {
		return "250 " + dc.ServerResponse()
	}
	return "250"
}

// replyCodeOnly keeps the log free of addresses servers repeat in replies.
func replyCodeOnly(reply string) string {
	code, _, _ := strings.Cut(reply, " ")
	return code
}
