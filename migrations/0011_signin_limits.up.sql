-- Sign-in throttling and the rate limits of registration and password reset
-- (issue 11). One row per counted request: a failed sign-in, a registration,
-- a reset request, a warning mail sent. Counting rows in a sliding window is
-- exact across instances and needs no counters to reset; the rows are
-- short-lived (the retention job removes them after two days).
--
-- subject is a keyed hash (HMAC with PORTAL_SECRET) of the login ID or
-- e-mail address the request named, whether or not an account has it, so
-- the table holds no typed address and treats unknown IDs like known ones.
CREATE TABLE rate_events (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind    text        NOT NULL,
    subject text        NOT NULL DEFAULT '',
    ip      text        NOT NULL DEFAULT '',
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_events_subject_idx ON rate_events (kind, subject, at);
CREATE INDEX rate_events_ip_idx ON rate_events (kind, ip, at);
CREATE INDEX rate_events_at_idx ON rate_events (at);

-- Failed sign-ins were counted from access_history by address; they are
-- counted here now, so its partial index has no query left.
DROP INDEX IF EXISTS access_history_ip_failed_idx;
