-- Attachments and images of pages (issue 13): stored in PostgreSQL so every
-- instance serves them and the handover carries them. The type is what the
-- content is (detected from the bytes), never the name's extension or what
-- the browser claimed. An id's bytes never change, so they are served as
-- immutable.
CREATE TABLE attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id      bigint      NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    uploaded_by  bigint      REFERENCES accounts (id),
    -- The name as given, made safe for a path and a Markdown link, with the
    -- extension of the detected type.
    filename     text        NOT NULL CHECK (filename <> '' AND char_length(filename) <= 120
                                             AND filename !~ '[/\\?#%<>()\[\]"[:cntrl:][:space:]]'),
    content_type text        NOT NULL CHECK (content_type IN (
                     'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf',
                     'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                     'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
                     'application/vnd.openxmlformats-officedocument.presentationml.presentation',
                     'text/csv', 'text/plain')),
    size         bigint      NOT NULL CHECK (size > 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- The file as served at ?size=original: for images, with the metadata
    -- (EXIF, GPS, XMP, comments) removed and the pixels untouched.
    data         bytea       NOT NULL CHECK (octet_length(data) = size),
    -- Images: the size as displayed, the alternative text (required), and a
    -- phone-sized copy at most 800 px wide, re-encoded (served by default).
    width        int         CHECK (width > 0),
    height       int         CHECK (height > 0),
    alt          text        NOT NULL DEFAULT '' CHECK (char_length(alt) <= 250),
    data_small   bytea,
    small_type   text        CHECK (small_type IN ('image/jpeg', 'image/png')),
    small_sha256 text        CHECK (small_sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((content_type LIKE 'image/%') = (width IS NOT NULL AND height IS NOT NULL AND alt <> ''
                                            AND data_small IS NOT NULL AND small_type IS NOT NULL
                                            AND small_sha256 IS NOT NULL))
);
CREATE INDEX attachments_page_idx ON attachments (page_id, id);
