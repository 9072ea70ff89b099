-- Board posting, the moderation queue and live updates (issue 4).

-- Posts keep a version (bumped by every edit and decision, so a moderator
-- decides on exactly the text they saw) and their search grams: the
-- distinct characters and character pairs of the normalised title and body,
-- computed in Go (see db/grams.go) and indexed with GIN.
ALTER TABLE board_posts
    ADD COLUMN version      int         NOT NULL DEFAULT 1,
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN search_grams int[]       NOT NULL DEFAULT '{}';
CREATE INDEX board_posts_search_idx ON board_posts USING gin (search_grams) WHERE status = 'published';
CREATE INDEX board_posts_published_idx ON board_posts (published_at DESC, id DESC) WHERE status = 'published';

-- Words moderators want to be warned about; staff keep the list.
CREATE TABLE moderation_words (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    word       text        NOT NULL UNIQUE CHECK (word <> ''),
    created_by bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per request for publication: a submission (or resubmission after
-- an edit) or a report of something already published. Board posts now;
-- group events and group profile changes join as new kinds.
CREATE TABLE moderation_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('board_post')),
    subject_id      bigint      NOT NULL,
    origin          text        NOT NULL CHECK (origin IN ('submission', 'report')),
    status          text        NOT NULL DEFAULT 'open'
                                CHECK (status IN ('open', 'escalated', 'approved', 'rejected', 'withdrawn')),
    -- Bumped by every change; a decision names the version it saw.
    version         int         NOT NULL DEFAULT 1,
    submitted_by    bigint      NOT NULL REFERENCES accounts (id),
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Pre-check findings: [{"kind": "phone", "match": "03-1234-5678"}, ...].
    flags           jsonb       NOT NULL DEFAULT '[]',
    reports         int         NOT NULL DEFAULT 0,
    escalated_by    bigint      REFERENCES accounts (id),
    escalated_at    timestamptz,
    escalation_note text        NOT NULL DEFAULT '',
    decided_by      bigint      REFERENCES accounts (id),
    decided_role    text        NOT NULL DEFAULT '',
    decided_at      timestamptz,
    reason          text        CHECK (reason IN ('privacy', 'defamation', 'political_religious',
                                                  'public_order', 'copyright', 'unlawful', 'other')),
    message         text        NOT NULL DEFAULT '',
    CHECK (status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL),
    CHECK (status <> 'rejected' OR (reason IS NOT NULL AND message <> '')),
    CHECK (status <> 'escalated' OR escalated_at IS NOT NULL)
);
-- At most one open request per subject: resubmissions and further reports
-- join it.
CREATE UNIQUE INDEX moderation_items_open_idx ON moderation_items (kind, subject_id)
    WHERE status IN ('open', 'escalated');
CREATE INDEX moderation_items_queue_idx ON moderation_items (status, submitted_at, id)
    WHERE status IN ('open', 'escalated');
CREATE INDEX moderation_items_subject_idx ON moderation_items (kind, subject_id, id DESC);

-- Everything that happened to an item, with who, when and why. Never updated.
CREATE TABLE moderation_actions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id    bigint      NOT NULL REFERENCES moderation_items (id),
    action     text        NOT NULL CHECK (action IN ('submit', 'edit', 'withdraw', 'report',
                                                      'escalate', 'approve', 'reject')),
    actor_id   bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    actor_role text        NOT NULL DEFAULT '',
    reason     text        NOT NULL DEFAULT '',
    note       text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_actions_item_idx ON moderation_actions (item_id, at);

-- Members' reports of published posts.
CREATE TABLE board_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id     bigint      NOT NULL REFERENCES board_posts (id),
    item_id     bigint      NOT NULL REFERENCES moderation_items (id),
    reporter_id bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    reason      text        NOT NULL CHECK (reason <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (item_id, reporter_id)
);

-- Live updates: the outbox every app instance reads after a NOTIFY on
-- channel portal_live, and that a reconnecting browser is replayed from
-- (Last-Event-ID). Rows are written under a transaction-level advisory lock,
-- so ids become visible in order and "id > last seen" never skips one.
CREATE TABLE live_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream     text        NOT NULL,
    name       text        NOT NULL,
    subject_id bigint      NOT NULL,
    scope_id   bigint      NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_events_stream_idx ON live_events (stream, id);
