DROP INDEX IF EXISTS inquiries_group_idx;
DELETE FROM inquiries WHERE group_id IS NOT NULL;
ALTER TABLE inquiries DROP CONSTRAINT IF EXISTS inquiries_one_inbox;
ALTER TABLE inquiries DROP COLUMN IF EXISTS group_id;
ALTER TABLE inquiries ALTER COLUMN division_id SET NOT NULL;
DROP INDEX IF EXISTS groups_grams_idx, groups_fields_idx, groups_areas_idx, groups_days_idx;
DROP TABLE IF EXISTS group_images;
ALTER TABLE groups DROP CONSTRAINT IF EXISTS groups_profile_fk;
DROP TABLE IF EXISTS group_profiles;
ALTER TABLE groups
    DROP COLUMN IF EXISTS fields, DROP COLUMN IF EXISTS areas, DROP COLUMN IF EXISTS days,
    DROP COLUMN IF EXISTS places, DROP COLUMN IF EXISTS how_to_join, DROP COLUMN IF EXISTS fees,
    DROP COLUMN IF EXISTS contact, DROP COLUMN IF EXISTS links, DROP COLUMN IF EXISTS search_grams,
    DROP COLUMN IF EXISTS profile_id, DROP COLUMN IF EXISTS published_at, DROP COLUMN IF EXISTS image_ids;
DELETE FROM moderation_actions WHERE item_id IN (SELECT id FROM moderation_items WHERE kind = 'group_profile');
DELETE FROM moderation_items WHERE kind = 'group_profile';
DO $$
DECLARE kinds text[];
BEGIN
    SELECT array_agg(DISTINCT m[1]) INTO kinds
    FROM pg_constraint AS c, regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m
    WHERE c.conname = 'moderation_items_kind_check';
    ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check;
    EXECUTE format('ALTER TABLE moderation_items ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN (%s))',
                   (SELECT string_agg(quote_literal(k), ', ') FROM unnest(array_remove(kinds, 'group_profile')) AS k));
END $$;
