package worker

import (
	"context"
	"time"
)

// Every calls job at once and then every interval until ctx ends: the loop
// of the background jobs every instance runs (retention, event reminders).
// A job that outlasts interval delays the next call rather than overlapping
// it.
func Every(ctx context.Context, interval time.Duration, job func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		job(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
