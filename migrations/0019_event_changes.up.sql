-- Changes to a group's published event (issue 15; the activity-site seed's
-- 緊急時の掲載内容変更): a group's change waits in the moderation queue as
-- its own kind while the published event stays as it is; approval applies
-- it, rejection leaves the event untouched. A moderator may correct a
-- published event directly in an emergency, with a reason; every step is in
-- the event's history.
CREATE TABLE event_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    title        text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    category     text        NOT NULL,
    town         text        NOT NULL,
    venue        text        NOT NULL,
    facility_id  bigint      REFERENCES facilities (id),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL CHECK (ends_at >= starts_at),
    apply_until  timestamptz,
    fee          text        NOT NULL DEFAULT '',
    contact      text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'rejected')),
    submitted_by bigint      NOT NULL REFERENCES accounts (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- One pending change per event: a new edit replaces it.
CREATE UNIQUE INDEX event_changes_pending_idx ON event_changes (event_id) WHERE status = 'pending';

-- The queue's kinds, whatever other migrations added before this one, and
-- event_change.
DO $$
DECLARE kinds text[];
BEGIN
    SELECT array_agg(DISTINCT m[1]) INTO kinds
    FROM pg_constraint AS c, regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m
    WHERE c.conname = 'moderation_items_kind_check';
    ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check;
    EXECUTE format('ALTER TABLE moderation_items ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN (%s))',
                   (SELECT string_agg(quote_literal(k), ', ') FROM unnest(array_append(kinds, 'event_change')) AS k));
END $$;

-- What happened to an event after publication, for its organiser and the
-- moderators: changes submitted, approved, rejected, corrected.
CREATE TABLE event_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    action     text        NOT NULL CHECK (action IN ('change_submitted', 'change_approved', 'change_rejected', 'correction')),
    actor_id   bigint      NOT NULL REFERENCES accounts (id),
    actor_role text        NOT NULL DEFAULT '',
    -- The reason of a correction, the moderator's message of a rejection.
    reason     text        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 2000),
    -- The fields the step changed, by name.
    fields     text[]      NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now(),
    CHECK (action <> 'correction' OR btrim(reason) <> '')
);
CREATE INDEX event_history_event_idx ON event_history (event_id, at DESC, id DESC);
