-- Inquiries from residents to a division (第8条2項3号): the resident's name
-- and contact are personal data, read by the division's staff only with an
-- audit entry, and removed by the retention job with the inquiry's history.
CREATE TABLE inquiries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    division_id bigint      NOT NULL REFERENCES divisions (id),
    page_id     bigint      REFERENCES pages (id) ON DELETE SET NULL,
    subject     text        NOT NULL CHECK (subject <> ''),
    body        text        NOT NULL CHECK (body <> ''),
    name        text        NOT NULL CHECK (name <> ''),
    email       text        NOT NULL CHECK (email <> ''),
    phone       text        NOT NULL DEFAULT '',
    status      text        NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'answered', 'closed')),
    assignee_id bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    ip_hash     text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inquiries_division_idx ON inquiries (division_id, status, id DESC);
CREATE INDEX inquiries_updated_idx ON inquiries (updated_at);

-- Everything that happened to an inquiry: status changes, assignments,
-- internal notes (never mailed) and answers (mailed, with their text).
CREATE TABLE inquiry_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inquiry_id bigint      NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('received', 'assigned', 'status', 'note', 'answer')),
    actor_id   bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    status     text        NOT NULL DEFAULT '',
    body       text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inquiry_events_inquiry_idx ON inquiry_events (inquiry_id, id);

-- A division's answer templates: staff start an answer from one.
CREATE TABLE inquiry_templates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    division_id bigint      NOT NULL REFERENCES divisions (id) ON DELETE CASCADE,
    title       text        NOT NULL CHECK (title <> ''),
    body        text        NOT NULL CHECK (body <> ''),
    created_by  bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inquiry_templates_division_idx ON inquiry_templates (division_id, title);
