package worker

import (
	"context"
	"sync"
	"time"
)

// Bounds of the pacer's slow-down: the first gap a 4xx reply opens when no
// rate is set, and the widest gap it ever waits between two messages.
const (
	throttleFirstGap = 10 * time.Millisecond
	throttleMaxGap   = 30 * time.Second
)

// pacer spaces the messages of every connection to one SMTP server: at most
// one every gap. A 4xx reply (the server asking us to slow down) doubles the
// gap; every accepted message narrows it by a sixteenth, back to the
// configured base. The base 0 means no limit.
type pacer struct {
	mu   sync.Mutex
	base time.Duration
	gap  time.Duration
	next time.Time // the earliest start of the next message
}

func newPacer(perSecond float64) *pacer {
	p := &pacer{}
	if perSecond > 0 {
		p.base = time.Duration(float64(time.Second) / perSecond)
	}
	p.gap = p.base
	return p
}

// Wait blocks until the next message may start, or ctx ends.
func (p *pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	if p.gap == 0 {
		p.mu.Unlock()
		return ctx.Err()
	}
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.gap)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return ctx.Err()
}

// SlowDown widens the gap after a 4xx reply.
func (p *pacer) SlowDown() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gap = min(max(2*p.gap, throttleFirstGap), throttleMaxGap)
}

// SpeedUp narrows the gap after an accepted message, never below the base.
func (p *pacer) SpeedUp() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gap <= p.base {
		return
	}
	p.gap -= p.gap / 16
	if p.gap < p.base || p.gap < time.Millisecond && p.base == 0 {
		p.gap = p.base
	}
}

// Gap is the current spacing, for the log and tests.
func (p *pacer) Gap() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gap
}
