package db

import (
	"context"
	"time"
)

// PurgeInBatches is PurgeOlderThan with a batch size small enough for a
// test to cross several batches.
func (d *DB) PurgeInBatches(ctx context.Context, cutoff time.Time, batch int) (history, audit int64, err error) {
	return d.purgeOlderThan(ctx, cutoff, batch)
}
