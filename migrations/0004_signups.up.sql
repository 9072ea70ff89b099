-- Event sign-ups (issue 5). The event row holds the counters (confirmed,
-- waitlisted) that its CHECK constraints bound by capacity and waitlist size;
-- every path that changes seats locks the event row first and changes the
-- counters in the same transaction as the sign-up rows.
CREATE TABLE event_signups (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL REFERENCES events (id),
    account_id   bigint      NOT NULL REFERENCES accounts (id),
    status       text        NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    -- When the member applied: the waitlist's order.
    created_at   timestamptz NOT NULL DEFAULT now(),
    status_at    timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
-- One live sign-up per member and event: a double submit counts once.
CREATE UNIQUE INDEX event_signups_active_idx ON event_signups (event_id, account_id) WHERE status <> 'cancelled';
CREATE INDEX event_signups_waitlist_idx ON event_signups (event_id, created_at, id) WHERE status = 'waitlisted';
CREATE INDEX event_signups_event_idx ON event_signups (event_id, status, created_at);
CREATE INDEX event_signups_account_idx ON event_signups (account_id, created_at DESC);
