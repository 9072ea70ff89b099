DROP TABLE IF EXISTS live_events, board_reports, moderation_actions, moderation_items, moderation_words;
DROP INDEX IF EXISTS board_posts_search_idx, board_posts_published_idx;
ALTER TABLE board_posts DROP COLUMN IF EXISTS version, DROP COLUMN IF EXISTS updated_at,
    DROP COLUMN IF EXISTS search_grams;
