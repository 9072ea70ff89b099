-- Private calendar feeds (issue 4): a member's secret address,
-- /calendar/{token}.ics, lists their own sign-ups for a calendar app. Only
-- the SHA-256 of the token is stored (hex, as for password resets), so the
-- address is shown once, when it is made. A revoked row stays, so the old
-- address keeps answering 404 and the history of feeds is kept.
CREATE TABLE calendar_feeds (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash text        NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
-- One live feed per member: making a new address revokes the old one.
CREATE UNIQUE INDEX calendar_feeds_live_idx ON calendar_feeds (account_id) WHERE revoked_at IS NULL;
