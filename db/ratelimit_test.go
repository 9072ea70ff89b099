package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// TestSignInFailuresWarnTheOwnerOnce: thirty failures at once, every one of
// which asks to warn the owner, leave one mail; the counts each sees
// include itself.
func TestSignInFailuresWarnTheOwnerOnce(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	acc := dbtest.Member(t, d, dbtest.MemberOptions{Login: "M7100001", Handle: "警告テスト", Email: "warn@example.jp"})
	now := time.Now()
	var wg sync.WaitGroup
	seen := make(chan int, 30)
	for i := range 30 {
		wg.Go(func() {
			ip := fmt.Sprintf("198.51.100.%d", i%3+1) // three addresses
			n, err := d.RecordSignInFailure(ctx, db.SignInFailure{
				Subject: "subject-1", Event: db.AccessEvent{AccountID: &acc.ID, LoginID: acc.LoginID, Action: db.ActionLogin, IP: ip},
				Since: now.Add(-time.Minute), Now: now, WarnEvery: 24 * time.Hour,
				Warn: func(db.SignInCounts) *db.Mail {
					return &db.Mail{Subject: "警告", Body: "本文", Kind: "signin_attack"}
				},
			})
			if err != nil {
				t.Error(err)
			}
			seen <- n.Subject
		})
	}
	wg.Wait()
	close(seen)
	for n := range seen {
		if n < 1 || n > 30 {
			t.Errorf("a failure saw %d for its login ID", n)
		}
	}
	var mails []db.Mail
	if err := d.Bun.NewSelect().Model(&mails).Where("kind = 'signin_attack'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "warn@example.jp" {
		t.Fatalf("%d warning mails: %+v", len(mails), mails)
	}
	got, err := d.SignInCounts(ctx, "subject-1", "198.51.100.1", now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got != (db.SignInCounts{Address: 10, Pair: 10, Subject: 30}) {
		t.Errorf("counts %+v, want 10 from the address, 10 for the pair, 30 for the login ID", got)
	}
	hist, err := d.Bun.NewSelect().Model((*db.AccessEvent)(nil)).Where("account_id = ? AND NOT success", acc.ID).Count(ctx)
	if err != nil || hist != 30 {
		t.Errorf("%d failures in the access history (%v)", hist, err)
	}

	// Pruning keeps what a window may still count.
	if _, err := d.Bun.ExecContext(ctx, `UPDATE rate_events SET at = now() - interval '3 days' WHERE ip = '198.51.100.2'`); err != nil {
		t.Fatal(err)
	}
	pruned, err := d.PruneRateEvents(ctx, time.Now())
	if err != nil || pruned != 10 {
		t.Errorf("pruned %d (%v), want the 10 from three days ago", pruned, err)
	}
}
