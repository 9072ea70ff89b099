DROP TABLE event_history;
DELETE FROM moderation_actions WHERE item_id IN (SELECT id FROM moderation_items WHERE kind = 'event_change');
DELETE FROM moderation_items WHERE kind = 'event_change';
DO $$
DECLARE kinds text[];
BEGIN
    SELECT array_agg(DISTINCT m[1]) INTO kinds
    FROM pg_constraint AS c, regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m
    WHERE c.conname = 'moderation_items_kind_check';
    ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check;
    EXECUTE format('ALTER TABLE moderation_items ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN (%s))',
                   (SELECT string_agg(quote_literal(k), ', ') FROM unnest(array_remove(kinds, 'event_change')) AS k));
END $$;
DROP TABLE event_changes;
