package app

import (
	"context"
	"time"

	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/db"
)

// retentionEvery is how often an instance runs the retention job.
const retentionEvery = 24 * time.Hour

// RunRetention removes access history and audit entries older than the
// configured period, once at start and then daily, until ctx ends. Every
// instance may run it; an advisory lock lets one purge at a time.
func (a *App) RunRetention(ctx context.Context) {
	worker.Every(ctx, retentionEvery, a.purgeExpired)
}

// purgeExpired runs one purge, unless another instance is purging, and logs
// what it removed.
func (a *App) purgeExpired(ctx context.Context) {
	cutoff := a.now().AddDate(0, 0, -a.cfg.RetentionDays)
	var history, audit int64
	ran, err := a.db.TryExclusive(ctx, db.RetentionLockKey, func(ctx context.Context) error {
		var err error
		history, audit, err = a.db.PurgeOlderThan(ctx, cutoff)
		return err
	})
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("retention", "err", err, "cutoff", cutoff, "access_history", history, "audit_log", audit)
	case ran && err == nil:
		a.log.Info("retention", "cutoff", cutoff, "access_history", history, "audit_log", audit)
	}
	// The rate limits' counters outlive their longest window by a day.
	if n, err := a.db.PruneRateEvents(ctx, a.now()); err != nil && ctx.Err() == nil {
		a.log.Error("prune rate events", "err", err)
	} else if n > 0 {
		a.log.Info("pruned rate events", "rows", n)
	}
}
