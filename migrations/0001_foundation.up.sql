-- Foundation schema: accounts, the public content every section lists, and
-- the session store. Personal data of members lives in member_profiles only,
-- so no public query ever needs to touch it.

CREATE TABLE accounts (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                 text        NOT NULL CHECK (kind IN ('member', 'group', 'staff')),
    login_id             text        NOT NULL,
    password_hash        text        NOT NULL,
    must_change_password boolean     NOT NULL DEFAULT true,
    status               text        NOT NULL DEFAULT 'pending'
                                     CHECK (status IN ('pending', 'active', 'rejected', 'withdrawn', 'suspended')),
    -- handle name (member), group name (group) or staff display name: the only
    -- thing about an account that public pages may show.
    display_name         text        NOT NULL CHECK (display_name <> ''),
    -- staff roles: moderator, ward_staff, editor, approver, site_manager, system_admin
    roles                text[]      NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_login_id_key ON accounts (lower(login_id));
CREATE UNIQUE INDEX accounts_display_name_key ON accounts (display_name);

CREATE TABLE member_profiles (
    account_id    bigint      PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    name          text        NOT NULL,
    name_kana     text        NOT NULL,
    postal_code   text        NOT NULL,
    town          text        NOT NULL,
    address       text        NOT NULL,
    phone         text        NOT NULL,
    fax           text        NOT NULL DEFAULT '',
    email         text        NOT NULL,
    terms_version text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_profiles_email_idx ON member_profiles (lower(email));

CREATE TABLE groups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint      UNIQUE REFERENCES accounts (id),
    name        text        NOT NULL UNIQUE,
    category    text        NOT NULL,
    town        text        NOT NULL,
    summary     text        NOT NULL DEFAULT '',
    description text        NOT NULL DEFAULT '',
    activity    text        NOT NULL DEFAULT '',
    published   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX groups_public_idx ON groups (name, id) WHERE published;

CREATE TABLE facilities (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    category   text NOT NULL,
    town       text NOT NULL,
    address    text NOT NULL,
    phone      text NOT NULL DEFAULT '',
    url        text NOT NULL DEFAULT '',
    sort_order int  NOT NULL DEFAULT 0
);

CREATE TABLE events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organiser_kind text        NOT NULL CHECK (organiser_kind IN ('group', 'ward', 'operator')),
    group_id       bigint      REFERENCES groups (id),
    title          text        NOT NULL,
    description    text        NOT NULL DEFAULT '',
    category       text        NOT NULL,
    town           text        NOT NULL,
    venue          text        NOT NULL,
    facility_id    bigint      REFERENCES facilities (id),
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    capacity       int         CHECK (capacity IS NULL OR capacity > 0),
    waitlist_size  int         NOT NULL DEFAULT 0 CHECK (waitlist_size >= 0),
    apply_from     timestamptz,
    apply_until    timestamptz,
    fee            text        NOT NULL DEFAULT '',
    contact        text        NOT NULL DEFAULT '',
    status         text        NOT NULL DEFAULT 'draft'
                               CHECK (status IN ('draft', 'review', 'published', 'cancelled', 'closed')),
    confirmed      int         NOT NULL DEFAULT 0 CHECK (confirmed >= 0),
    waitlisted     int         NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at >= starts_at),
    CHECK (group_id IS NOT NULL OR organiser_kind <> 'group'),
    CHECK (capacity IS NULL OR confirmed <= capacity),
    CHECK (waitlisted <= waitlist_size)
);
CREATE INDEX events_upcoming_idx ON events (starts_at, id) WHERE status = 'published';
CREATE INDEX events_group_idx ON events (group_id, starts_at);

CREATE TABLE board_categories (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name_ja    text NOT NULL,
    name_en    text NOT NULL,
    sort_order int  NOT NULL DEFAULT 0
);

CREATE TABLE board_posts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id  bigint      NOT NULL REFERENCES board_categories (id),
    -- NULL for a topic, the topic's id for a reply.
    topic_id     bigint      REFERENCES board_posts (id),
    author_id    bigint      NOT NULL REFERENCES accounts (id),
    title        text        NOT NULL DEFAULT '',
    body         text        NOT NULL CHECK (body <> ''),
    status       text        NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'published', 'rejected', 'withdrawn')),
    reply_count  int         NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    CHECK (topic_id IS NOT NULL OR title <> ''),
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX board_topics_published_idx ON board_posts (published_at DESC, id DESC)
    WHERE status = 'published' AND topic_id IS NULL;
CREATE INDEX board_topics_category_idx ON board_posts (category_id, published_at DESC, id DESC)
    WHERE status = 'published' AND topic_id IS NULL;
CREATE INDEX board_replies_idx ON board_posts (topic_id, published_at, id) WHERE topic_id IS NOT NULL;
CREATE INDEX board_posts_author_idx ON board_posts (author_id, created_at DESC);

CREATE TABLE notices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text        NOT NULL,
    body         text        NOT NULL,
    department   text        NOT NULL,
    published_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notices_published_idx ON notices (published_at DESC, id DESC);

CREATE TABLE subsidies (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text        NOT NULL,
    body         text        NOT NULL,
    department   text        NOT NULL,
    amount       text        NOT NULL DEFAULT '',
    apply_until  date,
    published_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subsidies_published_idx ON subsidies (published_at DESC, id DESC);

CREATE TABLE articles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('article', 'column')),
    title        text        NOT NULL,
    body         text        NOT NULL,
    author_label text        NOT NULL,
    published_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX articles_published_idx ON articles (published_at DESC, id DESC);

-- Session store of github.com/alexedwards/scs/pgxstore.
CREATE TABLE sessions (
    token  text        PRIMARY KEY,
    data   bytea       NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
