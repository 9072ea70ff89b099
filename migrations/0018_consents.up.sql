-- Consent records (issue 14; Nakano rules 第14条): publishing personal
-- information beyond the scope of 第13条 needs the person's consent, kept on
-- record with the purpose, the content, the page and the period, and
-- reported to the division in charge of information disclosure. When the
-- period ends the scheduler ends the page's live revision and tells the
-- owning division once (notified_at).
CREATE TABLE consent_records (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_id      bigint NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    division_id  bigint NOT NULL REFERENCES divisions (id),
    -- Whose information: the name as consented to be published.
    subject_name text   NOT NULL CHECK (btrim(subject_name) <> '' AND char_length(subject_name) <= 200),
    purpose      text   NOT NULL CHECK (btrim(purpose) <> '' AND char_length(purpose) <= 2000),
    content      text   NOT NULL CHECK (btrim(content) <> '' AND char_length(content) <= 2000),
    start_date   date   NOT NULL,
    end_date     date   NOT NULL CHECK (end_date >= start_date),
    method       text   NOT NULL CHECK (method IN ('written', 'oral', 'email', 'electronic', 'other')),
    method_note  text   NOT NULL DEFAULT '' CHECK (char_length(method_note) <= 500),
    recorded_by  bigint NOT NULL REFERENCES accounts (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Set when the period ran out and the scheduler ended the page.
    ended_at     timestamptz,
    notified_at  timestamptz
);
CREATE INDEX consent_records_page_idx ON consent_records (page_id);
CREATE INDEX consent_records_division_idx ON consent_records (division_id, end_date DESC);
CREATE INDEX consent_records_due_idx ON consent_records (end_date) WHERE ended_at IS NULL;
