-- Member-list exports (issue 6).

-- Newsletter subscription: when the member subscribed, NULL when they are not.
-- The newsletter feature confirms subscriptions (double opt-in) and sets it;
-- the staff export filters on it.
ALTER TABLE member_profiles ADD COLUMN newsletter_since timestamptz;

-- Filters of the staff export that the existing indexes do not serve.
CREATE INDEX member_profiles_town_idx ON member_profiles (town);
CREATE INDEX accounts_member_created_idx ON accounts (created_at) WHERE kind = 'member';

-- The retention job removes access history by age.
CREATE INDEX access_history_at_idx ON access_history (at);

-- One row per export a staff member ran: what they are told afterwards
-- (rows written, characters CP932 could not hold). The authoritative record
-- is the audit entry written before the first row leaves.
CREATE TABLE member_exports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token           text        NOT NULL UNIQUE,
    actor_id        bigint      NOT NULL REFERENCES accounts (id),
    format          text        NOT NULL CHECK (format IN ('csv_cp932', 'csv_utf8', 'xlsx')),
    purpose         text        NOT NULL CHECK (purpose <> ''),
    matched         bigint      NOT NULL,
    written         bigint,
    -- cells CP932 could not hold: [{"row": n, "column": "name", "chars": "𠮷"}], the first 100
    unrepresentable jsonb       NOT NULL DEFAULT '[]',
    unrepresentable_cells bigint NOT NULL DEFAULT 0,
    error           text        NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX member_exports_actor_idx ON member_exports (actor_id, id DESC);
