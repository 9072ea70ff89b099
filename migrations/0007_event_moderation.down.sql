ALTER TABLE events DROP COLUMN IF EXISTS created_by;
ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check;
ALTER TABLE moderation_items ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN ('board_post'));
