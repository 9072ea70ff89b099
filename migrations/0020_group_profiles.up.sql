-- Group profiles (issue 15): a group keeps its own profile. Every change is
-- a revision in group_profiles that waits in the moderation queue (kind
-- group_profile); approving it copies it into groups, which is what the
-- public sees, so the live profile stays until a change is approved. A
-- group is public once its first revision is approved (groups.published).

-- The queue's kinds, whatever other migrations added before this one.
DO $$
DECLARE kinds text[];
BEGIN
    SELECT array_agg(DISTINCT m[1]) INTO kinds
    FROM pg_constraint AS c, regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''', 'g') AS m
    WHERE c.conname = 'moderation_items_kind_check';
    ALTER TABLE moderation_items DROP CONSTRAINT moderation_items_kind_check;
    EXECUTE format('ALTER TABLE moderation_items ADD CONSTRAINT moderation_items_kind_check CHECK (kind IN (%s))',
                   (SELECT string_agg(quote_literal(k), ', ') FROM unnest(array_append(kinds, 'group_profile')) AS k));
END $$;

-- The live profile: fields and areas of activity and activity days are
-- slugs of the ward's lists (db.GroupFields, db.GroupAreas, db.GroupDays);
-- links are absolute http(s) addresses, shown through /leave.
ALTER TABLE groups
    ADD COLUMN fields       text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN areas        text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN days         text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN places       text        NOT NULL DEFAULT '',
    ADD COLUMN how_to_join  text        NOT NULL DEFAULT '',
    ADD COLUMN fees         text        NOT NULL DEFAULT '',
    ADD COLUMN contact      text        NOT NULL DEFAULT '',
    ADD COLUMN links        text[]      NOT NULL DEFAULT '{}',
    -- What the directory's search finds the group by: db.SearchGrams of its
    -- name and profile texts, as the board's posts.
    ADD COLUMN search_grams int[]       NOT NULL DEFAULT '{}',
    ADD COLUMN profile_id   bigint,
    ADD COLUMN published_at timestamptz;

CREATE TABLE group_profiles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id     bigint      NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    summary      text        NOT NULL DEFAULT '',
    description  text        NOT NULL CHECK (description <> ''),
    activity     text        NOT NULL DEFAULT '',
    fields       text[]      NOT NULL CHECK (cardinality(fields) > 0),
    areas        text[]      NOT NULL CHECK (cardinality(areas) > 0),
    days         text[]      NOT NULL DEFAULT '{}',
    places       text        NOT NULL DEFAULT '',
    how_to_join  text        NOT NULL DEFAULT '',
    fees         text        NOT NULL DEFAULT '',
    contact      text        NOT NULL DEFAULT '',
    links        text[]      NOT NULL DEFAULT '{}',
    image_ids    bigint[]    NOT NULL DEFAULT '{}',
    status       text        NOT NULL DEFAULT 'review' CHECK (status IN ('review', 'approved', 'rejected')),
    submitted_by bigint      NOT NULL REFERENCES accounts (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- One change waits at a time: a resubmission before a decision edits it.
CREATE UNIQUE INDEX group_profiles_review_idx ON group_profiles (group_id) WHERE status = 'review';
CREATE INDEX group_profiles_group_idx ON group_profiles (group_id, id DESC);
ALTER TABLE groups ADD CONSTRAINT groups_profile_fk FOREIGN KEY (profile_id) REFERENCES group_profiles (id) ON DELETE SET NULL;
ALTER TABLE groups ADD COLUMN image_ids bigint[] NOT NULL DEFAULT '{}';

-- Images of group profiles: the same checks as pages' attachments, the
-- alternative text required. A revision names the images it shows.
CREATE TABLE group_images (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id     bigint      NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    uploaded_by  bigint      REFERENCES accounts (id),
    filename     text        NOT NULL CHECK (filename <> '' AND char_length(filename) <= 120
                                             AND filename !~ '[/\\?#%<>()\[\]"[:cntrl:][:space:]]'),
    content_type text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp')),
    size         bigint      NOT NULL CHECK (size > 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    data         bytea       NOT NULL CHECK (octet_length(data) = size),
    width        int         NOT NULL CHECK (width > 0),
    height       int         NOT NULL CHECK (height > 0),
    alt          text        NOT NULL CHECK (alt <> '' AND char_length(alt) <= 250),
    data_small   bytea       NOT NULL,
    small_type   text        NOT NULL CHECK (small_type IN ('image/jpeg', 'image/png')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX group_images_group_idx ON group_images (group_id, id);

-- The directory: search by grams, filter by field, area and day, all on
-- published groups; paging by (name, id) uses groups_public_idx.
CREATE INDEX groups_grams_idx ON groups USING gin (search_grams) WHERE published;
CREATE INDEX groups_fields_idx ON groups USING gin (fields) WHERE published;
CREATE INDEX groups_areas_idx ON groups USING gin (areas) WHERE published;
CREATE INDEX groups_days_idx ON groups USING gin (days) WHERE published;

-- Inquiries to a group's inbox (issue 14): an inquiry goes to a division or
-- to a group, never both.
ALTER TABLE inquiries ALTER COLUMN division_id DROP NOT NULL;
ALTER TABLE inquiries ADD COLUMN group_id bigint REFERENCES groups (id) ON DELETE CASCADE;
ALTER TABLE inquiries ADD CONSTRAINT inquiries_one_inbox CHECK ((division_id IS NULL) <> (group_id IS NULL));
CREATE INDEX inquiries_group_idx ON inquiries (group_id, status, id DESC) WHERE group_id IS NOT NULL;
