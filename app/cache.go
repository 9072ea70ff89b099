package app

import (
	"sync"
	"time"
)

// ttlValue keeps one value an instance may serve from memory for a while:
// lists every page shows and that change rarely (board categories, the event
// filters' choices).
type ttlValue[T any] struct {
	mu sync.Mutex
	v  T
	at time.Time
	ok bool
}

// get returns the value, loading it when it is missing or older than ttl.
func (c *ttlValue[T]) get(now time.Time, ttl time.Duration, load func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && now.Sub(c.at) < ttl {
		return c.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.v, c.at, c.ok = v, now, true
	return v, nil
}

// forget drops the value, so the next get loads it.
func (c *ttlValue[T]) forget() {
	c.mu.Lock()
	c.ok = false
	c.mu.Unlock()
}
