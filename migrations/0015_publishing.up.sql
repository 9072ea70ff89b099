-- Publishing (PRODUCT.md §1, §7, §9; Nakano rules 第4–9条): divisions own
-- pages, sites group them, every authored thing is a page of a kind with one
-- revision history and one workflow.

CREATE TABLE divisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text        NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name       text        NOT NULL CHECK (name <> ''),
    -- The division's public contact block (room, phone, hours): shown under
    -- its pages; staff names in it are allowed by the personal-data check.
    contact    text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A staff member's work address, for the back office's notices (approvals
-- waiting); never a resident's personal data.
ALTER TABLE accounts ADD COLUMN work_email text NOT NULL DEFAULT '';

CREATE TABLE staff_divisions (
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    division_id bigint NOT NULL REFERENCES divisions (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, division_id)
);
CREATE INDEX staff_divisions_division_idx ON staff_divisions (division_id);

-- The official site and department sub-sites (第5–6条). A department applies
-- (status applied); the official site's manager approves (active) or refuses.
CREATE TABLE sites (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    official     boolean     NOT NULL DEFAULT false,
    name         text        NOT NULL CHECK (name <> ''),
    host         text        UNIQUE CHECK (host IS NULL OR host ~ '^[a-z0-9.-]+$'),
    division_id  bigint      NOT NULL REFERENCES divisions (id),
    lead_days    int         NOT NULL DEFAULT 2 CHECK (lead_days BETWEEN 0 AND 30),
    status       text        NOT NULL CHECK (status IN ('applied', 'active', 'refused', 'closed')),
    purpose      text        NOT NULL DEFAULT '',
    applied_by   bigint      REFERENCES accounts (id),
    decided_by   bigint      REFERENCES accounts (id),
    decided_at   timestamptz,
    decision     text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT official OR status = 'active')
);
CREATE UNIQUE INDEX sites_one_official ON sites ((true)) WHERE official;

-- Who works on a site: the account's staff roles say what it may do
-- (editor, approver, site manager), this table says where.
CREATE TABLE site_staff (
    site_id    bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (site_id, account_id)
);
CREATE INDEX site_staff_account_idx ON site_staff (account_id);

CREATE TABLE pages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id          bigint      NOT NULL REFERENCES sites (id),
    division_id      bigint      NOT NULL REFERENCES divisions (id),
    kind             text        NOT NULL CHECK (kind IN ('notice', 'subsidy', 'article', 'facility', 'page')),
    live_revision_id bigint,
    -- First publication: the order of the public lists.
    published_at     timestamptz,
    -- The row in the table a page came from before 0015, for old links.
    legacy_id        bigint,
    -- A facility page keeps the facilities row events point at.
    facility_id      bigint      UNIQUE REFERENCES facilities (id),
    created_by       bigint      REFERENCES accounts (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pages_public_idx ON pages (kind, site_id, published_at DESC, id DESC) WHERE live_revision_id IS NOT NULL;
CREATE INDEX pages_division_idx ON pages (division_id, updated_at DESC);
CREATE UNIQUE INDEX pages_legacy_idx ON pages (kind, legacy_id) WHERE legacy_id IS NOT NULL;

-- A page's revisions. At most one is being worked on (draft, submitted,
-- sent back, approved) and at most one is live (published); the live one
-- stays up while the next is written and approved (差し替え).
CREATE TABLE page_revisions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id         bigint      NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    number          int         NOT NULL,
    status          text        NOT NULL CHECK (status IN ('draft', 'submitted', 'sent_back', 'approved',
                                                           'published', 'replaced', 'ended', 'withdrawn')),
    version         int         NOT NULL DEFAULT 1,
    title           text        NOT NULL,
    body            text        NOT NULL DEFAULT '',
    fields          jsonb       NOT NULL DEFAULT '{}',
    tags            text[]      NOT NULL DEFAULT '{}',
    publish_at      timestamptz NOT NULL,
    end_at          timestamptz CHECK (end_at IS NULL OR end_at > publish_at),
    author_id       bigint      REFERENCES accounts (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    submitted_at    timestamptz,
    reminded_at     timestamptz,
    decided_by      bigint      REFERENCES accounts (id),
    decided_at      timestamptz,
    comment         text        NOT NULL DEFAULT '',
    override_reason text        NOT NULL DEFAULT '',
    published_at    timestamptz,
    ended_at        timestamptz,
    UNIQUE (page_id, number)
);
CREATE UNIQUE INDEX page_revisions_one_working ON page_revisions (page_id)
    WHERE status IN ('draft', 'submitted', 'sent_back', 'approved');
CREATE UNIQUE INDEX page_revisions_one_live ON page_revisions (page_id) WHERE status = 'published';
CREATE INDEX page_revisions_due_idx ON page_revisions (publish_at) WHERE status = 'approved';
CREATE INDEX page_revisions_ending_idx ON page_revisions (end_at) WHERE status = 'published' AND end_at IS NOT NULL;
CREATE INDEX page_revisions_submitted_idx ON page_revisions (submitted_at) WHERE status = 'submitted';
CREATE INDEX page_revisions_tags_idx ON page_revisions USING gin (tags) WHERE status = 'published';

