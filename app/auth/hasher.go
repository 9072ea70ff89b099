package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// ErrBusy is returned when hashing is at its memory budget and the queue
// for it is full or a place did not free up in time. It is an overload,
// not a wrong password: the caller answers 503 and asks to retry.
var ErrBusy = errors.New("auth: password hashing at capacity")

// Hasher hashes and checks passwords within a memory budget. Each argon2id
// run takes the memory its parameters name (64 MiB for ours) for as long as
// it runs, so a burst of sign-ins — a few bad ones a second are enough —
// would otherwise take memory without bound. A weighted semaphore admits
// runs while their memory fits in the budget; a caller beyond it waits in a
// short queue and is refused with ErrBusy when the queue is full or the
// wait is over, rather than hanging or growing the heap.
type Hasher struct {
	params *argon2id.Params
	budget int64 // KiB
	sem    *semaphore.Weighted
	wait   time.Duration
	queue  int64

	queued   atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64
	runs     atomic.Int64

	// dummy is checked against when there is no usable hash (an unknown
	// login ID, a withdrawn account), so those cost the same as a wrong
	// password and cannot be told from one by timing.
	dummy string

	// compare and create are argon2id's; tests wrap them to count runs.
	compare func(pw, hash string) (bool, error)
	create  func(pw string, p *argon2id.Params) (string, error)
}

// HasherConfig sizes a Hasher.
type HasherConfig struct {
	Params    *argon2id.Params // of new hashes; nil means Params
	BudgetKiB int64            // memory all runs together may take; at least one run's
	Wait      time.Duration    // longest a caller queues for a place
	Queue     int              // callers that may queue at once; more are refused at once
}

// NewHasher returns a Hasher.
func NewHasher(cfg HasherConfig) (*Hasher, error) {
	p := cfg.Params
	if p == nil {
		p = Params
	}
	if cfg.BudgetKiB < int64(p.Memory) {
		return nil, fmt.Errorf("auth: hashing memory budget %d KiB is below one hash's %d KiB", cfg.BudgetKiB, p.Memory)
	}
	h := &Hasher{
		params: p, budget: cfg.BudgetKiB, sem: semaphore.NewWeighted(cfg.BudgetKiB),
		wait: cfg.Wait, queue: int64(cfg.Queue),
		compare: argon2id.ComparePasswordAndHash, create: argon2id.CreateHash,
	}
	h.dummy = dummyHash(p)
	return h, nil
}

// dummyHash is a well-formed hash with p's parameters and a random salt and
// key: checking any password against it costs a full run and never matches.
// It is written, not computed, so a Hasher costs nothing to make.
func dummyHash(p *argon2id.Params) string {
	salt, key := make([]byte, p.SaltLength), make([]byte, p.KeyLength)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(key)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64(salt), b64(key))
}

// Slots is how many runs of the configured parameters fit in the budget.
func (h *Hasher) Slots() int { return int(h.budget / int64(h.params.Memory)) }

// Hash returns an argon2id hash of pw in the PHC string format.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	release, err := h.acquire(ctx, int64(h.params.Memory))
	if err != nil {
		return "", err
	}
	defer release()
	return h.create(pw, h.params)
}

// Check reports whether pw matches hash, in constant time. An empty or
// malformed hash never matches but costs a full check all the same.
func (h *Hasher) Check(ctx context.Context, pw, hash string) (bool, error) {
	p, _, _, err := argon2id.DecodeHash(hash)
	usable := err == nil
	if !usable {
		hash, p = h.dummy, h.params
	}
	release, err := h.acquire(ctx, int64(p.Memory))
	if err != nil {
		return false, err
	}
	defer release()
	ok, err := h.compare(pw, hash)
	return ok && usable, err
}

// acquire waits for kib of the budget, within the queue's limits.
func (h *Hasher) acquire(ctx context.Context, kib int64) (func(), error) {
	kib = min(kib, h.budget) // a hash larger than the budget runs alone
	if !h.sem.TryAcquire(kib) {
		if h.queued.Add(1) > h.queue {
			h.queued.Add(-1)
			return nil, ErrBusy
		}
		wctx, cancel := context.WithTimeout(ctx, h.wait)
		err := h.sem.Acquire(wctx, kib)
		cancel()
		h.queued.Add(-1)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, ErrBusy
		}
	}
	h.runs.Add(1)
	n := h.inFlight.Add(1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return func() {
		h.inFlight.Add(-1)
		h.sem.Release(kib)
	}, nil
}

// Load reports the runs in progress now and the most there have been at once.
func (h *Hasher) Load() (inFlight, peak int) { return int(h.inFlight.Load()), int(h.peak.Load()) }

// Runs is how many runs have been admitted so far.
func (h *Hasher) Runs() int64 { return h.runs.Load() }
