package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
)

// small keeps the tests quick: the cap is counted in runs, whatever their size.
var small = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// counted wraps h's argon2id calls with a count of the runs in progress and
// the most seen at once, kept by the test rather than by the Hasher.
func counted(h *Hasher) (peak func() int64) {
	var now, most atomic.Int64
	enter := func() {
		n := now.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				return
			}
		}
	}
	cmp, create := h.compare, h.create
	h.compare = func(pw, hash string) (bool, error) {
		enter()
		defer now.Add(-1)
		return cmp(pw, hash)
	}
	h.create = func(pw string, p *argon2id.Params) (string, error) {
		enter()
		defer now.Add(-1)
		return create(pw, p)
	}
	return most.Load
}

func TestHasherNeverExceedsItsBudget(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(HasherConfig{Params: small, BudgetKiB: 2 * 1024, Wait: time.Minute, Queue: 100})
	if err != nil {
		t.Fatal(err)
	}
	peak := counted(h)
	hash, err := h.Hash(context.Background(), "right")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = h.Hash(context.Background(), "new")
			case 1:
				_, err = h.Check(context.Background(), "wrong", hash)
			default:
				_, err = h.Check(context.Background(), "wrong", "") // no account: the dummy hash
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("with a long queue every run gets its turn: %v", err)
		}
	}
	if got := peak(); got > 2 || got < 1 {
		t.Errorf("%d argon2id runs at once, budget allows 2", got)
	}
	if _, hp := h.Load(); hp != int(peak()) {
		t.Errorf("Load reports a peak of %d, the runs counted %d", hp, peak())
	}
}

func TestHasherRefusesOverflowInsteadOfHanging(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(HasherConfig{Params: small, BudgetKiB: 1024, Wait: 50 * time.Millisecond, Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := h.Hash(context.Background(), "right")
	// Someone holds the whole budget.
	if err := h.sem.Acquire(context.Background(), 1024); err != nil {
		t.Fatal(err)
	}
	within := func(what string, f func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute): // a hang, not slowness: the wait is 50 ms
			t.Fatalf("%s hangs", what)
			return nil
		}
	}
	// The wait runs out: refused.
	if err := within("a queued check", func() error { _, err := h.Check(context.Background(), "right", hash); return err }); !errors.Is(err, ErrBusy) {
		t.Fatalf("check beyond the budget: %v, want ErrBusy", err)
	}
	// The queue is full: refused at once, whatever the wait.
	h.wait = time.Hour
	queued := make(chan error, 1)
	go func() { _, err := h.Check(context.Background(), "right", hash); queued <- err }()
	for h.queued.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	if err := within("a check beyond the queue", func() error { _, err := h.Hash(context.Background(), "x"); return err }); !errors.Is(err, ErrBusy) {
		t.Fatalf("hash beyond the queue: %v, want ErrBusy", err)
	}
	// The budget frees up: the queued check runs and succeeds.
	h.sem.Release(1024)
	if err := within("the queued check", func() error { return <-queued }); err != nil {
		t.Fatalf("queued check after release: %v", err)
	}
	if n, _ := h.Load(); n != 0 {
		t.Errorf("%d runs still counted in flight", n)
	}
}

func TestHasherChecks(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(HasherConfig{Params: small, BudgetKiB: 1024, Wait: time.Minute, Queue: 10})
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int64
	cmp := h.compare
	h.compare = func(pw, hash string) (bool, error) { runs.Add(1); return cmp(pw, hash) }
	ctx := context.Background()
	hash, _ := h.Hash(ctx, "正しいパスワード")
	if ok, _ := h.Check(ctx, "正しいパスワード", hash); !ok {
		t.Error("right password rejected")
	}
	if ok, _ := h.Check(ctx, "wrong", hash); ok {
		t.Error("wrong password accepted")
	}
	// No usable hash: never a match, and a full run all the same.
	for _, bad := range []string{"", "not a hash", "$argon2id$v=19$m=1024,t=1,p=1$bad"} {
		before := runs.Load()
		if ok, _ := h.Check(ctx, "no such account", bad); ok {
			t.Errorf("hash %q matched", bad)
		}
		if runs.Load() != before+1 {
			t.Errorf("hash %q was not checked against the dummy", bad)
		}
	}
	if p, _, _, err := argon2id.DecodeHash(h.dummy); err != nil || *p != *small {
		t.Errorf("the dummy hash has parameters %+v (%v), want those of real hashes %+v", p, err, small)
	}
	if _, err := NewHasher(HasherConfig{Params: small, BudgetKiB: 1023}); err == nil {
		t.Error("a budget below one hash was accepted")
	}
}
