-- Outbound link requests (issue 14; Nakano rules 第16条): an author asks to
-- link to an outside site, naming what 第16条3項 lists, and confirms that
-- none of the prohibited categories of 第16条1項 applies; a site manager
-- approves or refuses with a comment. The domain of an approved request
-- that has started and not ended is an approved domain: /leave shows its
-- links, and the outbound-link check lets them pass. A request whose end
-- date has passed stops counting whatever its stored status.
CREATE TABLE link_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_name     text   NOT NULL CHECK (site_name <> '' AND char_length(site_name) <= 200),
    url           text   NOT NULL CHECK (url ~ '^https?://' AND char_length(url) <= 2000),
    -- The URL's host, lower-case, without a port or trailing dot.
    domain        text   NOT NULL CHECK (domain <> '' AND domain = lower(domain) AND domain !~ '[/:@[:space:]]'),
    content       text   NOT NULL CHECK (content <> '' AND char_length(content) <= 2000),
    administrator text   NOT NULL CHECK (administrator <> '' AND char_length(administrator) <= 200),
    reason        text   NOT NULL CHECK (reason <> '' AND char_length(reason) <= 2000),
    start_date    date   NOT NULL,
    end_date      date   CHECK (end_date >= start_date),
    contact       text   NOT NULL CHECK (contact <> '' AND char_length(contact) <= 1000),
    -- 第16条1項(1)–(6): the requester confirmed that the site has none of
    -- it; (7) is the approver's judgement. A request is only taken with
    -- every box confirmed.
    none_adult     boolean NOT NULL CHECK (none_adult),
    none_crime     boolean NOT NULL CHECK (none_crime),
    none_defame    boolean NOT NULL CHECK (none_defame),
    none_political boolean NOT NULL CHECK (none_political),
    none_election  boolean NOT NULL CHECK (none_election),
    none_malware   boolean NOT NULL CHECK (none_malware),
    status        text   NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'refused', 'expired')),
    requested_by  bigint NOT NULL REFERENCES accounts (id),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    decided_by    bigint REFERENCES accounts (id),
    decided_at    timestamptz,
    comment       text   NOT NULL DEFAULT '' CHECK (char_length(comment) <= 2000),
    CHECK ((status = 'requested') = (decided_by IS NULL AND decided_at IS NULL)),
    CHECK (status <> 'refused' OR comment <> '')
);
CREATE INDEX link_requests_domain_idx ON link_requests (domain) WHERE status = 'approved';
CREATE INDEX link_requests_status_idx ON link_requests (status, requested_at DESC);
