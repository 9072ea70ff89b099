package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func enqueueMails(t *testing.T, d *db.DB, n int) []*db.Mail {
	t.Helper()
	ms := make([]*db.Mail, n)
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		for i := range ms {
			ms[i] = &db.Mail{To: fmt.Sprintf("u%d@example.jp", i), Subject: fmt.Sprintf("件名%d", i), Body: "本文", Kind: "test"}
			if err := db.EnqueueMail(ctx, tx, ms[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestEnqueueMailFollowsTheTransaction(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.EnqueueMail(ctx, tx, &db.Mail{To: "a@example.jp", Subject: "s", Body: "b", Kind: "k"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if p, err := d.ListMail(ctx, db.Cursor{}, 10); err != nil || len(p.Items) != 0 {
		t.Fatalf("rolled back mail is in the outbox: %d, %v", len(p.Items), err)
	}

	m := enqueueMails(t, d, 1)[0]
	got, err := d.GetMail(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.To != m.To || got.Subject != m.Subject || got.Body != "本文" || got.Kind != "test" || got.AccountID != nil ||
		got.Attempts != 0 || got.SentAt != nil || got.FailedAt != nil || got.Status() != db.MailWaiting || got.NextAttemptAt.IsZero() {
		t.Errorf("stored mail: %+v", got)
	}

	for _, bad := range []db.Mail{
		{Subject: "s", Kind: "k"},
		{To: "a@example.jp\r\nBcc: x@example.jp", Subject: "s", Kind: "k"},
		{To: "a@example.jp", Kind: "k"},
		{To: "a@example.jp", Subject: "s"},
	} {
		if err := db.EnqueueMail(ctx, d.Bun, &bad); err == nil {
			t.Errorf("enqueued %+v", bad)
		}
	}
	if _, err := d.GetMail(ctx, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("GetMail(missing) = %v", err)
	}
}

func TestClaimDueMailLeasesAndCounts(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	ms := enqueueMails(t, d, 3)
	now := time.Now().Add(time.Second)

	// Held back: not due until tomorrow.
	later := &db.Mail{To: "later@example.jp", Subject: "s", Body: "b", Kind: "k", NextAttemptAt: now.Add(24 * time.Hour)}
	if err := db.EnqueueMail(ctx, d.Bun, later); err != nil {
		t.Fatal(err)
	}

	got, err := d.ClaimDueMail(ctx, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != ms[0].ID || got[1].ID != ms[1].ID {
		t.Fatalf("claimed %v, want the two oldest", ids(got))
	}
	for _, m := range got {
		if m.Attempts != 1 || !m.NextAttemptAt.Equal(now.Add(db.MailLease).Truncate(time.Microsecond)) || m.Body != "本文" {
			t.Errorf("claimed row: %+v", m)
		}
	}
	got, _ = d.ClaimDueMail(ctx, 10, now)
	if len(got) != 1 || got[0].ID != ms[2].ID {
		t.Fatalf("second claim %v, want only the third", ids(got))
	}
	if got, _ := d.ClaimDueMail(ctx, 10, now.Add(db.MailLease-time.Second)); len(got) != 0 {
		t.Fatalf("claimed %v while leased", ids(got))
	}

	// Outcomes.
	if err := d.MarkMailSent(ctx, ms[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := d.MarkMailFailed(ctx, ms[1].ID, now, "550 5.1.1 no such user"); err != nil {
		t.Fatal(err)
	}
	if err := d.ReleaseMail(ctx, ms[2].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := d.MarkMailRetry(ctx, ms[0].ID, now, "late"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("retry of a sent mail = %v", err)
	}
	if err := d.MarkMailFailed(ctx, ms[0].ID, now, "late"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("failing a sent mail = %v", err)
	}
	if m, _ := d.GetMail(ctx, ms[1].ID); m.Status() != db.MailFailed || m.LastError != "550 5.1.1 no such user" {
		t.Errorf("failed mail: %+v", m)
	}

	// After the lease only the released mail is due, its claim not counted;
	// sent and failed mail never comes back.
	got, _ = d.ClaimDueMail(ctx, 10, now.Add(48*time.Hour))
	if len(got) != 2 || got[0].ID != ms[2].ID || got[0].Attempts != 1 || got[1].ID != later.ID {
		t.Fatalf("after lease: %+v", got)
	}
	if err := d.MarkMailRetry(ctx, later.ID, now.Add(50*time.Hour), "451 greylisted"); err != nil {
		t.Fatal(err)
	}
	if m, _ := d.GetMail(ctx, later.ID); m.LastError != "451 greylisted" || m.Status() != db.MailWaiting {
		t.Errorf("retried mail: %+v", m)
	}
}

func TestClaimDueMailConcurrentlyNeverOverlaps(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	const total = 200
	enqueueMails(t, d, total)
	now := time.Now().Add(time.Second)

	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				got, err := d.ClaimDueMail(ctx, 7, now)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != total {
		t.Errorf("claimed %d distinct mails, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %d claimed %d times", id, n)
		}
	}
}

func TestListMailNewestFirst(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	var all []*db.Mail
	for range 5 { // separate transactions: distinct created_at
		all = append(all, enqueueMails(t, d, 1)...)
	}
	all = append(all, enqueueMails(t, d, 3)...) // one transaction: same created_at, ordered by id

	var listed []int64
	after := db.Cursor{}
	for pages := 0; ; pages++ {
		p, err := d.ListMail(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Items {
			if m.Body != "" {
				t.Errorf("list carries the body of mail %d", m.ID)
			}
			listed = append(listed, m.ID)
		}
		if p.Next.IsZero() || pages > 10 {
			break
		}
		// The way a handler gets it: through the URL.
		c, err := db.ParseCursor(p.Next.String())
		if err != nil || c.ID != p.Next.ID || !c.At.Equal(p.Next.At) {
			t.Fatalf("cursor round trip: %v %v", c, err)
		}
		after = c
	}
	if len(listed) != len(all) {
		t.Fatalf("listed %v", listed)
	}
	for i, id := range listed {
		if want := all[len(all)-1-i].ID; id != want {
			t.Errorf("position %d: mail %d, want %d (got %v)", i, id, want, listed)
			break
		}
	}
}

func ids(ms []db.Mail) []int64 {
	out := make([]int64, len(ms))
	for i := range ms {
		out[i] = ms[i].ID
	}
	return out
}
