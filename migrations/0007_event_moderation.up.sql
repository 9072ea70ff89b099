-- Events a group submits join the moderation queue.
ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check;
ALTER TABLE moderation_items ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN ('board_post', 'event'));
-- Who created an event (a group's account or a staff member).
ALTER TABLE events ADD COLUMN created_by bigint REFERENCES accounts (id);
