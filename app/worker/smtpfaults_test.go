package worker

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/app/faults"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// TestSMTPFaultsDeliverEachMailOnce runs the sender's loop against an SMTP
// server that stops, answers 421 (closing), 450 (mailbox busy) and 550 (no
// such user), and hangs up in the middle of a message. Every mail queued
// is delivered exactly once after the server is back, or — refused for good
// — recorded as failed with the server's reply and never delivered.
func TestSMTPFaultsDeliverEachMailOnce(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	srv := faults.StartSMTP(t)
	c := newClock()
	s := newSender(d, MailConfig{Host: srv.Host(), Port: srv.Port(), TLS: TLSNone, From: "区民活動ポータル <no-reply@portal.example>"}, c)
	s.Poll = 20 * time.Millisecond
	s.Batch = 3
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	var all []*db.Mail
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				for _, m := range all {
					row := getMail(t, d, m.ID)
					t.Logf("mail %d: %s attempts %d next %s error %q", m.ID, row.Status(), row.Attempts, row.NextAttemptAt.Format(time.TimeOnly), row.LastError)
				}
				t.Fatalf("%s: not within 15 s", what)
			}
			s.Kick()
			time.Sleep(20 * time.Millisecond)
		}
	}
	batch := func(name string, n int) []*db.Mail {
		var ms []*db.Mail
		for i := range n {
			ms = append(ms, &db.Mail{To: fmt.Sprintf("%s-%d@example.jp", name, i), Subject: fmt.Sprintf("%s %d", name, i), Body: "本文", Kind: "test"})
		}
		enqueue(t, d, ms...)
		all = append(all, ms...)
		return ms
	}
	triedAndFailed := func(ms []*db.Mail) func() bool {
		return func() bool {
			for _, m := range ms {
				if getMail(t, d, m.ID).LastError == "" {
					return false
				}
			}
			return true
		}
	}
	settled := func(ms []*db.Mail) func() bool {
		return func() bool {
			c.Advance(time.Hour) // every retry is due
			for _, m := range ms {
				if getMail(t, d, m.ID).Status() == db.MailWaiting {
					return false
				}
			}
			return true
		}
	}

	// The server is down: every mail waits; back up, every mail goes.
	srv.Stop()
	down := batch("stopped", 4)
	waitFor("attempts while the server is down", triedAndFailed(down))
	for _, m := range down {
		if row := getMail(t, d, m.ID); row.Status() != db.MailWaiting || row.LastError == "" {
			t.Errorf("mail %d while the server is down: %s %q", m.ID, row.Status(), row.LastError)
		}
	}
	srv.Start()
	waitFor("delivery after the server is back", settled(down))

	// Temporary replies and a hang-up in the middle of a message.
	for _, f := range []struct {
		name  string
		apply func()
		n     int
		count func() int
	}{
		{"421 at MAIL", func() { srv.Reply(421, faults.AtMail, 3) }, 3, srv.Refused},
		{"450 at RCPT", func() { srv.Reply(450, faults.AtRcpt, 3) }, 3, srv.Refused},
		{"450 after DATA", func() { srv.Reply(450, faults.AtData, 2) }, 2, srv.Refused},
		{"dropped in DATA", func() { srv.DropInData(2) }, 2, srv.Dropped},
	} {
		before := f.count()
		f.apply()
		ms := batch(strings.ReplaceAll(f.name, " ", "-"), 4)
		waitFor(f.name+": the fault is met", func() bool { return f.count()-before >= f.n })
		srv.Clear()
		waitFor(f.name+": every mail settled", settled(ms))
		for _, m := range ms {
			if row := getMail(t, d, m.ID); row.Status() != db.MailSent {
				t.Errorf("%s: mail %d is %s (%q)", f.name, m.ID, row.Status(), row.LastError)
			}
		}
	}

	// A permanent refusal: recorded as failed with the reply, never sent.
	srv.Reply(550, faults.AtRcpt, 1)
	ms := batch("refused", 3)
	waitFor("550: every mail settled", settled(ms))
	failed := 0
	for _, m := range ms {
		row := getMail(t, d, m.ID)
		if row.Status() == db.MailFailed {
			failed++
			if !strings.Contains(row.LastError, "550") || row.FailedAt == nil {
				t.Errorf("a refused mail is recorded as %q", row.LastError)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d mails failed after one 550, want 1", failed)
	}

	// Exactly once: by Message-ID, which stays the same across retries.
	got := map[string]int{}
	for _, m := range srv.Messages() {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		got[msg.Header.Get("To")]++
	}
	for _, m := range all {
		row := getMail(t, d, m.ID)
		want := 1
		if row.Status() == db.MailFailed {
			want = 0
		}
		if n := got["<"+m.To+">"] + got[m.To]; n != want {
			t.Errorf("mail to %s (%s) was delivered %d times, want %d", m.To, row.Status(), n, want)
		}
	}
	if srv.Dropped() != 2 {
		t.Errorf("the server hung up %d times, want 2", srv.Dropped())
	}
}
