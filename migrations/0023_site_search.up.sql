-- One search across the portal (/search): the live revisions of pages
-- (notices, subsidies, articles, facility links, general pages) and events
-- carry (groups have theirs since 0020) the same unigrams and bigrams as board posts (db/grams.go),
-- written by the application whenever their text is, and indexed with GIN
-- over exactly the rows the public sees.
ALTER TABLE page_revisions ADD COLUMN search_grams int[] NOT NULL DEFAULT '{}';
ALTER TABLE events ADD COLUMN search_grams int[] NOT NULL DEFAULT '{}';

CREATE INDEX page_revisions_search_idx ON page_revisions USING gin (search_grams) WHERE status = 'published';
CREATE INDEX events_search_idx ON events USING gin (search_grams) WHERE status = 'published';

-- Rows written before this migration: `migrate` fills their grams (as it
-- does for board posts, 0008); these partial indexes tell it at once
-- whether any are left.
CREATE INDEX page_revisions_no_grams_idx ON page_revisions (id) WHERE search_grams = '{}';
CREATE INDEX events_no_grams_idx ON events (id) WHERE search_grams = '{}';
