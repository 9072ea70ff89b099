DROP TABLE event_history;
DELETE FROM moderation_actions WHERE item_id IN (SELECT id FROM moderation_items WHERE kind = 'event_change');
DELETE FROM moderation_items WHERE kind = 'event_change';
ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check;
ALTER TABLE moderation_items ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN ('board_post', 'event'));
DROP TABLE event_changes;
