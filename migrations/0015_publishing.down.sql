ALTER TABLE pages DROP CONSTRAINT pages_live_revision_fk;
DROP TABLE portal_settings, page_history, page_revisions, pages, site_staff, sites, staff_divisions, divisions;
ALTER TABLE accounts DROP COLUMN work_email;
