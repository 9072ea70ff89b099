-- Account secrets: what could take over an account is never readable by
-- staff, in a download or in a handover, and a password change ends the
-- account's other sessions.

-- A mail's secret (the token of a password-reset link) lives apart from the
-- mail. The outbox row holds the body with the secret replaced by
-- '[REDACTED]' (secret_withheld says so), which is all that staff screens,
-- the member's data download and the handover ever read; the sender puts the
-- secret in at delivery and deletes it in the statement that records the
-- mail as sent or failed. The handover leaves the table out, like sessions.
CREATE TABLE mail_secrets (
    mail_id bigint PRIMARY KEY REFERENCES mail_outbox (id) ON DELETE CASCADE,
    secret  text   NOT NULL
);

ALTER TABLE mail_outbox ADD COLUMN secret_withheld boolean NOT NULL DEFAULT false;

-- Reset mails written before kept their link in the body. A mail still
-- waiting keeps its token, moved here, so it can still be sent; every body
-- loses the link.
INSERT INTO mail_secrets (mail_id, secret)
SELECT id, substring(body FROM '/password/reset/([A-Za-z0-9_-]+)')
FROM mail_outbox
WHERE kind = 'reset' AND sent_at IS NULL AND failed_at IS NULL AND body ~ '/password/reset/[A-Za-z0-9_-]+';

UPDATE mail_outbox
SET body = regexp_replace(body, '/password/reset/[A-Za-z0-9_-]+', '/password/reset/[REDACTED]', 'g'),
    secret_withheld = true
WHERE kind = 'reset' AND body ~ '/password/reset/[A-Za-z0-9_-]';

ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_reset_link_redacted
    CHECK (kind <> 'reset' OR body !~ '/password/reset/[A-Za-z0-9_-]');

-- Each sign-in writes its account's session generation into the session;
-- setting a new password increments it, and a session whose generation is
-- not the account's is ended at its next request, on whichever instance it
-- arrives (the session store is opaque, so sessions cannot be found by
-- account; the account row is read on every request anyway).
ALTER TABLE accounts ADD COLUMN session_generation bigint NOT NULL DEFAULT 0;
