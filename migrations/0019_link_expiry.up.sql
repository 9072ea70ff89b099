-- Link requests reaching their end date (issue 14; Nakano rules 第16条):
-- the scheduler marks an approved request whose end date has passed as
-- expired (once: expired_at), and flags every page whose live or working
-- revision links to the domain. A flag shows to the page's editors and
-- approvers while a revision of the page still links there; approving a new
-- request for the domain clears its flags.
ALTER TABLE link_requests ADD COLUMN expired_at timestamptz;
ALTER TABLE link_requests ADD CONSTRAINT link_requests_expired_check CHECK ((status = 'expired') = (expired_at IS NOT NULL));
CREATE INDEX link_requests_due_idx ON link_requests (end_date) WHERE status = 'approved' AND end_date IS NOT NULL;

CREATE TABLE page_link_flags (
    page_id         bigint      NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    link_request_id bigint      NOT NULL REFERENCES link_requests (id) ON DELETE CASCADE,
    domain          text        NOT NULL,
    flagged_at      timestamptz NOT NULL,
    PRIMARY KEY (page_id, link_request_id)
);
CREATE INDEX page_link_flags_domain_idx ON page_link_flags (domain);
