DROP INDEX event_signups_waitlist_idx;
CREATE INDEX event_signups_waitlist_idx ON event_signups (event_id, created_at, id) WHERE status = 'waitlisted';
ALTER TABLE event_signups DROP COLUMN place; -- drops the sequence it owns
