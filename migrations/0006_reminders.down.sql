DROP INDEX IF EXISTS event_signups_remind_idx; ALTER TABLE event_signups DROP COLUMN IF EXISTS reminded_at;
