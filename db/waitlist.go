package db

import "context"

// WaitlistPosition is the member's place on the event's waitlist (1: the
// next seat freed is theirs), or 0 when they are not waiting. Places are
// given in the order promote follows (event_signups.place).
func (d *DB) WaitlistPosition(ctx context.Context, eventID, accountID int64) (_ int, err error) {
	defer wrap(&err, "waitlist position")
	var n int
	err = d.Pool.QueryRow(ctx, `SELECT count(*) FROM event_signups AS me
		JOIN event_signups AS w ON w.event_id = me.event_id AND w.status = `+lit(SignupWaitlisted)+` AND w.place <= me.place
		WHERE me.event_id = $1 AND me.account_id = $2 AND me.status = `+lit(SignupWaitlisted), eventID, accountID).Scan(&n)
	return n, err
}
