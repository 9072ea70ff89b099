package worker

import (
	"context"
	"testing"
	"time"
)

// Every runs its job at once, without waiting an interval, keeps running it
// and returns once ctx ends. The job itself cancels ctx, so nothing here
// depends on how fast the machine is.
func TestEvery(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		interval time.Duration
		runs     int
	}{
		// An interval no test outlives: only the first, immediate call can happen.
		{"at once", 24 * time.Hour, 1},
		{"repeatedly", time.Millisecond, 3},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		runs := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			Every(ctx, c.interval, func(jctx context.Context) {
				if jctx != ctx {
					t.Errorf("%s: job got another context", c.name)
				}
				runs++
				if runs == c.runs {
					cancel()
				}
			})
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("%s: Every did not return after ctx ended", c.name)
		}
		cancel()
		if runs != c.runs {
			t.Errorf("%s: job ran %d times, want %d", c.name, runs, c.runs)
		}
	}
}