ALTER TABLE pages ADD CONSTRAINT pages_live_revision_fk
    FOREIGN KEY (live_revision_id) REFERENCES page_revisions (id) DEFERRABLE INITIALLY DEFERRED;

-- Every transition of a page: who, in which role, when, why.
CREATE TABLE page_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id     bigint      NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    revision_id bigint      NOT NULL REFERENCES page_revisions (id) ON DELETE CASCADE,
    action      text        NOT NULL,
    from_status text        NOT NULL DEFAULT '',
    to_status   text        NOT NULL,
    actor_id    bigint      REFERENCES accounts (id), -- NULL: the scheduler
    actor_role  text        NOT NULL DEFAULT '',
    comment     text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_history_page_idx ON page_history (page_id, id);

-- The portal-wide switches a site manager of the official site flips.
CREATE TABLE portal_settings (
    id            boolean     PRIMARY KEY DEFAULT true CHECK (id),
    disaster_mode boolean     NOT NULL DEFAULT false,
    changed_by    bigint      REFERENCES accounts (id),
    changed_at    timestamptz NOT NULL DEFAULT now()
);
-- No row: every switch off. Nothing is inserted here unless there is
-- content to move, so a new database stays empty for import-all; the
-- portal creates the official site when it first starts (EnsureOfficialSite).

-- The existing content moves in: one division per department named in the
-- rows, the official site run by the first, and each row a published page.
INSERT INTO divisions (code, name)
SELECT 'div-' || row_number() OVER (ORDER BY department), department
FROM (SELECT department FROM notices UNION SELECT department FROM subsidies) AS d;
INSERT INTO divisions (code, name)
SELECT 'operator', 'ポータル運営事務局'
WHERE EXISTS (SELECT 1 FROM articles) OR EXISTS (SELECT 1 FROM facilities);

INSERT INTO sites (slug, official, name, division_id, status)
SELECT 'official', true, '公式サイト', id, 'active' FROM divisions
ORDER BY code = 'operator', id LIMIT 1;

CREATE FUNCTION pg_temp.move_page(p_kind text, p_legacy bigint, p_division bigint, p_title text, p_body text,
                                  p_fields jsonb, p_published timestamptz, p_created timestamptz,
                                  p_facility bigint) RETURNS void AS $$
DECLARE pid bigint; rid bigint;
BEGIN
    INSERT INTO pages (site_id, division_id, kind, published_at, legacy_id, facility_id, created_at, updated_at)
    VALUES ((SELECT id FROM sites WHERE official), p_division, p_kind, p_published, p_legacy, p_facility, p_created, p_created)
    RETURNING id INTO pid;
    INSERT INTO page_revisions (page_id, number, status, title, body, fields, publish_at, created_at, updated_at, published_at)
    VALUES (pid, 1, 'published', p_title, p_body, p_fields, p_published, p_created, p_created, p_published)
    RETURNING id INTO rid;
    UPDATE pages SET live_revision_id = rid WHERE id = pid;
    INSERT INTO page_history (page_id, revision_id, action, to_status, comment, at)
    VALUES (pid, rid, 'migrate', 'published', 'moved from the ' || p_kind || ' table', p_published);
END $$ LANGUAGE plpgsql;

SELECT pg_temp.move_page('notice', n.id, d.id, n.title, n.body, '{}', n.published_at, n.created_at, NULL)
FROM notices AS n JOIN divisions AS d ON d.name = n.department ORDER BY n.id;

SELECT pg_temp.move_page('subsidy', s.id, d.id, s.title, s.body,
                         jsonb_strip_nulls(jsonb_build_object('amount', nullif(s.amount, ''), 'apply_until', s.apply_until)),
                         s.published_at, s.created_at, NULL)
FROM subsidies AS s JOIN divisions AS d ON d.name = s.department ORDER BY s.id;

SELECT pg_temp.move_page('article', a.id, (SELECT id FROM divisions WHERE code = 'operator'), a.title, a.body,
                         jsonb_build_object('article_kind', a.kind, 'author_label', a.author_label),
                         a.published_at, a.created_at, NULL)
FROM articles AS a ORDER BY a.id;

SELECT pg_temp.move_page('facility', f.id, (SELECT id FROM divisions WHERE code = 'operator'), f.name, '',
                         jsonb_build_object('category', f.category, 'town', f.town, 'address', f.address,
                                            'phone', f.phone, 'url', f.url, 'sort_order', f.sort_order),
                         '2026-04-01T00:00:00+09:00', '2026-04-01T00:00:00+09:00', f.id)
FROM facilities AS f ORDER BY f.sort_order, f.id;

-- The old tables go once the public pages read from pages (0016).
