-- A site's own navigation (第6条: a sub-site's manager runs its site): a
-- short ordered list of links, each {"label": …, "path": "/…"} to a local
-- address or {"label": …, "page_id": N} to one of the site's pages.
ALTER TABLE sites ADD COLUMN nav jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(nav) = 'array');
