DROP TABLE page_link_flags;
ALTER TABLE link_requests DROP CONSTRAINT link_requests_expired_check;
ALTER TABLE link_requests DROP COLUMN expired_at;
