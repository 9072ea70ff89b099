DROP INDEX IF EXISTS page_revisions_no_grams_idx, events_no_grams_idx,
    page_revisions_search_idx, events_search_idx;
ALTER TABLE page_revisions DROP COLUMN IF EXISTS search_grams;
ALTER TABLE events DROP COLUMN IF EXISTS search_grams;
