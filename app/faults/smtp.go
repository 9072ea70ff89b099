package faults

import (
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Stages of an SMTP conversation at which SMTP can be told to fail.
const (
	AtMail = "mail" // MAIL FROM
	AtRcpt = "rcpt" // RCPT TO
	AtData = "data" // after the message was read: the final reply to DATA
)

// Message is what SMTP accepted.
type Message struct {
	From string
	To   []string
	Data []byte
}

// SMTP is an in-process SMTP server (no TLS, no AUTH) that records what it
// accepts and can be told to answer with an error code, hang up in the
// middle of a message, or stop listening altogether and come back on the
// same port.
type SMTP struct {
	t    testing.TB
	addr string

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	msgs     []Message
	code     int    // reply to give at stage `at` (0: none)
	at       string // stage of the reply
	times    int    // how many more times; <0: until Clear
	drops    int    // hang up in the middle of the next drops messages
	refused  int    // replies given so far
	droppedN int    // messages hung up on so far
}

// StartSMTP serves on 127.0.0.1 until the test ends.
func StartSMTP(t testing.TB) *SMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTP{t: t, addr: ln.Addr().String()}
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// Host is where the server listens, also after Stop and Start.
func (s *SMTP) Host() string { h, _, _ := net.SplitHostPort(s.addr); return h }

// Port is the server's port.
func (s *SMTP) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (s *SMTP) serve(ln net.Listener) {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the listener and every open conversation: connecting is
// refused until Start.
func (s *SMTP) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// The listener is closed here too: Serve may not have taken it yet.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// Start listens again on the same port after Stop.
func (s *SMTP) Start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("faults: restart SMTP on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// Reply makes the server answer code (421, 450, 550, …) at stage at, the
// next times times (times < 0: until Clear).
func (s *SMTP) Reply(code int, at string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.at, s.times = code, at, times
}

// DropInData makes the server hang up in the middle of the next n messages,
// after reading part of them and before any reply.
func (s *SMTP) DropInData(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = n
}

// Clear ends every planned fault.
func (s *SMTP) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.times, s.drops = 0, 0, 0
}

// Messages is what the server accepted so far.
func (s *SMTP) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Refused and Dropped count the error replies given and the messages hung
// up on.
func (s *SMTP) Refused() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refused }

// Dropped counts the messages hung up on in the middle.
func (s *SMTP) Dropped() int { s.mu.Lock(); defer s.mu.Unlock(); return s.droppedN }

// fault returns the planned reply at stage at, using it up.
func (s *SMTP) fault(at string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.code == 0 || s.at != at || s.times == 0 {
		return nil
	}
	if s.times > 0 {
		s.times--
	}
	s.refused++
	class := s.code / 100
	return &smtp.SMTPError{Code: s.code, EnhancedCode: smtp.EnhancedCode{class, 0, 0}, Message: "fault injected by the test"}
}

func (s *SMTP) drop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drops == 0 {
		return false
	}
	s.drops--
	s.droppedN++
	return true
}

type backend struct{ s *SMTP }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *SMTP
	conn *smtp.Conn
	from string
	to   []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := x.s.fault(AtMail); err != nil {
		return err
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := x.s.fault(AtRcpt); err != nil {
		return err
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	if x.s.drop() {
		// Read a little of the message, then the line goes dead: no reply,
		// nothing kept.
		_, _ = io.ReadFull(r, make([]byte, 16))
		x.conn.Conn().Close()
		return io.ErrUnexpectedEOF
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := x.s.fault(AtData); err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Message{From: x.from, To: x.to, Data: data})
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
