-- accounts.lang stays: the account-language migration (0024) owns it.
ALTER TABLE event_changes DROP COLUMN base, DROP COLUMN base_version;
DROP TRIGGER events_version ON events;
DROP FUNCTION events_bump_version();
ALTER TABLE events DROP COLUMN version;
