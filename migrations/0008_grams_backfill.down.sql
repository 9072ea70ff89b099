DROP INDEX IF EXISTS board_posts_no_grams_idx;
