package worker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// TestCommittedMailWakesTheSender: with the poll an hour away, mail that
// another instance commits is delivered at once, because its commit wakes
// the sender; mail held back for later does not go early.
func TestCommittedMailWakesTheSender(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	open := func() *db.DB {
		d, err := db.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		return d
	}
	sending, writing := open(), open() // two instances on one database
	be := &backend{}
	s := newSender(sending, startSMTP(t, be, nil), newClock())
	s.Poll = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	defer wg.Wait()
	defer cancel()

	held := &db.Mail{To: "later@example.jp", Subject: "あとで", Body: "本文", Kind: "test", NextAttemptAt: time.Now().Add(48 * time.Hour)}
	enqueue(t, writing, held)
	// Three in turn: the sender looks at the outbox once when it starts,
	// so only a wake-up on each commit delivers all three before the poll.
	for i := 1; i <= 3; i++ {
		subject := fmt.Sprintf("すぐに %d", i)
		enqueue(t, writing, &db.Mail{To: "now@example.jp", Subject: subject, Body: "本文", Kind: "test"})
		deadline := time.Now().Add(20 * time.Second)
		for len(be.messages()) < i {
			if time.Now().After(deadline) {
				t.Fatalf("mail %d waits for the poll", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := parse(t, be.messages()[i-1].Data).Subject; got != subject {
			t.Errorf("delivered %q, want %q", got, subject)
		}
	}
	if row := getMail(t, writing, held.ID); row.Status() != db.MailWaiting || row.Attempts != 0 {
		t.Errorf("the held-back mail: %s after %d attempts", row.Status(), row.Attempts)
	}
}
