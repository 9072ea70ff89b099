-- Accounts: registration with two confirmations, sign-in protection,
-- access history, the audit log of staff looking at personal data, password
-- resets and the mail outbox.

ALTER TABLE accounts
    ADD COLUMN failed_logins       int         NOT NULL DEFAULT 0,
    ADD COLUMN locked_until        timestamptz,
    ADD COLUMN last_login_at       timestamptz,
    ADD COLUMN password_changed_at timestamptz,
    ADD COLUMN withdrawn_at        timestamptz;

-- Two confirmations, by the operator (moderator) and by the ward (ward
-- staff), in either order; either may reject. One row per side.
CREATE TABLE registration_decisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    side       text        NOT NULL CHECK (side IN ('operator', 'ward')),
    decision   text        NOT NULL CHECK (decision IN ('confirm', 'reject')),
    reason     text        NOT NULL DEFAULT '',
    actor_id   bigint      NOT NULL REFERENCES accounts (id),
    decided_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, side),
    CHECK (decision = 'confirm' OR reason <> '')
);

CREATE INDEX accounts_pending_idx ON accounts (created_at, id) WHERE status = 'pending';
CREATE INDEX accounts_kind_status_idx ON accounts (kind, status, id);

-- Member search for staff: prefix matches on name, kana, e-mail and the
-- digits of the phone number use these btree indexes at any query length —
-- including the one- and two-character family names trigram indexes cannot
-- serve — and stay fast at 350,000 members.
CREATE INDEX member_profiles_name_prefix ON member_profiles (name text_pattern_ops);
CREATE INDEX member_profiles_kana_prefix ON member_profiles (name_kana text_pattern_ops);
CREATE INDEX member_profiles_email_prefix ON member_profiles (lower(email) text_pattern_ops);
CREATE INDEX member_profiles_phone_prefix ON member_profiles (regexp_replace(phone, '[^0-9]', '', 'g') text_pattern_ops);

-- アクセス履歴: sign-ins, sign-outs, password changes and other significant
-- actions of every account.
CREATE TABLE access_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint      REFERENCES accounts (id) ON DELETE CASCADE,
    login_id   text        NOT NULL DEFAULT '',
    action     text        NOT NULL,
    success    boolean     NOT NULL DEFAULT true,
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    detail     text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_history_account_idx ON access_history (account_id, at DESC, id DESC);
CREATE INDEX access_history_ip_failed_idx ON access_history (ip, at) WHERE NOT success AND action = 'login';

-- Who looked at, changed or exported whose personal data.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint      NOT NULL REFERENCES accounts (id),
    actor_role  text        NOT NULL,
    action      text        NOT NULL,
    subject_id  bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    fields      text[]      NOT NULL DEFAULT '{}',
    purpose     text        NOT NULL DEFAULT '',
    detail      text        NOT NULL DEFAULT '',
    ip          text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_id, at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);

CREATE TABLE password_resets (
    token_hash text        PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Mail is written here in the transaction that causes it and delivered by a
-- background sender; with no SMTP configured it stays here for staff to read.
CREATE TABLE mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_addr         text        NOT NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    kind            text        NOT NULL,
    account_id      bigint      REFERENCES accounts (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    failed_at       timestamptz,
    last_error      text        NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_created_idx ON mail_outbox (created_at DESC, id DESC);
