DROP TABLE IF EXISTS mail_outbox, password_resets, audit_log, access_history, registration_decisions;
DROP INDEX IF EXISTS accounts_pending_idx, accounts_kind_status_idx,
    member_profiles_name_prefix, member_profiles_kana_prefix, member_profiles_email_prefix, member_profiles_phone_prefix;
ALTER TABLE accounts DROP COLUMN IF EXISTS failed_logins, DROP COLUMN IF EXISTS locked_until,
    DROP COLUMN IF EXISTS last_login_at, DROP COLUMN IF EXISTS password_changed_at, DROP COLUMN IF EXISTS withdrawn_at;
