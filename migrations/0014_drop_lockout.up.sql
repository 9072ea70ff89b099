-- Sign-in is throttled through rate_events (0011); nothing locks an account
-- any more, so the lockout counters are dead state.
ALTER TABLE accounts DROP COLUMN failed_logins, DROP COLUMN locked_until;
