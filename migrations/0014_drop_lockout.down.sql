ALTER TABLE accounts
    ADD COLUMN failed_logins int NOT NULL DEFAULT 0,
    ADD COLUMN locked_until  timestamptz;
