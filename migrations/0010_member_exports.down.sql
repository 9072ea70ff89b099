DROP TABLE IF EXISTS member_exports;
DROP INDEX IF EXISTS access_history_at_idx;
DROP INDEX IF EXISTS accounts_member_created_idx;
DROP INDEX IF EXISTS member_profiles_town_idx;
ALTER TABLE member_profiles DROP COLUMN IF EXISTS newsletter_since;
