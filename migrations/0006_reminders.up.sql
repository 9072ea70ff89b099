-- The day-before reminder is sent once per sign-up.
ALTER TABLE event_signups ADD COLUMN reminded_at timestamptz;
CREATE INDEX event_signups_remind_idx ON event_signups (event_id) WHERE status = 'confirmed' AND reminded_at IS NULL;
