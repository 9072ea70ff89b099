-- Posts still without search grams (written before 0003, or a backfill that
-- was interrupted): normally none, so this index is empty and tells
-- `migrate` at once whether the backfill has work left.
CREATE INDEX board_posts_no_grams_idx ON board_posts (id) WHERE search_grams = '{}';
