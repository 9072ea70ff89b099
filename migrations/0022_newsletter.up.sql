-- The newsletter (issue 16, PRODUCT.md §5): lists kept by ward staff,
-- subscribers (a member's account or a visitor's confirmed address), issues
-- composed in the editor's Markdown, and one delivery row per recipient.

CREATE TABLE newsletter_lists (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL UNIQUE CHECK (name <> ''),
    description text        NOT NULL DEFAULT '',
    active      boolean     NOT NULL DEFAULT true, -- inactive: offered to nobody, kept for its issues
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A member subscribes through their account (the address is the profile's,
-- read when an issue is queued); a visitor through an address. Hard
-- failures count consecutive 5xx replies; past the set count the
-- subscriber is suppressed and gets no more issues.
CREATE TABLE newsletter_subscribers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text UNIQUE CHECK (email = lower(email) AND email <> ''),
    account_id    bigint UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    hard_failures integer     NOT NULL DEFAULT 0,
    suppressed_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((email IS NULL) <> (account_id IS NULL))
);

CREATE TABLE newsletter_subscriptions (
    subscriber_id   bigint      NOT NULL REFERENCES newsletter_subscribers (id) ON DELETE CASCADE,
    list_id         bigint      NOT NULL REFERENCES newsletter_lists (id) ON DELETE CASCADE,
    status          text        NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    unsubscribed_at timestamptz,
    PRIMARY KEY (subscriber_id, list_id),
    CHECK (status <> 'confirmed' OR confirmed_at IS NOT NULL)
);
CREATE INDEX newsletter_subscriptions_list_idx ON newsletter_subscriptions (list_id, subscriber_id) WHERE status = 'confirmed';

CREATE TABLE newsletter_issues (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    division_id  bigint      NOT NULL REFERENCES divisions (id),
    subject      text        NOT NULL CHECK (subject <> ''),
    body         text        NOT NULL DEFAULT '',
    -- the member export's filters narrowing the audience to members: {"town": …}
    segment      jsonb       NOT NULL DEFAULT '{}',
    status       text        NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'awaiting_approval', 'scheduled', 'sending', 'sent')),
    send_at      timestamptz,
    audience     integer,
    created_by   bigint      NOT NULL REFERENCES accounts (id),
    approved_by  bigint      REFERENCES accounts (id),
    approved_at  timestamptz,
    queued_at    timestamptz,
    finished_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR send_at IS NOT NULL)
);
CREATE INDEX newsletter_issues_due_idx ON newsletter_issues (send_at) WHERE status = 'scheduled';
CREATE INDEX newsletter_issues_sending_idx ON newsletter_issues (id) WHERE status = 'sending';

CREATE TABLE newsletter_issue_lists (
    issue_id bigint NOT NULL REFERENCES newsletter_issues (id) ON DELETE CASCADE,
    list_id  bigint NOT NULL REFERENCES newsletter_lists (id),
    PRIMARY KEY (issue_id, list_id)
);

-- One row per recipient of an issue (and per test send). The life of a row
-- and why it makes delivery exactly once is in db/newsletter.go and the
-- README ("Newsletter delivery").
CREATE SEQUENCE newsletter_claim_seq;
CREATE TABLE newsletter_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id        bigint      NOT NULL REFERENCES newsletter_issues (id) ON DELETE CASCADE,
    subscriber_id   bigint      REFERENCES newsletter_subscribers (id) ON DELETE SET NULL,
    address         text        NOT NULL CHECK (address <> ''),
    test            boolean     NOT NULL DEFAULT false,
    status          text        NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'committing', 'sent', 'deferred', 'failed', 'unknown')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claim           bigint,
    lease_until     timestamptz,
    last_reply      text        NOT NULL DEFAULT '',
    sent_at         timestamptz
);
CREATE UNIQUE INDEX newsletter_deliveries_once_idx ON newsletter_deliveries (issue_id, subscriber_id) WHERE NOT test;
CREATE INDEX newsletter_deliveries_due_idx ON newsletter_deliveries (next_attempt_at, id) WHERE status IN ('queued', 'deferred');
CREATE INDEX newsletter_deliveries_claimed_idx ON newsletter_deliveries (lease_until) WHERE status IN ('sending', 'committing');
CREATE INDEX newsletter_deliveries_issue_idx ON newsletter_deliveries (issue_id, status);

-- The subscriptions the member export filtered on until now become
-- confirmed subscriptions to a first list (made only when there are some:
-- a new database stays empty, as a handover import needs it); the column
-- goes, so the export and the member's data download read the real
-- subscriptions.
INSERT INTO newsletter_lists (name, description)
    SELECT '区からのお知らせ', '区政・地域活動の最新情報をお届けします。'
    WHERE EXISTS (SELECT 1 FROM member_profiles WHERE newsletter_since IS NOT NULL);
INSERT INTO newsletter_subscribers (account_id)
    SELECT account_id FROM member_profiles WHERE newsletter_since IS NOT NULL ORDER BY account_id;
INSERT INTO newsletter_subscriptions (subscriber_id, list_id, status, requested_at, confirmed_at)
    SELECT s.id, (SELECT min(id) FROM newsletter_lists), 'confirmed', p.newsletter_since, p.newsletter_since
    FROM newsletter_subscribers s JOIN member_profiles p ON p.account_id = s.account_id;
ALTER TABLE member_profiles DROP COLUMN newsletter_since;
