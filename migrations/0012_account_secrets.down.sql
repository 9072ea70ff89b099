-- Links of reset mails still waiting go back into their bodies; links of
-- mail already sent are gone for good.
ALTER TABLE accounts DROP COLUMN IF EXISTS session_generation;
ALTER TABLE mail_outbox DROP CONSTRAINT IF EXISTS mail_outbox_reset_link_redacted;
UPDATE mail_outbox AS m SET body = replace(m.body, '[REDACTED]', s.secret)
FROM mail_secrets AS s WHERE s.mail_id = m.id;
DROP TABLE IF EXISTS mail_secrets;
ALTER TABLE mail_outbox DROP COLUMN IF EXISTS secret_withheld;
