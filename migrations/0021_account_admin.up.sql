-- Account administration (issue 15): ward staff suspend and reinstate
-- members', groups' and staff accounts with a reason kept on the account
-- (the audit log keeps every change; this is the one the account is in).
ALTER TABLE accounts
    ADD COLUMN status_reason     text NOT NULL DEFAULT '' CHECK (char_length(status_reason) <= 500),
    ADD COLUMN status_changed_at timestamptz;

-- The group-account list is paged newest first, and searched by name or
-- login ID among a few thousand groups.
CREATE INDEX accounts_groups_idx ON accounts (id DESC) WHERE kind = 'group';
